# PyTorch checkpoints: the zip reader, the pickle interpreter, torch
# semantics, limits, safety (tests/test_fmt_torch.c, fixtures/torch/).
find_library(MM_TORCH_CJSON_LIB cjson REQUIRED)
find_path(MM_TORCH_CJSON_INC cjson/cJSON.h REQUIRED)
mm_add_test(test_fmt_torch test_fmt_torch.c)
target_link_libraries(test_fmt_torch PRIVATE ${MM_TORCH_CJSON_LIB})
target_include_directories(test_fmt_torch PRIVATE ${MM_TORCH_CJSON_INC})
target_compile_definitions(test_fmt_torch PRIVATE MM_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

# The command line on PyTorch fixtures (tests/cli/torch.sh); mm_jsoncheck
# comes from cli.cmake.
add_test(NAME cli_torch COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/torch.sh
  $<TARGET_FILE:modelmem_cli> $<TARGET_FILE:mm_jsoncheck> ${MM_FIXTURES}/torch)
set_tests_properties(cli_torch PROPERTIES SKIP_RETURN_CODE 77)
