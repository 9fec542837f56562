# modelmem against published measurements of real runs (measurements.json):
# each model's layout is built from its config as sparse files in the build
# tree and every row is computed; known gaps are expected to miss.
find_program(MM_PYTHON3 python3)
if(MM_PYTHON3)
  add_test(NAME accuracy_table
    COMMAND ${MM_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/accuracy.py
      $<TARGET_FILE:modelmem_cli> ${CMAKE_CURRENT_BINARY_DIR}/accuracy-layouts)
  # 77: the build tree's file system does not keep holes
  set_tests_properties(accuracy_table PROPERTIES SKIP_RETURN_CODE 77)
endif()
