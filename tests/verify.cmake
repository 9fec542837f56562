mm_add_test(test_verify test_verify.c)
mm_add_test(test_sha256 test_sha256.c)
mm_add_test(test_hfcache test_hfcache.c)
mm_add_test(test_target test_target.c)
