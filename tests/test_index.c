/* test_index.c - index files (*.safetensors.index.json): entries, shards,
 * total_size, refusals of unsafe shard names and malformed maps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "model/index.h"

static enum mm_status parse(struct mm_index *ix, const char *text, struct mm_error *err)
{
    return mm_index_parse(ix, (const uint8_t *)text, strlen(text), "ix.json", err);
}

static void test_parse(void **state)
{
    struct mm_index ix;
    struct mm_error err;
    const char *text = "{\"metadata\":{\"total_size\":48},\"weight_map\":{"
                       "\"a\":\"m-1.safetensors\",\"b\":\"m-2.safetensors\","
                       "\"c\":\"m-1.safetensors\"}}";
    long e;
    (void)state;
    assert_int_equal(parse(&ix, text, &err), MM_OK);
    assert_int_equal(ix.nentries, 3);
    assert_int_equal(ix.nshards, 2);
    assert_true(ix.has_total_size);
    assert_int_equal(ix.total_size, 48);
    e = mm_index_find(&ix, "c");
    assert_true(e >= 0);
    assert_string_equal(ix.shards[ix.shard_of[e]], "m-1.safetensors");
    /* the offset of c's shard-name value */
    assert_int_equal(ix.value_at[e], (uint64_t)(strstr(text, "\"c\"") - text + 4));
    assert_int_equal(mm_index_find(&ix, "zz"), -1);
    mm_index_free(&ix);
}

static void test_unsafe_names(void **state)
{
    static const char *const names[] = {
        "../x.safetensors", "/abs.safetensors", "a\\\\b.safetensors", "a/../../b",
        "http://h/x", "a\\u0001b", "..",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char text[256];
        struct mm_index ix;
        struct mm_error err;
        snprintf(text, sizeof(text), "{\"weight_map\":{\"t\":\"%s\"}}", names[i]);
        if (parse(&ix, text, &err) == MM_OK) {
            mm_index_free(&ix);
            fail_msg("accepted shard name %s", names[i]);
        }
        assert_int_equal(err.code, MM_E_SHARD_NAME_UNSAFE);
        assert_int_equal(err.offset, 19);
    }
    assert_true(mm_shard_name_safe("sub/model-00001.safetensors", 27));
}

static void test_malformed(void **state)
{
    static const char *const bad[] = {
        "[]", "{\"weight_map\":[]}", "{\"weight_map\":{\"a\":1}}", "{}",
        "{\"weight_map\":{\"a\":\"x\",\"a\":\"y\"}}", "{\"weight_map\":{\"a\":\"x\"}",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct mm_index ix;
        struct mm_error err;
        mm_error_clear(&err);
        if (parse(&ix, bad[i], &err) == MM_OK) {
            mm_index_free(&ix);
            fail_msg("accepted %s", bad[i]);
        }
        print_message("  %s: %s %s\n", bad[i], mm_errcode_name(err.code), err.message);
        assert_true(err.code != MM_E_NONE);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_unsafe_names),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
