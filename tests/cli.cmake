# The command line tested as a user runs it (tests/cli/*.sh, POSIX sh),
# the documentation checked against the program, the README's library
# example built and run, and the conformance test over ../shared/realmodels.

# cJSON: found by the top-level CMakeLists.txt, which links it into the library.
set(MM_CLI_CJSON_LIB ${MM_CJSON_LIB})

set(MM_CLI_DIR ${CMAKE_CURRENT_SOURCE_DIR}/cli)
set(MM_CLI_DATA ${MM_CLI_DIR}/data)

# jsoncheck: is stdin one JSON document, and do given members hold given values.
add_executable(mm_jsoncheck ${MM_CLI_DIR}/jsoncheck.c)
target_link_libraries(mm_jsoncheck PRIVATE modelmem_flags ${MM_CLI_CJSON_LIB} m)

# The README's library example, linked with the shared library as a user's
# program would be.
add_executable(example_estimate ${PROJECT_SOURCE_DIR}/examples/estimate.c)
target_link_libraries(example_estimate PRIVATE modelmem modelmem_flags)

# mm_cli_test(NAME SCRIPT ARGS...): a shell test; 77 means skipped.
function(mm_cli_test name script)
  add_test(NAME ${name} COMMAND sh ${MM_CLI_DIR}/${script} ${ARGN})
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77)
endfunction()

mm_cli_test(cli_exit_status exit_status.sh $<TARGET_FILE:modelmem_cli> ${MM_CLI_DATA})
mm_cli_test(cli_help_version help_version.sh $<TARGET_FILE:modelmem_cli> ${PROJECT_VERSION})
mm_cli_test(cli_errors errors.sh $<TARGET_FILE:modelmem_cli> ${MM_CLI_DATA})
mm_cli_test(cli_json json.sh $<TARGET_FILE:modelmem_cli> $<TARGET_FILE:mm_jsoncheck>
  ${MM_CLI_DATA})
mm_cli_test(cli_targets targets.sh $<TARGET_FILE:modelmem_cli> $<TARGET_FILE:mm_jsoncheck>
  ${MM_CLI_DATA})
mm_cli_test(cli_options_match options_match.sh $<TARGET_FILE:modelmem_cli>
  ${PROJECT_SOURCE_DIR}/man/modelmem.1 ${PROJECT_SOURCE_DIR}/README.md)
# The completion scripts the build wrote, in bash, zsh and fish.
if(TARGET modelmem_completions)
  mm_cli_test(cli_completions completions.sh $<TARGET_FILE:modelmem_cli>
    ${PROJECT_BINARY_DIR}/completions)
endif()
mm_cli_test(cli_examples examples.sh $<TARGET_FILE:modelmem_cli>
  ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/man/modelmem.1 ${MM_CLI_DATA}
  ${PROJECT_SOURCE_DIR})
mm_cli_test(cli_readme_sample readme_sample.sh $<TARGET_FILE:modelmem_cli>
  ${PROJECT_SOURCE_DIR}/README.md ${MM_SHARED})
mm_cli_test(cli_doc_sync doc_sync.sh ${PROJECT_SOURCE_DIR}/README.md
  ${PROJECT_SOURCE_DIR}/man/modelmem.1 ${PROJECT_SOURCE_DIR}/src/core/error.c
  ${PROJECT_SOURCE_DIR}/include/modelmem.h ${PROJECT_SOURCE_DIR}/examples/estimate.c)
# The install step as a packager runs it, and modelmem.pc from that prefix.
if(MODELMEM_SANITIZE)
  set(MM_INSTALL_CFLAGS "-fsanitize=address,undefined")
else()
  set(MM_INSTALL_CFLAGS "")
endif()
mm_cli_test(cli_install install.sh ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR}
  "${MM_INSTALL_CFLAGS}")
mm_cli_test(cli_example_estimate example.sh $<TARGET_FILE:example_estimate> ${MM_CLI_DATA})

# groff is not among the build's packages: lint the man page where it is.
find_program(MM_GROFF groff)
if(MM_GROFF)
  mm_cli_test(man_lint man_lint.sh ${MM_GROFF} ${PROJECT_SOURCE_DIR}/man/modelmem.1)
else()
  message(STATUS "groff not found: the man page lint test is not registered")
endif()

mm_add_test(test_conformance ${CMAKE_CURRENT_SOURCE_DIR}/test_conformance.c)
target_link_libraries(test_conformance PRIVATE ${MM_CLI_CJSON_LIB})
mm_cli_test(cli_inspect_width inspect_width.sh $<TARGET_FILE:modelmem_cli>
  ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR})
mm_cli_test(cli_malformed malformed.sh $<TARGET_FILE:modelmem_cli> ${MM_FIXTURES})

# Text from files on a terminal: hostile names, metadata, paths and pickle
# globals through every command, escaped and on modelmem's own lines.
mm_add_test(test_cli_escape ${CMAKE_CURRENT_SOURCE_DIR}/test_cli_escape.c
  ${CMAKE_CURRENT_SOURCE_DIR}/hostile_gen.c ${PROJECT_SOURCE_DIR}/src/cli/output.c)
add_dependencies(test_cli_escape modelmem_cli)
mm_cli_test(cli_names names.sh $<TARGET_FILE:modelmem_cli> $<TARGET_FILE:mm_jsoncheck>
  ${PROJECT_SOURCE_DIR}/fixtures/estimate)
# The option table as the parser: --name=VALUE, unknown options, options
# that do not apply to the command.
mm_cli_test(cli_parse parse.sh $<TARGET_FILE:modelmem_cli> ${PROJECT_SOURCE_DIR}/fixtures/estimate)
mm_cli_test(cli_output output.sh $<TARGET_FILE:modelmem_cli> $<TARGET_FILE:mm_jsoncheck>
  ${PROJECT_SOURCE_DIR}/fixtures/estimate ${MM_CLI_DATA})
# scan over a generated Hugging Face cache of 1,000 repositories and a
# plain mirror (tests/cli/gen_cache.py, written at test time).
mm_cli_test(cli_scan scan.sh $<TARGET_FILE:modelmem_cli> ${PROJECT_SOURCE_DIR}/fixtures
  ${PROJECT_SOURCE_DIR}/README.md)

# The loader of libmicrohttpd `serve` opens at run time (src/cli/serve_mhd.c):
# the library found at configure time, and the one line for a SONAME that
# loads nothing or a library without its functions.
mm_add_test(test_serve_mhd ${CMAKE_CURRENT_SOURCE_DIR}/test_serve_mhd.c
  ${PROJECT_SOURCE_DIR}/src/cli/serve_mhd.c)
target_link_libraries(test_serve_mhd PRIVATE modelmem_mhd)

# `modelmem serve` (tests/web/): the HTTP API with curl; the page in a
# headless browser; a bounded load test (tests/bench/serve_load.sh).
include(${PROJECT_SOURCE_DIR}/tests/web/web.cmake OPTIONAL)
