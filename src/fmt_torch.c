/*
 * fmt_torch.c - PyTorch checkpoints, read without Python (pytorch/pytorch
 * torch/serialization.py):
 *  - the zip format (PyTorch >= 1.6): ARCHIVE/data.pkl, ARCHIVE/data/KEY
 *    (one raw storage each, never read), ARCHIVE/version, ARCHIVE/byteorder,
 *    ARCHIVE/.format_version, ARCHIVE/.storage_alignment;
 *  - the legacy format, detected here (a pickle of the magic number
 *    0x1950a86a20f9469cfc6c) and read by torch_legacy.c;
 *  - plain pickles (no torch wrapper), scanned the same way.
 * Persistent ids name storages: ('storage', storage_type, key, location,
 * numel) in the zip format, with a sixth item (view metadata) in the legacy
 * one. Every global the pickle names is classified first (pickle_globals.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "cursor.h"
#include "torch.h"

static const uint8_t legacy_magic[10] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                         0x20, 0x6a, 0xa8, 0x50, 0x19};
#define SMALL_MEMBER 4096u

/* The legacy stream begins PROTO n, [FRAME], LONG1 10 <magic>. */
static bool legacy_head(const uint8_t *head, size_t len)
{
    size_t i = 0;
    if (len < 14 || head[0] != 0x80) {
        return false;
    }
    for (i = 2; i + 12 <= len && i < 16; i++) {
        if (head[i] == 0x8a && head[i + 1] == 10 && memcmp(head + i + 2, legacy_magic, 10) == 0) {
            return true;
        }
    }
    return false;
}

int mm_torch_probe(const uint8_t *head, size_t len, uint64_t file_size)
{
    (void)file_size;
    if (mm_zip_magic(head, len)) {
        return 80; /* a zip: ours unless it lacks data.pkl, said when read */
    }
    if (legacy_head(head, len)) {
        return 100;
    }
    /* a plain pickle: PROTO (any version: an unknown one is reported as
     * such) then an opcode */
    if (len >= 3 && head[0] == 0x80) {
        return 30;
    }
    /* protocols 0 and 1 have no PROTO: a dict, list or tuple built first */
    if (len >= 3 && (head[0] == '(' || head[0] == '}' || head[0] == ']') &&
        strchr("dltpqS(VIFNJK", head[1]) != NULL && head[1] != '\0') {
        return 10;
    }
    return 0;
}

static const struct {
    const char *name;
    enum mm_dtype dtype;
} storage_types[] = {
    {"FloatStorage", MM_DTYPE_F32},
    {"HalfStorage", MM_DTYPE_F16},
    {"BFloat16Storage", MM_DTYPE_BF16},
    {"DoubleStorage", MM_DTYPE_F64},
    {"LongStorage", MM_DTYPE_I64},
    {"IntStorage", MM_DTYPE_I32},
    {"ShortStorage", MM_DTYPE_I16},
    {"CharStorage", MM_DTYPE_I8},
    {"ByteStorage", MM_DTYPE_U8},
    {"BoolStorage", MM_DTYPE_BOOL},
    {"ComplexFloatStorage", MM_DTYPE_C64},
    {"ComplexDoubleStorage", MM_DTYPE_C128},
    {"UntypedStorage", MM_DTYPE_U8},
    {"UInt16Storage", MM_DTYPE_U16},
    {"UInt32Storage", MM_DTYPE_U32},
    {"UInt64Storage", MM_DTYPE_U64},
    {"Float8_e5m2Storage", MM_DTYPE_F8_E5M2},
    {"Float8_e4m3fnStorage", MM_DTYPE_F8_E4M3},
    {"Float8_e5m2fnuzStorage", MM_DTYPE_F8_E5M2FNUZ},
    {"Float8_e4m3fnuzStorage", MM_DTYPE_F8_E4M3FNUZ},
    {"Float8_e8m0fnuStorage", MM_DTYPE_F8_E8M0},
};

static const struct {
    const char *name;
    enum mm_dtype dtype;
} dtype_names[] = {
    {"float32", MM_DTYPE_F32},     {"float", MM_DTYPE_F32},
    {"float16", MM_DTYPE_F16},     {"half", MM_DTYPE_F16},
    {"bfloat16", MM_DTYPE_BF16},   {"float64", MM_DTYPE_F64},
    {"double", MM_DTYPE_F64},      {"int64", MM_DTYPE_I64},
    {"long", MM_DTYPE_I64},        {"int32", MM_DTYPE_I32},
    {"int", MM_DTYPE_I32},         {"int16", MM_DTYPE_I16},
    {"short", MM_DTYPE_I16},       {"int8", MM_DTYPE_I8},
    {"uint8", MM_DTYPE_U8},        {"bool", MM_DTYPE_BOOL},
    {"complex64", MM_DTYPE_C64},   {"cfloat", MM_DTYPE_C64},
    {"complex128", MM_DTYPE_C128}, {"cdouble", MM_DTYPE_C128},
    {"uint16", MM_DTYPE_U16},      {"uint32", MM_DTYPE_U32},
    {"uint64", MM_DTYPE_U64},      {"float8_e5m2", MM_DTYPE_F8_E5M2},
    {"float8_e4m3fn", MM_DTYPE_F8_E4M3}, {"float8_e5m2fnuz", MM_DTYPE_F8_E5M2FNUZ},
    {"float8_e4m3fnuz", MM_DTYPE_F8_E4M3FNUZ}, {"float8_e8m0fnu", MM_DTYPE_F8_E8M0},
};

enum mm_dtype mm_torch_storage_dtype(const char *name, size_t len)
{
    size_t i = 0;
    for (i = 0; i < sizeof(storage_types) / sizeof(storage_types[0]); i++) {
        if (strlen(storage_types[i].name) == len && memcmp(storage_types[i].name, name, len) == 0) {
            return storage_types[i].dtype;
        }
    }
    return MM_DTYPE_UNKNOWN;
}

enum mm_dtype mm_torch_dtype(const char *name, size_t len)
{
    size_t i = 0;
    for (i = 0; i < sizeof(dtype_names) / sizeof(dtype_names[0]); i++) {
        if (strlen(dtype_names[i].name) == len && memcmp(dtype_names[i].name, name, len) == 0) {
            return dtype_names[i].dtype;
        }
    }
    return MM_DTYPE_UNKNOWN;
}

/* ---- Globals ------------------------------------------------------------------ */

/* Whether `full` was reported before (*seen), remembering it; at most
 * MM_LIMIT_PROBLEMS distinct globals are reported per file. */
static enum mm_status already_warned(struct mm_tctx *x, const char *full, bool *seen)
{
    size_t i = 0;
    char *copy;
    *seen = x->nwarned >= MM_LIMIT_PROBLEMS;
    for (i = 0; i < x->nwarned && !*seen; i++) {
        *seen = strcmp(x->warned[i], full) == 0;
    }
    if (*seen) {
        return MM_OK;
    }
    copy = strdup(full);
    if (copy == NULL ||
        !mm_grow((void **)&x->warned, &x->warned_cap, x->nwarned + 1, sizeof(char *))) {
        free(copy);
        return MM_ERR_NOMEM;
    }
    x->warned[x->nwarned++] = copy;
    return MM_OK;
}

enum mm_status mm_torch_on_global(void *ctx, const char *module, size_t mlen,
                                  const char *name, size_t nlen, uint64_t at,
                                  struct mm_error *err)
{
    struct mm_tctx *x = ctx;
    const enum mm_global_class cls = mm_pickle_classify(module, mlen, name, nlen);
    char full[200];
    char msg[MM_ERROR_MESSAGE_MAX + 64];
    bool seen = false;
    if (cls == MM_GLOBAL_SAFE) {
        return MM_OK;
    }
    snprintf(full, sizeof(full), "%.*s.%.*s", (int)(mlen > 95 ? 95 : mlen), module,
             (int)(nlen > 95 ? 95 : nlen), name);
    if (cls == MM_GLOBAL_UNSAFE && !mm_inv_allow_unsafe_pickle(x->inv)) {
        return mm_fail(err, MM_ERR_UNSAFE, MM_E_UNSAFE_GLOBAL, x->src->name, NULL, (int64_t)at,
                       "pickle imports %s, which can run code: refused (nothing was run; "
                       "--allow-unsafe-pickle reads the file anyway)",
                       full);
    }
    if (already_warned(x, full, &seen) != MM_OK) {
        return mm_fail_nomem(err, x->src->name);
    }
    if (seen) {
        return MM_OK;
    }
    snprintf(msg, sizeof(msg),
             cls == MM_GLOBAL_UNSAFE
                 ? "pickle imports %s, which can run code (not run)"
                 : "pickle imports %s, not a tensor-checkpoint global (not run)",
             full);
    if (mm_inv_add_warning(x->inv, cls == MM_GLOBAL_UNSAFE ? MM_E_UNSAFE_GLOBAL
                                                           : MM_E_UNKNOWN_GLOBAL,
                           x->file, (int64_t)at, msg) != MM_OK) {
        return mm_fail_nomem(err, x->src->name);
    }
    return MM_OK;
}

/* ---- Storages ------------------------------------------------------------------- */

static enum mm_status bad_pid(struct mm_tctx *x, uint64_t at, const char *tensor,
                              const char *what)
{
    return mm_fail(x->err, MM_ERR_MALFORMED, MM_E_TORCH_INVALID, x->src->name, tensor,
                   (int64_t)at, "persistent id: %s", what);
}

/* The slot of `key` in the storage table: its storage, or a free slot. */
static size_t storage_slot(const struct mm_tctx *x, const char *key, size_t len)
{
    size_t k = (size_t)mm_hash_bytes(key, len) & (x->nslots - 1);
    while (x->slots[k] != 0) {
        const struct mm_tstorage *o = &x->st[x->slots[k] - 1];
        if (o->key_len == len && memcmp(o->key, key, len) == 0) {
            break;
        }
        k = (k + 1) & (x->nslots - 1);
    }
    return k;
}

/* The storage called `key`, or NULL. */
struct mm_tstorage *mm_torch_find_storage(const struct mm_tctx *x, const char *key, size_t len)
{
    size_t k = 0;
    if (x->nslots == 0) {
        return NULL;
    }
    k = storage_slot(x, key, len);
    return x->slots[k] == 0 ? NULL : &x->st[x->slots[k] - 1];
}

static enum mm_status add_storage(size_t *index, struct mm_tctx *x, const struct mm_tstorage *s)
{
    size_t k = 0;
    if (x->nst * 2 + 2 > x->nslots) {
        size_t n = x->nslots == 0 ? 64 : x->nslots * 2;
        uint32_t *slots = calloc(n, sizeof(*slots));
        size_t i = 0;
        if (slots == NULL) {
            return mm_fail_nomem(x->err, x->src->name);
        }
        free(x->slots);
        x->slots = slots;
        x->nslots = n;
        for (i = 0; i < x->nst; i++) {
            x->slots[storage_slot(x, x->st[i].key, x->st[i].key_len)] = (uint32_t)(i + 1);
        }
    }
    k = storage_slot(x, s->key, s->key_len);
    if (x->slots[k] != 0) {
        *index = x->slots[k] - 1;
        return MM_OK;
    }
    if (!mm_grow((void **)&x->st, &x->st_cap, x->nst + 1, sizeof(*x->st))) {
        return mm_fail_nomem(x->err, x->src->name);
    }
    x->st[x->nst] = *s;
    x->slots[k] = (uint32_t)(x->nst + 1);
    *index = x->nst++;
    return MM_OK;
}

enum mm_status mm_torch_persid(size_t *index, struct mm_tctx *x, uint32_t pid,
                               const char *tensor)
{
    const struct mm_pk_node *p = mm_pk_node(&x->pk, pid);
    const struct mm_pk_node *t = NULL;
    const struct mm_pk_node *k[6];
    struct mm_tstorage s;
    unsigned i;
    if (p == NULL || p->kind != MM_PK_PERSID) {
        return mm_fail(x->err, MM_ERR_MALFORMED, MM_E_TORCH_INVALID, x->src->name, tensor,
                       p == NULL ? -1 : (int64_t)mm_pk_at(&x->pk, p),
                       "tensor storage is not a persistent id");
    }
    t = mm_pk_node(&x->pk, p->v.kids[0]);
    if (t->kind != MM_PK_TUPLE || t->n < 5 || t->n > 6) {
        return bad_pid(x, mm_pk_at(&x->pk, p), tensor,
                       "not a ('storage', type, key, location, numel) tuple");
    }
    for (i = 0; i < t->n; i++) {
        k[i] = mm_pk_node(&x->pk, t->v.kids[i]);
    }
    if (k[0]->kind != MM_PK_STR || strcmp(mm_pk_str(&x->pk, k[0]), "storage") != 0) {
        return bad_pid(x, mm_pk_at(&x->pk, p), tensor, "first item is not 'storage'");
    }
    if (k[1]->kind != MM_PK_GLOBAL) {
        return bad_pid(x, mm_pk_at(&x->pk, p), tensor, "storage type is not a global");
    }
    memset(&s, 0, sizeof(s));
    if (t->v.kids[1] != x->type_node) {
        x->type_node = t->v.kids[1];
        x->type_dtype = mm_torch_storage_dtype(mm_pk_str(&x->pk, k[1]) + k[1]->n + 1,
                                               k[1]->v.s.len - k[1]->n - 1);
    }
    s.dtype = x->type_dtype;
    if (s.dtype == MM_DTYPE_UNKNOWN) {
        return mm_fail(x->err, MM_ERR_UNSUPPORTED, MM_E_TORCH_UNSUPPORTED, x->src->name, tensor,
                       (int64_t)mm_pk_at(&x->pk, p), "storage type %s is not supported",
                       mm_pk_str(&x->pk, k[1]));
    }
    if ((k[2]->kind != MM_PK_STR && k[2]->kind != MM_PK_INT) || k[4]->kind != MM_PK_INT ||
        k[4]->v.i < 0) {
        return bad_pid(x, mm_pk_at(&x->pk, p), tensor, "key or element count of the wrong type");
    }
    if (k[2]->kind == MM_PK_STR) {
        s.key = mm_pk_str(&x->pk, k[2]);
        s.key_len = k[2]->v.s.len;
    } else {
        return bad_pid(x, mm_pk_at(&x->pk, p), tensor, "storage key is not a string");
    }
    s.numel = (uint64_t)k[4]->v.i;
    s.at = mm_pk_at(&x->pk, p);
    return add_storage(index, x, &s);
}

/* zip: the storage is the member ARCHIVE/data/KEY. */
static enum mm_status locate_zip(struct mm_tctx *x, struct mm_tstorage *s, const char *tensor)
{
    char name[600];
    const struct mm_zip_entry *e = NULL;
    const unsigned bits = mm_dtype_bits(s->dtype);
    uint64_t need = 0;
    enum mm_status st;
    const int n = snprintf(name, sizeof(name), "%.*sdata/%.*s", (int)x->prefix_len, x->prefix,
                           (int)(s->key_len > 500 ? 500 : s->key_len), s->key);
    e = (n > 0 && (size_t)n < sizeof(name)) ? mm_zip_find(&x->zip, name, (size_t)n) : NULL;
    if (e == NULL) {
        return mm_fail(x->err, MM_ERR_MALFORMED, MM_E_STORAGE_MISSING, x->src->name, tensor,
                       (int64_t)s->at, "storage %s is not in the archive (no member %s)",
                       s->key, name);
    }
    st = mm_zip_data_start(&s->data_start, &x->zip, x->src, e, x->err);
    if (st != MM_OK) {
        return st;
    }
    if (!mm_mul_u64(&need, s->numel, bits / 8) || need > e->size) {
        return mm_fail(x->err, MM_ERR_MALFORMED, MM_E_SIZE_MISMATCH, x->src->name, tensor,
                       (int64_t)s->at, "storage %s holds %llu elements of %u bytes but its "
                       "member has %llu bytes",
                       s->key, (unsigned long long)s->numel, bits / 8,
                       (unsigned long long)e->size);
    }
    s->bytes = e->size;
    s->located = 1;
    return MM_OK;
}

enum mm_status mm_torch_storage(struct mm_tstorage **out, struct mm_tctx *x, uint32_t pid,
                                const char *tensor)
{
    size_t i = 0;
    enum mm_status st;
    if (x->kind == MM_TORCH_PLAIN) {
        const struct mm_pk_node *p = mm_pk_node(&x->pk, pid);
        return mm_fail(x->err, MM_ERR_MALFORMED, MM_E_STORAGE_MISSING, x->src->name, tensor,
                       p == NULL ? -1 : (int64_t)mm_pk_at(&x->pk, p),
                       "a plain pickle has no storages for its tensors");
    }
    st = mm_torch_persid(&i, x, pid, tensor);
    if (st != MM_OK) {
        return st;
    }
    if (!x->st[i].located) {
        if (x->kind == MM_TORCH_ZIP) {
            st = locate_zip(x, &x->st[i], tensor);
        } else {
            st = mm_fail(x->err, MM_ERR_MALFORMED, MM_E_STORAGE_MISSING, x->src->name, tensor,
                         (int64_t)x->st[i].at,
                         "storage %s is not in the file's list of storage keys", x->st[i].key);
        }
        if (st != MM_OK) {
            return st;
        }
    }
    *out = &x->st[i];
    return MM_OK;
}

/* ---- The zip format ---------------------------------------------------------------- */

/* ARCHIVE/data.pkl: the member whose name is one folder then data.pkl. */
static const struct mm_zip_entry *find_data_pkl(const struct mm_zip *z)
{
    size_t i = 0;
    for (i = 0; i < z->n; i++) {
        const struct mm_zip_entry *e = &z->entries[i];
        const char *slash = memchr(e->name, '/', e->name_len);
        if (slash != NULL && strcmp(slash + 1, "data.pkl") == 0) {
            return e;
        }
    }
    return NULL;
}

/* Reads a small member such as ARCHIVE/byteorder when present. */
static enum mm_status small_member(struct mm_tctx *x, const char *leaf, uint8_t **out,
                                   size_t *len)
{
    char name[600];
    const struct mm_zip_entry *e = NULL;
    snprintf(name, sizeof(name), "%.*s%s", (int)x->prefix_len, x->prefix, leaf);
    e = mm_zip_find(&x->zip, name, strlen(name));
    *out = NULL;
    *len = 0;
    if (e == NULL) {
        return MM_OK;
    }
    return mm_zip_read(out, len, &x->zip, x->src, e, SMALL_MEMBER, MM_E_ZIP_INVALID, x->err);
}

static enum mm_status check_small_members(struct mm_tctx *x)
{
    static const char *const leaves[] = {"version", ".data/version", "byteorder",
                                         ".format_version", ".storage_alignment"};
    size_t i = 0;
    for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
        uint8_t *d = NULL;
        size_t len = 0;
        const enum mm_status st = small_member(x, leaves[i], &d, &len);
        if (st != MM_OK) {
            return st;
        }
        if (d != NULL && i == 2 && !(len == 6 && memcmp(d, "little", 6) == 0) &&
            !(len == 3 && memcmp(d, "big", 3) == 0)) {
            free(d);
            return mm_fail(x->err, MM_ERR_MALFORMED, MM_E_TORCH_INVALID, x->src->name, NULL, -1,
                           "byteorder member is neither 'little' nor 'big'");
        }
        free(d);
    }
    return MM_OK;
}

static enum mm_status read_zip(struct mm_tctx *x, uint64_t *header_bytes)
{
    const struct mm_zip_entry *pkl = NULL;
    uint8_t *data = NULL;
    size_t len = 0;
    uint64_t start = 0;
    enum mm_status st = mm_zip_open(&x->zip, x->src, x->err);
    if (st != MM_OK) {
        return st;
    }
    pkl = find_data_pkl(&x->zip);
    if (pkl == NULL) {
        const bool script = mm_zip_find(&x->zip, "constants.pkl", 13) != NULL;
        return mm_fail(x->err, MM_ERR_UNSUPPORTED, MM_E_ZIP_MEMBER_MISSING, x->src->name, NULL,
                       -1, script ? "a TorchScript archive, not a checkpoint: not read"
                                  : "zip archive without ARCHIVE/data.pkl: not a PyTorch "
                                    "checkpoint");
    }
    x->prefix = pkl->name;
    x->prefix_len = (size_t)((const char *)memchr(pkl->name, '/', pkl->name_len) - pkl->name) + 1;
    st = check_small_members(x);
    if (st == MM_OK) {
        st = mm_zip_read(&data, &len, &x->zip, x->src, pkl, MM_LIMIT_PICKLE_BYTES,
                         MM_E_LIMIT_PICKLE_BYTES, x->err);
    }
    if (st == MM_OK) {
        st = mm_zip_data_start(&start, &x->zip, x->src, pkl, x->err);
    }
    if (st == MM_OK) {
        st = mm_pickle_run(&x->pk, data, len, start, x->src->name, mm_torch_on_global, x,
                           x->err);
    }
    free(data);
    *header_bytes = pkl->comp_size;
    return st;
}

/* ---- Plain pickles and the reader ------------------------------------------------------ */

static enum mm_status read_plain(struct mm_tctx *x, uint64_t *header_bytes)
{
    uint8_t *buf = NULL;
    enum mm_status st;
    if (x->src->size > MM_LIMIT_PICKLE_BYTES) {
        return mm_fail(x->err, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_BYTES, x->src->name, NULL, 0,
                       "pickle of %llu bytes (limit %u)", (unsigned long long)x->src->size,
                       MM_LIMIT_PICKLE_BYTES);
    }
    buf = malloc((size_t)x->src->size);
    if (buf == NULL) {
        return mm_fail_nomem(x->err, x->src->name);
    }
    st = mm_source_read(x->src, 0, buf, (size_t)x->src->size, MM_E_TRUNCATED, x->err);
    if (st == MM_OK) {
        st = mm_pickle_run(&x->pk, buf, (size_t)x->src->size, 0, x->src->name,
                           mm_torch_on_global, x, x->err);
    }
    free(buf);
    *header_bytes = x->pk.consumed;
    return st;
}

enum mm_status mm_torch_read(const struct mm_source *src, struct mm_inventory *inv,
                             uint32_t file, struct mm_error *err)
{
    struct mm_tctx x;
    uint8_t head[MM_PROBE_BYTES];
    size_t got = 0;
    uint64_t header_bytes = 0;
    size_t i = 0;
    enum mm_status st;
    memset(&x, 0, sizeof(x));
    x.src = src;
    x.inv = inv;
    x.file = file;
    x.err = err;
    x.pk.root = MM_PK_NO_NODE;
    x.type_node = MM_PK_NO_NODE;
    st = mm_source_read_some(src, 0, head, sizeof(head), &got, err);
    if (st != MM_OK) {
        return st;
    }
    if (mm_zip_magic(head, got)) {
        x.kind = MM_TORCH_ZIP;
        st = read_zip(&x, &header_bytes);
    } else if (legacy_head(head, got)) {
        x.kind = MM_TORCH_LEGACY;
        st = mm_torch_read_legacy(&x, &header_bytes);
    } else {
        x.kind = MM_TORCH_PLAIN;
        st = read_plain(&x, &header_bytes);
    }
    if (st == MM_OK) {
        st = mm_torch_walk(&x);
    }
    if (st == MM_OK) {
        mm_inv_set_file_format(inv, file, x.kind == MM_TORCH_PLAIN ? "pickle" : "pytorch",
                               header_bytes);
    }
    mm_pickle_free(&x.pk);
    mm_zip_free(&x.zip);
    free(x.st);
    free(x.slots);
    for (i = 0; i < x.nwarned; i++) {
        free(x.warned[i]);
    }
    free(x.warned);
    return st;
}
