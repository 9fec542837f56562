/*
 * torch_storage.c - what the PyTorch reader's three walkers share (torch.h):
 * storage and dtype names (torch/storage.py, torch/_utils.py), persistent
 * ids ('storage', storage_type, key, location, numel[, view]) parsed into
 * storage records, and each storage located in the file (zip: its member
 * ARCHIVE/data/KEY, never read). It calls nothing above it: checkpoint.c,
 * torch_legacy.c and torch_walk.c build on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "formats/torch/torch.h"

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
