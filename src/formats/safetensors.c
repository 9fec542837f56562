/*
 * safetensors.c - the safetensors reader.
 *
 * Layout (huggingface/safetensors README, safetensors/src/tensor.rs): an
 * 8-byte little-endian header length N, N bytes of UTF-8 JSON, then the
 * data buffer. The JSON maps tensor names to {"dtype", "shape",
 * "data_offsets": [begin, end]} (offsets relative to the buffer) and may
 * hold "__metadata__", an object of string to string. We check what the
 * reference checks: N <= 100,000,000 and within the file, UTF-8, a JSON
 * object, known dtypes, integral dimensions, numel x size == end - begin,
 * offsets contiguous from 0 without gap or overlap, and 8 + N + last end ==
 * file size. Only the length and the header are read.
 */
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/json_scan.h"
#include "formats/readers.h"

/* The most tensors reserved ahead from a header's length (mm_inv_reserve):
 * 4096 records are ~350 KiB, a few shards' worth; past that, growing costs
 * little against the parsing. */
#define ST_RESERVE_MAX 4096u

struct span {
    uint64_t begin;
    uint64_t end;
    size_t tensor; /* index in the inventory */
};

struct st_ctx {
    struct mm_json j;
    const struct mm_source *src;
    struct mm_inventory *inv;
    uint32_t file;
    uint64_t data_start; /* 8 + N */
    uint64_t data_size;  /* file size - data_start */
    struct span *spans;
    size_t nspans;
    size_t spans_cap;
    char *key;   /* the current tensor name, when it had to be copied */
    size_t key_cap;
    /* __metadata__ keys seen: open addressing over inventory meta indices
     * (+ 1; 0 is empty), so that a repeated key is found in O(1), not by a
     * scan of every earlier key (10^5 keys took 48 s that way) */
    size_t *meta_slots;
    size_t meta_cap;
    uint64_t meta_seed;
    /* the last dtype name the compact form read, and its dtype: a header
     * lists its tensors by dtype, so the next is most often the same */
    char last_dtype[16];
    size_t last_dtype_len;
    enum mm_dtype last;
};

int mm_safetensors_probe(const uint8_t *head, size_t len, uint64_t file_size)
{
    uint64_t n;
    size_t i;
    if (len < 9 || file_size < 9) {
        return 0;
    }
    n = mm_le64(head);
    if (n == 0 || n > MM_LIMIT_HEADER_BYTES || n > file_size - 8) {
        return 0;
    }
    for (i = 8; i < len; i++) {
        const uint8_t ch = head[i];
        if (ch == '{') {
            return 100;
        }
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
            return 0;
        }
    }
    return 0;
}

static enum mm_status fail_at(struct st_ctx *x, enum mm_errcode code, const char *name,
                              size_t name_len, int64_t offset, const char *fmt, ...)
    MM_PRINTF(6, 7);

static enum mm_status fail_at(struct st_ctx *x, enum mm_errcode code, const char *name,
                              size_t name_len, int64_t offset, const char *fmt, ...)
{
    va_list ap;
    enum mm_status st;
    va_start(ap, fmt);
    st = mm_vfailn(x->j.err, MM_ERR_MALFORMED, code, x->src->name, name, name_len, offset, fmt,
                   ap);
    va_end(ap);
    return st;
}

/* "shape": [d0, d1, ...] */
static enum mm_status read_shape(struct st_ctx *x, const char *name, size_t name_len,
                                 uint64_t *dims, uint32_t *rank)
{
    struct mm_json *j = &x->j;
    bool first = true;
    bool more;
    enum mm_status st;
    *rank = 0;
    if (mm_json_peek(j) != '[') {
        return fail_at(x, MM_E_TENSOR_INFO, name, name_len, mm_json_offset(j),
                       "%s is not an array", "shape");
    }
    j->c.pos++;
    for (;;) {
        struct mm_jnum num;
        int64_t at;
        st = mm_json_more(j, ']', &first, &more);
        if (st != MM_OK || !more) {
            return st;
        }
        at = mm_json_offset(j);
        if (mm_json_peek(j) != '-' && (mm_json_peek(j) < '0' || mm_json_peek(j) > '9')) {
            return fail_at(x, MM_E_DIM_INVALID, name, name_len, at,
                           "%s holds a non-number dimension", "shape");
        }
        st = mm_json_number(j, &num);
        if (st != MM_OK) {
            return st;
        }
        if (!num.is_int || num.negative) {
            return fail_at(x, MM_E_DIM_INVALID, name, name_len, at,
                           "dimension is not a non-negative integer");
        }
        if (num.overflow || num.u > MM_LIMIT_DIM) {
            return mm_failn(j->err, MM_ERR_LIMIT, MM_E_LIMIT_DIM, x->src->name, name, name_len,
                            at, "dimension exceeds 2^53 (MM_LIMIT_DIM)");
        }
        if (*rank >= MM_LIMIT_RANK) {
            return mm_failn(j->err, MM_ERR_LIMIT, MM_E_LIMIT_RANK, x->src->name, name, name_len,
                            at, "more than %u dimensions", MM_LIMIT_RANK);
        }
        dims[(*rank)++] = num.u;
    }
}

/* "data_offsets": [begin, end] */
static enum mm_status read_offsets(struct st_ctx *x, const char *name, size_t name_len,
                                   uint64_t *begin, uint64_t *end)
{
    struct mm_json *j = &x->j;
    bool first = true;
    bool more;
    uint64_t v[2];
    size_t n = 0;
    enum mm_status st;
    const int64_t at0 = mm_json_offset(j);
    if (mm_json_peek(j) != '[') {
        return fail_at(x, MM_E_OFFSETS_INVALID, name, name_len, at0, "%s is not an array",
                       "data_offsets");
    }
    j->c.pos++;
    for (;;) {
        struct mm_jnum num;
        const int64_t at = mm_json_offset(j);
        st = mm_json_more(j, ']', &first, &more);
        if (st != MM_OK) {
            return st;
        }
        if (!more) {
            break;
        }
        if (mm_json_peek(j) != '-' && (mm_json_peek(j) < '0' || mm_json_peek(j) > '9')) {
            return fail_at(x, MM_E_OFFSETS_INVALID, name, name_len, at,
                           "%s holds a non-number", "data_offsets");
        }
        st = mm_json_number(j, &num);
        if (st != MM_OK) {
            return st;
        }
        if (!num.is_int || num.negative || num.overflow || n >= 2) {
            return fail_at(x, MM_E_OFFSETS_INVALID, name, name_len, at,
                           "%s must be two non-negative integers", "data_offsets");
        }
        v[n++] = num.u;
    }
    if (n != 2) {
        return fail_at(x, MM_E_OFFSETS_INVALID, name, name_len, at0,
                       "%s must be two non-negative integers", "data_offsets");
    }
    *begin = v[0];
    *end = v[1];
    return MM_OK;
}

/* Checks one tensor's numbers and appends it. */
static enum mm_status add_tensor(struct st_ctx *x, const char *name, size_t name_len,
                                 int64_t at, enum mm_dtype dtype, const uint64_t *dims,
                                 uint32_t rank, uint64_t begin, uint64_t end)
{
    struct mm_error *err = x->j.err;
    uint64_t numel = 1;
    uint64_t bits;
    uint32_t i;
    enum mm_status st;
    struct span *sp;
    for (i = 0; i < rank; i++) {
        if (!mm_mul_u64(&numel, numel, dims[i])) {
            return fail_at(x, MM_E_SHAPE_OVERFLOW, name, name_len, at,
                           "%s overflows 64 bits", "the shape's element count");
        }
    }
    if (begin > end) {
        return fail_at(x, MM_E_OFFSET_REVERSED, name, name_len, at,
                       "%s: begin is after end", "data_offsets");
    }
    if (!mm_mul_u64(&bits, numel, mm_dtype_bits(dtype))) {
        return fail_at(x, MM_E_SHAPE_OVERFLOW, name, name_len, at,
                       "%s overflows 64 bits", "the tensor's size in bits");
    }
    if (bits % 8 != 0) {
        return fail_at(x, MM_E_MISALIGNED, name, name_len, at,
                       "%s is not a whole number of bytes", "the tensor");
    }
    if (bits / 8 != end - begin) {
        return mm_failn(err, MM_ERR_MALFORMED, MM_E_SIZE_MISMATCH, x->src->name, name,
                        name_len, at,
                        "data_offsets span %llu bytes but shape and dtype need %llu",
                        (unsigned long long)(end - begin), (unsigned long long)(bits / 8));
    }
    if (end > x->data_size) {
        return mm_failn(err, MM_ERR_MALFORMED, MM_E_DATA_BEYOND_FILE, x->src->name, name,
                        name_len, (int64_t)(x->data_start + begin),
                        "data ends at byte %llu, past the end of the file (%llu bytes)",
                        (unsigned long long)(x->data_start + end),
                        (unsigned long long)x->src->size);
    }
    if (name_len > MM_LIMIT_NAME) {
        return mm_failn(err, MM_ERR_LIMIT, MM_E_LIMIT_NAME, x->src->name, NULL, 0, at,
                        "tensor name longer than %u bytes", MM_LIMIT_NAME);
    }
    if (!mm_grow((void **)&x->spans, &x->spans_cap, x->nspans + 1, sizeof(*x->spans))) {
        return mm_fail_nomem(err, x->src->name);
    }
    st = mm_inv_add_tensor(x->inv, name, name_len, dtype, rank, dims, numel, x->file,
                           x->data_start + begin, end - begin);
    if (st == MM_ERR_LIMIT) {
        return mm_failn(err, MM_ERR_LIMIT, MM_E_LIMIT_TENSORS, x->src->name, name, name_len, at,
                        "more than %u tensors", MM_LIMIT_TENSORS);
    }
    if (st != MM_OK) {
        return mm_fail_nomem(err, x->src->name);
    }
    sp = &x->spans[x->nspans++];
    sp->begin = begin;
    sp->end = end;
    sp->tensor = mm_inv_count(x->inv) - 1;
    return MM_OK;
}

/* ---- The compact form ----------------------------------------------------
 * Every writer we know (safetensors' serializer, in Rust and Python)
 * writes a tensor entry as {"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}
 * with no space. That form is read here with no general JSON machinery;
 * anything else (a space, an escape, another member order, a number this
 * does not take) leaves the cursor where it was and read_tensor reads the
 * entry the general way, with the same results and errors. */

static bool take(struct mm_json *j, const char *lit, size_t n)
{
    if (j->c.len - j->c.pos < n || memcmp(j->c.p + j->c.pos, lit, n) != 0) {
        return false;
    }
    j->c.pos += n;
    return true;
}

/* A plain non-negative integer of at most 15 digits (below 2^53), without
 * a leading zero, fraction or exponent. */
static bool take_uint(struct mm_json *j, uint64_t *v)
{
    const uint8_t *p = j->c.p + j->c.pos;
    const size_t avail = j->c.len - j->c.pos;
    const size_t max = avail < 16 ? avail : 16;
    size_t n = 0;
    uint64_t u = 0;
    while (n < max && (unsigned)(p[n] - '0') < 10u) {
        u = u * 10 + (uint64_t)(p[n] - '0');
        n++;
    }
    if (n == 0 || n > 15 || (p[0] == '0' && n > 1) || n == avail || p[n] == '.' ||
        p[n] == 'e' || p[n] == 'E') {
        return false;
    }
    j->c.pos += n;
    *v = u;
    return true;
}

/* "dtype":"NAME" up to the closing quote, a dtype safetensors knows. */
static bool take_dtype(struct st_ctx *x, enum mm_dtype *dtype)
{
    struct mm_json *j = &x->j;
    const uint8_t *p = j->c.p + j->c.pos;
    size_t n = 0;
    while (n < 16 && j->c.pos + n < j->c.len && p[n] != '"' && p[n] != '\\' && p[n] >= 0x20) {
        n++;
    }
    if (j->c.pos + n >= j->c.len || p[n] != '"') {
        return false;
    }
    if (n != x->last_dtype_len || memcmp(p, x->last_dtype, n) != 0) {
        x->last = mm_dtype_from_name((const char *)p, n);
        x->last_dtype_len = n;
        memcpy(x->last_dtype, p, n);
    }
    *dtype = x->last;
    if (mm_dtype_bits(*dtype) == 0) {
        return false;
    }
    j->c.pos += n;
    return true;
}

static bool take_shape(struct mm_json *j, uint64_t *dims, uint32_t *rank)
{
    *rank = 0;
    if (take(j, "]", 1)) {
        return true;
    }
    for (;;) {
        if (*rank >= MM_LIMIT_RANK || !take_uint(j, &dims[*rank])) {
            return false;
        }
        (*rank)++;
        if (take(j, "]", 1)) {
            return true;
        }
        if (!take(j, ",", 1)) {
            return false;
        }
    }
}

/* *done when the entry had the compact form (then the status is
 * add_tensor's); else the cursor is back where it was. */
static enum mm_status read_tensor_compact(struct st_ctx *x, const char *name, size_t name_len,
                                          int64_t at, bool *done)
{
    struct mm_json *j = &x->j;
    const size_t start = j->c.pos;
    uint64_t dims[MM_LIMIT_RANK];
    uint32_t rank;
    uint64_t begin;
    uint64_t end;
    enum mm_dtype dtype;
    *done = take(j, "{\"dtype\":\"", 10) && take_dtype(x, &dtype) &&
            take(j, "\",\"shape\":[", 11) && take_shape(j, dims, &rank) &&
            take(j, ",\"data_offsets\":[", 17) && take_uint(j, &begin) && take(j, ",", 1) &&
            take_uint(j, &end) && take(j, "]}", 2);
    if (!*done) {
        j->c.pos = start;
        return MM_OK;
    }
    return add_tensor(x, name, name_len, at, dtype, dims, rank, begin, end);
}

/* One tensor entry: {"dtype": ..., "shape": [...], "data_offsets": [...]}.
 * Unknown members are ignored, as the reference does; repeated ones are
 * an error, as serde's derived struct reading makes them. */
static enum mm_status read_tensor(struct st_ctx *x, const char *name, size_t name_len,
                                  int64_t at)
{
    struct mm_json *j = &x->j;
    uint64_t dims[MM_LIMIT_RANK];
    uint32_t rank = 0;
    uint64_t begin = 0;
    uint64_t end = 0;
    enum mm_dtype dtype = MM_DTYPE_UNKNOWN;
    bool have_dtype = false;
    bool have_shape = false;
    bool have_offsets = false;
    bool first = true;
    bool more;
    bool done;
    enum mm_status st = read_tensor_compact(x, name, name_len, at, &done);
    if (done) {
        return st;
    }
    if (mm_json_peek(j) != '{') {
        return fail_at(x, MM_E_TENSOR_INFO, name, name_len, mm_json_offset(j),
                       "%s is not an object", "tensor entry");
    }
    j->c.pos++;
    for (;;) {
        const char *k;
        size_t klen;
        int64_t kat;
        bool *seen = NULL;
        st = mm_json_member(j, &first, &more, &k, &klen, &kat);
        if (st != MM_OK) {
            return st;
        }
        if (!more) {
            break;
        }
        if (klen == 5 && memcmp(k, "dtype", 5) == 0) {
            const char *d;
            size_t dlen;
            const int64_t dat = mm_json_offset(j);
            seen = &have_dtype;
            if (!have_dtype) {
                if (mm_json_peek(j) != '"') {
                    return fail_at(x, MM_E_TENSOR_INFO, name, name_len, dat,
                                   "%s is not a string", "dtype");
                }
                st = mm_json_string(j, &d, &dlen);
                if (st != MM_OK) {
                    return st;
                }
                dtype = mm_dtype_from_name(d, dlen);
                /* ggml's block types are not safetensors dtypes */
                if (mm_dtype_bits(dtype) == 0) {
                    char shown[32];
                    const size_t n = dlen < sizeof(shown) - 1 ? dlen : sizeof(shown) - 1;
                    memcpy(shown, d, n);
                    shown[n] = '\0';
                    return fail_at(x, MM_E_DTYPE_UNKNOWN, name, name_len, dat,
                                   "unknown dtype \"%s\"", shown);
                }
            }
        } else if (klen == 5 && memcmp(k, "shape", 5) == 0) {
            seen = &have_shape;
            if (!have_shape) {
                st = read_shape(x, name, name_len, dims, &rank);
            }
        } else if (klen == 12 && memcmp(k, "data_offsets", 12) == 0) {
            seen = &have_offsets;
            if (!have_offsets) {
                st = read_offsets(x, name, name_len, &begin, &end);
            }
        } else {
            st = mm_json_skip(j, 2);
        }
        if (st != MM_OK) {
            return st;
        }
        if (seen != NULL) {
            if (*seen) {
                return fail_at(x, MM_E_DUPLICATE_KEY, name, name_len, kat,
                               "member \"%s\" appears twice in the tensor entry",
                               seen == &have_dtype    ? "dtype"
                               : seen == &have_shape ? "shape"
                                                     : "data_offsets");
            }
            *seen = true;
        }
    }
    if (!have_dtype || !have_shape || !have_offsets) {
        return fail_at(x, MM_E_TENSOR_INFO, name, name_len, at, "tensor entry lacks \"%s\"",
                       !have_dtype ? "dtype" : !have_shape ? "shape" : "data_offsets");
    }
    return add_tensor(x, name, name_len, at, dtype, dims, rank, begin, end);
}

/* The slot of key k in the table: where it is, or the empty one where it
 * would go. */
static size_t meta_slot(const struct st_ctx *x, const char *k, size_t klen)
{
    size_t h = (size_t)mm_hash_seeded(x->meta_seed, k, klen) & (x->meta_cap - 1);
    while (x->meta_slots[h] != 0) {
        const struct mm_meta *m = mm_inventory_meta(x->inv, x->meta_slots[h] - 1);
        if (strncmp(m->key, k, klen) == 0 && m->key[klen] == '\0') {
            break;
        }
        h = (h + 1) & (x->meta_cap - 1);
    }
    return h;
}

/* Makes room for n keys, keeping the table at most half full; a new table
 * is filled again from the file's entries so far (from `first`). */
static bool meta_reserve(struct st_ctx *x, size_t first, size_t n)
{
    size_t cap = x->meta_cap == 0 ? 64 : x->meta_cap;
    size_t i;
    if (n * 2 < x->meta_cap) {
        return true;
    }
    while (n * 2 >= cap) {
        if (!mm_mul_size(&cap, cap, 2)) {
            return false;
        }
    }
    free(x->meta_slots);
    x->meta_slots = calloc(cap, sizeof(*x->meta_slots));
    x->meta_seed = mm_hash_seed(x->meta_slots);
    x->meta_cap = x->meta_slots == NULL ? 0 : cap;
    if (x->meta_slots == NULL) {
        return false;
    }
    for (i = first; i < mm_inventory_meta_count(x->inv); i++) {
        const char *key = mm_inventory_meta(x->inv, i)->key;
        x->meta_slots[meta_slot(x, key, strlen(key))] = i + 1;
    }
    return true;
}

/* "__metadata__": {"key": "value", ...} */
static enum mm_status read_metadata(struct st_ctx *x)
{
    struct mm_json *j = &x->j;
    bool first = true;
    bool more;
    enum mm_status st;
    const size_t meta_before = mm_inventory_meta_count(x->inv);
    if (mm_json_peek(j) != '{') {
        return mm_fail(j->err, MM_ERR_MALFORMED, MM_E_METADATA_TYPE, x->src->name, NULL,
                       mm_json_offset(j), "__metadata__ is not an object");
    }
    j->c.pos++;
    for (;;) {
        const char *k;
        size_t klen;
        const char *v;
        size_t vlen;
        int64_t kat;
        size_t slot;
        st = mm_json_member(j, &first, &more, &k, &klen, &kat);
        if (st != MM_OK || !more) {
            return st;
        }
        st = mm_json_keep(j, &k, klen, &x->key, &x->key_cap);
        if (st != MM_OK) {
            return st;
        }
        if (mm_json_peek(j) != '"') {
            return mm_fail(j->err, MM_ERR_MALFORMED, MM_E_METADATA_TYPE, x->src->name, NULL,
                           mm_json_offset(j), "__metadata__ value is not a string");
        }
        st = mm_json_string(j, &v, &vlen);
        if (st != MM_OK) {
            return st;
        }
        if (!meta_reserve(x, meta_before, mm_inventory_meta_count(x->inv) - meta_before + 1)) {
            return mm_fail_nomem(j->err, x->src->name);
        }
        slot = meta_slot(x, k, klen);
        if (x->meta_slots[slot] != 0) {
            return mm_fail(j->err, MM_ERR_MALFORMED, MM_E_DUPLICATE_KEY, x->src->name, NULL, kat,
                           "__metadata__ key \"%s\" appears twice",
                           mm_inventory_meta(x->inv, x->meta_slots[slot] - 1)->key);
        }
        if (mm_inv_add_meta(x->inv, k, klen, v, vlen, x->file) != MM_OK) {
            return mm_fail_nomem(j->err, x->src->name);
        }
        x->meta_slots[slot] = mm_inventory_meta_count(x->inv);
    }
}

static int span_cmp(const void *a, const void *b)
{
    const struct span *x = a;
    const struct span *y = b;
    if (x->begin != y->begin) {
        return x->begin < y->begin ? -1 : 1;
    }
    if (x->end != y->end) {
        return x->end < y->end ? -1 : 1;
    }
    return x->tensor < y->tensor ? -1 : (x->tensor > y->tensor);
}

/* Offsets must tile [0, last end) exactly, and the file must end there. */
static enum mm_status check_layout(struct st_ctx *x)
{
    uint64_t expect = 0;
    size_t i;
    bool sorted = true;
    for (i = 1; i < x->nspans && sorted; i++) {
        sorted = span_cmp(&x->spans[i - 1], &x->spans[i]) <= 0;
    }
    if (!sorted) {
        qsort(x->spans, x->nspans, sizeof(*x->spans), span_cmp);
    }
    for (i = 0; i < x->nspans; i++) {
        const struct span *s = &x->spans[i];
        const char *name = mm_inv_tensor_mut(x->inv, s->tensor)->name;
        if (s->begin > expect) {
            return mm_fail(x->j.err, MM_ERR_MALFORMED, MM_E_OFFSET_GAP, x->src->name, name,
                           (int64_t)(x->data_start + expect),
                           "%llu bytes before this tensor belong to no tensor",
                           (unsigned long long)(s->begin - expect));
        }
        if (s->begin < expect) {
            return mm_fail(x->j.err, MM_ERR_MALFORMED, MM_E_OFFSET_OVERLAP, x->src->name, name,
                           (int64_t)(x->data_start + s->begin),
                           "data overlaps the previous tensor's by %llu bytes",
                           (unsigned long long)(expect - s->begin));
        }
        expect = s->end;
    }
    if (expect != x->data_size) {
        return mm_fail(x->j.err, MM_ERR_MALFORMED, MM_E_TRAILING_BYTES, x->src->name, NULL,
                       (int64_t)(x->data_start + expect),
                       "%llu bytes after the last tensor's data belong to no tensor",
                       (unsigned long long)(x->data_size - expect));
    }
    return MM_OK;
}

static enum mm_status parse_header(struct st_ctx *x)
{
    struct mm_json *j = &x->j;
    bool first = true;
    bool more;
    bool have_meta = false;
    enum mm_status st;
    const int c0 = mm_json_peek(j);
    if (c0 != '{') {
        if (c0 == '[' || c0 == '"' || c0 == 't' || c0 == 'f' || c0 == 'n' || c0 == '-' ||
            (c0 >= '0' && c0 <= '9')) {
            return mm_fail(j->err, MM_ERR_MALFORMED, MM_E_JSON_NOT_OBJECT, x->src->name, NULL,
                           mm_json_offset(j), "header is JSON but not an object");
        }
        return mm_json_syntax(j, "header must be a JSON object");
    }
    j->c.pos++;
    for (;;) {
        const char *k;
        size_t klen;
        int64_t kat;
        st = mm_json_member(j, &first, &more, &k, &klen, &kat);
        if (st != MM_OK) {
            return st;
        }
        if (!more) {
            break;
        }
        if (klen == 12 && memcmp(k, "__metadata__", 12) == 0) {
            if (have_meta) {
                return mm_fail(j->err, MM_ERR_MALFORMED, MM_E_DUPLICATE_KEY, x->src->name,
                               NULL, kat, "__metadata__ appears twice");
            }
            have_meta = true;
            st = read_metadata(x);
        } else {
            st = mm_json_keep(j, &k, klen, &x->key, &x->key_cap);
            if (st == MM_OK) {
                st = read_tensor(x, k, klen, kat);
            }
        }
        if (st != MM_OK) {
            return st;
        }
    }
    if (mm_json_peek(j) != -1) {
        return mm_json_syntax(j, "trailing characters after the header object");
    }
    return MM_OK;
}

enum mm_status mm_safetensors_read(const struct mm_source *src, struct mm_inventory *inv,
                                   uint32_t file, struct mm_error *err)
{
    uint8_t lenbuf[8];
    uint64_t n;
    uint8_t *header = NULL;
    size_t bad;
    size_t hint;
    enum mm_status st;
    struct st_ctx x;
    memset(&x, 0, sizeof(x));
    x.src = src;
    x.inv = inv;
    x.file = file;
    if (src->size < 8) {
        return mm_fail(err, MM_ERR_MALFORMED, MM_E_HEADER_TOO_SMALL, src->name, NULL, 0,
                       "file has %llu bytes, too few for the 8-byte header length",
                       (unsigned long long)src->size);
    }
    st = mm_source_read(src, 0, lenbuf, 8, MM_E_HEADER_TOO_SMALL, err);
    if (st != MM_OK) {
        return st;
    }
    n = mm_le64(lenbuf);
    if (n > MM_LIMIT_HEADER_BYTES) {
        return mm_fail(err, MM_ERR_LIMIT, MM_E_HEADER_TOO_LARGE, src->name, NULL, 0,
                       "header length %llu exceeds the limit of %u bytes",
                       (unsigned long long)n, MM_LIMIT_HEADER_BYTES);
    }
    if (n > src->size - 8) {
        return mm_fail(err, MM_ERR_MALFORMED, MM_E_HEADER_LENGTH, src->name, NULL, 0,
                       "header length %llu runs past the end of the file (%llu bytes)",
                       (unsigned long long)n, (unsigned long long)src->size);
    }
    header = malloc(n == 0 ? 1 : (size_t)n);
    if (header == NULL) {
        return mm_fail_nomem(err, src->name);
    }
    st = mm_source_read(src, 8, header, (size_t)n, MM_E_HEADER_LENGTH, err);
    if (st != MM_OK) {
        goto out;
    }
    if (!mm_utf8_valid(header, (size_t)n, &bad)) {
        st = mm_fail(err, MM_ERR_MALFORMED, MM_E_HEADER_UTF8, src->name, NULL,
                     (int64_t)(8 + bad), "header is not valid UTF-8");
        goto out;
    }
    /* A tensor entry of a real checkpoint takes 100 bytes of header or
     * more (a name, "dtype", "shape", "data_offsets" and their values):
     * room for that many, up to ST_RESERVE_MAX, saves growing step by step
     * (a header of shorter entries grows as before). */
    hint = n / 96 < ST_RESERVE_MAX ? (size_t)(n / 96) : ST_RESERVE_MAX;
    if (mm_inv_reserve(inv, hint) != MM_OK ||
        !mm_grow((void **)&x.spans, &x.spans_cap, hint, sizeof(*x.spans))) {
        st = mm_fail_nomem(err, src->name);
        goto out;
    }
    x.data_start = 8 + n;
    x.data_size = src->size - x.data_start;
    mm_json_init(&x.j, header, (size_t)n, 8, src->name, err);
    st = parse_header(&x);
    if (st == MM_OK) {
        st = check_layout(&x);
    }
    if (st == MM_OK) {
        mm_inv_set_file_format(inv, file, "safetensors", 8 + n);
    }
    mm_json_fini(&x.j);
out:
    free(x.spans);
    free(x.meta_slots);
    free(x.key);
    free(header);
    return st;
}
