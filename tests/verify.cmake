mm_add_test(test_verify test_verify.c)
