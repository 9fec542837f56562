/*
 * gguf.c - the GGUF reader (ggml-org/ggml docs/gguf.md, src/gguf.cpp).
 *
 * Layout, little-endian: "GGUF", u32 version (2 or 3; 1 used 32-bit counts
 * and is refused, as ggml refuses it), u64 tensor count, u64 metadata
 * count; metadata entries (string key, u32 type, value; strings are u64
 * length + bytes, arrays u32 type + u64 count + values); tensor infos
 * (name, u32 n_dims <= 4, u64 dims fastest-varying first, u32 ggml type,
 * u64 offset from the data section); the data section starts at the next
 * multiple of general.alignment (default 32). The header is streamed
 * through a small buffer: a vocabulary of 10^5 strings is skipped, never
 * held. Shapes are stored outermost first, like every other format's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/cursor.h"
#include "formats/readers.h"

#define GGUF_BUF (64u * 1024u)
#define GGUF_MAX_DIMS 4u
#define GGUF_DEFAULT_ALIGNMENT 32u
/* Metadata strings longer than this are summarised, not kept. */
#define GGUF_KEEP_STRING 4096u

enum gguf_type {
    GT_U8 = 0,
    GT_I8 = 1,
    GT_U16 = 2,
    GT_I16 = 3,
    GT_U32 = 4,
    GT_I32 = 5,
    GT_F32 = 6,
    GT_BOOL = 7,
    GT_STRING = 8,
    GT_ARRAY = 9,
    GT_U64 = 10,
    GT_I64 = 11,
    GT_F64 = 12,
    GT_COUNT_
};

static const char *const type_names[GT_COUNT_] = {
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64",
};

static const unsigned type_size[GT_COUNT_] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

/* ggml type id -> our dtype; MM_DTYPE_UNKNOWN for removed or unknown ids. */
static enum mm_dtype ggml_dtype(uint32_t id)
{
    static const enum mm_dtype map[] = {
        [0] = MM_DTYPE_F32,       [1] = MM_DTYPE_F16,      [2] = MM_DTYPE_Q4_0,
        [3] = MM_DTYPE_Q4_1,      [6] = MM_DTYPE_Q5_0,     [7] = MM_DTYPE_Q5_1,
        [8] = MM_DTYPE_Q8_0,      [9] = MM_DTYPE_Q8_1,     [10] = MM_DTYPE_Q2_K,
        [11] = MM_DTYPE_Q3_K,     [12] = MM_DTYPE_Q4_K,    [13] = MM_DTYPE_Q5_K,
        [14] = MM_DTYPE_Q6_K,     [15] = MM_DTYPE_Q8_K,    [16] = MM_DTYPE_IQ2_XXS,
        [17] = MM_DTYPE_IQ2_XS,   [18] = MM_DTYPE_IQ3_XXS, [19] = MM_DTYPE_IQ1_S,
        [20] = MM_DTYPE_IQ4_NL,   [21] = MM_DTYPE_IQ3_S,   [22] = MM_DTYPE_IQ2_S,
        [23] = MM_DTYPE_IQ4_XS,   [24] = MM_DTYPE_I8,      [25] = MM_DTYPE_I16,
        [26] = MM_DTYPE_I32,      [27] = MM_DTYPE_I64,     [28] = MM_DTYPE_F64,
        [29] = MM_DTYPE_IQ1_M,    [30] = MM_DTYPE_BF16,    [34] = MM_DTYPE_TQ1_0,
        [35] = MM_DTYPE_TQ2_0,    [39] = MM_DTYPE_MXFP4,   [40] = MM_DTYPE_NVFP4,
        [41] = MM_DTYPE_Q1_0,     [42] = MM_DTYPE_Q2_0,
    };
    if (id >= sizeof(map) / sizeof(map[0])) {
        return MM_DTYPE_UNKNOWN;
    }
    return map[id];
}

/* A forward-only buffered reader over the source. */
struct gstream {
    const struct mm_source *src;
    struct mm_error *err;
    uint8_t *buf;
    size_t len;     /* valid bytes in buf */
    size_t at;      /* next byte in buf */
    uint64_t base;  /* file offset of buf[0] */
    char *scratch;  /* copies of strings we keep */
    size_t scratch_cap;
};

static uint64_t gs_offset(const struct gstream *g)
{
    return g->base + g->at;
}

static enum mm_status gs_truncated(struct gstream *g, const char *what, uint64_t need)
{
    return mm_fail(g->err, MM_ERR_MALFORMED, MM_E_TRUNCATED, g->src->name, NULL,
                   (int64_t)gs_offset(g), "file ends inside %s (%llu more bytes needed)", what,
                   (unsigned long long)need);
}

/* Makes n (<= GGUF_BUF) bytes available at g->buf + g->at. */
static enum mm_status gs_need(struct gstream *g, size_t n, const char *what)
{
    size_t got;
    enum mm_status st;
    if (g->len - g->at >= n) {
        return MM_OK;
    }
    memmove(g->buf, g->buf + g->at, g->len - g->at);
    g->base += g->at;
    g->len -= g->at;
    g->at = 0;
    st = mm_source_read_some(g->src, g->base + g->len, g->buf + g->len, GGUF_BUF - g->len, &got,
                             g->err);
    if (st != MM_OK) {
        return st;
    }
    g->len += got;
    if (g->len < n) {
        return gs_truncated(g, what, n - g->len);
    }
    return MM_OK;
}

static enum mm_status gs_u32(struct gstream *g, uint32_t *out, const char *what)
{
    const enum mm_status st = gs_need(g, 4, what);
    if (st == MM_OK) {
        *out = mm_le32(g->buf + g->at);
        g->at += 4;
    }
    return st;
}

static enum mm_status gs_u64(struct gstream *g, uint64_t *out, const char *what)
{
    const enum mm_status st = gs_need(g, 8, what);
    if (st == MM_OK) {
        *out = mm_le64(g->buf + g->at);
        g->at += 8;
    }
    return st;
}

/* Bytes from the current position to the end of the file. */
static uint64_t gs_remain(const struct gstream *g)
{
    const uint64_t off = gs_offset(g);
    return off >= g->src->size ? 0 : g->src->size - off;
}

static enum mm_status gs_skip(struct gstream *g, uint64_t n, const char *what)
{
    if (n > gs_remain(g)) {
        return gs_truncated(g, what, n - gs_remain(g));
    }
    if (n <= g->len - g->at) {
        g->at += (size_t)n;
    } else {
        g->base = gs_offset(g) + n;
        g->len = 0;
        g->at = 0;
    }
    return MM_OK;
}

/* A string: kept (copied into scratch, NUL-terminated) when its length is
 * at most `keep`, else skipped with *s = NULL. *len is its length. A length
 * over `max` is refused with `max_code` before anything else is looked at,
 * so that a declared length is a limit error whatever the file's size. */
static enum mm_status gs_string(struct gstream *g, uint64_t keep, uint64_t max,
                                enum mm_errcode max_code, const char **s, uint64_t *len,
                                const char *what)
{
    uint64_t n;
    uint64_t copied = 0;
    const int64_t at = (int64_t)gs_offset(g);
    enum mm_status st = gs_u64(g, &n, what);
    *s = NULL;
    *len = 0;
    if (st != MM_OK) {
        return st;
    }
    if (n > max) {
        return mm_fail(g->err, MM_ERR_LIMIT, max_code, g->src->name, NULL, at,
                       "%s of %llu bytes, more than the limit of %llu", what,
                       (unsigned long long)n, (unsigned long long)max);
    }
    if (n > gs_remain(g)) {
        return gs_truncated(g, what, n - gs_remain(g));
    }
    *len = n;
    if (n > keep) {
        return gs_skip(g, n, what);
    }
    if (!mm_grow((void **)&g->scratch, &g->scratch_cap, (size_t)n + 1, 1)) {
        return mm_fail_nomem(g->err, g->src->name);
    }
    while (copied < n) {
        size_t chunk = (size_t)(n - copied) < GGUF_BUF ? (size_t)(n - copied) : GGUF_BUF;
        st = gs_need(g, chunk, what);
        if (st != MM_OK) {
            return st;
        }
        memcpy(g->scratch + copied, g->buf + g->at, chunk);
        g->at += chunk;
        copied += chunk;
    }
    g->scratch[n] = '\0';
    *s = g->scratch;
    return MM_OK;
}

struct gguf_ctx {
    struct gstream g;
    struct mm_inventory *inv;
    uint32_t file;
    uint32_t alignment;
};

/* A scalar's value as text, for the inventory's metadata. */
static enum mm_status read_scalar(struct gguf_ctx *x, uint32_t type, char *text, size_t size,
                                  uint64_t *as_u64)
{
    struct gstream *g = &x->g;
    const uint8_t *b;
    uint64_t u;
    enum mm_status st = gs_need(g, type_size[type], "a metadata value");
    if (st != MM_OK) {
        return st;
    }
    b = g->buf + g->at;
    g->at += type_size[type];
    switch (type) {
    case GT_U8:
        u = b[0];
        snprintf(text, size, "%llu", (unsigned long long)u);
        break;
    case GT_I8:
        u = b[0];
        snprintf(text, size, "%d", (int)(int8_t)b[0]);
        break;
    case GT_U16:
        u = mm_le16(b);
        snprintf(text, size, "%llu", (unsigned long long)u);
        break;
    case GT_I16:
        u = mm_le16(b);
        snprintf(text, size, "%d", (int)(int16_t)mm_le16(b));
        break;
    case GT_U32:
        u = mm_le32(b);
        snprintf(text, size, "%llu", (unsigned long long)u);
        break;
    case GT_I32:
        u = mm_le32(b);
        snprintf(text, size, "%ld", (long)(int32_t)mm_le32(b));
        break;
    case GT_BOOL:
        u = b[0];
        if (b[0] > 1) {
            return mm_fail(g->err, MM_ERR_MALFORMED, MM_E_GGUF_VALUE_TYPE, g->src->name, NULL,
                           (int64_t)(gs_offset(g) - 1), "bool value %u is neither 0 nor 1",
                           b[0]);
        }
        snprintf(text, size, "%s", b[0] ? "true" : "false");
        break;
    case GT_U64:
        u = mm_le64(b);
        snprintf(text, size, "%llu", (unsigned long long)u);
        break;
    case GT_I64:
        u = mm_le64(b);
        snprintf(text, size, "%lld", (long long)(int64_t)u);
        break;
    case GT_F32: {
        union {
            uint32_t i;
            float f;
        } v;
        v.i = mm_le32(b);
        u = 0;
        snprintf(text, size, "%.9g", (double)v.f);
        break;
    }
    default: { /* GT_F64 */
        union {
            uint64_t i;
            double f;
        } v;
        v.i = mm_le64(b);
        u = 0;
        snprintf(text, size, "%.17g", v.f);
        break;
    }
    }
    *as_u64 = u;
    return MM_OK;
}

/* An array's elements are skipped; its shape is kept as a summary. */
static enum mm_status read_array(struct gguf_ctx *x, char *text, size_t size)
{
    struct gstream *g = &x->g;
    uint32_t et;
    uint64_t count;
    uint64_t i;
    uint64_t bytes;
    const int64_t at = (int64_t)gs_offset(g);
    enum mm_status st = gs_u32(g, &et, "an array type");
    if (st == MM_OK) {
        st = gs_u64(g, &count, "an array length");
    }
    if (st != MM_OK) {
        return st;
    }
    if (et >= GT_COUNT_ || et == GT_ARRAY) {
        return mm_fail(g->err, MM_ERR_MALFORMED, MM_E_GGUF_VALUE_TYPE, g->src->name, NULL, at,
                       et == GT_ARRAY ? "nested arrays are not supported"
                                      : "unknown array element type %u",
                       et);
    }
    if (count > MM_LIMIT_GGUF_ARRAY) {
        return mm_fail(g->err, MM_ERR_LIMIT, MM_E_LIMIT_GGUF_ARRAY, g->src->name, NULL, at + 4,
                       "array of %llu elements, more than the limit of %u",
                       (unsigned long long)count, MM_LIMIT_GGUF_ARRAY);
    }
    snprintf(text, size, "[%llu x %s]", (unsigned long long)count, type_names[et]);
    if (et == GT_STRING) {
        /* each string takes at least its 8-byte length */
        if (count > gs_remain(g) / 8) {
            return gs_truncated(g, "a string array", count * 8 - gs_remain(g));
        }
        for (i = 0; i < count; i++) {
            const char *s;
            uint64_t len;
            st = gs_string(g, 0, MM_LIMIT_GGUF_STRING, MM_E_LIMIT_GGUF_STRING, &s, &len,
                           "an array string");
            if (st != MM_OK) {
                return st;
            }
        }
        return MM_OK;
    }
    if (!mm_mul_u64(&bytes, count, type_size[et]) || bytes > gs_remain(g)) {
        return gs_truncated(g, "an array", 1);
    }
    return gs_skip(g, bytes, "an array");
}

static enum mm_status read_kv(struct gguf_ctx *x)
{
    struct gstream *g = &x->g;
    char key[MM_LIMIT_GGUF_KEY + 1];
    char text[GGUF_KEEP_STRING + 64];
    const char *s;
    uint64_t len;
    uint32_t type;
    uint64_t u = 0;
    int64_t vat;
    enum mm_status st = gs_string(g, MM_LIMIT_GGUF_KEY, MM_LIMIT_GGUF_KEY, MM_E_LIMIT_GGUF_KEY,
                                  &s, &len, "a metadata key");
    if (st != MM_OK) {
        return st;
    }
    memcpy(key, s, (size_t)len + 1);
    vat = (int64_t)gs_offset(g);
    st = gs_u32(g, &type, "a metadata type");
    if (st != MM_OK) {
        return st;
    }
    if (type >= GT_COUNT_) {
        return mm_fail(g->err, MM_ERR_MALFORMED, MM_E_GGUF_VALUE_TYPE, g->src->name, key, vat,
                       "unknown metadata value type %u", type);
    }
    if (type == GT_STRING) {
        st = gs_string(g, GGUF_KEEP_STRING, MM_LIMIT_GGUF_STRING, MM_E_LIMIT_GGUF_STRING, &s,
                       &len, "a metadata string");
        if (st == MM_OK) {
            if (s != NULL) {
                snprintf(text, sizeof(text), "%s", s);
            } else {
                snprintf(text, sizeof(text), "<string of %llu bytes>", (unsigned long long)len);
            }
        }
    } else if (type == GT_ARRAY) {
        st = read_array(x, text, sizeof(text));
    } else {
        st = read_scalar(x, type, text, sizeof(text), &u);
    }
    if (st != MM_OK) {
        return st;
    }
    if (strcmp(key, "general.alignment") == 0) {
        if (type != GT_U32 || u == 0 || (u & (u - 1)) != 0) {
            return mm_fail(g->err, MM_ERR_MALFORMED, MM_E_GGUF_ALIGNMENT, g->src->name, NULL,
                           vat, "general.alignment must be a u32 power of two, found %s %s",
                           type_names[type], text);
        }
        x->alignment = (uint32_t)u;
    }
    if (mm_inv_add_meta(x->inv, key, strlen(key), text, strlen(text), x->file) != MM_OK) {
        return mm_fail_nomem(g->err, g->src->name);
    }
    return MM_OK;
}

struct gtensor {
    uint64_t offset; /* relative to the data section */
    uint64_t nbytes;
    size_t index;    /* in the inventory */
};

static enum mm_status read_tensor_info(struct gguf_ctx *x, struct gtensor *out)
{
    struct gstream *g = &x->g;
    char name[MM_LIMIT_GGUF_NAME + 1];
    uint64_t dims[GGUF_MAX_DIMS];
    uint64_t shape[GGUF_MAX_DIMS];
    uint64_t numel = 1;
    uint64_t nbytes;
    uint64_t off;
    uint32_t n_dims;
    uint32_t type;
    uint32_t i;
    unsigned be;
    unsigned bb;
    const char *s;
    uint64_t len;
    enum mm_dtype dt;
    const int64_t at = (int64_t)gs_offset(g);
    const char *file = g->src->name;
    enum mm_status st = gs_string(g, MM_LIMIT_GGUF_NAME, MM_LIMIT_GGUF_NAME,
                                  MM_E_LIMIT_GGUF_NAME, &s, &len, "a tensor name");
    if (st != MM_OK) {
        return st;
    }
    memcpy(name, s, (size_t)len + 1);
    if (strlen(name) != len) {
        return mm_fail(g->err, MM_ERR_MALFORMED, MM_E_TENSOR_INFO, file, name, at,
                       "tensor name contains a NUL byte");
    }
    st = gs_u32(g, &n_dims, "a tensor's rank");
    if (st != MM_OK) {
        return st;
    }
    if (n_dims > GGUF_MAX_DIMS) {
        return mm_fail(g->err, MM_ERR_MALFORMED, MM_E_LIMIT_RANK, file, name,
                       (int64_t)gs_offset(g) - 4, "%u dimensions, GGUF allows at most %u",
                       n_dims, GGUF_MAX_DIMS);
    }
    for (i = 0; i < n_dims; i++) {
        st = gs_u64(g, &dims[i], "a tensor's dimensions");
        if (st != MM_OK) {
            return st;
        }
        if (dims[i] > MM_LIMIT_DIM) {
            return mm_fail(g->err, MM_ERR_LIMIT, MM_E_LIMIT_DIM, file, name,
                           (int64_t)gs_offset(g) - 8, "dimension exceeds 2^53 (MM_LIMIT_DIM)");
        }
        if (!mm_mul_u64(&numel, numel, dims[i]) ||
            numel > (uint64_t)INT64_MAX) {
            return mm_fail(g->err, MM_ERR_MALFORMED, MM_E_SHAPE_OVERFLOW, file, name,
                           (int64_t)gs_offset(g) - 8, "element count overflows");
        }
        shape[n_dims - 1 - i] = dims[i]; /* outermost first */
    }
    st = gs_u32(g, &type, "a tensor's type");
    if (st != MM_OK) {
        return st;
    }
    dt = ggml_dtype(type);
    if (dt == MM_DTYPE_UNKNOWN || !mm_dtype_block(dt, &be, &bb) || be == 0) {
        return mm_fail(g->err, MM_ERR_UNSUPPORTED, MM_E_DTYPE_UNKNOWN, file, name,
                       (int64_t)gs_offset(g) - 4, "unknown or removed ggml type %u", type);
    }
    if (n_dims > 0 && dims[0] % be != 0) {
        return mm_fail(g->err, MM_ERR_MALFORMED, MM_E_MISALIGNED, file, name, at,
                       "row of %llu elements is not a multiple of the %s block (%u)",
                       (unsigned long long)dims[0], mm_dtype_name(dt), be);
    }
    if (n_dims == 0 && be != 1) {
        return mm_fail(g->err, MM_ERR_MALFORMED, MM_E_MISALIGNED, file, name, at,
                       "a scalar cannot be of block type %s", mm_dtype_name(dt));
    }
    if (!mm_mul_u64(&nbytes, numel / be, bb)) {
        return mm_fail(g->err, MM_ERR_MALFORMED, MM_E_SHAPE_OVERFLOW, file, name, at,
                       "byte size overflows");
    }
    st = gs_u64(g, &off, "a tensor's offset");
    if (st != MM_OK) {
        return st;
    }
    out->offset = off;
    out->nbytes = nbytes;
    st = mm_inv_add_tensor(x->inv, name, (size_t)len, dt, n_dims, shape, numel, x->file, off,
                           nbytes);
    if (st == MM_ERR_LIMIT) {
        return mm_fail(g->err, MM_ERR_LIMIT, MM_E_LIMIT_TENSORS, file, name, at,
                       "more than %u tensors", MM_LIMIT_TENSORS);
    }
    if (st != MM_OK) {
        return mm_fail_nomem(g->err, file);
    }
    out->index = mm_inv_count(x->inv) - 1;
    return MM_OK;
}

static int gt_cmp(const void *a, const void *b)
{
    const struct gtensor *x = a;
    const struct gtensor *y = b;
    if (x->offset != y->offset) {
        return x->offset < y->offset ? -1 : 1;
    }
    return x->index < y->index ? -1 : (x->index > y->index);
}

/* Offsets aligned, inside the file, not overlapping; then made absolute. */
static enum mm_status place_tensors(struct gguf_ctx *x, struct gtensor *ts, size_t n,
                                    uint64_t data_start)
{
    const struct mm_source *src = x->g.src;
    uint64_t end_prev = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        struct mm_tensor *t = mm_inv_tensor_mut(x->inv, ts[i].index);
        uint64_t start;
        uint64_t end;
        if (ts[i].offset % x->alignment != 0) {
            return mm_fail(x->g.err, MM_ERR_MALFORMED, MM_E_OFFSETS_INVALID, src->name, t->name,
                           -1, "offset %llu is not a multiple of the alignment %u",
                           (unsigned long long)ts[i].offset, x->alignment);
        }
        if (!mm_add_u64(&start, data_start, ts[i].offset) ||
            !mm_add_u64(&end, start, ts[i].nbytes) || end > src->size) {
            const bool in_range = mm_add_u64(&start, data_start, ts[i].offset) &&
                                  start <= (uint64_t)INT64_MAX;
            return mm_fail(x->g.err, MM_ERR_MALFORMED, MM_E_DATA_BEYOND_FILE, src->name, t->name,
                           in_range ? (int64_t)start : -1,
                           "data runs past the end of the file (%llu bytes)",
                           (unsigned long long)src->size);
        }
        t->offset = data_start + ts[i].offset;
    }
    qsort(ts, n, sizeof(*ts), gt_cmp);
    for (i = 0; i < n; i++) {
        if (i > 0 && ts[i].offset < end_prev) {
            const struct mm_tensor *t = mm_inv_tensor_mut(x->inv, ts[i].index);
            return mm_fail(x->g.err, MM_ERR_MALFORMED, MM_E_OFFSET_OVERLAP, src->name, t->name,
                           (int64_t)(data_start + ts[i].offset),
                           "data overlaps the previous tensor's");
        }
        end_prev = ts[i].offset + ts[i].nbytes;
    }
    return MM_OK;
}

int mm_gguf_probe(const uint8_t *head, size_t len, uint64_t file_size)
{
    (void)file_size;
    return (len >= 4 && memcmp(head, "GGUF", 4) == 0) ? 100 : 0;
}

static enum mm_status read_header(struct gguf_ctx *x, uint64_t *n_tensors, uint64_t *n_kv)
{
    struct gstream *g = &x->g;
    uint32_t version;
    enum mm_status st = gs_need(g, 24, "the GGUF header");
    if (st != MM_OK) {
        return st;
    }
    g->at = 4; /* magic, checked by the probe */
    version = mm_le32(g->buf + 4);
    if (version == 1 || (version & 0xffffu) == 0 || version > 3) {
        return mm_fail(g->err, MM_ERR_UNSUPPORTED, MM_E_BAD_VERSION, g->src->name, NULL, 4,
                       (version & 0xffffu) == 0 && version != 0
                           ? "GGUF version %u: a big-endian file, which is not supported"
                           : "GGUF version %u is not supported (2 and 3 are)",
                       version);
    }
    g->at = 8;
    *n_tensors = mm_le64(g->buf + 8);
    *n_kv = mm_le64(g->buf + 16);
    g->at = 24;
    /* every metadata entry takes at least 8 + 4 + 1 bytes, every tensor
     * info at least 8 + 4 + 4 + 8 */
    if (*n_kv > MM_LIMIT_GGUF_KV) {
        return mm_fail(g->err, MM_ERR_LIMIT, MM_E_LIMIT_METADATA, g->src->name, NULL, 16,
                       "%llu metadata entries, more than the limit of %u",
                       (unsigned long long)*n_kv, MM_LIMIT_GGUF_KV);
    }
    if (*n_tensors > MM_LIMIT_TENSORS) {
        return mm_fail(g->err, MM_ERR_LIMIT, MM_E_LIMIT_TENSORS, g->src->name, NULL, 8,
                       "%llu tensors, more than the limit of %u",
                       (unsigned long long)*n_tensors, MM_LIMIT_TENSORS);
    }
    if (*n_kv > gs_remain(g) / 13 || *n_tensors > gs_remain(g) / 24) {
        return mm_fail(g->err, MM_ERR_MALFORMED, MM_E_TRUNCATED, g->src->name, NULL,
                       *n_kv > gs_remain(g) / 13 ? 16 : 8,
                       "%llu tensors and %llu metadata entries cannot fit in the file",
                       (unsigned long long)*n_tensors, (unsigned long long)*n_kv);
    }
    return MM_OK;
}

enum mm_status mm_gguf_read(const struct mm_source *src, struct mm_inventory *inv,
                            uint32_t file, struct mm_error *err)
{
    struct gguf_ctx x;
    struct gtensor *ts = NULL;
    uint64_t n_tensors = 0;
    uint64_t n_kv = 0;
    uint64_t i;
    uint64_t data_start;
    enum mm_status st;
    memset(&x, 0, sizeof(x));
    x.g.src = src;
    x.g.err = err;
    x.inv = inv;
    x.file = file;
    x.alignment = GGUF_DEFAULT_ALIGNMENT;
    x.g.buf = malloc(GGUF_BUF);
    if (x.g.buf == NULL) {
        return mm_fail_nomem(err, src->name);
    }
    st = read_header(&x, &n_tensors, &n_kv);
    for (i = 0; st == MM_OK && i < n_kv; i++) {
        st = read_kv(&x);
    }
    if (st == MM_OK && n_tensors > 0) {
        ts = mm_reallocarray(NULL, (size_t)n_tensors, sizeof(*ts));
        if (ts == NULL) {
            st = mm_fail_nomem(err, src->name);
        }
    }
    for (i = 0; st == MM_OK && i < n_tensors; i++) {
        st = read_tensor_info(&x, &ts[i]);
    }
    if (st == MM_OK) {
        const uint64_t end = gs_offset(&x.g);
        data_start = end + (x.alignment - end % x.alignment) % x.alignment;
        if (n_tensors > 0) {
            st = place_tensors(&x, ts, (size_t)n_tensors, data_start);
        }
        if (st == MM_OK) {
            mm_inv_set_file_format(inv, file, "gguf", end);
        }
    }
    free(ts);
    free(x.g.scratch);
    free(x.g.buf);
    return st;
}
