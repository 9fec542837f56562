# Fuzzing and hostile input (GitHub issue 5).
#
# Every tests/fuzz/fuzz_NAME.c is a libFuzzer target; dropping in a new one
# (fuzz_zip.c, fuzz_pickle.c, ...) with a corpus/NAME/ folder is all it takes:
#  - replay_NAME, built with any compiler from the target and replay_main.c,
#    replays corpus/NAME/ and crashes/NAME/ under ctest (test fuzz_replay_NAME);
#  - with MODELMEM_BUILD_FUZZERS (clang), fuzz_NAME is the libFuzzer binary
#    that tests/fuzz/ci-fuzz.sh runs.
set(MM_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})
file(GLOB MM_FUZZ_TARGETS CONFIGURE_DEPENDS ${MM_FUZZ_DIR}/fuzz_*.c)

foreach(src ${MM_FUZZ_TARGETS})
  get_filename_component(base ${src} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" name ${base})
  add_executable(replay_${name} ${src} ${MM_FUZZ_DIR}/replay_main.c)
  target_include_directories(replay_${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${MM_FUZZ_DIR})
  target_link_libraries(replay_${name} PRIVATE modelmem_static modelmem_flags)
  add_test(NAME fuzz_replay_${name}
    COMMAND replay_${name} ${MM_FUZZ_DIR}/corpus/${name} ${MM_FUZZ_DIR}/crashes/${name})
  if(MODELMEM_BUILD_FUZZERS)
    add_executable(fuzz_${name} ${src})
    target_include_directories(fuzz_${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${MM_FUZZ_DIR})
    target_link_libraries(fuzz_${name} PRIVATE modelmem_static modelmem_flags)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  endif()
endforeach()

# Hostile input built at test time (tests/hostile_gen.c): every limit just
# past its value, time and memory on huge headers, path and file-type
# safety, and the command line on each hostile file.
set(MM_HOSTILE_GEN ${PROJECT_SOURCE_DIR}/tests/hostile_gen.c)
mm_add_test(test_limits ${PROJECT_SOURCE_DIR}/tests/test_limits.c ${MM_HOSTILE_GEN})
mm_add_test(test_resources ${PROJECT_SOURCE_DIR}/tests/test_resources.c ${MM_HOSTILE_GEN})
target_link_options(test_resources PRIVATE
  -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc -Wl,--wrap=aligned_alloc)
mm_add_test(test_fs_safety ${PROJECT_SOURCE_DIR}/tests/test_fs_safety.c ${MM_HOSTILE_GEN})
target_link_options(test_fs_safety PRIVATE
  -Wl,--wrap=open -Wl,--wrap=openat -Wl,--wrap=fopen -Wl,--wrap=fcntl -Wl,--wrap=flock
  -Wl,--wrap=lockf)
mm_add_test(test_hostile_cli ${PROJECT_SOURCE_DIR}/tests/test_hostile_cli.c ${MM_HOSTILE_GEN})
add_dependencies(test_hostile_cli modelmem_cli)
add_test(NAME lib_no_side_effects COMMAND sh ${MM_FUZZ_DIR}/lib_symbols.sh $<TARGET_FILE:modelmem>)
set_tests_properties(lib_no_side_effects PROPERTIES SKIP_RETURN_CODE 77)
