# Unit tests of the core modules, one file per module, on the fixtures
# fixtures/gen_fixtures.py writes.
mm_add_test(test_fmt_safetensors ${CMAKE_CURRENT_SOURCE_DIR}/test_fmt_safetensors.c)
target_link_libraries(test_fmt_safetensors PRIVATE ${MM_CJSON_LIB})
mm_add_test(test_estimate_accel ${CMAKE_CURRENT_SOURCE_DIR}/test_estimate_accel.c)
mm_add_test(test_json_scan ${CMAKE_CURRENT_SOURCE_DIR}/test_json_scan.c)
mm_add_test(test_dtype ${CMAKE_CURRENT_SOURCE_DIR}/test_dtype.c)
mm_add_test(test_index ${CMAKE_CURRENT_SOURCE_DIR}/test_index.c)
mm_add_test(test_index_split ${CMAKE_CURRENT_SOURCE_DIR}/test_index_split.c
  ${PROJECT_SOURCE_DIR}/tests/hostile_gen.c)
mm_add_test(test_scan ${CMAKE_CURRENT_SOURCE_DIR}/test_scan.c)
mm_add_test(test_inventory ${CMAKE_CURRENT_SOURCE_DIR}/test_inventory.c)
