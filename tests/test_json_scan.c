/* test_json_scan.c - the strict pull parser: what RFC 8259 allows, what it
 * refuses (with the offending byte's absolute offset), nesting depth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/json_scan.h"

/* Skips one whole document; returns the status and the error offset. */
static enum mm_status skip_doc(const char *text, int64_t *off)
{
    struct mm_json j;
    struct mm_error err;
    enum mm_status st;
    mm_error_clear(&err);
    mm_json_init(&j, text, strlen(text), 100, "doc", &err);
    st = mm_json_skip(&j, 0);
    if (st == MM_OK && mm_json_peek(&j) != -1) {
        st = mm_json_syntax(&j, "end of document");
    }
    *off = err.offset;
    mm_json_fini(&j);
    return st;
}

static void test_accepts(void **state)
{
    static const char *const good[] = {
        "{}", "[]", " {\"a\" : [1, -2, 3.5e3, true, false, null]} ", "\"\\u00e9\\n\"",
        "{\"k\":{\"k\":{\"k\":[]}}}", "0", "-0.0E+1", "\"\\ud83d\\ude00\"",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        int64_t off;
        if (skip_doc(good[i], &off) != MM_OK) {
            fail_msg("refused valid JSON %s", good[i]);
        }
    }
}

static void test_refuses(void **state)
{
    static const struct {
        const char *text;
        int64_t at; /* 100 + index of the offending byte */
    } bad[] = {
        {"{,}", 101},       {"[1,]", 103},         {"{\"a\" 1}", 105},
        {"01", 101},        {"\"\\x\"", 102},      {"tru", 100},
        {"[1] 2", 104},     {"\"a\tb\"", 102},     {"1.", 102},
        {"{\"a\":1,}", 107}, {"NaN", 100},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t off = -1;
        if (skip_doc(bad[i].text, &off) == MM_OK) {
            fail_msg("accepted invalid JSON %s", bad[i].text);
        }
        print_message("  %s -> byte %lld\n", bad[i].text, (long long)off);
        assert_true(off >= 100 && off <= 100 + (int64_t)strlen(bad[i].text));
    }
}

static void test_depth(void **state)
{
    char deep[2 * (MM_LIMIT_JSON_DEPTH + 2) + 1];
    struct mm_json j;
    struct mm_error err;
    size_t n = MM_LIMIT_JSON_DEPTH + 2;
    (void)state;
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    mm_json_init(&j, deep, 2 * n, 0, "deep", &err);
    assert_int_not_equal(mm_json_skip(&j, 0), MM_OK);
    assert_int_equal(err.code, MM_E_JSON_DEPTH);
    mm_json_fini(&j);
    /* exactly the limit is fine */
    n = MM_LIMIT_JSON_DEPTH;
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    mm_json_init(&j, deep, 2 * n, 0, "deep", &err);
    assert_int_equal(mm_json_skip(&j, 0), MM_OK);
    mm_json_fini(&j);
}

static void test_numbers_exact(void **state)
{
    struct mm_json j;
    struct mm_jnum num;
    const char *text = "18446744073709551615 18446744073709551616 -7 2.5";
    (void)state;
    mm_json_init(&j, text, strlen(text), 0, "n", NULL);
    assert_int_equal(mm_json_number(&j, &num), MM_OK);
    assert_true(num.is_int && !num.overflow);
    assert_true(num.u == UINT64_MAX);
    assert_int_equal(mm_json_number(&j, &num), MM_OK);
    assert_true(num.overflow);
    assert_int_equal(mm_json_number(&j, &num), MM_OK);
    assert_true(num.negative && num.u == 7);
    assert_int_equal(mm_json_number(&j, &num), MM_OK);
    assert_false(num.is_int);
    mm_json_fini(&j);
}

static void test_strings(void **state)
{
    struct mm_json j;
    const char *s;
    size_t len;
    const char *text = "\"plain\" \"a\\u00e9\\\"b\"";
    (void)state;
    mm_json_init(&j, text, strlen(text), 0, "s", NULL);
    assert_int_equal(mm_json_string(&j, &s, &len), MM_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(s, "plain", 5);
    assert_int_equal(mm_json_string(&j, &s, &len), MM_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(s, "a\xc3\xa9\"b", 5);
    mm_json_fini(&j);
}

static void test_utf8(void **state)
{
    size_t at = 0;
    (void)state;
    assert_true(mm_utf8_valid((const uint8_t *)"h\xc3\xa9llo, plain ascii text here", 28, &at));
    assert_false(mm_utf8_valid((const uint8_t *)"0123456789abcdef\xc0\xaf", 18, &at));
    assert_int_equal(at, 16);
    assert_false(mm_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3, &at));
    assert_false(mm_utf8_valid((const uint8_t *)"ab\xe2\x82", 4, &at));
    assert_int_equal(at, 2);
}

/* The eight-bytes-at-a-time scan: an escape, a quote or a control byte at
 * every position of a long string is found where it is. */
static void test_long_strings(void **state)
{
    size_t at;
    (void)state;
    for (at = 0; at < 40; at++) {
        char text[64];
        struct mm_json j;
        struct mm_error err;
        const char *s;
        size_t len;
        memset(text, 'x', sizeof(text));
        text[0] = '"';
        text[1 + at] = '"';
        text[2 + at] = '\0';
        mm_json_init(&j, text, strlen(text), 0, "s", &err);
        assert_int_equal(mm_json_string(&j, &s, &len), MM_OK);
        assert_int_equal(len, at);
        mm_json_fini(&j);
        /* a control byte there instead, the string closed later */
        text[1 + at] = '\x1f';
        text[2 + at] = '"';
        text[3 + at] = '\0';
        mm_json_init(&j, text, strlen(text), 0, "s", &err);
        assert_int_not_equal(mm_json_string(&j, &s, &len), MM_OK);
        assert_int_equal(err.offset, (int64_t)(1 + at));
        mm_json_fini(&j);
        /* an escape there: decoded */
        text[1 + at] = '\\';
        text[2 + at] = 'n';
        text[3 + at] = '"';
        text[4 + at] = '\0';
        mm_json_init(&j, text, strlen(text), 0, "s", &err);
        assert_int_equal(mm_json_string(&j, &s, &len), MM_OK);
        assert_int_equal(len, at + 1);
        assert_int_equal(s[at], '\n');
        mm_json_fini(&j);
        /* bytes above 0x7f are plain */
        text[1 + at] = (char)0xc3;
        text[2 + at] = (char)0xa9;
        text[3 + at] = '"';
        text[4 + at] = '\0';
        mm_json_init(&j, text, strlen(text), 0, "s", &err);
        assert_int_equal(mm_json_string(&j, &s, &len), MM_OK);
        assert_int_equal(len, at + 2);
        mm_json_fini(&j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts),       cmocka_unit_test(test_refuses),
        cmocka_unit_test(test_depth),         cmocka_unit_test(test_numbers_exact),
        cmocka_unit_test(test_strings),       cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_long_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
