/* test_index_split.c - an index of a megabyte or more is parsed in two
 * halves on two threads (model/index.c): every entry, every error and its
 * offset must be what a serial parse gives, wherever the halves meet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../tests/hostile_gen.h"
#include "core/internal.h"
#include "model/index.h"

/* Entries, enough for ~2 MB: names "layer.NNNNNN.weight" and three shards
 * in runs of 7, pretty-printed as transformers writes it. */
#define N_ENTRIES 40000u

struct gen {
    struct hbuf b;
    uint64_t *value_at; /* per entry, the offset of its shard-name value */
    size_t bad_at;      /* where the replaced member begins */
};

static unsigned shard_of(size_t i)
{
    return (unsigned)((i / 7) % 3);
}

/* The index with entry `bad` (if < N_ENTRIES) written as `bad_text` (a
 * complete member) instead of its own; `meta_after` puts a large metadata
 * object of string members after the map. */
static void gen(struct gen *g, size_t bad, const char *bad_text, bool meta_after)
{
    size_t i;
    hb_init(&g->b);
    g->value_at = calloc(N_ENTRIES, sizeof(uint64_t));
    assert_non_null(g->value_at);
    hb_text(&g->b, "{\n  \"metadata\": {\n    \"total_size\": 1234\n  },\n  \"weight_map\": {\n");
    for (i = 0; i < N_ENTRIES; i++) {
        hb_text(&g->b, i == 0 ? "    " : ",\n    ");
        if (i == bad) {
            g->bad_at = g->b.n;
            hb_text(&g->b, bad_text);
            continue;
        }
        hb_printf(&g->b, "\"layer.%06zu.weight\": ", i);
        g->value_at[i] = g->b.n;
        hb_printf(&g->b, "\"model-%05u-of-00003.safetensors\"", shard_of(i) + 1);
    }
    hb_text(&g->b, "\n  }");
    if (meta_after) {
        /* larger than the map, so that its middle lies here */
        hb_text(&g->b, ",\n  \"other\": {");
        for (i = 0; i < N_ENTRIES * 6; i++) {
            hb_printf(&g->b, "%s\"k%zu\":\"v\"", i == 0 ? "" : ",", i);
        }
        hb_text(&g->b, "}");
    }
    hb_text(&g->b, "\n}\n");
}

static void gen_free(struct gen *g)
{
    hb_free(&g->b);
    free(g->value_at);
}

static enum mm_status parse(const struct gen *g, struct mm_index *ix, struct mm_error *err)
{
    assert_true(g->b.n >= ((size_t)1 << 20)); /* large enough to be split */
    return mm_index_parse(ix, g->b.d, g->b.n, "big.index.json", err);
}

/* Every entry in file order, with its shard and offset. */
static void check_all(const struct gen *g, const struct mm_index *ix)
{
    size_t i;
    assert_int_equal(ix->nentries, N_ENTRIES);
    assert_int_equal(ix->nshards, 3);
    assert_true(ix->has_total_size);
    assert_int_equal(ix->total_size, 1234);
    for (i = 0; i < N_ENTRIES; i++) {
        char want[32];
        snprintf(want, sizeof(want), "layer.%06zu.weight", i);
        assert_string_equal(ix->names + ix->name_at[i], want);
        assert_int_equal(ix->shard_of[i], shard_of(i));
        assert_int_equal(ix->value_at[i], g->value_at[i]);
        assert_int_equal(mm_index_find(ix, want), (long)i);
    }
}

/* A valid index (with a large object after the map when `trailing`)
 * parses to every entry. */
static void parse_valid(bool trailing)
{
    struct gen g;
    struct mm_index ix;
    struct mm_error err;
    gen(&g, SIZE_MAX, NULL, trailing);
    assert_int_equal(parse(&g, &ix, &err), MM_OK);
    check_all(&g, &ix);
    mm_index_free(&ix);
    gen_free(&g);
}

static void test_whole(void **state)
{
    (void)state;
    parse_valid(false);
}

/* The guess lands in a later object, not in the map: the map is read
 * serially and the later object skipped. */
static void test_guess_outside_map(void **state)
{
    (void)state;
    parse_valid(true);
}

/* A defect in entry `at` (a fraction of the entries) and the error the
 * parse must give. */
static void expect_defect(size_t at, const char *member, enum mm_errcode code,
                          const char *tensor)
{
    struct gen g;
    struct mm_index ix;
    struct mm_error err;
    gen(&g, at, member, false);
    if (parse(&g, &ix, &err) == MM_OK) {
        mm_index_free(&ix);
        fail_msg("entry %zu: accepted %s", at, member);
    }
    assert_int_equal(err.code, code);
    if (tensor != NULL) {
        assert_string_equal(err.tensor, tensor);
    }
    gen_free(&g);
}

static void test_defects_in_either_half(void **state)
{
    static const size_t where[] = {3, N_ENTRIES / 4, N_ENTRIES / 2 - 1, N_ENTRIES / 2,
                                   N_ENTRIES / 2 + 1, (N_ENTRIES / 4) * 3, N_ENTRIES - 1};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
        expect_defect(where[i], "\"x\": \"../up.safetensors\"", MM_E_SHARD_NAME_UNSAFE, "x");
        expect_defect(where[i], "\"x\" \"m.safetensors\"", MM_E_JSON_SYNTAX, NULL);
        expect_defect(where[i], "\"x\": 7", MM_E_INDEX_INVALID, "x");
        /* a name the map already holds: always one of the first entries */
        expect_defect(where[i], "\"layer.000000.weight\": \"m.safetensors\"",
                      MM_E_DUPLICATE_KEY, "layer.000000.weight");
    }
}

/* The offset of an error in the second half is the serial one. */
static void test_offsets(void **state)
{
    struct gen g;
    struct mm_index ix;
    struct mm_error err;
    const size_t at = (N_ENTRIES / 4) * 3;
    (void)state;
    gen(&g, at, "\"x\": \"../up.safetensors\"", false);
    assert_int_not_equal(parse(&g, &ix, &err), MM_OK);
    /* the value of entry `at` starts 5 bytes into it, after "x": */
    assert_int_equal(err.offset, (int64_t)(g.bad_at + 5));
    gen_free(&g);
}

/* An index of megabytes with no key to split at (one long metadata string
 * and three entries): parsed on one thread, every entry found. */
static void test_no_split_point(void **state)
{
    const size_t blob = (size_t)3 << 20;
    const char *head = "{\"metadata\": {\"blob\": \"";
    const char *tail = "\"}, \"weight_map\": {\"a\": \"s1.safetensors\", "
                       "\"b\": \"s2.safetensors\", \"c\": \"s1.safetensors\"}}";
    const size_t n = strlen(head) + blob + strlen(tail);
    char *text = malloc(n + 1);
    struct mm_index ix;
    struct mm_error err;
    (void)state;
    assert_non_null(text);
    memcpy(text, head, strlen(head));
    memset(text + strlen(head), 'x', blob);
    memcpy(text + strlen(head) + blob, tail, strlen(tail) + 1);
    assert_int_equal(mm_index_parse(&ix, (const uint8_t *)text, n, "blob.index.json", &err),
                     MM_OK);
    assert_int_equal(ix.nentries, 3);
    assert_int_equal(ix.nshards, 2);
    assert_int_equal(mm_index_find(&ix, "b"), 1);
    assert_string_equal(ix.shards[ix.shard_of[2]], "s1.safetensors");
    mm_index_free(&ix);
    free(text);
}

/* Bytes that are not UTF-8 in the second half are the first error even
 * when the first half has a syntax error: the whole file is checked first,
 * as a serial parse does. */
static void test_utf8_second_half(void **state)
{
    struct gen g;
    struct mm_index ix;
    struct mm_error err;
    char *p;
    (void)state;
    gen(&g, 10, "\"x\" \"m.safetensors\"", false);
    p = (char *)g.b.d + (g.b.n / 4) * 3;
    while (*p != '"') {
        p++;
    }
    p[1] = (char)0xff;
    assert_int_not_equal(parse(&g, &ix, &err), MM_OK);
    assert_int_equal(err.code, MM_E_HEADER_UTF8);
    assert_int_equal(err.offset, (int64_t)((uint8_t *)p + 1 - g.b.d));
    gen_free(&g);
}

/* Shards counted across both halves: the entry that brings the one past
 * MM_LIMIT_FILES, wherever it lies, is where the error is. */
static void test_shard_limit_across_halves(void **state)
{
    struct hbuf b;
    struct mm_index ix;
    struct mm_error err;
    uint64_t over = 0;
    size_t i;
    (void)state;
    hb_init(&b);
    hb_text(&b, "{\"weight_map\":{");
    for (i = 0; i <= MM_LIMIT_FILES; i++) {
        hb_printf(&b, "%s\"t%zu\":", i == 0 ? "" : ",", i);
        if (i == MM_LIMIT_FILES) {
            over = b.n;
        }
        hb_printf(&b, "\"s%zu.safetensors\"", i);
    }
    hb_text(&b, "}}");
    assert_true(b.n >= ((size_t)1 << 20));
    assert_int_equal(mm_index_parse(&ix, b.d, b.n, "big.index.json", &err), MM_ERR_LIMIT);
    assert_int_equal(err.code, MM_E_LIMIT_FILES);
    assert_int_equal(err.offset, (int64_t)over);
    hb_free(&b);
}

/* Both parses' outcomes are the same: status, error, entries. */
static void same(const struct hbuf *b, size_t trial)
{
    struct mm_index a;
    struct mm_index s;
    struct mm_error ea;
    struct mm_error es;
    const enum mm_status sa = mm_index_parse(&a, b->d, b->n, "big.index.json", &ea);
    const enum mm_status ss = mm_index_parse_serial(&s, b->d, b->n, "big.index.json", &es);
    size_t i;
    if (sa != ss) {
        fail_msg("trial %zu: status %d split, %d serial (%s)", trial, sa, ss, es.message);
    }
    if (sa != MM_OK) {
        assert_int_equal(ea.code, es.code);
        assert_int_equal(ea.offset, es.offset);
        assert_string_equal(ea.tensor, es.tensor);
        assert_string_equal(ea.message, es.message);
        return;
    }
    assert_int_equal(a.nentries, s.nentries);
    assert_int_equal(a.nshards, s.nshards);
    assert_int_equal(a.has_total_size, s.has_total_size);
    assert_int_equal(a.total_size, s.total_size);
    for (i = 0; i < a.nshards; i++) {
        assert_string_equal(a.shards[i], s.shards[i]);
    }
    for (i = 0; i < a.nentries; i++) {
        assert_string_equal(a.names + a.name_at[i], s.names + s.name_at[i]);
        assert_int_equal(a.shard_of[i], s.shard_of[i]);
        assert_int_equal(a.value_at[i], s.value_at[i]);
    }
    mm_index_free(&a);
    mm_index_free(&s);
}

/* Random damage, mostly near the middle where the halves meet: whatever
 * the parse meets, split and serial agree. */
static void test_against_serial(void **state)
{
    static const char bytes[] = "\",:{}[]\\ a0\n\xff\x01";
    struct gen g;
    uint64_t r = 88172645463325252ull; /* xorshift64 */
    size_t trial;
    (void)state;
    gen(&g, SIZE_MAX, NULL, false);
    for (trial = 0; trial < 400; trial++) {
        struct hbuf b;
        size_t k;
        hb_init(&b);
        hb_put(&b, g.b.d, g.b.n);
        for (k = 0; k <= trial % 3; k++) {
            size_t at;
            r ^= r << 13;
            r ^= r >> 7;
            r ^= r << 17;
            at = trial % 2 == 0 ? (size_t)(r % b.n)
                                : b.n / 2 - 4096 + (size_t)(r % 8192);
            b.d[at] = (uint8_t)bytes[(r >> 32) % (sizeof(bytes) - 1)];
        }
        same(&b, trial);
        hb_free(&b);
    }
    gen_free(&g);
}

/* A large file is read in two halves at once: every byte where it belongs,
 * and a file shorter than asked for is the error one read gives. */
static void test_read_halves(void **state)
{
    char path[] = "/tmp/mm-halves-XXXXXX";
    const size_t len = ((size_t)3 << 20) + 5;
    uint8_t *want = malloc(len);
    uint8_t *got = malloc(len + 10);
    struct mm_source src;
    struct mm_error err;
    size_t i;
    int fd = mkstemp(path);
    (void)state;
    assert_true(fd >= 0 && want != NULL && got != NULL);
    for (i = 0; i < len; i++) {
        want[i] = (uint8_t)(i * 7 + i / 4096);
    }
    assert_int_equal(write(fd, want, len), (ssize_t)len);
    close(fd);
    assert_int_equal(mm_source_open(&src, path, path, &err), MM_OK);
    assert_int_equal(mm_source_read_all(&src, got, len, MM_E_IO, &err), MM_OK);
    assert_memory_equal(got, want, len);
    assert_int_equal(mm_source_read_all(&src, got, len + 10, MM_E_IO, &err), MM_ERR_MALFORMED);
    assert_int_equal(err.offset, (int64_t)len);
    assert_non_null(strstr(err.message, "10 more expected"));
    mm_source_close(&src);
    unlink(path);
    free(want);
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole),
        cmocka_unit_test(test_no_split_point),
        cmocka_unit_test(test_guess_outside_map),
        cmocka_unit_test(test_defects_in_either_half),
        cmocka_unit_test(test_offsets),
        cmocka_unit_test(test_utf8_second_half),
        cmocka_unit_test(test_shard_limit_across_halves),
        cmocka_unit_test(test_against_serial),
        cmocka_unit_test(test_read_halves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
