mm_add_test(test_verify test_verify.c)
mm_add_test(test_sha256 test_sha256.c)
# The Hugging Face cache; links out of a repository folder at every level,
# the library's open(2) wrapped to prove nothing outside is opened.
mm_add_test(test_hfcache test_hfcache.c ${PROJECT_SOURCE_DIR}/tests/hostile_gen.c)
target_link_options(test_hfcache PRIVATE -Wl,--wrap=open)
add_dependencies(test_hfcache modelmem_cli)
mm_add_test(test_target test_target.c)
# Downloads that stopped: .incomplete files in the cache and a --local-dir
# folder, truncated shards, remedies, partial estimates.
mm_add_test(test_download test_download.c ${PROJECT_SOURCE_DIR}/tests/hostile_gen.c)
# PEFT adapter folders and their base models.
mm_add_test(test_adapter test_adapter.c ${PROJECT_SOURCE_DIR}/tests/hostile_gen.c)

# Allocation failures: every allocation the library makes is failed in turn
# (the Nth call, N = 1, 2, ...) through the linker's --wrap, and each run
# must end in MM_ERR_NOMEM or success, never a crash or a leak.
mm_add_test(test_nomem test_nomem.c)
target_link_options(test_nomem PRIVATE
  -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc -Wl,--wrap=strdup)
