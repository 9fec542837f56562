# PyTorch checkpoints: the zip reader, the pickle interpreter, torch
# semantics, limits, safety (tests/test_fmt_torch.c, fixtures/torch/).
find_library(MM_TORCH_CJSON_LIB cjson REQUIRED)
find_path(MM_TORCH_CJSON_INC cjson/cJSON.h REQUIRED)
mm_add_test(test_fmt_torch test_fmt_torch.c)
target_link_libraries(test_fmt_torch PRIVATE ${MM_TORCH_CJSON_LIB})
target_include_directories(test_fmt_torch PRIVATE ${MM_TORCH_CJSON_INC})
target_compile_definitions(test_fmt_torch PRIVATE MM_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
