/*
 * accel.c - accelerate estimate-memory's arithmetic over the real
 * tensors (huggingface/accelerate src/accelerate/commands/estimate.py):
 *   total(float32)   = elements x 4 bytes; float16/bfloat16 /2, int8 /4,
 *                      int4 /8 (rounded up to a whole byte);
 *   largest layer    = the biggest group of tensors that accelerate would
 *                      place as one unit, found from the names;
 *   training (Adam)  = max of accelerate's stages computed on the float32
 *                      total B: 4B for float32, 2B for float16/bfloat16,
 *                      N/A for int8/int4.
 * A pure function: const inventory in, result out. A figure past 2^64 - 1
 * is MM_ERR_LIMIT, never a clamped value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/internal.h"

static const char *const est_names[MM_EST_DTYPE_COUNT_] = {
    [MM_EST_FLOAT32] = "float32", [MM_EST_FLOAT16] = "float16",
    [MM_EST_BFLOAT16] = "bfloat16", [MM_EST_INT8] = "int8", [MM_EST_INT4] = "int4",
};

const char *mm_est_dtype_name(enum mm_est_dtype d)
{
    return (unsigned)d < MM_EST_DTYPE_COUNT_ ? est_names[d] : "unknown";
}

enum mm_status mm_est_dtype_parse(enum mm_est_dtype *out, const char *name, size_t len)
{
    unsigned i;
    for (i = 0; i < MM_EST_DTYPE_COUNT_; i++) {
        if (strlen(est_names[i]) == len && memcmp(est_names[i], name, len) == 0) {
            *out = (enum mm_est_dtype)i;
            return MM_OK;
        }
    }
    return MM_ERR_INVALID_ARG;
}

static bool all_digits(const char *s, size_t n)
{
    size_t i;
    if (n == 0) {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

size_t mm_layer_group_len(const char *name)
{
    const char *last_dot = NULL;
    size_t start = 0;
    size_t i;
    for (i = 0;; i++) {
        if (name[i] == '\0' || name[i] == '.') {
            if (all_digits(name + start, i - start)) {
                return i;
            }
            if (name[i] == '\0') {
                break;
            }
            last_dot = name + i;
            start = i + 1;
        }
    }
    return last_dot != NULL ? (size_t)(last_dot - name) : i;
}

struct group {
    const char *name; /* borrowed from the inventory */
    size_t len;
    bool layer; /* ends in a segment of digits */
    uint64_t params;
    uint64_t bytes;
};

/* True when g's last segment is all digits ("model.layers.3"): the first
 * such segment ended it (mm_layer_group_len). */
static bool ends_in_digits(const char *name, size_t len)
{
    size_t i = len;
    while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9') {
        i--;
    }
    return i < len && (i == 0 || name[i - 1] == '.');
}

/* True when `name`'s group is g, found without mm_layer_group_len: g ends
 * in a segment of digits and `name` begins with g and a dot, so the same
 * segments come first and the same one is the first all digits. */
static bool same_layer(const struct group *g, const char *name)
{
    return g->layer && strncmp(name, g->name, g->len) == 0 && name[g->len] == '.';
}

static bool add_to(struct group *g, const struct mm_tensor *t)
{
    return mm_add_u64(&g->params, g->params, t->numel) &&
           mm_add_u64(&g->bytes, g->bytes, t->nbytes);
}

/* Sums elements per group; returns the largest (the first one on ties).
 * MM_ERR_LIMIT when a group's sum passes 2^64 - 1. */
static enum mm_status largest_group(const struct mm_inventory *inv, struct group *best,
                                    struct group *best_stored)
{
    const size_t n = mm_inventory_tensor_count(inv);
    size_t cap = 16;
    size_t *slots;
    struct group *groups;
    size_t ngroups = 0;
    struct group *last = NULL; /* the previous tensor's */
    uint64_t seed;
    enum mm_status st = MM_OK;
    size_t i;
    memset(best, 0, sizeof(*best));
    memset(best_stored, 0, sizeof(*best_stored));
    while (cap < n * 2) {
        cap *= 2;
    }
    slots = calloc(cap, sizeof(*slots));
    groups = mm_reallocarray(NULL, n + 1, sizeof(*groups));
    if (slots == NULL || groups == NULL) {
        free(slots);
        free(groups);
        return MM_ERR_NOMEM;
    }
    seed = mm_hash_seed(slots); /* names from the file: see mm_hash_seed */
    for (i = 0; i < n; i++) {
        const struct mm_tensor *t = mm_inventory_tensor(inv, i);
        size_t glen;
        size_t s;
        struct group *g = NULL;
        if (last != NULL && same_layer(last, t->name)) {
            /* the previous tensor's layer: most are, in file order */
            if (!add_to(last, t)) {
                st = MM_ERR_LIMIT;
                goto out;
            }
            continue;
        }
        glen = mm_layer_group_len(t->name);
        s = (size_t)mm_hash_seeded(seed, t->name, glen) & (cap - 1);
        while (slots[s] != 0) {
            struct group *o = &groups[slots[s] - 1];
            if (o->len == glen && memcmp(o->name, t->name, glen) == 0) {
                g = o;
                break;
            }
            s = (s + 1) & (cap - 1);
        }
        if (g == NULL) {
            g = &groups[ngroups++];
            g->name = t->name;
            g->len = glen;
            g->params = 0;
            g->bytes = 0;
            g->layer = ends_in_digits(t->name, glen);
            slots[s] = ngroups;
        }
        if (!add_to(g, t)) {
            st = MM_ERR_LIMIT;
            goto out;
        }
        last = g;
    }
    for (i = 0; i < ngroups; i++) {
        if (i == 0 || groups[i].params > best->params) {
            *best = groups[i];
        }
        if (i == 0 || groups[i].bytes > best_stored->bytes) {
            *best_stored = groups[i];
        }
    }
out:
    free(slots);
    free(groups);
    return st;
}

/* A GGUF file's type as llama.cpp names it (llama.h enum llama_ftype,
 * general.file_type): "Q4_K_M"; "GGUF" when the key is absent or unknown;
 * "" when no file is GGUF. */
static void stored_type(char *out, size_t size, const struct mm_inventory *inv)
{
    static const char *const names[] = {
        "F32",     "F16",    "Q4_0",   "Q4_1",   NULL,     NULL,     NULL,    "Q8_0",
        "Q5_0",    "Q5_1",   "Q2_K",   "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M",
        "Q5_K_S",  "Q5_K_M", "Q6_K",   "IQ2_XXS", "IQ2_XS", "Q2_K_S", "IQ3_XS", "IQ3_XXS",
        "IQ1_S",   "IQ4_NL", "IQ3_S",  "IQ3_M",  "IQ2_S",  "IQ2_M",  "IQ4_XS", "IQ1_M",
        "BF16",    NULL,     NULL,     NULL,     "TQ1_0",  "TQ2_0",  "MXFP4_MOE"};
    const size_t nf = mm_inventory_file_count(inv);
    const size_t nm = mm_inventory_meta_count(inv);
    int gguf = 0;
    size_t i;
    out[0] = '\0';
    for (i = 0; i < nf; i++) {
        gguf |= strcmp(mm_inventory_file(inv, i)->format, "gguf") == 0;
    }
    if (!gguf) {
        return;
    }
    snprintf(out, size, "GGUF");
    for (i = 0; i < nm; i++) {
        const struct mm_meta *m = mm_inventory_meta(inv, i);
        if (strcmp(m->key, "general.file_type") == 0) {
            char *end = NULL;
            const unsigned long v = strtoul(m->value, &end, 10);
            if (end != m->value && *end == '\0' && v < sizeof(names) / sizeof(names[0]) &&
                names[v] != NULL) {
                snprintf(out, size, "%s", names[v]);
            }
        }
    }
}

/* a x b, or 0 with *overflow set: a figure is exact or not given at all. */
static uint64_t mul_checked(int *overflow, uint64_t a, uint64_t b)
{
    uint64_t r;
    if (!mm_mul_u64(&r, a, b)) {
        *overflow = 1;
        return 0;
    }
    return r;
}

/* ceil(x / d) */
static uint64_t div_up(uint64_t x, uint64_t d)
{
    return x / d + (x % d != 0);
}

enum mm_status mm_estimate_run(struct mm_estimate *out, const struct mm_inventory *inv,
                               const struct mm_estimate_params *params,
                               struct mm_error *err)
{
    static const enum mm_est_dtype defaults[] = {MM_EST_FLOAT32, MM_EST_FLOAT16, MM_EST_INT8,
                                                 MM_EST_INT4};
    const struct mm_totals *tot;
    struct group best;
    struct group stored;
    uint64_t p;
    uint64_t l;
    int overflow = 0;
    enum mm_status st;
    size_t i;
    mm_error_clear(err);
    if (out == NULL || inv == NULL) {
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_INVALID_ARG, NULL, NULL, -1,
                       "no inventory");
    }
    memset(out, 0, sizeof(*out));
    if (params != NULL && params->ndtypes > MM_ESTIMATE_MAX_ROWS) {
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_INVALID_ARG, NULL, NULL, -1,
                       "more than %d dtypes", MM_ESTIMATE_MAX_ROWS);
    }
    tot = mm_inventory_totals(inv);
    out->parameters = tot->parameters;
    out->stored_bytes = tot->bytes;
    memcpy(out->parameters_by_dtype, tot->parameters_by_dtype, sizeof(out->parameters_by_dtype));
    st = largest_group(inv, &best, &stored);
    if (st == MM_ERR_NOMEM) {
        return mm_fail_nomem(err, NULL);
    }
    if (st != MM_OK) {
        return mm_fail(err, st, MM_E_SHAPE_OVERFLOW, NULL, NULL, -1,
                       "a layer's element count passes 2^64 - 1");
    }
    if (best.name != NULL) {
        const size_t n = best.len < MM_LIMIT_NAME ? best.len : MM_LIMIT_NAME;
        memcpy(out->largest_layer, best.name, n);
        out->largest_layer[n] = '\0';
    }
    out->largest_layer_parameters = best.params;
    if (stored.name != NULL) {
        const size_t n = stored.len < MM_LIMIT_NAME ? stored.len : MM_LIMIT_NAME;
        memcpy(out->largest_stored_layer, stored.name, n);
        out->largest_stored_layer[n] = '\0';
    }
    out->largest_stored_layer_bytes = stored.bytes;
    stored_type(out->stored_type, sizeof(out->stored_type), inv);
    if (params == NULL || params->ndtypes == 0) {
        out->nrows = sizeof(defaults) / sizeof(defaults[0]);
        for (i = 0; i < out->nrows; i++) {
            out->rows[i].dtype = defaults[i];
        }
    } else {
        out->nrows = params->ndtypes;
        for (i = 0; i < out->nrows; i++) {
            if ((unsigned)params->dtypes[i] >= MM_EST_DTYPE_COUNT_) {
                return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_INVALID_ARG, NULL, NULL, -1,
                               "unknown estimate dtype %d", (int)params->dtypes[i]);
            }
            out->rows[i].dtype = params->dtypes[i];
        }
    }
    /* 4 bytes a parameter in float32, 2, 1, a half (rounded up) in int4;
     * Adam's training figure is four times the weights */
    p = tot->parameters;
    l = best.params;
    for (i = 0; i < out->nrows; i++) {
        struct mm_estimate_row *r = &out->rows[i];
        switch (r->dtype) {
        case MM_EST_FLOAT32:
            r->total_bytes = mul_checked(&overflow, p, 4);
            r->largest_layer_bytes = mul_checked(&overflow, l, 4);
            r->training_adam_bytes = mul_checked(&overflow, p, 16);
            r->has_training = 1;
            break;
        case MM_EST_FLOAT16:
        case MM_EST_BFLOAT16:
            r->total_bytes = mul_checked(&overflow, p, 2);
            r->largest_layer_bytes = mul_checked(&overflow, l, 2);
            r->training_adam_bytes = mul_checked(&overflow, p, 8);
            r->has_training = 1;
            break;
        case MM_EST_INT8:
            r->total_bytes = p;
            r->largest_layer_bytes = l;
            break;
        case MM_EST_INT4:
        case MM_EST_DTYPE_COUNT_:
            r->total_bytes = div_up(p, 2);
            r->largest_layer_bytes = div_up(l, 2);
            break;
        }
    }
    if (overflow) {
        memset(out, 0, sizeof(*out));
        return mm_fail(err, MM_ERR_LIMIT, MM_E_SHAPE_OVERFLOW, NULL, NULL, -1,
                       "the model's byte figures pass 2^64 - 1");
    }
    return MM_OK;
}
