# `modelmem serve` tests: the API through curl, the page in headless
# Chromium (puppeteer-core), and a bounded wrk load test. Each skips (77)
# with a message where its tool is missing; .ci/run installs them.
set(MM_WEB_DIR ${PROJECT_SOURCE_DIR}/tests/web)
add_test(NAME serve_api COMMAND sh ${MM_WEB_DIR}/serve_api.sh $<TARGET_FILE:modelmem_cli>
  $<TARGET_FILE:mm_jsoncheck> ${PROJECT_SOURCE_DIR})
set_tests_properties(serve_api PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
add_test(NAME web_page COMMAND sh ${MM_WEB_DIR}/page.sh $<TARGET_FILE:modelmem_cli>
  ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
set_tests_properties(web_page PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)
add_test(NAME serve_load COMMAND sh ${PROJECT_SOURCE_DIR}/tests/bench/serve_load.sh
  $<TARGET_FILE:modelmem_cli> ${PROJECT_SOURCE_DIR} 5)
set_tests_properties(serve_load PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120 RUN_SERIAL TRUE)
