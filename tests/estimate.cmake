# The memory estimates: formulas on fixtures/estimate (gen_estimate.py),
# config.json parsing, Hub-exact logical parameters; and the command line.
mm_add_test(test_estimate_mem test_estimate_mem.c test_layout.c)
mm_add_test(test_estimate_train test_estimate_train.c)
# --load-in and the quantizations that would fit (test_estimate_quant.c).
mm_add_test(test_estimate_quant test_estimate_quant.c test_layout.c)

add_test(NAME cli_estimate_mem
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/estimate_mem.sh $<TARGET_FILE:modelmem_cli>
    $<TARGET_FILE:mm_jsoncheck> ${PROJECT_SOURCE_DIR}/fixtures/estimate
    ${PROJECT_SOURCE_DIR}/README.md)
set_tests_properties(cli_estimate_mem PROPERTIES SKIP_RETURN_CODE 77)

# The Hub's own parser on the same fixtures: @huggingface/hub installed into
# the build folder at the version tests/cli/hub/package-lock.json pins (or
# found in HFHUB_DIR, see ../shared/tools/README.md); skipped without node,
# npm or ../shared.
add_test(NAME cli_hub_crosscheck
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/hub_crosscheck.sh $<TARGET_FILE:modelmem_cli>
    ${PROJECT_SOURCE_DIR}/fixtures/estimate ${MM_SHARED}/tools/hfhub-count.mjs
    ${CMAKE_BINARY_DIR})
set_tests_properties(cli_hub_crosscheck PROPERTIES SKIP_RETURN_CODE 77)

# The inference plans per runtime and the fit answers, on Llama-3 layouts
# built at test time as sparse files (test_estimate_runtime.c), and the
# command line's runtime options (cli/runtime.sh).
mm_add_test(test_estimate_runtime test_estimate_runtime.c test_layout.c)
add_test(NAME cli_runtime
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/runtime.sh $<TARGET_FILE:modelmem_cli>
    $<TARGET_FILE:mm_jsoncheck> ${PROJECT_SOURCE_DIR}/fixtures/estimate)
set_tests_properties(cli_runtime PROPERTIES SKIP_RETURN_CODE 77)

# --load-in and the quantizations that would fit, from the command line.
add_test(NAME cli_quant
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/quant.sh $<TARGET_FILE:modelmem_cli>
    $<TARGET_FILE:mm_jsoncheck> ${PROJECT_SOURCE_DIR}/fixtures/estimate)
# llama.cpp's allocation on GGUF layouts built at test time, checked against
# published load logs (test_estimate_llamacpp.c, tests/accuracy/llamacpp.tsv).
mm_add_test(test_estimate_llamacpp test_estimate_llamacpp.c)
add_test(NAME accuracy_llamacpp
  COMMAND test_estimate_llamacpp ${PROJECT_SOURCE_DIR}/tests/accuracy/llamacpp.tsv)
add_test(NAME cli_llamacpp
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/llamacpp.sh $<TARGET_FILE:modelmem_cli>
    $<TARGET_FILE:mm_jsoncheck> ${PROJECT_SOURCE_DIR}/fixtures/estimate)
set_tests_properties(cli_llamacpp PROPERTIES SKIP_RETURN_CODE 77)
