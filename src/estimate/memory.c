/*
 * memory.c - inference and training memory, per model and per device.
 * A pure function of the inventory, the parsed config and the parameters;
 * every figure is an exact integer (uint64, overflow-checked). The formulas
 * and their sources are in modelmem(1) and the README, "How the estimates
 * are made"; in short:
 *
 *  inference = weights as stored + KV cache + activation workspace + overhead
 *    KV  = batch x bytes x per-layer width x tokens held, summed over layers:
 *          width 2 x kv_heads x head_dim (K and V), or kv_lora_rank +
 *          qk_rope_head_dim for DeepSeek MLA (one latent, no factor 2);
 *          a sliding-window layer holds min(context, window) tokens;
 *          plus, per sequence, the recurrent state of linear-attention and
 *          state-space layers (conv + recurrent elements x weight width).
 *    act = batch x context x (2 hidden + 3 intermediate) x 2 bytes (one
 *          layer's residual, normed input and MLP gate/up/product during
 *          prefill, flash/SDPA attention without an s^2 score matrix)
 *          + batch x vocab x 4 (the last position's fp32 logits).
 *  training: weights, fp32 master copy, gradients, optimizer states, and
 *    activations per layer s.b.h.(34 + 5.a.s/h) bytes (Korthikanti et al.
 *    2022, 16-bit), 2.s.b.h with full recomputation plus one layer
 *    recomputed, plus 6.s.b.V for the logits (bf16, then fp32 for the loss).
 */
#include <string.h>

#include "core/checked.h"
#include "model/config_internal.h"

/* Arithmetic that remembers an overflow instead of wrapping. */
struct calc {
    int overflow;
};

static uint64_t mul(struct calc *c, uint64_t a, uint64_t b)
{
    uint64_t r;
    if (!mm_mul_u64(&r, a, b)) {
        c->overflow = 1;
        return UINT64_MAX;
    }
    return r;
}

static uint64_t add(struct calc *c, uint64_t a, uint64_t b)
{
    uint64_t r;
    if (!mm_add_u64(&r, a, b)) {
        c->overflow = 1;
        return UINT64_MAX;
    }
    return r;
}

static uint64_t mul3(struct calc *c, uint64_t a, uint64_t b, uint64_t d)
{
    return mul(c, mul(c, a, b), d);
}

static uint64_t ceil_div(uint64_t x, uint64_t d)
{
    return d == 0 ? x : x / d + (x % d != 0);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* ---- What the model is ------------------------------------------------- */

struct model {
    const struct mm_inventory *inv;
    const struct mm_config *cfg;
    struct mm_geometry g;
    uint64_t stored;      /* tensor bytes as stored */
    uint64_t params;      /* logical parameters */
    uint64_t largest;     /* largest layer's parameters */
    unsigned wbytes;      /* bytes of the weights' float type: 2 or 4 */
};

/* 4 when most elements are F32/F64, else 2 (bf16/fp16/fp8/int checkpoints
 * run their activations and KV cache in 16 bits). */
static unsigned float_width(const struct mm_totals *tot)
{
    const uint64_t wide = tot->parameters_by_dtype[MM_DTYPE_F32] +
                          tot->parameters_by_dtype[MM_DTYPE_F64];
    return wide > tot->parameters / 2 ? 4 : 2;
}

/* The module a weight belongs to, its last name component ("q_proj"), and
 * the weight's suffix: "weight", GPTQ/AWQ "qweight" or compressed-tensors
 * "weight_packed". Returns the suffix, or NULL for other tensors. */
static const char *weight_module(const char *name, const char **mod, size_t *mlen)
{
    static const char *const sufs[] = {".weight", ".qweight", ".weight_packed"};
    const size_t nl = strlen(name);
    size_t k;
    for (k = 0; k < sizeof(sufs) / sizeof(sufs[0]); k++) {
        const size_t sl = strlen(sufs[k]);
        if (nl > sl && strcmp(name + nl - sl, sufs[k]) == 0) {
            const char *end = name + nl - sl;
            const char *p = end;
            while (p > name && p[-1] != '.') {
                p--;
            }
            *mod = p;
            *mlen = (size_t)(end - p);
            return sufs[k] + 1;
        }
    }
    return NULL;
}

static int lora_target(const char *mod, size_t ml, const struct mm_memory_params *p)
{
    static const char *const dflt[] = {"q_proj", "k_proj", "v_proj", "o_proj"};
    const size_t n = p->nlora_targets > 0 ? p->nlora_targets : 4;
    size_t i;
    for (i = 0; i < n; i++) {
        const char *t = p->nlora_targets > 0 ? p->lora_targets[i] : dflt[i];
        if (t != NULL && strlen(t) == ml && memcmp(t, mod, ml) == 0) {
            return 1;
        }
    }
    return 0;
}

static int is_float(enum mm_dtype d)
{
    return d == MM_DTYPE_F32 || d == MM_DTYPE_F16 || d == MM_DTYPE_BF16 ||
           d == MM_DTYPE_F64 || d == MM_DTYPE_F8_E4M3 || d == MM_DTYPE_F8_E5M2;
}

/* A Llama-style projection's [out, in] from the geometry, 0 if unknown. */
static int dims_from_geometry(const struct mm_geometry *g, const char *mod, size_t ml,
                              uint64_t *out, uint64_t *in)
{
    const uint64_t q = g->heads * g->head_dim;
    const uint64_t kv = g->kv_heads * g->head_dim;
    struct {
        const char *name;
        uint64_t out, in;
    } const tab[] = {{"q_proj", q, g->hidden},          {"k_proj", kv, g->hidden},
                     {"v_proj", kv, g->hidden},         {"o_proj", g->hidden, q},
                     {"gate_proj", g->intermediate, g->hidden},
                     {"up_proj", g->intermediate, g->hidden},
                     {"down_proj", g->hidden, g->intermediate}};
    size_t i;
    for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        if (strlen(tab[i].name) == ml && memcmp(tab[i].name, mod, ml) == 0 && tab[i].out &&
            tab[i].in) {
            *out = tab[i].out;
            *in = tab[i].in;
            return 1;
        }
    }
    return 0;
}

/* The logical [out, in] of a targeted weight: its shape when stored as
 * floats; for packed quantized weights (GPTQ/AWQ qweight, compressed-
 * tensors weight_packed, MLX and bitsandbytes integer containers) the
 * model's geometry for the usual projection names, else the packed shape
 * unpacked by 32/bits (GPTQ packs the input dimension, AWQ the output, MLX
 * and compressed-tensors the input of an [out, in] weight). */
static int lora_dims(struct calc *c, const struct model *m, const struct mm_tensor *t,
                     const char *suf, const char *mod, size_t ml, uint64_t *out, uint64_t *in)
{
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(mm_config_quant(m->cfg), "bits");
    const uint64_t bits = (cJSON_IsNumber(b) && b->valuedouble >= 1 && b->valuedouble <= 16)
                              ? (uint64_t)b->valuedouble
                              : 4;
    const char *method = mm_config_quant_method(m->cfg);
    if (t->rank != 2) {
        return 0;
    }
    if (strcmp(suf, "weight") == 0 && is_float(t->dtype)) {
        *out = t->shape[0];
        *in = t->shape[1];
        return 1;
    }
    if (dims_from_geometry(&m->g, mod, ml, out, in)) {
        return 1;
    }
    if (t->dtype != MM_DTYPE_I32 && t->dtype != MM_DTYPE_U32) {
        return 0;
    }
    *out = t->shape[0];
    *in = mul(c, t->shape[1], 32 / bits);
    if (strcmp(suf, "qweight") == 0) {
        const int awq = method != NULL && strcmp(method, "awq") == 0;
        *in = awq ? t->shape[0] : mul(c, t->shape[0], 32 / bits);
        *out = awq ? mul(c, t->shape[1], 32 / bits) : t->shape[1];
    }
    return 1;
}

/* LoRA: r x (in + out) per targeted weight (PEFT's A: r x in, B: out x r). */
static uint64_t lora_params(struct calc *c, const struct model *m,
                            const struct mm_memory_params *p)
{
    const size_t n = mm_inventory_tensor_count(m->inv);
    uint64_t sum = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        const struct mm_tensor *t = mm_inventory_tensor(m->inv, i);
        const char *mod = NULL;
        size_t ml = 0;
        const char *suf = weight_module(t->name, &mod, &ml);
        uint64_t out;
        uint64_t in;
        if (suf != NULL && lora_target(mod, ml, p) &&
            lora_dims(c, m, t, suf, mod, ml, &out, &in)) {
            sum = add(c, sum, mul(c, p->lora_rank, add(c, in, out)));
        }
    }
    return sum;
}

static int is_embedding_or_head(const char *n)
{
    return strstr(n, "embed") != NULL || strstr(n, "wte.") != NULL ||
           strstr(n, "wpe.") != NULL || strstr(n, "lm_head") != NULL ||
           strstr(n, "token_embd") != NULL || strstr(n, "output.weight") != NULL;
}

/* QLoRA's frozen base: NF4 with double quantization (Dettmers et al. 2023):
 * per 64 weights 32 bytes of codes + an 8-bit block scale, per 256 blocks
 * one fp32 second-level scale; everything but 2-D linear weights (norms,
 * embeddings, the LM head) stays 16-bit, as bitsandbytes leaves it. */
static uint64_t nf4_bytes(struct calc *c, const struct model *m)
{
    const size_t n = mm_inventory_tensor_count(m->inv);
    uint64_t sum = 0;
    size_t i;
    if (mm_config_quant_method(m->cfg) != NULL) {
        return m->stored; /* already quantized: loaded as stored */
    }
    for (i = 0; i < n; i++) {
        const struct mm_tensor *t = mm_inventory_tensor(m->inv, i);
        const uint64_t e = t->numel;
        if (t->rank == 2 && !is_embedding_or_head(t->name)) {
            sum = add(c, sum, ceil_div(e, 2));
            sum = add(c, sum, ceil_div(e, 64));
            sum = add(c, sum, mul(c, 4, ceil_div(e, 64 * 256)));
        } else {
            sum = add(c, sum, mul(c, e, 2));
        }
    }
    return sum;
}

/* Adafactor's factored second moment (Shazeer & Stern 2018, as in
 * transformers' Adafactor without momentum): a row and a column vector per
 * matrix, the full tensor otherwise; fp32. */
static uint64_t adafactor_elems(struct calc *c, const struct model *m)
{
    const size_t n = mm_inventory_tensor_count(m->inv);
    uint64_t sum = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        const struct mm_tensor *t = mm_inventory_tensor(m->inv, i);
        if (t->rank >= 2 && t->shape[t->rank - 1] != 0 && t->shape[t->rank - 2] != 0) {
            sum = add(c, sum, t->numel / t->shape[t->rank - 1]);
            sum = add(c, sum, t->numel / t->shape[t->rank - 2]);
        } else {
            sum = add(c, sum, t->numel);
        }
    }
    return sum;
}

/* ---- Inference ------------------------------------------------------------ */

/* Bytes of one token in one layer's cache. */
static uint64_t kv_width(struct calc *c, const struct mm_geometry *g, unsigned bytes)
{
    if (g->kv_lora_rank != 0) {
        return mul(c, add(c, g->kv_lora_rank, g->qk_rope_head_dim), bytes);
    }
    return mul3(c, 2, mul(c, g->kv_heads, g->head_dim), bytes);
}

static uint64_t kv_cache(struct calc *c, const struct mm_geometry *g,
                         const struct mm_memory_params *p, unsigned bytes)
{
    const uint64_t none = min_u64(g->no_kv_layers, g->layers);
    uint64_t tokens;
    uint64_t sliding;
    if (g->encoder_only) {
        return 0;
    }
    sliding = g->sliding_window != 0 ? min_u64(g->sliding_layers, g->layers - none) : 0;
    tokens = mul(c, g->layers - none - sliding, p->context);
    tokens = add(c, tokens, mul(c, sliding, min_u64(p->context, g->sliding_window)));
    return mul3(c, kv_width(c, g, bytes), tokens, p->batch);
}

/* Linear-attention and Mamba layers: a fixed state per sequence, whatever
 * the context and whatever --kv-dtype says of the attention cache: in the
 * model's float type (vLLM's mamba_cache_dtype "auto") unless the geometry
 * says otherwise (llama.cpp's F32 recurrent cache). */
static uint64_t state_bytes(struct calc *c, const struct model *m,
                            const struct mm_memory_params *p)
{
    const struct mm_geometry *g = &m->g;
    const uint64_t elems = add(c, g->conv_state_elems, g->recurrent_state_elems);
    const unsigned bytes = g->state_elem_bytes != 0 ? g->state_elem_bytes : m->wbytes;
    return mul3(c, mul(c, g->state_layers, elems), bytes, p->batch);
}

static uint64_t inference_activations(struct calc *c, const struct model *m,
                                      const struct mm_memory_params *p)
{
    const struct mm_geometry *g = &m->g;
    const uint64_t width = add(c, mul(c, 2, g->hidden), mul(c, 3, g->intermediate));
    uint64_t work = mul3(c, mul(c, p->batch, p->context), width, m->wbytes);
    if (p->attention == MM_ATTN_EAGER) {
        /* one layer's scores and probabilities, batch x heads x s^2 each */
        const uint64_t scores = mul3(c, mul(c, p->batch, g->heads), p->context, p->context);
        work = add(c, work, mul3(c, scores, 2, m->wbytes));
    }
    return add(c, work, mul3(c, p->batch, g->vocab, 4));
}

/* ---- Training ------------------------------------------------------------- */

/* Korthikanti et al. 2022, eq. 2 and 4 (tensor parallel t, no sequence
 * parallelism): per layer s.b.h.(10 + 24/t + 5.a.s/(h.t)) bytes, which for
 * t = 1 is s.b.h.(34 + 5.a.s/h); written as 10sbh + 24sbh/t + 5as^2b/t so
 * that it stays an exact integer. The 5as^2b term is the attention scores,
 * softmax output and dropout mask that eager attention keeps; fused
 * (flash, memory-efficient SDPA) kernels keep none of them, so it is only
 * counted with MM_ATTN_EAGER (the paper's own assumption). */
static uint64_t layer_acts(struct calc *c, const struct model *m,
                           const struct mm_memory_params *p, uint64_t t)
{
    const struct mm_geometry *g = &m->g;
    const uint64_t sbh = mul3(c, p->context, p->batch, g->hidden);
    uint64_t v = add(c, mul(c, 10, sbh), ceil_div(mul(c, 24, sbh), t));
    if (p->attention == MM_ATTN_EAGER) {
        const uint64_t attn =
            mul3(c, mul(c, 5, g->heads), mul(c, p->context, p->context), p->batch);
        v = add(c, v, ceil_div(attn, t));
    }
    return p->precision == MM_PREC_FP32 ? mul(c, v, 2) : v;
}

static void training_acts(struct calc *c, const struct model *m,
                          const struct mm_memory_params *p, uint64_t t, uint64_t *full,
                          uint64_t *ckpt)
{
    const struct mm_geometry *g = &m->g;
    const uint64_t one = layer_acts(c, m, p, t);
    const int fp32 = p->precision == MM_PREC_FP32;
    const uint64_t logits =
        ceil_div(mul3(c, mul(c, p->context, p->batch), g->vocab, fp32 ? 8 : 6), t);
    const uint64_t inputs = mul3(c, fp32 ? 4 : 2, mul(c, p->context, p->batch), g->hidden);
    *full = add(c, mul(c, g->layers, one), logits);
    /* full recomputation: every other layer keeps only its input while the
     * layer being recomputed holds all of its activations (its own input
     * among them) */
    *ckpt = add(c, add(c, mul(c, g->layers - (g->layers > 0), inputs), one), logits);
}

/* Optimizer state bytes for `n` trainable parameters. */
static uint64_t optimizer_bytes(struct calc *c, const struct model *m,
                                const struct mm_memory_params *p, uint64_t n)
{
    switch (p->optimizer) {
    case MM_OPT_ADAMW:
        return mul(c, n, 8); /* m and v in fp32 */
    case MM_OPT_ADAMW8BIT:
        return mul(c, n, 2); /* bitsandbytes: m and v in 8 bits */
    case MM_OPT_SGD:
        return mul(c, n, 4); /* momentum buffer in fp32 */
    case MM_OPT_ADAFACTOR:
        if (p->train == MM_TRAIN_FULL) {
            return mul(c, adafactor_elems(c, m), 4);
        }
        return mul(c, n, 4); /* LoRA factors are thin: about one vector each */
    }
    return 0;
}

static void training(struct calc *c, struct mm_training *t, const struct model *m,
                     const struct mm_memory_params *p)
{
    const int mixed = p->precision != MM_PREC_FP32;
    memset(t, 0, sizeof(*t));
    if (p->train == MM_TRAIN_FULL) {
        t->trainable_parameters = m->params;
        t->weights_bytes = mul(c, m->params, mixed ? 2 : 4);
        t->master_bytes = mixed ? mul(c, m->params, 4) : 0;
        t->gradients_bytes = mul(c, m->params, mixed ? 2 : 4);
    } else {
        const uint64_t base = p->train == MM_TRAIN_QLORA ? nf4_bytes(c, m) : m->stored;
        t->trainable_parameters = lora_params(c, m, p);
        /* PEFT keeps adapters in fp32 (autocast_adapter_dtype) */
        t->weights_bytes = add(c, base, mul(c, t->trainable_parameters, 4));
        t->gradients_bytes = mul(c, t->trainable_parameters, 4);
    }
    t->optimizer_bytes = optimizer_bytes(c, m, p, t->trainable_parameters);
    training_acts(c, m, p, 1, &t->activations_full_bytes, &t->activations_checkpointed_bytes);
    t->activation_bytes =
        p->checkpointing ? t->activations_checkpointed_bytes : t->activations_full_bytes;
    t->overhead_bytes = p->overhead_bytes;
}

static void training_total(struct calc *c, struct mm_training *t)
{
    uint64_t v = add(c, t->weights_bytes, t->master_bytes);
    v = add(c, v, t->gradients_bytes);
    v = add(c, v, t->optimizer_bytes);
    v = add(c, v, t->activation_bytes);
    t->total_bytes = add(c, v, t->overhead_bytes);
}

static void inference_total(struct calc *c, struct mm_inference *in)
{
    uint64_t v = add(c, in->weights_bytes, in->kv_cache_bytes);
    v = add(c, v, in->activation_bytes);
    in->total_bytes = add(c, v, in->overhead_bytes);
}

/* ---- Many devices ----------------------------------------------------------- */

/* Tensor parallelism splits the cache by KV heads: beyond kv_heads devices
 * each holds one head's copy (vLLM replicates them), and an MLA latent is
 * not split at all. */
static uint64_t tp_kv_split(const struct model *m, unsigned n)
{
    if (m->g.kv_lora_rank != 0) {
        return 1;
    }
    return m->g.kv_heads != 0 && m->g.kv_heads < n ? m->g.kv_heads : n;
}

/*
 * What one of n devices holds. Tensor parallel: weights and training
 * states split n ways, the KV cache by heads (tp_kv_split), activations
 * by Korthikanti's t formula.
 * Pipeline parallel: layers split, so weights, KV and states split;
 * activations stay whole (with 1F1B the first stage keeps n micro-batches
 * of L/n layers). ZeRO (Rajbhandari et al. 2020): stage 1 splits optimizer
 * states and the fp32 master, stage 2 also gradients, stage 3 also the
 * weights, plus the largest layer gathered whole; inference under ZeRO-1/2
 * is plain data parallelism.
 */
static void per_device(struct calc *c, const struct model *m, const struct mm_memory_params *p,
                       unsigned n, const struct mm_inference *in, const struct mm_training *tr,
                       struct mm_inference *din, struct mm_training *dtr)
{
    const enum mm_parallel par = n > 1 ? p->parallel : MM_PAR_NONE;
    const uint64_t gathered = mul(c, m->largest, m->wbytes);
    *din = *in;
    *dtr = *tr;
    switch (par) {
    case MM_PAR_NONE:
        return;
    case MM_PAR_TP:
    case MM_PAR_PP:
        din->weights_bytes = ceil_div(in->weights_bytes, n);
        /* the recurrent state splits by heads like the weights (vLLM
         * divides its heads by the tensor-parallel size) */
        din->state_bytes = ceil_div(in->state_bytes, n);
        din->kv_cache_bytes =
            add(c, ceil_div(in->kv_cache_bytes - in->state_bytes,
                            par == MM_PAR_TP ? tp_kv_split(m, n) : n),
                din->state_bytes);
        dtr->weights_bytes = ceil_div(tr->weights_bytes, n);
        dtr->master_bytes = ceil_div(tr->master_bytes, n);
        dtr->gradients_bytes = ceil_div(tr->gradients_bytes, n);
        dtr->optimizer_bytes = ceil_div(tr->optimizer_bytes, n);
        if (par == MM_PAR_TP && m->g.source != MM_GEOMETRY_NONE) {
            din->activation_bytes = ceil_div(in->activation_bytes, n);
        }
        if (par == MM_PAR_TP && m->g.source != MM_GEOMETRY_NONE && tr->total_bytes != 0) {
            training_acts(c, m, p, n, &dtr->activations_full_bytes,
                          &dtr->activations_checkpointed_bytes);
            dtr->activation_bytes = p->checkpointing ? dtr->activations_checkpointed_bytes
                                                     : dtr->activations_full_bytes;
        }
        break;
    case MM_PAR_ZERO3:
        din->weights_bytes = add(c, ceil_div(in->weights_bytes, n), gathered);
        dtr->weights_bytes = add(c, ceil_div(tr->weights_bytes, n), gathered);
        /* fall through */
    case MM_PAR_ZERO2:
        dtr->gradients_bytes = ceil_div(tr->gradients_bytes, n);
        /* fall through */
    case MM_PAR_ZERO1:
        dtr->master_bytes = ceil_div(tr->master_bytes, n);
        dtr->optimizer_bytes = ceil_div(tr->optimizer_bytes, n);
        break;
    }
    inference_total(c, din);
    training_total(c, dtr);
}

static int64_t headroom(uint64_t cap, uint64_t need)
{
    if (cap >= need) {
        return cap - need > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(cap - need);
    }
    return need - cap > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)(need - cap);
}

/* The smallest device count (same parallelism; tensor parallel when none
 * was chosen) whose per-device figure fits. */
static void min_gpus(struct calc *c, const struct model *m, const struct mm_memory_params *p,
                     const struct mm_inference *in, const struct mm_training *tr,
                     struct mm_device *d, int want_inf, int want_train)
{
    struct mm_memory_params q = *p;
    unsigned n;
    if (q.parallel == MM_PAR_NONE) {
        q.parallel = MM_PAR_TP;
    }
    for (n = 1; n <= MM_LIMIT_GPUS && ((want_inf && d->inference_min_gpus == 0) ||
                                       (want_train && d->training_min_gpus == 0));
         n++) {
        struct mm_inference din;
        struct mm_training dtr;
        per_device(c, m, &q, n, in, tr, &din, &dtr);
        if (want_inf && d->inference_min_gpus == 0 && din.total_bytes <= p->device_bytes) {
            d->inference_min_gpus = n;
        }
        if (want_train && d->training_min_gpus == 0 && dtr.total_bytes <= p->device_bytes) {
            d->training_min_gpus = n;
        }
    }
}

/* ---- The entry point ------------------------------------------------------ */

static enum mm_status check_params(const struct mm_memory_params *p, struct mm_error *err)
{
    const char *why = NULL;
    if (p->version != MM_MEMORY_PARAMS_VERSION) {
        why = "unknown parameters version";
    } else if (p->gpus == 0 || p->gpus > MM_LIMIT_GPUS) {
        why = "gpus out of range";
    } else if (p->batch == 0) {
        why = "batch must be at least 1";
    } else if (p->nlora_targets > MM_LIMIT_LORA_TARGETS) {
        why = "too many LoRA targets";
    } else if ((unsigned)p->train > MM_TRAIN_QLORA || (unsigned)p->optimizer > MM_OPT_ADAFACTOR ||
               (unsigned)p->precision > MM_PREC_FP32 || (unsigned)p->parallel > MM_PAR_ZERO3 ||
               (unsigned)p->attention > MM_ATTN_EAGER) {
        why = "unknown mode";
    }
    if (why != NULL) {
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_INVALID_ARG, NULL, NULL, -1, "%s", why);
    }
    return MM_OK;
}

static enum mm_status load_model(struct model *m, const struct mm_inventory *inv,
                                 const struct mm_config *cfg, struct mm_error *err)
{
    struct mm_estimate est;
    const struct mm_totals *tot = mm_inventory_totals(inv);
    enum mm_status st;
    memset(m, 0, sizeof(*m));
    m->inv = inv;
    m->cfg = cfg;
    m->stored = tot->bytes;
    m->wbytes = float_width(tot);
    if (mm_logical_parameters(&m->params, NULL, inv, cfg) != MM_OK) {
        return mm_fail_nomem(err, NULL);
    }
    st = mm_estimate_run(&est, inv, NULL, err);
    if (st != MM_OK) {
        return st;
    }
    m->largest = est.largest_layer_parameters;
    if (cfg != NULL && mm_config_geometry(cfg)->source != MM_GEOMETRY_NONE) {
        m->g = *mm_config_geometry(cfg);
    } else {
        mm_geometry_from_tensors(&m->g, inv);
    }
    return MM_OK;
}

enum mm_status mm_memory_run(struct mm_memory *out, const struct mm_inventory *inv,
                             const struct mm_config *cfg, const struct mm_memory_params *p,
                             struct mm_error *err)
{
    struct calc c = {0};
    struct model m;
    enum mm_status st;
    mm_error_clear(err);
    if (out == NULL || inv == NULL || p == NULL) {
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_INVALID_ARG, NULL, NULL, -1,
                       "no inventory or parameters");
    }
    memset(out, 0, sizeof(*out));
    st = check_params(p, err);
    if (st == MM_OK) {
        st = load_model(&m, inv, cfg, err);
    }
    if (st != MM_OK) {
        return st;
    }
    out->logical_parameters = m.params;
    out->geometry = m.g;
    if ((p->inference || p->train != MM_TRAIN_NONE) && m.g.source == MM_GEOMETRY_NONE) {
        const char *file = mm_inventory_file_count(inv) > 0 ? mm_inventory_file(inv, 0)->path
                                                            : NULL;
        return mm_fail(err, MM_ERR_UNSUPPORTED, MM_E_GEOMETRY_UNKNOWN, file, NULL, -1,
                       "no config.json geometry and no attention layers recognised in the "
                       "tensor names: KV cache and activations cannot be estimated");
    }
    if (p->inference) {
        const unsigned kvb = p->kv_bytes != 0 ? p->kv_bytes : m.wbytes;
        out->has_inference = 1;
        out->inference.weights_bytes = m.stored;
        out->inference.state_bytes = state_bytes(&c, &m, p);
        out->inference.kv_cache_bytes =
            add(&c, kv_cache(&c, &m.g, p, kvb), out->inference.state_bytes);
        out->inference.kv_bytes_per_token =
            m.g.encoder_only ? 0
                             : mul(&c, kv_width(&c, &m.g, kvb),
                                   m.g.layers - min_u64(m.g.no_kv_layers, m.g.layers));
        out->inference.activation_bytes = inference_activations(&c, &m, p);
        out->inference.overhead_bytes = p->overhead_bytes;
        inference_total(&c, &out->inference);
    }
    if (p->train != MM_TRAIN_NONE) {
        out->has_training = 1;
        training(&c, &out->training, &m, p);
        training_total(&c, &out->training);
    }
    per_device(&c, &m, p, p->gpus, &out->inference, &out->training, &out->device_inference,
               &out->device_training);
    out->device.inference_bytes = out->device_inference.total_bytes;
    out->device.training_bytes = out->device_training.total_bytes;
    if (p->device_bytes != 0) {
        struct mm_device *d = &out->device;
        d->inference_fits = d->inference_bytes <= p->device_bytes;
        d->training_fits = d->training_bytes <= p->device_bytes;
        d->inference_headroom = headroom(p->device_bytes, d->inference_bytes);
        d->training_headroom = headroom(p->device_bytes, d->training_bytes);
        min_gpus(&c, &m, p, &out->inference, &out->training, d, out->has_inference,
                 out->has_training);
    }
    if (c.overflow) {
        return mm_fail(err, MM_ERR_LIMIT, MM_E_INVALID_ARG, NULL, NULL, -1,
                       "a memory figure exceeds 2^64 bytes; lower --context or --batch");
    }
    return MM_OK;
}
