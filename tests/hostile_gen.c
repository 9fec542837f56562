/* hostile_gen.c - see hostile_gen.h. */
#include "hostile_gen.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hb_init(struct hbuf *b)
{
    memset(b, 0, sizeof(*b));
}

void hb_free(struct hbuf *b)
{
    free(b->d);
    memset(b, 0, sizeof(*b));
}

static void reserve(struct hbuf *b, size_t more)
{
    size_t cap = b->cap == 0 ? 4096 : b->cap;
    uint8_t *nd;
    if (b->n + more <= b->cap) {
        return;
    }
    while (cap < b->n + more) {
        cap *= 2;
    }
    nd = realloc(b->d, cap);
    if (nd == NULL) {
        abort();
    }
    b->d = nd;
    b->cap = cap;
}

void hb_put(struct hbuf *b, const void *p, size_t n)
{
    reserve(b, n);
    if (n > 0) {
        memcpy(b->d + b->n, p, n);
    }
    b->n += n;
}

void hb_text(struct hbuf *b, const char *s)
{
    hb_put(b, s, strlen(s));
}

void hb_printf(struct hbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        abort();
    }
    hb_put(b, tmp, (size_t)n);
}

void hb_fill(struct hbuf *b, int ch, size_t n)
{
    reserve(b, n);
    memset(b->d + b->n, ch, n);
    b->n += n;
}

void hb_u32(struct hbuf *b, uint32_t v)
{
    uint8_t x[4];
    unsigned i;
    for (i = 0; i < 4; i++) {
        x[i] = (uint8_t)(v >> (8 * i));
    }
    hb_put(b, x, 4);
}

void hb_u64(struct hbuf *b, uint64_t v)
{
    uint8_t x[8];
    unsigned i;
    for (i = 0; i < 8; i++) {
        x[i] = (uint8_t)(v >> (8 * i));
    }
    hb_put(b, x, 8);
}

void hb_safetensors(struct hbuf *out, const struct hbuf *header, size_t data_bytes)
{
    hb_u64(out, header->n);
    hb_put(out, header->d, header->n);
    hb_fill(out, 0, data_bytes);
}

void hb_safetensors_many(struct hbuf *header, size_t n)
{
    size_t i;
    hb_text(header, "{");
    for (i = 0; i < n; i++) {
        hb_printf(header, "%s\"t%zu\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[%zu,%zu]}",
                  i == 0 ? "" : ",", i, i, i + 1);
    }
    hb_text(header, "}");
}

void hb_safetensors_one(struct hbuf *out, const char *name, unsigned n)
{
    struct hbuf h;
    hb_init(&h);
    hb_printf(&h, "{\"%s\":{\"dtype\":\"F32\",\"shape\":[%u],\"data_offsets\":[0,%u]}}", name,
              n, n * 4);
    hb_safetensors(out, &h, (size_t)n * 4);
    hb_free(&h);
}

void hb_gguf_header(struct hbuf *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv)
{
    hb_put(b, "GGUF", 4);
    hb_u32(b, version);
    hb_u64(b, n_tensors);
    hb_u64(b, n_kv);
}

void hb_gguf_str(struct hbuf *b, const char *s, size_t len)
{
    hb_u64(b, len);
    hb_put(b, s, len);
}

void hb_gguf_tensor(struct hbuf *b, const char *name, size_t name_len, uint32_t n_dims,
                    const uint64_t *dims, uint32_t type, uint64_t offset)
{
    uint32_t i;
    hb_gguf_str(b, name, name_len);
    hb_u32(b, n_dims);
    for (i = 0; i < n_dims; i++) {
        hb_u64(b, dims[i]);
    }
    hb_u32(b, type);
    hb_u64(b, offset);
}

void hb_nest(struct hbuf *b, size_t depth)
{
    hb_fill(b, '[', depth);
    hb_fill(b, ']', depth);
}

int hb_tmpdir(char *out, size_t size, const char *stem)
{
    const int n = snprintf(out, size, "/tmp/%s.XXXXXX", stem);
    return n > 0 && (size_t)n < size && mkdtemp(out) != NULL ? 0 : -1;
}

int hb_rmtree(const char *dir)
{
    char cmd[600];
    const int n = snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return n > 0 && (size_t)n < sizeof(cmd) && system(cmd) == 0 ? 0 : -1;
}

const char *hb_path(const char *root, const char *rel)
{
    static char buf[4][600];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof(buf[k]), "%s/%s", root, rel);
    return buf[k];
}

int hb_mkdirs(const char *root, const char *rel)
{
    char cmd[800];
    const int n = snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", hb_path(root, rel));
    return n > 0 && (size_t)n < sizeof(cmd) && system(cmd) == 0 ? 0 : -1;
}

int hb_hf_repo(const char *root, const char *repo, const char *revision)
{
    char rel[400];
    static const char *const sub[] = {"refs", "blobs"};
    size_t i;
    int n;
    for (i = 0; i < 2; i++) {
        n = snprintf(rel, sizeof(rel), "%s/%s", repo, sub[i]);
        if (n < 0 || (size_t)n >= sizeof(rel) || hb_mkdirs(root, rel) != 0) {
            return -1;
        }
    }
    n = snprintf(rel, sizeof(rel), "%s/snapshots/%s", repo, revision);
    return n > 0 && (size_t)n < sizeof(rel) ? hb_mkdirs(root, rel) : -1;
}

int hb_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int rc = 0;
    if (f == NULL) {
        return -1;
    }
    if (len > 0 && fwrite(data, 1, len, f) != len) {
        rc = -1;
    }
    if (fclose(f) != 0) {
        rc = -1;
    }
    return rc;
}
