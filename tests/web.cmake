# The browser tests of the WebAssembly back end (web/wasm, tests/web/): each
# drives web/dist in headless Chromium and compares it with this build's
# modelmem. Skipped (77) where node, Chromium, puppeteer-core or emcc are
# missing; .ci/run installs them.
foreach(t estimate errors offline sparse static)
  add_test(NAME web_${t} COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/web/run.sh ${t}.mjs ${PROJECT_BINARY_DIR})
  set_tests_properties(web_${t} PROPERTIES
    SKIP_RETURN_CODE 77
    TIMEOUT 600
    ENVIRONMENT "MODELMEM=$<TARGET_FILE:modelmem_cli>;GEN_LAYOUT=$<TARGET_FILE:mm_bench_gen_layout>")
endforeach()
