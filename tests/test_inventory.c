/* test_inventory.c - the inventory's record storage (core/inventory.c):
 * records moved into memory handed over by mm_inv_reserve_in keep their
 * contents, more tensors than reserved still go in, and memory too small
 * for the records is freed, not used (AddressSanitizer's leak check runs
 * these in CI). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/internal.h"

/* Adds tensors [from, to): name "t<i>", shape [i + 1, 2], F32. */
static void add(struct mm_inventory *inv, uint32_t file, size_t from, size_t to)
{
    size_t i;
    for (i = from; i < to; i++) {
        char name[32];
        const uint64_t shape[2] = {i + 1, 2};
        const int n = snprintf(name, sizeof(name), "t%zu", i);
        assert_int_equal(mm_inv_add_tensor(inv, name, (size_t)n, MM_DTYPE_F32, 2, shape,
                                           2 * (i + 1), file, 8 * i, 8 * (i + 1)),
                         MM_OK);
    }
}

/* The tensors, once mm_inv_finish has set their shapes. */
static void check(const struct mm_inventory *inv, size_t n)
{
    size_t i;
    assert_int_equal(mm_inventory_tensor_count(inv), n);
    for (i = 0; i < n; i++) {
        const struct mm_tensor *t = mm_inventory_tensor(inv, i);
        char name[32];
        snprintf(name, sizeof(name), "t%zu", i);
        assert_string_equal(t->name, name);
        assert_int_equal(t->rank, 2);
        assert_int_equal(t->shape[0], i + 1);
        assert_int_equal(t->shape[1], 2);
        assert_int_equal(t->numel, 2 * (i + 1));
        assert_int_equal(t->offset, 8 * i);
        assert_int_equal(t->nbytes, 8 * (i + 1));
        assert_int_equal(t->dtype, MM_DTYPE_F32);
    }
}

/* Memory written with other bytes before, large enough: the records move
 * into it and stay exact, and tensors past the reservation still go in. */
static void test_reserve_in_memory(void **state)
{
    struct mm_inventory *inv = mm_inv_new();
    const size_t bytes = (size_t)1 << 20;
    unsigned char *mem = malloc(bytes);
    uint32_t f;
    (void)state;
    assert_non_null(inv);
    assert_non_null(mem);
    memset(mem, 0xa5, bytes);
    assert_int_equal(mm_inv_add_file(inv, "a.safetensors", "safetensors", 100, 8, &f), MM_OK);
    add(inv, f, 0, 5);
    assert_int_equal(mm_inv_reserve_in(inv, 1000, mem, bytes), MM_OK);
    add(inv, f, 5, 40000); /* past what the memory holds: grown as usual */
    assert_int_equal(mm_inv_finish(inv), MM_OK);
    check(inv, 40000);
    mm_inventory_free(inv);
}

/* Memory too small for the records is freed and the reservation made as
 * mm_inv_reserve makes it; NULL memory is mm_inv_reserve. */
static void test_reserve_in_too_small(void **state)
{
    struct mm_inventory *inv = mm_inv_new();
    uint32_t f;
    (void)state;
    assert_non_null(inv);
    assert_int_equal(mm_inv_add_file(inv, "a.safetensors", "safetensors", 100, 8, &f), MM_OK);
    add(inv, f, 0, 3);
    assert_int_equal(mm_inv_reserve_in(inv, 500, malloc(64), 64), MM_OK);
    add(inv, f, 3, 300);
    assert_int_equal(mm_inv_reserve_in(inv, 10, NULL, 0), MM_OK);
    add(inv, f, 300, 310);
    assert_int_equal(mm_inv_finish(inv), MM_OK);
    check(inv, 310);
    mm_inventory_free(inv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reserve_in_memory),
        cmocka_unit_test(test_reserve_in_too_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
