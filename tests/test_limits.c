/*
 * test_limits.c - every named limit of modelmem.h, with an input built in
 * memory just past it, refused with the limit's own error code; and, where
 * the input can be built, one exactly at the limit that is not refused for
 * that limit.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hostile_gen.h"
#include "model/index.h"
#include "modelmem.h"

/* Reads `b` as a file named `name`; returns the status, *err filled. */
static enum mm_status load(const struct hbuf *b, const char *name, struct mm_error *err)
{
    struct mm_inventory *inv = NULL;
    const enum mm_status st = mm_inventory_load_memory(&inv, b->d, b->n, name, err);
    mm_inventory_free(inv);
    return st;
}

static void expect_code(enum mm_status st, const struct mm_error *err, enum mm_status want,
                        const char *code)
{
    if (st != want || strcmp(mm_errcode_name(err->code), code) != 0) {
        print_error("got status %d code %s (%s), expected %d %s\n", st,
                    mm_errcode_name(err->code), err->message, want, code);
    }
    assert_int_equal(st, want);
    assert_string_equal(mm_errcode_name(err->code), code);
}

/* A one-tensor safetensors file whose entry is `entry` (the tensor's JSON
 * object) under `name`, with `data` bytes of data. */
static enum mm_status load_one_tensor(const char *name, size_t name_len, const char *entry,
                                      size_t data, struct mm_error *err)
{
    struct hbuf h;
    struct hbuf f;
    enum mm_status st;
    hb_init(&h);
    hb_init(&f);
    hb_text(&h, "{\"");
    hb_put(&h, name, name_len);
    hb_text(&h, "\":");
    hb_text(&h, entry);
    hb_text(&h, "}");
    hb_safetensors(&f, &h, data);
    st = load(&f, "limit.safetensors", err);
    hb_free(&h);
    hb_free(&f);
    return st;
}

static void test_header_bytes(void **state)
{
    struct hbuf f;
    struct mm_error err;
    (void)state;
    hb_init(&f);
    hb_u64(&f, (uint64_t)MM_LIMIT_HEADER_BYTES + 1);
    hb_text(&f, "{}");
    expect_code(load(&f, "big.safetensors", &err), &err, MM_ERR_LIMIT, "header-too-large");
    assert_int_equal(err.offset, 0);
    /* at the limit the length is allowed, and only runs past this short file */
    f.n = 0;
    hb_u64(&f, MM_LIMIT_HEADER_BYTES);
    hb_text(&f, "{}");
    expect_code(load(&f, "big.safetensors", &err), &err, MM_ERR_MALFORMED,
                "header-length-beyond-file");
    hb_free(&f);
}

static void test_tensors(void **state)
{
    struct hbuf f;
    struct mm_error err;
    (void)state;
    /* safetensors cannot hold 10^7 tensors within its header limit; GGUF
     * declares a count */
    hb_init(&f);
    hb_gguf_header(&f, 3, (uint64_t)MM_LIMIT_TENSORS + 1, 0);
    expect_code(load(&f, "t.gguf", &err), &err, MM_ERR_LIMIT, "limit-tensors");
    assert_int_equal(err.offset, 8);
    f.n = 0;
    hb_gguf_header(&f, 3, MM_LIMIT_TENSORS, 0);
    expect_code(load(&f, "t.gguf", &err), &err, MM_ERR_MALFORMED, "truncated");
    hb_free(&f);
}

/* An index of n entries, each in its own shard. */
static enum mm_status parse_shards(size_t n, struct mm_error *err)
{
    struct hbuf j;
    struct mm_index idx;
    size_t i;
    enum mm_status st;
    hb_init(&j);
    hb_text(&j, "{\"weight_map\":{");
    for (i = 0; i < n; i++) {
        hb_printf(&j, "%s\"t%zu\":\"s%zu.safetensors\"", i == 0 ? "" : ",", i, i);
    }
    hb_text(&j, "}}");
    st = mm_index_parse(&idx, j.d, j.n, "limit.safetensors.index.json", err);
    if (st == MM_OK) {
        assert_int_equal(idx.nshards, n);
        mm_index_free(&idx);
    }
    hb_free(&j);
    return st;
}

static void test_files(void **state)
{
    struct mm_error err;
    (void)state;
    expect_code(parse_shards((size_t)MM_LIMIT_FILES + 1, &err), &err, MM_ERR_LIMIT,
                "limit-files");
    assert_int_equal(parse_shards(MM_LIMIT_FILES, &err), MM_OK);
}

/* A tensor of `rank` dimensions of 1 (one byte of U8). */
static enum mm_status load_rank(unsigned rank, struct mm_error *err)
{
    struct hbuf e;
    unsigned i;
    enum mm_status st;
    hb_init(&e);
    hb_text(&e, "{\"dtype\":\"U8\",\"shape\":[");
    for (i = 0; i < rank; i++) {
        hb_text(&e, i == 0 ? "1" : ",1");
    }
    hb_text(&e, "],\"data_offsets\":[0,1]}");
    hb_put(&e, "", 1);
    st = load_one_tensor("t", 1, (const char *)e.d, 1, err);
    hb_free(&e);
    return st;
}

static void test_rank(void **state)
{
    struct mm_error err;
    (void)state;
    expect_code(load_rank(MM_LIMIT_RANK + 1, &err), &err, MM_ERR_LIMIT, "limit-rank");
    assert_string_equal(err.tensor, "t");
    assert_int_equal(load_rank(MM_LIMIT_RANK, &err), MM_OK);
}

static void test_dim(void **state)
{
    struct mm_error err;
    struct hbuf f;
    const uint64_t past[2] = {(uint64_t)MM_LIMIT_DIM + 1, 0};
    const uint64_t at[2] = {0, MM_LIMIT_DIM};
    (void)state;
    expect_code(load_one_tensor("t", 1,
                                "{\"dtype\":\"U8\",\"shape\":[9007199254740993,0],"
                                "\"data_offsets\":[0,0]}",
                                0, &err),
                &err, MM_ERR_LIMIT, "limit-dimension");
    assert_int_equal(err.offset, 8 + 28); /* the number, after {"t":{"dtype":"U8","shape":[ */
    /* a number past 2^64 is past the limit too */
    expect_code(load_one_tensor("t", 1,
                                "{\"dtype\":\"U8\",\"shape\":[18446744073709551616,0],"
                                "\"data_offsets\":[0,0]}",
                                0, &err),
                &err, MM_ERR_LIMIT, "limit-dimension");
    assert_int_equal(load_one_tensor("t", 1,
                                     "{\"dtype\":\"U8\",\"shape\":[9007199254740992,0],"
                                     "\"data_offsets\":[0,0]}",
                                     0, &err),
                     MM_OK);
    /* GGUF: dimensions are u64 */
    hb_init(&f);
    hb_gguf_header(&f, 3, 1, 0);
    hb_gguf_tensor(&f, "t", 1, 2, past, 0, 0);
    hb_fill(&f, 0, 64);
    expect_code(load(&f, "d.gguf", &err), &err, MM_ERR_LIMIT, "limit-dimension");
    f.n = 0;
    hb_gguf_header(&f, 3, 1, 0);
    hb_gguf_tensor(&f, "t", 1, 2, at, 0, 0);
    hb_fill(&f, 0, 64);
    assert_int_equal(load(&f, "d.gguf", &err), MM_OK);
    hb_free(&f);
}

static void test_name(void **state)
{
    struct mm_error err;
    char *name = malloc(MM_LIMIT_NAME + 1);
    const char *entry = "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}";
    struct hbuf j;
    struct mm_index idx;
    (void)state;
    assert_non_null(name);
    memset(name, 'n', MM_LIMIT_NAME + 1);
    expect_code(load_one_tensor(name, MM_LIMIT_NAME + 1, entry, 1, &err), &err, MM_ERR_LIMIT,
                "limit-name-length");
    assert_int_equal(load_one_tensor(name, MM_LIMIT_NAME, entry, 1, &err), MM_OK);
    /* an index's tensor names */
    hb_init(&j);
    hb_text(&j, "{\"weight_map\":{\"");
    hb_put(&j, name, MM_LIMIT_NAME + 1);
    hb_text(&j, "\":\"s.safetensors\"}}");
    expect_code(mm_index_parse(&idx, j.d, j.n, "i.json", &err), &err, MM_ERR_LIMIT,
                "limit-name-length");
    hb_free(&j);
    free(name);
}

/* JSON of `depth` levels in all (the top object counts as one) as an
 * unknown member of an index, and inside a safetensors tensor entry. */
static void test_json_depth(void **state)
{
    struct mm_error err;
    struct mm_index idx;
    struct hbuf j;
    size_t depth;
    (void)state;
    hb_init(&j);
    for (depth = MM_LIMIT_JSON_DEPTH; depth <= MM_LIMIT_JSON_DEPTH + 1; depth++) {
        enum mm_status st;
        j.n = 0;
        hb_text(&j, "{\"weight_map\":{},\"x\":");
        hb_nest(&j, depth - 1);
        hb_text(&j, "}");
        st = mm_index_parse(&idx, j.d, j.n, "deep.json", &err);
        if (depth == MM_LIMIT_JSON_DEPTH) {
            assert_int_equal(st, MM_OK);
            mm_index_free(&idx);
        } else {
            expect_code(st, &err, MM_ERR_LIMIT, "json-too-deep");
            assert_int_equal(err.offset, 21 + MM_LIMIT_JSON_DEPTH - 1);
        }
        /* the tensor entry is level 2 */
        j.n = 0;
        hb_text(&j, "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":");
        hb_nest(&j, depth - 2);
        hb_text(&j, "}");
        hb_put(&j, "", 1);
        st = load_one_tensor("t", 1, (const char *)j.d, 1, &err);
        if (depth == MM_LIMIT_JSON_DEPTH) {
            assert_int_equal(st, MM_OK);
        } else {
            expect_code(st, &err, MM_ERR_LIMIT, "json-too-deep");
        }
    }
    hb_free(&j);
}

static void test_index_bytes(void **state)
{
    char dir[] = "/tmp/mm-limits.XXXXXX";
    char path[128];
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    int fd;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/model.safetensors.index.json", dir);
    /* a sparse file: "{" and then nothing, one byte past the limit */
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "{", 1), 1);
    assert_int_equal(ftruncate(fd, (off_t)MM_LIMIT_INDEX_BYTES + 1), 0);
    close(fd);
    expect_code(mm_inventory_load(&inv, dir, NULL, &err), &err, MM_ERR_LIMIT,
                "limit-index-bytes");
    assert_null(inv);
    /* at the limit it is read, and is not JSON */
    assert_int_equal(truncate(path, (off_t)MM_LIMIT_INDEX_BYTES), 0);
    expect_code(mm_inventory_load(&inv, dir, NULL, &err), &err, MM_ERR_MALFORMED,
                "json-syntax");
    unlink(path);
    rmdir(dir);
}

static void test_gguf_kv(void **state)
{
    struct hbuf f;
    struct mm_error err;
    (void)state;
    hb_init(&f);
    hb_gguf_header(&f, 3, 0, (uint64_t)MM_LIMIT_GGUF_KV + 1);
    expect_code(load(&f, "kv.gguf", &err), &err, MM_ERR_LIMIT, "limit-metadata");
    assert_int_equal(err.offset, 16);
    f.n = 0;
    hb_gguf_header(&f, 3, 0, MM_LIMIT_GGUF_KV);
    expect_code(load(&f, "kv.gguf", &err), &err, MM_ERR_MALFORMED, "truncated");
    hb_free(&f);
}

/* One metadata entry whose key has `len` bytes, a u32 value. */
static enum mm_status load_key(size_t len, struct mm_error *err)
{
    struct hbuf f;
    char *key = malloc(len);
    enum mm_status st;
    assert_non_null(key);
    memset(key, 'k', len);
    hb_init(&f);
    hb_gguf_header(&f, 3, 0, 1);
    hb_gguf_str(&f, key, len);
    hb_u32(&f, 4);
    hb_u32(&f, 7);
    st = load(&f, "key.gguf", err);
    hb_free(&f);
    free(key);
    return st;
}

static void test_gguf_key(void **state)
{
    struct mm_error err;
    (void)state;
    expect_code(load_key(MM_LIMIT_GGUF_KEY + 1, &err), &err, MM_ERR_LIMIT,
                "limit-gguf-key-length");
    assert_int_equal(err.offset, 24);
    assert_int_equal(load_key(MM_LIMIT_GGUF_KEY, &err), MM_OK);
}

static enum mm_status load_gguf_name(size_t len, struct mm_error *err)
{
    struct hbuf f;
    char name[MM_LIMIT_GGUF_NAME + 8];
    const uint64_t d[1] = {8};
    enum mm_status st;
    memset(name, 'a', sizeof(name));
    hb_init(&f);
    hb_gguf_header(&f, 3, 1, 0);
    hb_gguf_tensor(&f, name, len, 1, d, 0, 0);
    hb_fill(&f, 0, 64 + 32);
    st = load(&f, "name.gguf", err);
    hb_free(&f);
    return st;
}

static void test_gguf_name(void **state)
{
    struct mm_error err;
    (void)state;
    expect_code(load_gguf_name(MM_LIMIT_GGUF_NAME + 1, &err), &err, MM_ERR_LIMIT,
                "limit-gguf-name-length");
    assert_int_equal(load_gguf_name(MM_LIMIT_GGUF_NAME, &err), MM_OK);
}

/* One metadata entry "k" of type `type`, then `tail` (a declared length or
 * count) and nothing more. */
static enum mm_status load_declared(uint32_t type, uint64_t declared, struct mm_error *err)
{
    struct hbuf f;
    enum mm_status st;
    hb_init(&f);
    hb_gguf_header(&f, 3, 0, 1);
    hb_gguf_str(&f, "k", 1);
    hb_u32(&f, type);
    if (type == 9) {
        hb_u32(&f, 0); /* u8 elements */
    }
    hb_u64(&f, declared);
    hb_fill(&f, 0, 16);
    st = load(&f, "decl.gguf", err);
    hb_free(&f);
    return st;
}

static void test_gguf_string(void **state)
{
    struct mm_error err;
    (void)state;
    expect_code(load_declared(8, (uint64_t)MM_LIMIT_GGUF_STRING + 1, &err), &err, MM_ERR_LIMIT,
                "limit-gguf-string");
    assert_int_equal(err.offset, 24 + 9 + 4);
    expect_code(load_declared(8, MM_LIMIT_GGUF_STRING, &err), &err, MM_ERR_MALFORMED,
                "truncated");
}

static void test_gguf_array(void **state)
{
    struct mm_error err;
    (void)state;
    expect_code(load_declared(9, (uint64_t)MM_LIMIT_GGUF_ARRAY + 1, &err), &err, MM_ERR_LIMIT,
                "limit-gguf-array");
    assert_int_equal(err.offset, 24 + 9 + 4 + 4);
    expect_code(load_declared(9, MM_LIMIT_GGUF_ARRAY, &err), &err, MM_ERR_MALFORMED,
                "truncated");
}

/* A folder of n files, each a broken safetensors file. */
static size_t verify_broken(const char *dir, size_t n, size_t *errors, const char **last)
{
    struct mm_verify_report *rep = NULL;
    struct mm_error err;
    char path[256];
    size_t i;
    size_t count;
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/f%05zu.safetensors", dir, i);
        assert_int_equal(hb_write_file(path, "short", 5), 0);
    }
    assert_int_equal(mm_verify(&rep, dir, NULL, &err), MM_OK);
    count = mm_verify_problem_count(rep);
    *errors = mm_verify_error_count(rep);
    *last = mm_errcode_name(mm_verify_problem(rep, count - 1)->code);
    mm_verify_free(rep);
    return count;
}

static void test_problems(void **state)
{
    char dir[] = "/tmp/mm-limits.XXXXXX";
    char cmd[128];
    size_t errors;
    const char *last;
    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(verify_broken(dir, MM_LIMIT_PROBLEMS, &errors, &last), MM_LIMIT_PROBLEMS);
    assert_int_equal(errors, MM_LIMIT_PROBLEMS);
    assert_string_equal(last, "header-too-small");
    /* one more: the list stops, and says so with its own code */
    assert_int_equal(verify_broken(dir, MM_LIMIT_PROBLEMS + 1, &errors, &last),
                     MM_LIMIT_PROBLEMS + 1);
    assert_int_equal(errors, MM_LIMIT_PROBLEMS + 1);
    assert_string_equal(last, "limit-problems");
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_bytes), cmocka_unit_test(test_tensors),
        cmocka_unit_test(test_files),        cmocka_unit_test(test_rank),
        cmocka_unit_test(test_dim),          cmocka_unit_test(test_name),
        cmocka_unit_test(test_json_depth),   cmocka_unit_test(test_index_bytes),
        cmocka_unit_test(test_gguf_kv),      cmocka_unit_test(test_gguf_key),
        cmocka_unit_test(test_gguf_name),    cmocka_unit_test(test_gguf_string),
        cmocka_unit_test(test_gguf_array),   cmocka_unit_test(test_problems),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
