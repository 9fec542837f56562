# The memory estimates: formulas on fixtures/estimate (gen_estimate.py),
# config.json parsing, Hub-exact logical parameters; and the command line.
mm_add_test(test_estimate_mem test_estimate_mem.c)

add_test(NAME cli_estimate_mem
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/estimate_mem.sh $<TARGET_FILE:modelmem_cli>
    $<TARGET_FILE:mm_jsoncheck> ${PROJECT_SOURCE_DIR}/fixtures/estimate)
set_tests_properties(cli_estimate_mem PROPERTIES SKIP_RETURN_CODE 77)
