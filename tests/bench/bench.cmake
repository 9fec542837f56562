# The speed benchmark's programs (tests/bench/README.md). They are built with
# the tests but never registered as timing tests: run_bench.sh runs them. One
# correctness test generates small layouts and checks modelmem's counts.
set(MM_BENCH_DIR ${CMAKE_CURRENT_SOURCE_DIR}/bench)

foreach(prog gen_layout floor measure)
  add_executable(mm_bench_${prog} ${MM_BENCH_DIR}/${prog}.c)
  set_target_properties(mm_bench_${prog} PROPERTIES
    OUTPUT_NAME ${prog}
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/bench)
  target_link_libraries(mm_bench_${prog} PRIVATE modelmem_flags)
endforeach()

mm_add_test(test_bench_layout ${MM_BENCH_DIR}/test_bench_layout.c)
target_compile_definitions(test_bench_layout PRIVATE
  MM_GEN_LAYOUT="$<TARGET_FILE:mm_bench_gen_layout>"
  MM_FLOOR="$<TARGET_FILE:mm_bench_floor>")
add_dependencies(test_bench_layout mm_bench_gen_layout mm_bench_floor modelmem_cli)
