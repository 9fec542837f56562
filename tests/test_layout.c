/* test_layout.c - the estimate tests' models (see test_layout.h): the
 * fixtures, and a Llama layout as a sparse safetensors file. The header is the safetensors format's: an 8-byte
 * little-endian length, then the JSON header; the data after it is left a
 * hole, so a 70B layout takes no disk blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_layout.h"

struct mm_inventory *test_fixture_load(const char *dir)
{
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    char path[512];
    snprintf(path, sizeof(path), MM_FIXTURES "/estimate/%s", dir);
    if (mm_inventory_load(&inv, path, NULL, &err) != MM_OK) {
        fail_msg("%s: %s", path, err.message);
    }
    return inv;
}

struct mm_config *test_fixture_config(const char *dir)
{
    struct mm_config *cfg = NULL;
    struct mm_error err;
    char path[512];
    snprintf(path, sizeof(path), MM_FIXTURES "/estimate/%s/config.json", dir);
    if (mm_config_load(&cfg, path, &err) != MM_OK) {
        fail_msg("%s: %s", path, err.message);
    }
    return cfg;
}

struct mm_memory_params test_inference_params(uint64_t context)
{
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    p.inference = 1;
    p.context = context;
    return p;
}

void test_memory_ok(struct mm_memory *out, const struct mm_inventory *inv,
                    const struct mm_config *cfg, const struct mm_memory_params *p)
{
    struct mm_error err;
    assert_int_equal(mm_memory_run(out, inv, cfg, p, &err), MM_OK);
}

struct buf {
    char *p;
    size_t n, cap;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int k;
    if (b->cap - b->n < 512) {
        b->cap = b->cap * 2 + 4096;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    va_start(ap, fmt);
    k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    assert_true(k > 0 && (size_t)k < b->cap - b->n);
    b->n += (size_t)k;
}

/* A two-byte tensor [d0] or [d0, d1] at *off, which it advances. */
static void tensor(struct buf *b, uint64_t *off, const char *dtype, const char *name,
                   uint64_t d0, uint64_t d1)
{
    const uint64_t bytes = (d1 ? d0 * d1 : d0) * 2;
    put(b, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[%llu", *off ? "," : "", name, dtype,
        (unsigned long long)d0);
    if (d1) {
        put(b, ",%llu", (unsigned long long)d1);
    }
    put(b, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)*off,
        (unsigned long long)(*off + bytes));
    *off += bytes;
}

/* One decoder layer's tensors. */
static void layer(struct buf *b, uint64_t *off, const char *dtype, const struct test_llama *l,
                  uint64_t i)
{
    static const char *const attn[] = {"q", "k", "v", "o"};
    static const char *const mlp[] = {"gate", "up", "down"};
    const uint64_t hd = l->hidden / l->heads;
    char name[128];
    int k;
    for (k = 0; k < 4; k++) {
        const uint64_t rows = k == 1 || k == 2 ? l->kv * hd : k == 0 ? l->heads * hd : l->hidden;
        snprintf(name, sizeof(name), "model.layers.%llu.self_attn.%s_proj.weight",
                 (unsigned long long)i, attn[k]);
        tensor(b, off, dtype, name, rows, k == 3 ? l->heads * hd : l->hidden);
    }
    for (k = 0; k < 3; k++) {
        snprintf(name, sizeof(name), "model.layers.%llu.mlp.%s_proj.weight",
                 (unsigned long long)i, mlp[k]);
        tensor(b, off, dtype, name, k == 2 ? l->hidden : l->inter,
               k == 2 ? l->inter : l->hidden);
    }
    snprintf(name, sizeof(name), "model.layers.%llu.input_layernorm.weight",
             (unsigned long long)i);
    tensor(b, off, dtype, name, l->hidden, 0);
    snprintf(name, sizeof(name), "model.layers.%llu.post_attention_layernorm.weight",
             (unsigned long long)i);
    tensor(b, off, dtype, name, l->hidden, 0);
}

struct mm_inventory *test_llama_layout(const struct test_llama *l, const char *dtype,
                                       uint64_t *data_bytes)
{
    struct buf b = {NULL, 0, 0};
    char path[] = "/tmp/mm-llama-XXXXXX";
    uint64_t off = 0;
    unsigned char len[8];
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    FILE *f;
    int fd;
    uint64_t i;
    int k;
    put(&b, "{");
    tensor(&b, &off, dtype, "model.embed_tokens.weight", l->vocab, l->hidden);
    for (i = 0; i < l->layers; i++) {
        layer(&b, &off, dtype, l, i);
    }
    tensor(&b, &off, dtype, "model.norm.weight", l->hidden, 0);
    tensor(&b, &off, dtype, "lm_head.weight", l->vocab, l->hidden);
    put(&b, "}");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "wb");
    assert_non_null(f);
    for (k = 0; k < 8; k++) {
        len[k] = (unsigned char)(((uint64_t)b.n >> (8 * k)) & 0xff);
    }
    assert_int_equal(fwrite(len, 1, 8, f), 8);
    assert_int_equal(fwrite(b.p, 1, b.n, f), b.n);
    assert_int_equal(fflush(f), 0);
    /* the data: a hole, no disk blocks */
    assert_int_equal(ftruncate(fd, (off_t)(8 + b.n + off)), 0);
    fclose(f);
    free(b.p);
    assert_int_equal(mm_inventory_load(&inv, path, NULL, &err), MM_OK);
    unlink(path);
    if (data_bytes != NULL) {
        *data_bytes = off;
    }
    return inv;
}
