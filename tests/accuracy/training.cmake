# Training rows (training.json): modelmem's training totals against
# published peak memory of real fine-tuning runs. Each model's layout is
# built from its config as sparse files in the build tree; every row is
# computed and printed, known gaps included.
find_program(MM_PYTHON3 python3)
if(MM_PYTHON3)
  add_test(NAME accuracy_training
    COMMAND ${MM_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/training.py
      $<TARGET_FILE:modelmem_cli> ${CMAKE_CURRENT_BINARY_DIR}/accuracy-training)
endif()
