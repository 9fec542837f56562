/*
 * quant_fit.c - which quantization would fit: the model's weights sized in
 * each quantization its runtime usually serves, and the runtime's plan run
 * again with them at the same context, batch and devices (the KV cache and
 * activations keep the model's float width). The plan gets the total in
 * `stored` and, for a plan that places tensors one at a time, each
 * tensor's bytes through mm_plan_tensor_bytes (plan.h).
 *
 *  transformers  as stored; bitsandbytes 8bit, 4bit (FP4) and nf4 (double
 *                quantization), as --load-in holds them (load_in.c)
 *  vLLM          as stored; fp8 (`--quantization fp8`: one byte a linear
 *                weight and one fp32 scale a matrix); int4, GPTQ/AWQ 4-bit
 *                with groups of 128 input columns (two weights a byte, per
 *                group and output row an fp16 scale and a 4-bit zero point:
 *                4.16 bits a weight)
 *  llama.cpp     F16 and the `llama-quantize` presets Q8_0, Q6_K, Q5_K_M,
 *                Q4_K_M, Q3_K_M, Q2_K, each matrix in the type llama.cpp's
 *                llama_tensor_get_type (src/llama-quant.cpp) picks for it
 *                and sized by ggml's block sizes (Q8_0 8.5 bits a weight,
 *                Q6_K 6.5625, Q5_K 5.5, Q4_K 4.5, Q3_K 3.4375, Q2_K 2.625)
 *
 * The llama.cpp recipe, for models without 8 experts: the output matrix
 * (and the token embedding when tied to it) Q6_K, Q8_0 for Q8_0 or a row
 * length that is not a multiple of the block; Q4_K_M and Q5_K_M raise
 * attn_v and ffn_down to Q6_K in the layers use_more_bits names (the first
 * and last eighth, and every third between), a fused QKV to Q5_K / Q6_K;
 * Q3_K_M has attn_v Q5_K in the first two layers and Q4_K after, ffn_down
 * Q5_K in the first sixteenth and Q4_K after, attn_output Q4_K; Q2_K has
 * attn_v Q4_K (Q3_K with fewer than 4 query heads a KV head), ffn_down
 * and attn_output Q3_K. A row length that does not divide the block falls
 * back as llama.cpp's tensor_type_fallback does (Q4_K to Q5_0, Q5_K to
 * Q5_1, Q6_K to Q8_0, Q2_K and Q3_K to Q4_0; F16 when 32 does not divide
 * it either). Vectors (norms, biases) stay F32, and so do the MoE router
 * and position embeddings. Not modelled: the 70B attn_v rule, the
 * 8-expert rules, Falcon's own rules.
 */
#include <string.h>

#include "estimate/plan.h"
#include "model/config_internal.h"

enum kind { K_STORED, K_LOAD_IN, K_FP8, K_INT4, K_GGML };

struct candidate {
    const char *name;
    enum kind kind;
    enum mm_load_in load_in; /* K_LOAD_IN */
    enum mm_dtype base;      /* K_GGML: the preset's default type */
    int mix;                 /* K_GGML: 0 plain, else the _M recipe of `base` */
};

static const struct candidate transformers_list[] = {
    {NULL, K_STORED, MM_LOAD_AS_STORED, MM_DTYPE_UNKNOWN, 0},
    {"8bit", K_LOAD_IN, MM_LOAD_8BIT, MM_DTYPE_UNKNOWN, 0},
    {"4bit", K_LOAD_IN, MM_LOAD_4BIT, MM_DTYPE_UNKNOWN, 0},
    {"nf4", K_LOAD_IN, MM_LOAD_NF4, MM_DTYPE_UNKNOWN, 0},
};
static const struct candidate vllm_list[] = {
    {NULL, K_STORED, MM_LOAD_AS_STORED, MM_DTYPE_UNKNOWN, 0},
    {"fp8", K_FP8, MM_LOAD_AS_STORED, MM_DTYPE_UNKNOWN, 0},
    {"int4", K_INT4, MM_LOAD_AS_STORED, MM_DTYPE_UNKNOWN, 0},
};
static const struct candidate llamacpp_list[] = {
    {"F16", K_GGML, MM_LOAD_AS_STORED, MM_DTYPE_F16, 0},
    {"Q8_0", K_GGML, MM_LOAD_AS_STORED, MM_DTYPE_Q8_0, 0},
    {"Q6_K", K_GGML, MM_LOAD_AS_STORED, MM_DTYPE_Q6_K, 0},
    {"Q5_K_M", K_GGML, MM_LOAD_AS_STORED, MM_DTYPE_Q5_K, 1},
    {"Q4_K_M", K_GGML, MM_LOAD_AS_STORED, MM_DTYPE_Q4_K, 1},
    {"Q3_K_M", K_GGML, MM_LOAD_AS_STORED, MM_DTYPE_Q3_K, 1},
    {"Q2_K", K_GGML, MM_LOAD_AS_STORED, MM_DTYPE_Q2_K, 0},
};

/* ---- llama.cpp's choice of type per matrix ------------------------------- */

enum category { C_KEEP, C_OTHER, C_OUTPUT, C_TOKEN_EMBD, C_ATTN_V, C_ATTN_QKV, C_ATTN_OUTPUT,
                C_FFN_DOWN };

static int has(const char *s, const char *w)
{
    return strstr(s, w) != NULL;
}

static int ends_with(const char *s, const char *suffix)
{
    const size_t n = strlen(s);
    const size_t k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* GGUF names (llama.cpp's) and the Hugging Face names they convert from. */
static enum category categorize(const struct mm_tensor *t)
{
    const char *n = t->name;
    if (t->rank < 2 || !ends_with(n, "weight") || has(n, "norm") || has(n, "ffn_gate_inp") ||
        ends_with(n, "mlp.gate.weight") || has(n, "router") || has(n, "pos_embd") ||
        has(n, "position")) {
        return C_KEEP;
    }
    if (strcmp(n, "output.weight") == 0 || has(n, "lm_head")) {
        return C_OUTPUT;
    }
    if (has(n, "token_embd") || has(n, "embed_tokens") || has(n, "wte.")) {
        return C_TOKEN_EMBD;
    }
    if (has(n, "attn_v.") || has(n, "v_proj.") || has(n, "attn_kv_b") || has(n, "kv_b_proj")) {
        return C_ATTN_V;
    }
    if (has(n, "attn_qkv") || has(n, "qkv_proj") || has(n, "query_key_value") ||
        has(n, "c_attn")) {
        return C_ATTN_QKV;
    }
    if (has(n, "attn_output") || has(n, "o_proj")) {
        return C_ATTN_OUTPUT;
    }
    if (has(n, "ffn_down") || has(n, "down_proj")) {
        return C_FFN_DOWN;
    }
    return C_OTHER;
}

/* The block index in "blk.12." or "layers.12.", else 0. */
static uint64_t layer_of(const char *n)
{
    static const char *const marks[] = {"blk.", "layers.", "h.", "layer."};
    size_t k;
    for (k = 0; k < sizeof(marks) / sizeof(marks[0]); k++) {
        const char *p = strstr(n, marks[k]);
        if (p != NULL && (p == n || p[-1] == '.') && p[strlen(marks[k])] >= '0' &&
            p[strlen(marks[k])] <= '9') {
            uint64_t v = 0;
            for (p += strlen(marks[k]); *p >= '0' && *p <= '9' && v < 100000000; p++) {
                v = v * 10 + (uint64_t)(*p - '0');
            }
            return v;
        }
    }
    return 0;
}

static int more_bits(uint64_t i, uint64_t n)
{
    return i < n / 8 || i >= 7 * n / 8 || (i >= n / 8 && (i - n / 8) % 3 == 2);
}

static enum mm_dtype pick(const struct candidate *q, enum category cat, int tied, uint64_t layer,
                          uint64_t layers, uint64_t gqa, uint64_t row)
{
    const enum mm_dtype b = q->base;
    if (cat == C_OUTPUT || (tied && cat == C_TOKEN_EMBD)) {
        return b == MM_DTYPE_Q8_0 || row % 256 != 0 ? MM_DTYPE_Q8_0 : MM_DTYPE_Q6_K;
    }
    if (b == MM_DTYPE_Q2_K) {
        if (cat == C_ATTN_V) {
            return gqa >= 4 ? MM_DTYPE_Q4_K : MM_DTYPE_Q3_K;
        }
        return cat == C_FFN_DOWN || cat == C_ATTN_OUTPUT ? MM_DTYPE_Q3_K : b;
    }
    if (!q->mix) {
        return b;
    }
    switch (cat) {
    case C_ATTN_V:
        if (b == MM_DTYPE_Q3_K) {
            return layer < 2 ? MM_DTYPE_Q5_K : MM_DTYPE_Q4_K;
        }
        return more_bits(layer, layers) ? MM_DTYPE_Q6_K : b;
    case C_FFN_DOWN:
        if (b == MM_DTYPE_Q3_K) {
            return layer < layers / 16 ? MM_DTYPE_Q5_K : MM_DTYPE_Q4_K;
        }
        return more_bits(layer, layers) ? MM_DTYPE_Q6_K : b;
    case C_ATTN_QKV:
        return b == MM_DTYPE_Q3_K ? MM_DTYPE_Q4_K
                                  : (b == MM_DTYPE_Q4_K ? MM_DTYPE_Q5_K : MM_DTYPE_Q6_K);
    case C_ATTN_OUTPUT:
        return b == MM_DTYPE_Q3_K ? MM_DTYPE_Q4_K : b;
    case C_KEEP:
    case C_OTHER:
    case C_OUTPUT:
    case C_TOKEN_EMBD:
        break;
    }
    return b;
}

/* tensor_type_fallback: a row the block does not divide */
static enum mm_dtype fallback(enum mm_dtype d, uint64_t row)
{
    unsigned el = 0;
    unsigned by = 0;
    if (mm_dtype_block(d, &el, &by) && el != 0 && row % el == 0) {
        return d;
    }
    switch (d) {
    case MM_DTYPE_Q4_K:
        d = MM_DTYPE_Q5_0;
        break;
    case MM_DTYPE_Q5_K:
        d = MM_DTYPE_Q5_1;
        break;
    case MM_DTYPE_Q6_K:
        d = MM_DTYPE_Q8_0;
        break;
    case MM_DTYPE_Q2_K:
    case MM_DTYPE_Q3_K:
        d = MM_DTYPE_Q4_0;
        break;
    default:
        break;
    }
    return row % 32 == 0 ? d : MM_DTYPE_F16;
}

static uint64_t ggml_bytes(struct mm_calc *c, enum mm_dtype d, uint64_t numel, uint64_t row)
{
    unsigned el = 0;
    unsigned by = 0;
    const uint64_t rows = row != 0 ? numel / row : 0;
    if (!mm_dtype_block(d, &el, &by) || el == 0) {
        return mm_calc_mul(c, numel, 2);
    }
    return mm_calc_mul(c, mm_calc_mul(c, rows, mm_calc_ceil_div(row, el)), by);
}

static int has_output(const struct mm_inventory *inv)
{
    const size_t n = mm_inventory_tensor_count(inv);
    size_t i;
    for (i = 0; i < n; i++) {
        if (categorize(mm_inventory_tensor(inv, i)) == C_OUTPUT) {
            return 1;
        }
    }
    return 0;
}

/* What sizing a tensor in a candidate needs (the plan's tensor_arg). */
struct requant {
    const struct candidate *q;
    uint64_t layers;
    uint64_t gqa;  /* query heads a KV head */
    int tied;      /* no output matrix: the token embedding serves as one */
};

static uint64_t ggml_tensor(struct mm_calc *c, const struct requant *r,
                            const struct mm_tensor *t)
{
    const enum category cat = categorize(t);
    const uint64_t row = t->rank > 0 ? t->shape[t->rank - 1] : 1;
    enum mm_dtype d;
    if (cat == C_KEEP) {
        return mm_calc_mul(c, t->numel, t->rank < 2 ? 4 : 2);
    }
    d = r->q->base == MM_DTYPE_F16
            ? MM_DTYPE_F16
            : fallback(pick(r->q, cat, r->tied, layer_of(t->name), r->layers, r->gqa, row), row);
    return ggml_bytes(c, d, t->numel, row);
}

/* vLLM's fp8 and 4-bit checkpoints: the linear weights only */
static uint64_t vllm_tensor(struct mm_calc *c, const struct requant *r,
                            const struct mm_tensor *t)
{
    uint64_t groups;
    if (!mm_is_linear_weight(t)) {
        return t->nbytes;
    }
    if (r->q->kind == K_FP8) {
        return mm_calc_add(c, t->numel, 4);
    }
    groups = mm_calc_mul(c, t->shape[0], mm_calc_ceil_div(t->shape[1], 128));
    return mm_calc_add(c, mm_calc_ceil_div(t->numel, 2),
                       mm_calc_add(c, mm_calc_mul(c, groups, 2), mm_calc_ceil_div(groups, 2)));
}

static uint64_t requant_tensor(struct mm_calc *c, const void *arg, const struct mm_tensor *t)
{
    const struct requant *r = arg;
    switch (r->q->kind) {
    case K_STORED:
        break;
    case K_LOAD_IN:
        return mm_load_in_tensor_bytes(c, t, r->q->load_in);
    case K_FP8:
    case K_INT4:
        return vllm_tensor(c, r, t);
    case K_GGML:
        return ggml_tensor(c, r, t);
    }
    return t->nbytes;
}

/* The whole model's weights in the candidate. Storage tied tensors share is
 * counted once, as in the stored bytes, for every tensor a candidate keeps
 * as stored; a GGUF file stores tied tensors once by name. */
static uint64_t requant_weights(struct mm_calc *c, const struct requant *r,
                                const struct mm_plan_model *m, const struct mm_inventory *inv)
{
    const size_t n = mm_inventory_tensor_count(inv);
    uint64_t gone = 0;
    uint64_t sum = 0;
    size_t i;
    if (r->q->kind == K_STORED) {
        return m->stored;
    }
    for (i = 0; i < n; i++) {
        const struct mm_tensor *t = mm_inventory_tensor(inv, i);
        const uint64_t b = requant_tensor(c, r, t);
        if (r->q->kind != K_GGML && b == t->nbytes) {
            continue; /* kept as stored: in what is left of m->stored */
        }
        gone = mm_calc_add(c, gone, t->nbytes);
        sum = mm_calc_add(c, sum, b);
    }
    return mm_calc_add(c, sum, m->stored > gone ? m->stored - gone : 0);
}

/* "BF16", "F16" or "F32": the float type most elements are stored in. */
static const char *stored_name(const struct mm_inventory *inv)
{
    const struct mm_totals *tot = mm_inventory_totals(inv);
    static const enum mm_dtype order[] = {MM_DTYPE_BF16, MM_DTYPE_F16, MM_DTYPE_F32,
                                          MM_DTYPE_F64};
    enum mm_dtype best = MM_DTYPE_BF16;
    size_t k;
    for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
        if (tot->parameters_by_dtype[order[k]] > tot->parameters_by_dtype[best]) {
            best = order[k];
        }
    }
    return mm_dtype_name(best);
}

void mm_quant_fits(struct mm_calc *c, struct mm_memory *out, const struct mm_plan_model *m,
                   const struct mm_memory_params *p, const struct mm_inventory *inv)
{
    const int floats = !m->gguf && mm_load_in_refuses(inv, m->cfg) == NULL;
    const struct candidate *list = NULL;
    size_t count = 0;
    size_t i;
    struct mm_memory_params q = *p;
    q.load_in = MM_LOAD_AS_STORED;
    out->nquant_fits = 0;
    if (p->device_bytes == 0 || !p->inference) {
        return;
    }
    if (p->runtime == MM_RUNTIME_LLAMACPP && (m->gguf || floats)) {
        list = llamacpp_list;
        count = sizeof(llamacpp_list) / sizeof(llamacpp_list[0]);
    } else if (p->runtime == MM_RUNTIME_VLLM && floats) {
        list = vllm_list;
        count = sizeof(vllm_list) / sizeof(vllm_list[0]);
    } else if (p->runtime == MM_RUNTIME_TRANSFORMERS && floats) {
        list = transformers_list;
        count = sizeof(transformers_list) / sizeof(transformers_list[0]);
    }
    for (i = 0; i < count && i < MM_QUANT_FITS_MAX; i++) {
        struct mm_quant_fit *f = &out->quant_fits[i];
        const struct requant r = {&list[i], m->g.layers,
                                  m->g.kv_heads != 0 ? m->g.heads / m->g.kv_heads : 1,
                                  !has_output(inv)};
        struct mm_plan_model pm = *m;
        struct mm_runtime_plan pl;
        pm.stored = requant_weights(c, &r, m, inv);
        pm.tensor_bytes = list[i].kind == K_STORED ? NULL : requant_tensor;
        pm.tensor_arg = &r;
        f->name = list[i].name != NULL ? list[i].name : stored_name(inv);
        f->weights_bytes = pm.stored;
        f->fits = mm_fit_plan(c, &pl, &pm, &q);
        f->total_bytes = pl.in.total_bytes;
    }
    out->nquant_fits = i;
}
