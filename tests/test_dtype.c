/* test_dtype.c - element sizes and names of every dtype. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modelmem.h"

static void test_round_trip(void **state)
{
    unsigned d;
    (void)state;
    for (d = 1; d < MM_DTYPE_COUNT_; d++) {
        const char *n = mm_dtype_name((enum mm_dtype)d);
        unsigned el = 0;
        unsigned by = 0;
        assert_string_not_equal(n, "UNKNOWN");
        assert_int_equal(mm_dtype_from_name(n, strlen(n)), d);
        assert_int_equal(mm_dtype_block((enum mm_dtype)d, &el, &by), 1);
        /* a type is sized per element (bits) or per block, never neither */
        assert_true(mm_dtype_bits((enum mm_dtype)d) != 0 || (el != 0 && by != 0));
    }
    assert_int_equal(mm_dtype_from_name("F17", 3), MM_DTYPE_UNKNOWN);
    assert_int_equal(mm_dtype_from_name("F3", 2), MM_DTYPE_UNKNOWN);
    assert_int_equal(mm_dtype_from_name("F32x", 3), MM_DTYPE_F32);
    assert_string_equal(mm_dtype_name((enum mm_dtype)9999), "UNKNOWN");
}

static void test_sizes(void **state)
{
    unsigned el = 0;
    unsigned by = 0;
    (void)state;
    assert_int_equal(mm_dtype_bits(MM_DTYPE_BF16), 16);
    assert_int_equal(mm_dtype_bits(MM_DTYPE_F4), 4);
    assert_int_equal(mm_dtype_bits(MM_DTYPE_F6_E3M2), 6);
    assert_int_equal(mm_dtype_bits(MM_DTYPE_C64), 64);
    assert_int_equal(mm_dtype_bits(MM_DTYPE_Q4_K), 0);
    assert_int_equal(mm_dtype_block(MM_DTYPE_Q4_K, &el, &by), 1);
    assert_int_equal(el, 256);
    assert_int_equal(by, 144);
    assert_int_equal(mm_dtype_block(MM_DTYPE_Q8_0, &el, &by), 1);
    assert_int_equal(el, 32);
    assert_int_equal(by, 34);
    assert_int_equal(mm_dtype_block(MM_DTYPE_F32, &el, &by), 1);
    assert_int_equal(el, 1);
    assert_int_equal(by, 4);
    assert_int_equal(mm_dtype_block(MM_DTYPE_F4, &el, &by), 1);
    assert_int_equal(el, 0);
    assert_int_equal(mm_dtype_block(MM_DTYPE_UNKNOWN, &el, &by), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
