/*
 * config_layers.c - which kind each decoder layer of a config.json is, and
 * what a layer without a KV cache keeps instead.
 *
 * Layer kinds, first rule that applies (transformers' config classes):
 *  - `layer_types` (or `layers_block_type`, NemotronH's name for it):
 *    "full_attention"/"attention" hold every token, "sliding_attention" the
 *    window; "linear_attention" and "mamba" layers keep a recurrent state;
 *    any other kind ("moe", "mlp", "conv") keeps nothing per sequence here.
 *  - `hybrid_override_pattern` (NemotronH): '*' attention, 'M' Mamba-2,
 *    '-' MLP, 'E' MoE (NemotronHConfig._pattern_to_list).
 *  - `full_attention_interval` N (Qwen3-Next, Qwen3.5): layer i is full
 *    attention when (i + 1) % N == 0, else Gated DeltaNet linear attention
 *    (Qwen3NextConfig.__post_init__, whose default N is 4).
 *  A config that sizes a recurrent state but matches no rule is flagged
 *  (hybrid_unresolved) and counted as attention throughout.
 *  - `attn_layer_period` P and `attn_layer_offset` O (Jamba): layer i is
 *    attention when i % P == O, else Mamba (JambaConfig.layers_block_type).
 *  - `attn_layer_indices` (Bamba): those layers attend, the others Mamba-2.
 *  - Falcon-H1 (`model_type` falcon_h1): every layer runs attention and
 *    Mamba-2 side by side, so every layer has both a KV cache and a state.
 *  - otherwise sliding windows: `sliding_window_pattern` N makes layer i
 *    full when (i + 1) % N == 0; Gemma 2 alternates from a sliding layer 0;
 *    else the window applies to every layer unless `use_sliding_window` is
 *    false (Qwen2).
 *
 * The state of one recurrent layer, per sequence, in elements, follows
 * vLLM's MambaStateShapeCalculator (vllm/model_executor/layers/mamba/
 * mamba_utils.py), which sizes the pages its cache allocates:
 *  - Gated DeltaNet (linear_num_key_heads nk, linear_key_head_dim dk,
 *    linear_num_value_heads nv, linear_value_head_dim dv,
 *    linear_conv_kernel_dim k): conv (2 nk dk + nv dv) x (k - 1),
 *    recurrent nv x dv x dk;
 *  - Mamba-2 (heads h, head_dim p, state n, groups g, conv kernel k,
 *    inner width i = mamba_d_ssm or h x p): conv (i + 2 g n) x (k - 1),
 *    recurrent h x p x n;
 *  - Mamba (Jamba: mamba_d_state n, mamba_d_conv k, mamba_expand e, inner
 *    width i = e x hidden): conv i x (k - 1), recurrent i x n.
 */
#include <string.h>

#include "core/checked.h"
#include "model/config_read.h"

struct kinds {
    uint64_t full, sliding, state, none;
    int found;
};

static int is_full(const char *t)
{
    return strcmp(t, "full_attention") == 0 || strcmp(t, "attention") == 0;
}

static int is_state(const char *t)
{
    return strcmp(t, "linear_attention") == 0 || strcmp(t, "mamba") == 0 ||
           strcmp(t, "mamba2") == 0;
}

/* `layer_types` or NemotronH's `layers_block_type`: a list of kind names. */
static enum mm_status from_list(const struct mm_cfg_ctx *c, const char *key, struct kinds *k)
{
    const cJSON *types = cJSON_GetObjectItemCaseSensitive(c->obj, key);
    const cJSON *t;
    if (types == NULL || cJSON_IsNull(types)) {
        return MM_OK;
    }
    if (!cJSON_IsArray(types)) {
        return mm_cfg_bad(c, key, "is not an array");
    }
    memset(k, 0, sizeof(*k));
    cJSON_ArrayForEach(t, types)
    {
        if (!cJSON_IsString(t)) {
            return mm_cfg_bad(c, key, "holds a value that is not a string");
        }
        if (strcmp(t->valuestring, "sliding_attention") == 0) {
            k->sliding++;
        } else if (is_full(t->valuestring)) {
            k->full++;
        } else if (is_state(t->valuestring)) {
            k->state++;
        } else {
            k->none++;
        }
    }
    k->found = 1;
    return MM_OK;
}

/* NemotronH's `hybrid_override_pattern`, one character a layer. */
static enum mm_status from_pattern(const struct mm_cfg_ctx *c, struct kinds *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->obj, "hybrid_override_pattern");
    const char *p;
    if (v == NULL || cJSON_IsNull(v)) {
        return MM_OK;
    }
    if (!cJSON_IsString(v)) {
        return mm_cfg_bad(c, "hybrid_override_pattern", "is not a string");
    }
    memset(k, 0, sizeof(*k));
    for (p = v->valuestring; *p != '\0'; p++) {
        if (*p == '*') {
            k->full++;
        } else if (*p == 'M') {
            k->state++;
        } else if (*p == '-' || *p == 'E') {
            k->none++;
        } else {
            return mm_cfg_bad(c, "hybrid_override_pattern", "holds a kind other than *, M, -, E");
        }
    }
    k->found = 1;
    return MM_OK;
}

/* Bamba's `attn_layer_indices`: the attention layers; the rest Mamba-2. */
static enum mm_status from_indices(const struct mm_cfg_ctx *c, uint64_t layers, struct kinds *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->obj, "attn_layer_indices");
    const cJSON *i;
    uint64_t n = 0;
    if (v == NULL || cJSON_IsNull(v)) {
        return MM_OK;
    }
    if (!cJSON_IsArray(v)) {
        return mm_cfg_bad(c, "attn_layer_indices", "is not an array");
    }
    cJSON_ArrayForEach(i, v)
    {
        if (!cJSON_IsNumber(i) || i->valuedouble < 0 || i->valuedouble >= (double)layers ||
            i->valuedouble != (double)(uint64_t)i->valuedouble) {
            return mm_cfg_bad(c, "attn_layer_indices", "holds a value that is not a layer");
        }
        n++;
    }
    memset(k, 0, sizeof(*k));
    k->full = n < layers ? n : layers;
    k->state = layers - k->full;
    k->found = 1;
    return MM_OK;
}

/* Rules with a period: Qwen3-Next's interval, Jamba's period and offset. */
static enum mm_status from_period(const struct mm_cfg_ctx *c, uint64_t layers, struct kinds *k)
{
    uint64_t n = 0;
    uint64_t off = 0;
    int found = 0;
    int f_off = 0;
    const char *mt = mm_cfg_str(c->obj, "model_type");
    enum mm_status st = mm_cfg_uint(c, "full_attention_interval", &n, &found);
    if (st != MM_OK) {
        return st;
    }
    if (!found && mt != NULL && strcmp(mt, "qwen3_next") == 0) {
        n = 4; /* Qwen3NextConfig's default */
        found = 1;
    }
    if (found && n > 0) {
        memset(k, 0, sizeof(*k));
        k->full = layers / n; /* i = N-1, 2N-1, ... */
        k->state = layers - k->full;
        k->found = 1;
        return MM_OK;
    }
    st = mm_cfg_uint(c, "attn_layer_period", &n, &found);
    if (st == MM_OK) {
        st = mm_cfg_uint(c, "attn_layer_offset", &off, &f_off);
    }
    if (st != MM_OK || !found || n == 0) {
        return st;
    }
    if (off >= n) {
        return mm_cfg_bad(c, "attn_layer_offset", "is not below attn_layer_period");
    }
    memset(k, 0, sizeof(*k));
    k->full = layers / n + (layers % n > off); /* i % P == O */
    k->state = layers - k->full;
    k->found = 1;
    return MM_OK;
}

/* Reads each key set in turn into `dst`; 0 where none is present. */
static enum mm_status read_all(const struct mm_cfg_ctx *c, const char *const *const *keys,
                               uint64_t *const *dst, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        int found = 0;
        const enum mm_status st = mm_cfg_first(c, keys[i], dst[i], &found);
        if (st != MM_OK) {
            return st;
        }
        if (!found) {
            *dst[i] = 0;
        }
    }
    return MM_OK;
}

/* Gated DeltaNet, Mamba-2 or Mamba: the per-sequence state of one layer. */
static enum mm_status state_dims(const struct mm_cfg_ctx *c, struct mm_geometry *g)
{
    static const char *const nk[] = {"linear_num_key_heads", NULL};
    static const char *const dk[] = {"linear_key_head_dim", NULL};
    static const char *const nv[] = {"linear_num_value_heads", NULL};
    static const char *const dv[] = {"linear_value_head_dim", NULL};
    static const char *const lk[] = {"linear_conv_kernel_dim", NULL};
    static const char *const mh[] = {"mamba_num_heads", "mamba_n_heads", NULL};
    static const char *const mp[] = {"mamba_head_dim", "mamba_d_head", NULL};
    static const char *const ms[] = {"ssm_state_size", "mamba_d_state", NULL};
    static const char *const mg[] = {"n_groups", "mamba_n_groups", NULL};
    static const char *const mk[] = {"conv_kernel", "mamba_d_conv", NULL};
    static const char *const mi[] = {"mamba_d_ssm", NULL};
    static const char *const me[] = {"mamba_expand", "expand", NULL};
    static const char *const *const keys[] = {nk, dk, nv, dv, lk, mh, mp, ms, mg, mk, mi, me};
    uint64_t v[12];
    uint64_t *const dst[] = {&v[0], &v[1], &v[2], &v[3], &v[4],  &v[5],
                             &v[6], &v[7], &v[8], &v[9], &v[10], &v[11]};
    uint64_t conv = 0;
    uint64_t rec = 0;
    uint64_t inner = 0;
    int ok = 1;
    const enum mm_status st = read_all(c, keys, dst, 12);
    if (st != MM_OK) {
        return st;
    }
    if (v[0] && v[1] && v[2] && v[3] && v[4]) { /* Gated DeltaNet */
        ok = mm_mul_u64(&conv, v[0], v[1]) && mm_mul_u64(&conv, conv, 2) &&
             mm_mul_u64(&inner, v[2], v[3]) && mm_add_u64(&conv, conv, inner) &&
             mm_mul_u64(&conv, conv, v[4] - 1) && mm_mul_u64(&rec, inner, v[1]);
    } else if (v[5] && v[6] && v[7] && v[9]) { /* Mamba-2 */
        uint64_t groups = 0;
        ok = mm_mul_u64(&rec, v[5], v[6]);
        inner = v[10] != 0 ? v[10] : rec;
        ok = ok && mm_mul_u64(&groups, v[8], v[7]) && mm_mul_u64(&groups, groups, 2) &&
             mm_add_u64(&conv, inner, groups) && mm_mul_u64(&conv, conv, v[9] - 1) &&
             mm_mul_u64(&rec, rec, v[7]);
    } else if (v[7] && v[9] && v[11] && g->hidden) { /* Mamba (Jamba) */
        ok = mm_mul_u64(&inner, v[11], g->hidden) && mm_mul_u64(&conv, inner, v[9] - 1) &&
             mm_mul_u64(&rec, inner, v[7]);
    }
    if (!ok) {
        return mm_cfg_bad(c, "linear_num_key_heads", "gives a state over 2^64 elements");
    }
    g->conv_state_elems = conv;
    g->recurrent_state_elems = rec;
    return MM_OK;
}

/* The sliding-window rules for configs that list no kinds. */
static void sliding_default(const struct mm_cfg_ctx *c, struct mm_geometry *g, uint64_t pattern)
{
    const char *mt = mm_cfg_str(c->obj, "model_type");
    if (pattern > 0) {
        g->sliding_layers = g->layers - g->layers / pattern;
    } else if (mt != NULL && strcmp(mt, "gemma2") == 0) {
        g->sliding_layers = (g->layers + 1) / 2;
    } else if (mm_cfg_bool(c->obj, "use_sliding_window", 1)) {
        g->sliding_layers = g->layers;
    }
}

static enum mm_status find_kinds(const struct mm_cfg_ctx *c, const struct mm_geometry *g,
                                 struct kinds *k)
{
    enum mm_status st = from_list(c, "layer_types", k);
    if (st == MM_OK && !k->found) {
        st = from_list(c, "layers_block_type", k);
    }
    if (st == MM_OK && !k->found) {
        st = from_pattern(c, k);
    }
    if (st == MM_OK && !k->found) {
        st = from_period(c, g->layers, k);
    }
    if (st == MM_OK && !k->found) {
        st = from_indices(c, g->layers, k);
    }
    return st;
}

enum mm_status mm_cfg_layer_kinds(const struct mm_cfg_ctx *c, struct mm_geometry *g)
{
    const char *mt = mm_cfg_str(c->obj, "model_type");
    struct kinds k;
    uint64_t pattern = 0;
    int found = 0;
    enum mm_status st = mm_cfg_uint(c, "sliding_window", &g->sliding_window, &found);
    memset(&k, 0, sizeof(k));
    if (st == MM_OK && !found) {
        g->sliding_window = 0;
    }
    if (st == MM_OK) {
        st = find_kinds(c, g, &k);
    }
    if (st == MM_OK) {
        st = state_dims(c, g);
    }
    if (st == MM_OK && !k.found && g->sliding_window != 0) {
        st = mm_cfg_uint(c, "sliding_window_pattern", &pattern, &found);
        if (st == MM_OK) {
            sliding_default(c, g, found ? pattern : 0);
        }
    }
    if (st != MM_OK) {
        return st;
    }
    if (k.found && k.full + k.sliding + k.state + k.none == 0) {
        k.found = 0; /* an empty list says nothing */
    }
    if (k.found) {
        /* the list decides the count, as NemotronH's num_hidden_layers does */
        g->layers = k.full + k.sliding + k.state + k.none;
        g->sliding_layers = g->sliding_window != 0 ? k.sliding : 0;
        g->no_kv_layers = k.state + k.none;
        g->state_layers = k.state;
    } else if (mt != NULL && strcmp(mt, "falcon_h1") == 0) {
        g->state_layers = g->layers; /* attention and Mamba-2 in every layer */
    } else {
        g->hybrid_unresolved = g->conv_state_elems != 0 || g->recurrent_state_elems != 0;
    }
    if (g->conv_state_elems == 0 && g->recurrent_state_elems == 0) {
        g->state_layers = 0; /* a kind whose state the config does not size */
    }
    if (g->sliding_layers == 0) {
        g->sliding_window = 0;
    }
    return MM_OK;
}
