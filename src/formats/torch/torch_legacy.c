/*
 * torch_legacy.c - PyTorch's legacy format (before 1.6, torch/serialization.py
 * _legacy_save): pickles of the magic number, the protocol version (1001)
 * and the sys info, the object pickle, a pickle of the storage keys, then
 * each storage as an 8-byte little-endian element count and its raw bytes.
 * The pickles are read from the start of the file (more of it while they
 * run out), every one scanned for globals; the storages are walked by
 * reading only their counts.
 */
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/cursor.h"
#include "formats/torch/torch.h"

#define LEGACY_FIRST_READ (1u << 20)

/* Runs the pickles at the start of the file, reading more of it while they
 * run out: pickles[i] is run i. */
static enum mm_status legacy_pickles(struct mm_tctx *x, struct mm_pickle pk[5], uint64_t *end)
{
    uint64_t want = LEGACY_FIRST_READ;
    for (;;) {
        const uint64_t limit = (uint64_t)MM_LIMIT_PICKLE_BYTES;
        const size_t len = (size_t)(x->src->size < want ? x->src->size : want);
        uint8_t *buf = malloc(len == 0 ? 1 : len);
        size_t at = 0;
        unsigned i;
        enum mm_status st;
        if (buf == NULL) {
            return mm_fail_nomem(x->err, x->src->name);
        }
        st = mm_source_read(x->src, 0, buf, len, MM_E_TRUNCATED, x->err);
        for (i = 0; st == MM_OK && i < 5; i++) {
            st = mm_pickle_run(&pk[i], buf + at, len - at, at, x->src->name,
                               mm_torch_on_global, x, x->err);
            if (st == MM_OK) {
                at += pk[i].consumed;
            }
        }
        free(buf);
        if (st == MM_OK) {
            *end = at;
            return MM_OK;
        }
        for (i = 0; i < 5; i++) {
            const int ran_out = pk[i].ran_out;
            mm_pickle_free(&pk[i]);
            if (ran_out && len < x->src->size && len < limit) {
                want = want * 4 > limit ? limit : want * 4;
                st = MM_OK;
            }
        }
        if (st != MM_OK) {
            return st;
        }
    }
}

/* Storages follow the key list in its order: count, then count elements. */
static enum mm_status legacy_storages(struct mm_tctx *x, const struct mm_pickle *keys,
                                      uint64_t pos)
{
    const struct mm_pk_node *list = mm_pk_node(keys, keys->root);
    uint32_t i = 0;
    if (list == NULL || list->kind != MM_PK_LIST) {
        return mm_fail(x->err, MM_ERR_MALFORMED, MM_E_TORCH_INVALID, x->src->name, NULL,
                       (int64_t)pos, "legacy checkpoint: storage keys are not a list");
    }
    for (i = 0; i < list->n; i++) {
        const struct mm_pk_node *k = mm_pk_node(keys, list->v.kids[i]);
        struct mm_tstorage *s;
        uint8_t b[8];
        uint64_t bytes = 0;
        uint64_t end = 0;
        enum mm_status st;
        if (k->kind != MM_PK_STR) {
            return mm_fail(x->err, MM_ERR_MALFORMED, MM_E_TORCH_INVALID, x->src->name, NULL,
                           (int64_t)mm_pk_at(keys, k),
                           "legacy checkpoint: a storage key is not a string");
        }
        s = mm_torch_find_storage(x, mm_pk_str(keys, k), k->v.s.len);
        if (s == NULL) {
            return mm_fail(x->err, MM_ERR_MALFORMED, MM_E_STORAGE_MISSING, x->src->name, NULL,
                           (int64_t)mm_pk_at(keys, k),
                           "legacy checkpoint: storage %s is listed but no tensor names it",
                           mm_pk_str(keys, k));
        }
        st = mm_source_read(x->src, pos, b, 8, MM_E_TRUNCATED, x->err);
        if (st != MM_OK) {
            return st;
        }
        if (!mm_mul_u64(&bytes, mm_le64(b), mm_dtype_bits(s->dtype) / 8) ||
            !mm_add_u64(&end, pos + 8, bytes) || end > x->src->size) {
            return mm_fail(x->err, MM_ERR_MALFORMED, MM_E_DATA_BEYOND_FILE, x->src->name, NULL,
                           (int64_t)pos, "legacy checkpoint: storage %s of %llu elements "
                           "extends past the end of the file", s->key,
                           (unsigned long long)mm_le64(b));
        }
        if (mm_le64(b) != s->numel) {
            return mm_fail(x->err, MM_ERR_MALFORMED, MM_E_SIZE_MISMATCH, x->src->name, NULL,
                           (int64_t)pos, "legacy checkpoint: storage %s holds %llu elements, "
                           "its persistent id says %llu", s->key,
                           (unsigned long long)mm_le64(b), (unsigned long long)s->numel);
        }
        s->data_start = pos + 8;
        s->bytes = bytes;
        s->located = 1;
        pos = end;
    }
    return MM_OK;
}

/* Every persistent id of the object pickle, as storage records. */
/* A persistent id ('module', class, source file, source), which the legacy
 * format writes for a pickled nn.Module's class: no storage. */
static bool module_pid(const struct mm_tctx *x, const struct mm_pk_node *pid)
{
    const struct mm_pk_node *t = mm_pk_node(&x->pk, pid->v.kids[0]);
    const struct mm_pk_node *first =
        t != NULL && t->kind == MM_PK_TUPLE && t->n > 0 ? mm_pk_node(&x->pk, t->v.kids[0]) : NULL;
    return first != NULL && first->kind == MM_PK_STR &&
           strcmp(mm_pk_str(&x->pk, first), "module") == 0;
}

static enum mm_status legacy_collect(struct mm_tctx *x)
{
    size_t i = 0;
    for (i = 0; i < x->pk.n; i++) {
        if (x->pk.nodes[i].kind == MM_PK_PERSID && !module_pid(x, &x->pk.nodes[i])) {
            size_t idx = 0;
            const enum mm_status st = mm_torch_persid(&idx, x, (uint32_t)i, NULL);
            if (st != MM_OK) {
                return st;
            }
        }
    }
    return MM_OK;
}

/* The protocol version pickle (1001) and the sys info's byte order:
 * torch/serialization.py _legacy_save. */
static enum mm_status legacy_header(struct mm_tctx *x, const struct mm_pickle pk[5])
{
    const struct mm_pk_node *v = mm_pk_node(&pk[1], pk[1].root);
    const struct mm_pk_node *info = mm_pk_node(&pk[2], pk[2].root);
    uint32_t i = 0;
    if (v == NULL || v->kind != MM_PK_INT || v->v.i != 1001) {
        return mm_fail(x->err, MM_ERR_UNSUPPORTED, MM_E_BAD_VERSION, x->src->name, NULL,
                       v == NULL ? -1 : (int64_t)mm_pk_at(&pk[1], v),
                       "legacy checkpoint: protocol version is not 1001");
    }
    for (i = 0; info != NULL && info->kind == MM_PK_DICT && i + 1 < info->n; i += 2) {
        const struct mm_pk_node *k = mm_pk_node(&pk[2], info->v.kids[i]);
        const struct mm_pk_node *val = mm_pk_node(&pk[2], info->v.kids[i + 1]);
        if (k->kind == MM_PK_STR && strcmp(mm_pk_str(&pk[2], k), "little_endian") == 0 &&
            val->kind == MM_PK_BOOL && val->v.i == 0) {
            return mm_fail(x->err, MM_ERR_UNSUPPORTED, MM_E_BAD_VERSION, x->src->name, NULL,
                           (int64_t)mm_pk_at(&pk[2], val),
                           "legacy checkpoint written on a big-endian machine: not read");
        }
    }
    return MM_OK;
}

enum mm_status mm_torch_read_legacy(struct mm_tctx *x, uint64_t *header_bytes)
{
    struct mm_pickle pk[5];
    uint64_t end = 0;
    unsigned i;
    enum mm_status st;
    memset(pk, 0, sizeof(pk));
    st = legacy_pickles(x, pk, &end);
    if (st == MM_OK) {
        st = legacy_header(x, pk);
    }
    if (st != MM_OK) {
        for (i = 0; i < 5; i++) {
            mm_pickle_free(&pk[i]);
        }
        return st;
    }
    x->pk = pk[3];
    memset(&pk[3], 0, sizeof(pk[3]));
    st = legacy_collect(x);
    if (st == MM_OK) {
        st = legacy_storages(x, &pk[4], end);
    }
    for (i = 0; i < 5; i++) {
        mm_pickle_free(&pk[i]);
    }
    *header_bytes = end;
    return st;
}
