/* test_fmt_gguf.c - the GGUF reader: valid files built in memory, every
 * malformed variant with its exact error code and offset, and the real
 * GGUF files of ../shared/realmodels against EXPECTED.json. */
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

/* A growable byte buffer for building GGUF files. */
struct buf {
    uint8_t d[8192];
    size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
    assert_true(b->n + n <= sizeof(b->d));
    memcpy(b->d + b->n, p, n);
    b->n += n;
}

static void u32(struct buf *b, uint32_t v)
{
    uint8_t x[4];
    unsigned i;
    for (i = 0; i < 4; i++) {
        x[i] = (uint8_t)(v >> (8 * i));
    }
    put(b, x, 4);
}

static void u64(struct buf *b, uint64_t v)
{
    uint8_t x[8];
    unsigned i;
    for (i = 0; i < 8; i++) {
        x[i] = (uint8_t)(v >> (8 * i));
    }
    put(b, x, 8);
}

static void str(struct buf *b, const char *s)
{
    u64(b, strlen(s));
    put(b, s, strlen(s));
}

static void header(struct buf *b, uint32_t version, uint64_t nt, uint64_t nkv)
{
    b->n = 0;
    put(b, "GGUF", 4);
    u32(b, version);
    u64(b, nt);
    u64(b, nkv);
}

static void tinfo(struct buf *b, const char *name, uint32_t nd, const uint64_t *dims,
                  uint32_t type, uint64_t off)
{
    uint32_t i;
    str(b, name);
    u32(b, nd);
    for (i = 0; i < nd; i++) {
        u64(b, dims[i]);
    }
    u32(b, type);
    u64(b, off);
}

static void pad_to(struct buf *b, size_t align)
{
    static const uint8_t zero[64];
    put(b, zero, (align - b->n % align) % align);
}

static void zeros(struct buf *b, size_t n)
{
    static const uint8_t zero[4096];
    assert_true(n <= sizeof(zero));
    put(b, zero, n);
}

/* Loads b; returns the status and fills err / *inv. */
static enum mm_status load(const struct buf *b, struct mm_inventory **inv, struct mm_error *err)
{
    return mm_inventory_load_memory(inv, b->d, b->n, "t.gguf", err);
}

static void expect_error(const struct buf *b, const char *code, int64_t offset)
{
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    const enum mm_status st = load(b, &inv, &err);
    assert_int_not_equal(st, MM_OK);
    assert_null(inv);
    assert_string_equal(mm_errcode_name(err.code), code);
    assert_int_equal(err.offset, offset);
    assert_string_equal(err.file, "t.gguf");
}

static void test_valid_mixed(void **state)
{
    struct buf b;
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    const uint64_t d_emb[2] = {256, 3};   /* ggml order: 256 per row, 3 rows */
    const uint64_t d_norm[1] = {8};
    const struct mm_tensor *t;
    size_t data;
    (void)state;
    header(&b, 3, 2, 2);
    str(&b, "general.architecture");
    u32(&b, 8);
    str(&b, "llama");
    str(&b, "general.alignment");
    u32(&b, 4);
    u32(&b, 64);
    tinfo(&b, "emb", 2, d_emb, 12 /* Q4_K */, 0);
    tinfo(&b, "norm", 1, d_norm, 0 /* F32 */, 448);
    pad_to(&b, 64);
    data = b.n;
    zeros(&b, 448 + 32);
    assert_int_equal(load(&b, &inv, &err), MM_OK);
    assert_int_equal(mm_inventory_tensor_count(inv), 2);
    t = mm_inventory_tensor(inv, 0);
    assert_string_equal(t->name, "emb");
    assert_string_equal(mm_dtype_name(t->dtype), "Q4_K");
    assert_int_equal(t->rank, 2);
    assert_int_equal(t->shape[0], 3); /* outermost first */
    assert_int_equal(t->shape[1], 256);
    assert_int_equal(t->numel, 768);
    assert_int_equal(t->nbytes, 3 * 144);
    assert_int_equal(t->offset, data);
    t = mm_inventory_tensor(inv, 1);
    assert_int_equal(t->offset, data + 448);
    assert_int_equal(t->nbytes, 32);
    assert_int_equal(mm_inventory_totals(inv)->parameters, 776);
    assert_int_equal(mm_inventory_totals(inv)->bytes, 432 + 32);
    assert_string_equal(mm_inventory_file(inv, 0)->format, "gguf");
    assert_int_equal(mm_inventory_meta_count(inv), 2);
    assert_string_equal(mm_inventory_meta(inv, 0)->value, "llama");
    assert_string_equal(mm_inventory_meta(inv, 1)->value, "64");
    mm_inventory_free(inv);
}

static void test_arrays_and_version2(void **state)
{
    struct buf b;
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    (void)state;
    header(&b, 2, 0, 2);
    str(&b, "tokens");
    u32(&b, 9);
    u32(&b, 8);
    u64(&b, 3);
    str(&b, "a");
    str(&b, "bc");
    str(&b, "");
    str(&b, "scores");
    u32(&b, 9);
    u32(&b, 6);
    u64(&b, 2);
    u32(&b, 0);
    u32(&b, 0);
    assert_int_equal(load(&b, &inv, &err), MM_OK);
    assert_int_equal(mm_inventory_tensor_count(inv), 0);
    assert_string_equal(mm_inventory_meta(inv, 0)->value, "[3 x string]");
    assert_string_equal(mm_inventory_meta(inv, 1)->value, "[2 x f32]");
    mm_inventory_free(inv);
}

static void test_malformed_header(void **state)
{
    struct buf b;
    (void)state;
    header(&b, 3, 0, 0);
    b.n = 20; /* counts cut short */
    expect_error(&b, "truncated", 0);
    header(&b, 1, 0, 0);
    expect_error(&b, "unsupported-version", 4);
    header(&b, 4, 0, 0);
    expect_error(&b, "unsupported-version", 4);
    header(&b, 0x03000000u, 0, 0); /* a big-endian version 3 */
    expect_error(&b, "unsupported-version", 4);
    header(&b, 3, 0, 2000000);
    expect_error(&b, "limit-metadata", 16);
    header(&b, 3, 0, 1000);
    expect_error(&b, "truncated", 16);
    header(&b, 3, 1000, 0);
    expect_error(&b, "truncated", 8);
}

static void test_malformed_metadata(void **state)
{
    struct buf b;
    (void)state;
    header(&b, 3, 0, 1);
    str(&b, "k");
    u32(&b, 13);
    expect_error(&b, "invalid-value-type", 33);
    header(&b, 3, 0, 1);
    str(&b, "k");
    u32(&b, 9);
    u32(&b, 9);
    u64(&b, 1);
    expect_error(&b, "invalid-value-type", 37);
    header(&b, 3, 0, 1);
    str(&b, "general.alignment");
    u32(&b, 4);
    u32(&b, 48);
    expect_error(&b, "invalid-alignment", 49);
    header(&b, 3, 0, 1);
    str(&b, "general.alignment");
    u32(&b, 10);
    u64(&b, 32);
    expect_error(&b, "invalid-alignment", 49);
    header(&b, 3, 0, 1);
    str(&b, "k");
    u32(&b, 7);
    put(&b, "\x02", 1);
    expect_error(&b, "invalid-value-type", 37);
    /* a string whose length runs past the end */
    header(&b, 3, 0, 1);
    str(&b, "k");
    u32(&b, 8);
    u64(&b, 1000);
    expect_error(&b, "truncated", 45);
    /* a string array longer than the file could hold */
    header(&b, 3, 0, 1);
    str(&b, "k");
    u32(&b, 9);
    u32(&b, 8);
    u64(&b, 1u << 20); /* within MM_LIMIT_GGUF_ARRAY */
    expect_error(&b, "truncated", 49);
}

static void test_malformed_tensors(void **state)
{
    struct buf b;
    const uint64_t d32[1] = {32};
    const uint64_t d5[5] = {1, 1, 1, 1, 1};
    const uint64_t d100[1] = {100};
    const uint64_t huge[2] = {1ull << 40, 1ull << 40}; /* each within MM_LIMIT_DIM */
    char longname[80];
    (void)state;
    memset(longname, 'x', 70);
    longname[70] = '\0';
    header(&b, 3, 1, 0);
    tinfo(&b, longname, 1, d32, 0, 0);
    expect_error(&b, "limit-gguf-name-length", 24);
    header(&b, 3, 1, 0);
    tinfo(&b, "t", 5, d5, 0, 0);
    expect_error(&b, "limit-rank", 33);
    header(&b, 3, 1, 0);
    tinfo(&b, "t", 1, d32, 4 /* removed Q4_2 */, 0);
    zeros(&b, 128);
    expect_error(&b, "unknown-dtype", 45);
    header(&b, 3, 1, 0);
    tinfo(&b, "t", 1, d100, 8 /* Q8_0: blocks of 32 */, 0);
    zeros(&b, 128);
    expect_error(&b, "misaligned-slice", 24);
    header(&b, 3, 1, 0);
    tinfo(&b, "t", 2, huge, 0, 0);
    zeros(&b, 32);
    expect_error(&b, "shape-overflow", 45);
    header(&b, 3, 1, 0);
    tinfo(&b, "t", 1, d32, 0, 8); /* not a multiple of 32 */
    pad_to(&b, 32);
    zeros(&b, 256);
    expect_error(&b, "invalid-data-offsets", -1);
    header(&b, 3, 1, 0);
    tinfo(&b, "t", 1, d32, 0, 0);
    pad_to(&b, 32);
    zeros(&b, 64); /* 128 bytes needed */
    expect_error(&b, "data-beyond-file", 64);
    header(&b, 3, 2, 0);
    tinfo(&b, "a", 1, d32, 0, 0);
    tinfo(&b, "b", 1, d32, 0, 64);
    pad_to(&b, 32);
    zeros(&b, 256);
    expect_error(&b, "offset-overlap", 96 + 64);
    header(&b, 3, 2, 0);
    tinfo(&b, "a", 1, d32, 0, 0);
    tinfo(&b, "a", 1, d32, 0, 128);
    pad_to(&b, 32);
    zeros(&b, 256);
    expect_error(&b, "duplicate-tensor", 96 + 128); /* the second one's data */
}

/* ../shared/realmodels GGUF entries of EXPECTED.json, exactly. */
static void test_conformance(void **state)
{
    FILE *f;
    char *text;
    long len;
    cJSON *root;
    const cJSON *e;
    int checked = 0;
    (void)state;
    f = fopen(MM_SHARED "/realmodels/EXPECTED.json", "rb");
    if (f == NULL) {
        printf("skipping: " MM_SHARED "/realmodels is absent\n");
        skip();
    }
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = malloc((size_t)len);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    root = cJSON_ParseWithLength(text, (size_t)len);
    assert_non_null(root);
    cJSON_ArrayForEach(e, root)
    {
        const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(e, "format");
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(e, "tensor_list");
        const cJSON *t;
        char path[1024];
        struct mm_inventory *inv = NULL;
        struct mm_error err;
        size_t i = 0;
        if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "gguf") != 0) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/realmodels/%s", MM_SHARED, e->string);
        assert_int_equal(mm_inventory_load(&inv, path, NULL, &err), MM_OK);
        assert_int_equal(mm_inventory_tensor_count(inv),
                         cJSON_GetObjectItemCaseSensitive(e, "tensors")->valueint);
        assert_int_equal(mm_inventory_totals(inv)->parameters,
                         (uint64_t)cJSON_GetObjectItemCaseSensitive(e, "parameters")->valuedouble);
        assert_int_equal(mm_inventory_meta_count(inv),
                         cJSON_GetObjectItemCaseSensitive(e, "metadata_keys")->valueint);
        cJSON_ArrayForEach(t, list)
        {
            const struct mm_tensor *mt = mm_inventory_tensor(inv, i++);
            const cJSON *shape = cJSON_GetObjectItemCaseSensitive(t, "shape_ggml_order");
            const int rank = cJSON_GetArraySize(shape);
            const int type = cJSON_GetObjectItemCaseSensitive(t, "ggml_type")->valueint;
            int k;
            assert_non_null(mt);
            assert_string_equal(mt->name,
                                cJSON_GetObjectItemCaseSensitive(t, "name")->valuestring);
            assert_string_equal(mm_dtype_name(mt->dtype), type == 0 ? "F32" : "F16");
            assert_int_equal(mt->rank, rank);
            for (k = 0; k < rank; k++) {
                assert_int_equal(mt->shape[rank - 1 - k],
                                 (uint64_t)cJSON_GetArrayItem(shape, k)->valuedouble);
            }
            assert_int_equal(mt->offset - mm_inventory_tensor(inv, 0)->offset,
                             (uint64_t)cJSON_GetObjectItemCaseSensitive(t, "offset")->valuedouble);
        }
        mm_inventory_free(inv);
        checked++;
    }
    cJSON_Delete(root);
    free(text);
    assert_int_equal(checked, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_mixed),
        cmocka_unit_test(test_arrays_and_version2),
        cmocka_unit_test(test_malformed_header),
        cmocka_unit_test(test_malformed_metadata),
        cmocka_unit_test(test_malformed_tensors),
        cmocka_unit_test(test_conformance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
