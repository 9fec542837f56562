/* test_fmt_safetensors.c - the safetensors reader against the fixtures that
 * fixtures/gen_fixtures.py writes, with the results it worked out from the
 * shapes in fixtures/safetensors/expected.json: every valid file's counts,
 * every malformed file's error code and byte offset. Also the same files
 * read from memory, which must fail or succeed identically. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "modelmem.h"
#include "test_slurp.h"

static cJSON *expected;

static int setup(void **state)
{
    size_t len;
    char *text = slurp(MM_FIXTURES "/safetensors/expected.json", &len);
    (void)state;
    expected = cJSON_Parse(text);
    free(text);
    return expected == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    cJSON_Delete(expected);
    return 0;
}

static uint64_t num(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    assert_true(cJSON_IsNumber(v));
    return (uint64_t)v->valuedouble;
}

static void check_counts(const struct mm_inventory *inv, const cJSON *want, const char *what)
{
    const struct mm_totals *t = mm_inventory_totals(inv);
    const cJSON *by = cJSON_GetObjectItemCaseSensitive(want, "parameters_by_dtype");
    const cJSON *e;
    uint64_t sum = 0;
    unsigned d;
    print_message("  %s\n", what);
    assert_int_equal(t->tensors, num(want, "tensors"));
    assert_int_equal(t->parameters, num(want, "parameters"));
    assert_int_equal(t->bytes, num(want, "bytes"));
    cJSON_ArrayForEach(e, by)
    {
        const enum mm_dtype dt = mm_dtype_from_name(e->string, strlen(e->string));
        assert_int_not_equal(dt, MM_DTYPE_UNKNOWN);
        assert_int_equal(t->parameters_by_dtype[dt], (uint64_t)e->valuedouble);
    }
    for (d = 0; d < MM_DTYPE_COUNT_; d++) {
        sum += t->parameters_by_dtype[d];
    }
    assert_int_equal(sum, t->parameters);
}

static void test_valid_files(void **state)
{
    const cJSON *valid = cJSON_GetObjectItemCaseSensitive(expected, "valid");
    const cJSON *e;
    size_t n = 0;
    (void)state;
    cJSON_ArrayForEach(e, valid)
    {
        char path[512];
        struct mm_inventory *inv = NULL;
        struct mm_error err;
        snprintf(path, sizeof(path), MM_FIXTURES "/safetensors/valid/%s", e->string);
        if (mm_inventory_load(&inv, path, NULL, &err) != MM_OK) {
            fail_msg("%s: %s", path, err.message);
        }
        check_counts(inv, e, e->string);
        mm_inventory_free(inv);
        n++;
    }
    assert_true(n >= 6);
}

static void test_tiny_llama(void **state)
{
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(expected, "tiny-llama");
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    (void)state;
    assert_int_equal(mm_inventory_load(&inv, MM_FIXTURES "/tiny-llama", NULL, &err), MM_OK);
    check_counts(inv, want, "tiny-llama");
    assert_int_equal(mm_inventory_file_count(inv), 1);
    assert_string_equal(mm_inventory_file(inv, 0)->format, "safetensors");
    mm_inventory_free(inv);
}

/* Every tensor of every valid file: dtype, shape and offsets as written. */
static void test_all_dtypes_detail(void **state)
{
    struct mm_inventory *inv = NULL;
    size_t i;
    uint64_t next;
    const char *path = MM_FIXTURES "/safetensors/valid/all-dtypes.safetensors";
    (void)state;
    assert_int_equal(mm_inventory_load(&inv, path, NULL, NULL), MM_OK);
    assert_int_equal(mm_inventory_tensor_count(inv), 20);
    next = mm_inventory_file(inv, 0)->header_bytes;
    for (i = 0; i < mm_inventory_tensor_count(inv); i++) {
        const struct mm_tensor *t = mm_inventory_tensor(inv, i);
        char want[32];
        size_t k;
        snprintf(want, sizeof(want), "t_%s", mm_dtype_name(t->dtype));
        for (k = 0; want[k] != '\0'; k++) {
            if (want[k] >= 'A' && want[k] <= 'Z') {
                want[k] = (char)(want[k] - 'A' + 'a');
            }
        }
        assert_string_equal(t->name, want);
        assert_int_equal(t->nbytes, t->numel * mm_dtype_bits(t->dtype) / 8);
        assert_int_equal(t->offset, next);
        next += t->nbytes;
    }
    assert_int_equal(next, mm_inventory_file(inv, 0)->bytes);
    mm_inventory_free(inv);
}

static void test_scalar_and_zero(void **state)
{
    struct mm_inventory *inv = NULL;
    const struct mm_tensor *t;
    (void)state;
    assert_int_equal(
        mm_inventory_load(&inv, MM_FIXTURES "/safetensors/valid/scalar.safetensors", NULL, NULL),
        MM_OK);
    t = mm_inventory_tensor(inv, 0);
    assert_string_equal(t->name, "step");
    assert_int_equal(t->rank, 0);
    assert_int_equal(t->numel, 1);
    assert_int_equal(t->nbytes, 8);
    mm_inventory_free(inv);
    assert_int_equal(
        mm_inventory_load(&inv, MM_FIXTURES "/safetensors/valid/zero-dim.safetensors", NULL, NULL),
        MM_OK);
    t = mm_inventory_tensor(inv, 0);
    assert_string_equal(t->name, "empty");
    assert_int_equal(t->rank, 2);
    assert_int_equal(t->shape[0], 0);
    assert_int_equal(t->numel, 0);
    assert_int_equal(t->nbytes, 0);
    mm_inventory_free(inv);
}

/* Reads HEADER as a safetensors file followed by DATA zero bytes. */
static enum mm_status load_header(struct mm_inventory **inv, const char *header, size_t data)
{
    const size_t n = strlen(header);
    unsigned char *buf = calloc(1, 8 + n + data);
    enum mm_status st;
    size_t k;
    assert_non_null(buf);
    for (k = 0; k < 8; k++) {
        buf[k] = (unsigned char)((uint64_t)n >> (8 * k));
    }
    memcpy(buf + 8, header, n);
    st = mm_inventory_load_memory(inv, buf, 8 + n + data, "numbers.safetensors", NULL);
    free(buf);
    return st;
}

/* LEN digits (no leading zero) in out; their value. */
static uint64_t make_digits(char *out, size_t len)
{
    uint64_t v = 0;
    size_t k;
    for (k = 0; k < len; k++) {
        out[k] = (char)('1' + (k * 7 + len) % 9);
        v = v * 10 + (uint64_t)(out[k] - '0');
    }
    out[len] = '\0';
    return v;
}

/* The compact entry's integers: 1 to 19 digits as a dimension (past 15
 * digits the general reader takes over), 1 to 6 digits as the header's
 * last offset, a few bytes from its end: the values exact, those above
 * 2^53 refused; a leading zero, a fraction or an exponent refused. */
static void test_number_forms(void **state)
{
    static const char *const refused[] = {"012", "1.0", "1e3", "1E3", "-1", "1.5e2", "00"};
    char header[256];
    char digits[24];
    size_t len;
    size_t e;
    (void)state;
    for (len = 1; len <= 19; len++) {
        struct mm_inventory *inv = NULL;
        const uint64_t want = make_digits(digits, len);
        snprintf(header, sizeof(header),
                 "{\"a\":{\"dtype\":\"U8\",\"shape\":[%s,0],\"data_offsets\":[0,0]}}", digits);
        if (want > (1ull << 53)) {
            assert_int_equal(load_header(&inv, header, 0), MM_ERR_LIMIT);
            continue;
        }
        assert_int_equal(load_header(&inv, header, 0), MM_OK);
        assert_int_equal(mm_inventory_tensor(inv, 0)->shape[0], want);
        mm_inventory_free(inv);
    }
    for (len = 1; len <= 6; len++) {
        struct mm_inventory *inv = NULL;
        const uint64_t want = make_digits(digits, len);
        snprintf(header, sizeof(header),
                 "{\"a\":{\"dtype\":\"U8\",\"shape\":[%s],\"data_offsets\":[0,%s]}}", digits,
                 digits);
        assert_int_equal(load_header(&inv, header, (size_t)want), MM_OK);
        assert_int_equal(mm_inventory_tensor(inv, 0)->nbytes, want);
        mm_inventory_free(inv);
    }
    for (e = 0; e < sizeof(refused) / sizeof(refused[0]); e++) {
        struct mm_inventory *inv = NULL;
        snprintf(header, sizeof(header),
                 "{\"a\":{\"dtype\":\"U8\",\"shape\":[%s,0],\"data_offsets\":[0,0]}}",
                 refused[e]);
        assert_int_not_equal(load_header(&inv, header, 0), MM_OK);
        assert_null(inv);
    }
}

static void test_metadata(void **state)
{
    struct mm_inventory *inv = NULL;
    const struct mm_meta *m;
    (void)state;
    assert_int_equal(
        mm_inventory_load(&inv, MM_FIXTURES "/safetensors/valid/metadata.safetensors", NULL, NULL),
        MM_OK);
    assert_int_equal(mm_inventory_meta_count(inv), 2);
    m = mm_inventory_meta(inv, 0);
    assert_string_equal(m->key, "format");
    assert_string_equal(m->value, "pt");
    m = mm_inventory_meta(inv, 1);
    assert_string_equal(m->key, "source");
    assert_string_equal(m->value, "gen_fixtures.py");
    mm_inventory_free(inv);
}

static void check_failure(const char *dir, const char *name, const cJSON *want, int from_memory)
{
    char path[512];
    struct mm_inventory *inv = (struct mm_inventory *)1;
    struct mm_error err;
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(want, "code");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(want, "offset");
    enum mm_status st;
    char line[2048];
    snprintf(path, sizeof(path), MM_FIXTURES "/safetensors/%s/%s", dir, name);
    if (from_memory) {
        size_t len;
        char *data = slurp(path, &len);
        st = mm_inventory_load_memory(&inv, data, len, name, &err);
        free(data);
    } else {
        st = mm_inventory_load(&inv, path, NULL, &err);
    }
    mm_error_format(line, sizeof(line), &err);
    print_message("  %s%s: %s\n", name, from_memory ? " (memory)" : "", line);
    assert_true(st < 0);
    assert_null(inv);
    assert_string_equal(mm_errcode_name(err.code), code->valuestring);
    assert_true(strlen(err.message) > 0);
    assert_null(strchr(line, '\n'));
    if (cJSON_IsNumber(off)) {
        assert_int_equal(err.offset, (int64_t)off->valuedouble);
    }
    if (!from_memory) {
        /* the error names a file of the fixture */
        assert_non_null(strstr(err.file, name));
    }
}

static void test_malformed_files(void **state)
{
    const cJSON *bad = cJSON_GetObjectItemCaseSensitive(expected, "malformed");
    const cJSON *e;
    size_t n = 0;
    (void)state;
    cJSON_ArrayForEach(e, bad)
    {
        check_failure("malformed", e->string, e, 0);
        check_failure("malformed", e->string, e, 1);
        n++;
    }
    assert_true(n >= 20);
}

static void test_malformed_dirs(void **state)
{
    const cJSON *bad = cJSON_GetObjectItemCaseSensitive(expected, "malformed-dirs");
    const cJSON *e;
    size_t n = 0;
    (void)state;
    cJSON_ArrayForEach(e, bad)
    {
        check_failure("malformed-dirs", e->string, e, 0);
        n++;
    }
    assert_true(n >= 7);
}

/* Every prefix of a valid file is refused with an error, never a crash. */
static void test_every_truncation(void **state)
{
    size_t len;
    char *data = slurp(MM_FIXTURES "/safetensors/valid/metadata.safetensors", &len);
    size_t cut;
    (void)state;
    for (cut = 0; cut < len; cut++) {
        struct mm_inventory *inv = NULL;
        struct mm_error err;
        assert_true(mm_inventory_load_memory(&inv, data, cut, "cut", &err) < 0);
        assert_null(inv);
    }
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_files),
        cmocka_unit_test(test_tiny_llama),
        cmocka_unit_test(test_all_dtypes_detail),
        cmocka_unit_test(test_scalar_and_zero),
        cmocka_unit_test(test_number_forms),
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_malformed_files),
        cmocka_unit_test(test_malformed_dirs),
        cmocka_unit_test(test_every_truncation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
