/* test_hfcache.c - repository ids resolved in a Hugging Face cache layout
 * built in a temporary folder; nothing else is looked at. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "modelmem.h"

static char cache[256];

static int setup(void **state)
{
    char cmd[1024];
    (void)state;
    snprintf(cache, sizeof(cache), "/tmp/mm_hfcache_XXXXXX");
    if (mkdtemp(cache) == NULL) {
        return -1;
    }
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && mkdir -p models--org--name/refs models--org--name/snapshots/c0ffee "
             "models--org--name/snapshots/beef models--org--name/refs/pr && "
             "printf 'c0ffee\\n' > models--org--name/refs/main && "
             "printf 'beef' > models--org--name/refs/v2 && "
             "printf '../../x' > models--org--name/refs/evil",
             cache);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[300];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cache);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_syntax(void **state)
{
    (void)state;
    assert_true(mm_hf_repo_id_syntax("org/name"));
    assert_true(mm_hf_repo_id_syntax("meta-llama/Llama-3.1-8B@main"));
    assert_true(mm_hf_repo_id_syntax("a_b/c.d@0123456789abcdef"));
    assert_false(mm_hf_repo_id_syntax("name"));
    assert_false(mm_hf_repo_id_syntax("a/b/c"));
    assert_false(mm_hf_repo_id_syntax("../b"));
    assert_false(mm_hf_repo_id_syntax("a/.."));
    assert_false(mm_hf_repo_id_syntax("a/b@../x"));
    assert_false(mm_hf_repo_id_syntax("a/b@"));
    assert_false(mm_hf_repo_id_syntax("a/b c"));
    assert_false(mm_hf_repo_id_syntax("/abs/path"));
}

static void expect_path(const char *id, const char *tail)
{
    char out[1024];
    char want[1024];
    struct mm_error err;
    assert_int_equal(mm_hf_cache_resolve(out, sizeof(out), cache, id, &err), MM_OK);
    snprintf(want, sizeof(want), "%s/models--org--name/snapshots/%s", cache, tail);
    assert_string_equal(out, want);
}

static void expect_fail(const char *id, enum mm_status st)
{
    char out[1024];
    struct mm_error err;
    assert_int_equal(mm_hf_cache_resolve(out, sizeof(out), cache, id, &err), st);
    assert_true(err.message[0] != '\0');
}

static void test_resolve(void **state)
{
    (void)state;
    expect_path("org/name", "c0ffee");
    expect_path("org/name@main", "c0ffee");
    expect_path("org/name@v2", "beef");
    expect_path("org/name@beef", "beef"); /* a commit given directly */
    expect_fail("org/other", MM_ERR_NOT_FOUND);
    expect_fail("org/name@v3", MM_ERR_NOT_FOUND);
    expect_fail("org/name@evil", MM_ERR_MALFORMED); /* a ref that tries to escape */
    expect_fail("not-an-id", MM_ERR_INVALID_ARG);
}

static void test_short_buffer(void **state)
{
    char out[8];
    struct mm_error err;
    (void)state;
    assert_int_equal(mm_hf_cache_resolve(out, sizeof(out), cache, "org/name", &err),
                     MM_ERR_LIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syntax),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_short_buffer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
