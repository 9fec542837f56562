/*
 * partial.c - the tensors of shards that are not there, estimated, so that
 * a model whose download stopped half-way still gets a memory estimate
 * (load option allow_missing_shards). The index names every tensor and its
 * shard but gives no shape; a missing tensor is sized, in this order:
 *  1. as the tensor of the same name in another layer that is present:
 *     names compared with every run of digits as a wildcard
 *     (model.layers.17.mlp.up_proj.weight ~ model.layers.0.mlp...), since
 *     the layers of a model repeat;
 *  2. an embedding or LM head (*embed_tokens.weight, *lm_head.weight,
 *     *wte.weight, *word_embeddings.weight, *embed_in.weight,
 *     *embed_out.weight): [vocab_size, hidden_size] from config.json;
 *  3. the rest share what the index's metadata.total_size leaves once the
 *     present bytes and the tensors sized above are taken off, equally, as
 *     one dimension in the dtype that holds most of the present bytes;
 *  4. with nothing left to share (or no total_size): shape [0].
 * An index none of whose shards is there gives nothing to estimate from:
 * the first shard's error, as without the option. The estimated tensors
 * sit in the missing shard's file entry (format "missing"), at offset 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "model/target.h"

/* `name` with every run of digits as '#', in out (MM_LIMIT_NAME + 1). */
static size_t pattern(char *out, const char *name)
{
    size_t n = 0;
    const char *p = name;
    while (*p != '\0' && n < MM_LIMIT_NAME) {
        if (*p >= '0' && *p <= '9') {
            while (*p >= '0' && *p <= '9') {
                p++;
            }
            out[n++] = '#';
            continue;
        }
        out[n++] = *p++;
    }
    out[n] = '\0';
    return n;
}

struct slot {
    uint64_t hash;
    size_t tensor; /* + 1; 0 = empty */
};

/* The present tensors by pattern: an open-addressing table. */
struct templates {
    struct slot *slots;
    size_t mask;
};

static enum mm_status templates_build(struct templates *t, struct mm_inventory *inv, size_t n)
{
    char buf[MM_LIMIT_NAME + 1];
    size_t cap = 16;
    size_t i;
    while (cap < 2 * n + 2) {
        cap *= 2;
    }
    t->slots = calloc(cap, sizeof(*t->slots));
    t->mask = cap - 1;
    if (t->slots == NULL) {
        return MM_ERR_NOMEM;
    }
    for (i = 0; i < n; i++) {
        const struct mm_tensor *tn = mm_inv_tensor_mut(inv, i);
        const size_t len = pattern(buf, tn->name);
        const uint64_t h = mm_hash_bytes(buf, len);
        size_t k = (size_t)h & t->mask;
        while (t->slots[k].tensor != 0 && t->slots[k].hash != h) {
            k = (k + 1) & t->mask;
        }
        if (t->slots[k].tensor == 0) { /* the first tensor of a pattern is its template */
            t->slots[k].hash = h;
            t->slots[k].tensor = i + 1;
        }
    }
    return MM_OK;
}

/* The present tensor whose pattern is `name`'s, or -1. A hash match is
 * checked against the pattern itself. */
static long templates_find(const struct templates *t, struct mm_inventory *inv,
                           const char *name)
{
    char want[MM_LIMIT_NAME + 1];
    char got[MM_LIMIT_NAME + 1];
    const size_t len = pattern(want, name);
    const uint64_t h = mm_hash_bytes(want, len);
    size_t k = (size_t)h & t->mask;
    while (t->slots[k].tensor != 0) {
        if (t->slots[k].hash == h) {
            const size_t i = t->slots[k].tensor - 1;
            pattern(got, mm_inv_tensor_mut(inv, i)->name);
            return strcmp(got, want) == 0 ? (long)i : -1;
        }
        k = (k + 1) & t->mask;
    }
    return -1;
}

static bool ends_with(const char *s, const char *suffix)
{
    const size_t a = strlen(s);
    const size_t b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool is_embedding(const char *name)
{
    static const char *const ends[] = {"embed_tokens.weight", "lm_head.weight", "wte.weight",
                                       "word_embeddings.weight", "embed_in.weight",
                                       "embed_out.weight"};
    size_t i;
    for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
        if (ends_with(name, ends[i])) {
            return true;
        }
    }
    return false;
}

/* The dtype holding most of the first n tensors' bytes, a whole number of
 * bytes per element (BF16 when none is). */
static enum mm_dtype main_dtype(struct mm_inventory *inv, size_t n)
{
    uint64_t bytes[MM_DTYPE_COUNT_];
    enum mm_dtype best = MM_DTYPE_BF16;
    size_t i;
    unsigned d;
    memset(bytes, 0, sizeof(bytes));
    for (i = 0; i < n; i++) {
        const struct mm_tensor *t = mm_inv_tensor_mut(inv, i);
        const unsigned bits = mm_dtype_bits(t->dtype);
        if (bits != 0 && bits % 8 == 0 && !mm_add_u64(&bytes[t->dtype], bytes[t->dtype],
                                                      t->nbytes)) {
            bytes[t->dtype] = UINT64_MAX;
        }
    }
    for (d = 1; d < MM_DTYPE_COUNT_; d++) {
        if (bytes[d] > bytes[best]) {
            best = (enum mm_dtype)d;
        }
    }
    return best;
}

struct fill {
    struct mm_inventory *inv;
    struct mm_plan *pl;
    size_t id;
    size_t present;        /* tensors read from files (the first ones) */
    struct templates tpl;
    enum mm_dtype dtype;   /* for what no template sizes */
    uint64_t vocab;
    uint64_t hidden;
    uint64_t sized_bytes;  /* estimated so far */
    size_t unsized;        /* entries left for the total_size share */
};

/* Adds entry e of the index as a tensor of its missing shard's file; pass
 * 0 sizes by template or config (counting what it cannot), pass 1 gives
 * the rest `share` elements each. */
static enum mm_status add_entry(struct fill *f, size_t e, int pass, uint64_t share)
{
    const struct mm_plan_index *pi = &f->pl->indexes[f->id];
    const char *name = pi->index.names + pi->index.name_at[e];
    const size_t job = pi->first_job + pi->index.shard_of[e];
    char full[MM_LIMIT_NAME + 1];
    uint64_t shape[MM_LIMIT_RANK];
    uint32_t rank = 1;
    enum mm_dtype dtype = f->dtype;
    uint64_t numel = 0;
    uint64_t nbytes = 0;
    const int n = snprintf(full, sizeof(full), "%s%s", pi->prefix, name);
    long t;
    if (n < 0 || (size_t)n >= sizeof(full)) {
        return MM_ERR_LIMIT;
    }
    if (pi->seen[e]) {
        return MM_OK; /* sized in pass 0 */
    }
    t = pass == 0 ? templates_find(&f->tpl, f->inv, full) : -1;
    if (t >= 0) {
        const struct mm_tensor *tt = mm_inv_tensor_mut(f->inv, (size_t)t);
        rank = tt->rank;
        memcpy(shape, mm_inv_shape(f->inv, (size_t)t), rank * sizeof(uint64_t));
        dtype = tt->dtype;
        numel = tt->numel;
        nbytes = tt->nbytes;
    } else if (pass == 0 && is_embedding(full) && f->vocab > 0 && f->hidden > 0 &&
               mm_mul_u64(&numel, f->vocab, f->hidden) &&
               mm_mul_u64(&nbytes, numel, mm_dtype_bits(dtype) / 8)) {
        rank = 2;
        shape[0] = f->vocab;
        shape[1] = f->hidden;
    } else if (pass == 0) {
        f->unsized++;
        return MM_OK;
    } else {
        shape[0] = share;
        numel = share;
        nbytes = share * (mm_dtype_bits(dtype) / 8);
    }
    if (!mm_add_u64(&f->sized_bytes, f->sized_bytes, nbytes)) {
        return MM_ERR_LIMIT;
    }
    pi->seen[e] = 1;
    return mm_inv_add_tensor(f->inv, full, (size_t)n, dtype, rank, shape, numel, (uint32_t)job,
                             0, nbytes);
}

/* Bytes the present tensors of the index's shards hold. */
static uint64_t present_bytes(const struct fill *f)
{
    const struct mm_plan_index *pi = &f->pl->indexes[f->id];
    uint64_t sum = 0;
    size_t i;
    for (i = 0; i < f->present; i++) {
        const struct mm_tensor *t = mm_inv_tensor_mut(f->inv, i);
        if (t->file >= pi->first_job && t->file < pi->first_job + pi->index.nshards &&
            !mm_add_u64(&sum, sum, t->nbytes)) {
            return UINT64_MAX;
        }
    }
    return sum;
}

static enum mm_status fill_entries(struct fill *f)
{
    const struct mm_plan_index *pi = &f->pl->indexes[f->id];
    const struct mm_index *ix = &pi->index;
    const unsigned width = mm_dtype_bits(f->dtype) / 8;
    uint64_t share = 0;
    uint64_t taken;
    size_t e;
    enum mm_status st = MM_OK;
    for (e = 0; st == MM_OK && e < ix->nentries; e++) {
        if (f->pl->jobs[pi->first_job + ix->shard_of[e]].missing) {
            st = add_entry(f, e, 0, 0);
        }
    }
    if (st != MM_OK || f->unsized == 0) {
        return st;
    }
    if (ix->has_total_size && width > 0 &&
        mm_add_u64(&taken, present_bytes(f), f->sized_bytes) && taken < ix->total_size) {
        share = (ix->total_size - taken) / width / f->unsized;
    }
    for (e = 0; st == MM_OK && e < ix->nentries; e++) {
        if (f->pl->jobs[pi->first_job + ix->shard_of[e]].missing) {
            st = add_entry(f, e, 1, share);
        }
    }
    return st;
}

enum mm_status mm_partial_fill(struct mm_inventory *inv, struct mm_plan *pl, size_t id,
                               struct mm_error *err)
{
    struct mm_plan_index *pi = &pl->indexes[id];
    struct mm_config *cfg = NULL;
    struct fill f;
    size_t i;
    size_t missing = 0;
    enum mm_status st;
    for (i = 0; i < pi->index.nshards; i++) {
        missing += pl->jobs[pi->first_job + i].missing ? 1 : 0;
    }
    if (missing == 0) {
        return MM_OK;
    }
    if (missing == pi->index.nshards) {
        /* nothing to estimate from: the first shard's error, as without
         * allow_missing_shards */
        const struct mm_job *jb = &pl->jobs[pi->first_job];
        if (jb->err == NULL) {
            return mm_fail_nomem(err, jb->path);
        }
        if (err != NULL) {
            *err = *jb->err;
        }
        return jb->err->status;
    }
    memset(&f, 0, sizeof(f));
    f.inv = inv;
    f.pl = pl;
    f.id = id;
    f.present = mm_inv_count(inv);
    f.dtype = main_dtype(inv, f.present);
    /* config.json beside the index; any failure to read it leaves the
     * embeddings to the total_size share */
    st = mm_config_load_for(&cfg, pi->path, NULL);
    if (st == MM_ERR_NOMEM) {
        return mm_fail_nomem(err, pi->path);
    }
    if (cfg != NULL) {
        f.vocab = mm_config_geometry(cfg)->vocab;
        f.hidden = mm_config_geometry(cfg)->hidden;
        mm_config_free(cfg);
    }
    st = templates_build(&f.tpl, inv, f.present);
    if (st == MM_OK) {
        st = fill_entries(&f);
    }
    free(f.tpl.slots);
    if (st == MM_ERR_NOMEM) {
        return mm_fail_nomem(err, pi->path);
    }
    if (st != MM_OK) {
        return mm_fail(err, st, st == MM_ERR_LIMIT ? MM_E_LIMIT_TENSORS : MM_E_SHAPE_OVERFLOW,
                       pi->path, NULL, -1, "the missing shards' tensors cannot be estimated");
    }
    return MM_OK;
}
