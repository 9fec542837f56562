/*
 * memory.c - inference and training memory, per model and per device.
 * A pure function of the inventory, the parsed config and the parameters;
 * every figure is an exact integer (uint64, overflow-checked). The formulas
 * and their sources are in modelmem(1) and the README, "How the estimates
 * are made"; in short:
 *
 *  inference: the runtime's plan (plan_transformers.c, plan_vllm.c) and
 *    the fit questions (fit.c);
 *  training: weights, fp32 master copy, gradients, optimizer states, and
 *    activations per layer s.b.h.(34 + 5.a.s/h) bytes (Korthikanti et al.
 *    2022, 16-bit), 2.s.b.h with full recomputation plus one layer
 *    recomputed, plus 6.s.b.V for the logits (bf16, then fp32 for the loss).
 */
#include <stddef.h>
#include <string.h>

#include "core/checked.h"
#include "estimate/plan.h"
#include "model/config_internal.h"

/* Arithmetic that remembers an overflow instead of wrapping (struct
 * mm_calc, plan.h). Once one is set the figures mean nothing:
 * mm_memory_run then returns MM_ERR_LIMIT and hands none of them out. */

static uint64_t mul3(struct mm_calc *c, uint64_t a, uint64_t b, uint64_t d)
{
    return mm_calc_mul(c, mm_calc_mul(c, a, b), d);
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
static int lora_dims(struct mm_calc *c, const struct model *m, const struct mm_tensor *t,
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
    *in = mm_calc_mul(c, t->shape[1], 32 / bits);
    if (strcmp(suf, "qweight") == 0) {
        const int awq = method != NULL && strcmp(method, "awq") == 0;
        *in = awq ? t->shape[0] : mm_calc_mul(c, t->shape[0], 32 / bits);
        *out = awq ? mm_calc_mul(c, t->shape[1], 32 / bits) : t->shape[1];
    }
    return 1;
}

/* LoRA: r x (in + out) per targeted weight (PEFT's A: r x in, B: out x r). */
static uint64_t lora_params(struct mm_calc *c, const struct model *m,
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
            sum = mm_calc_add(c, sum, mm_calc_mul(c, p->lora_rank, mm_calc_add(c, in, out)));
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
static uint64_t nf4_bytes(struct mm_calc *c, const struct model *m)
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
            sum = mm_calc_add(c, sum, mm_calc_ceil_div(e, 2));
            sum = mm_calc_add(c, sum, mm_calc_ceil_div(e, 64));
            sum = mm_calc_add(c, sum, mm_calc_mul(c, 4, mm_calc_ceil_div(e, 64 * 256)));
        } else {
            sum = mm_calc_add(c, sum, mm_calc_mul(c, e, 2));
        }
    }
    return sum;
}

/* Adafactor's factored second moment (Shazeer & Stern 2018, as in
 * transformers' Adafactor without momentum): a row and a column vector per
 * matrix, the full tensor otherwise; fp32. */
static uint64_t adafactor_elems(struct mm_calc *c, const struct model *m)
{
    const size_t n = mm_inventory_tensor_count(m->inv);
    uint64_t sum = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        const struct mm_tensor *t = mm_inventory_tensor(m->inv, i);
        if (t->rank >= 2 && t->shape[t->rank - 1] != 0 && t->shape[t->rank - 2] != 0) {
            sum = mm_calc_add(c, sum, t->numel / t->shape[t->rank - 1]);
            sum = mm_calc_add(c, sum, t->numel / t->shape[t->rank - 2]);
        } else {
            sum = mm_calc_add(c, sum, t->numel);
        }
    }
    return sum;
}

/* ---- Training ------------------------------------------------------------- */

/* Korthikanti et al. 2022, eq. 2 and 4 (tensor parallel t, no sequence
 * parallelism): per layer s.b.h.(10 + 24/t + 5.a.s/(h.t)) bytes, which for
 * t = 1 is s.b.h.(34 + 5.a.s/h); written as 10sbh + 24sbh/t + 5as^2b/t so
 * that it stays an exact integer. The 5as^2b term is the attention scores,
 * softmax output and dropout mask that eager attention keeps; fused
 * (flash, memory-efficient SDPA) kernels keep none of them, so it is only
 * counted with MM_ATTN_EAGER (the paper's own assumption). */
static uint64_t layer_acts(struct mm_calc *c, const struct model *m,
                           const struct mm_memory_params *p, uint64_t t)
{
    const struct mm_geometry *g = &m->g;
    const uint64_t sbh = mul3(c, p->context, p->batch, g->hidden);
    uint64_t v = mm_calc_add(c, mm_calc_mul(c, 10, sbh), mm_calc_ceil_div(mm_calc_mul(c, 24, sbh), t));
    if (p->attention == MM_ATTN_EAGER) {
        const uint64_t attn =
            mul3(c, mm_calc_mul(c, 5, g->heads), mm_calc_mul(c, p->context, p->context), p->batch);
        v = mm_calc_add(c, v, mm_calc_ceil_div(attn, t));
    }
    return p->precision == MM_PREC_FP32 ? mm_calc_mul(c, v, 2) : v;
}

static void training_acts(struct mm_calc *c, const struct model *m,
                          const struct mm_memory_params *p, uint64_t t, uint64_t *full,
                          uint64_t *ckpt)
{
    const struct mm_geometry *g = &m->g;
    const uint64_t one = layer_acts(c, m, p, t);
    const int fp32 = p->precision == MM_PREC_FP32;
    const uint64_t logits =
        mm_calc_ceil_div(mul3(c, mm_calc_mul(c, p->context, p->batch), g->vocab, fp32 ? 8 : 6), t);
    const uint64_t inputs = mul3(c, fp32 ? 4 : 2, mm_calc_mul(c, p->context, p->batch), g->hidden);
    *full = mm_calc_add(c, mm_calc_mul(c, g->layers, one), logits);
    /* full recomputation: every other layer keeps only its input while the
     * layer being recomputed holds all of its activations (its own input
     * among them) */
    *ckpt = mm_calc_add(c, mm_calc_add(c, mm_calc_mul(c, g->layers - (g->layers > 0), inputs), one), logits);
}

/* Optimizer state bytes for `n` trainable parameters. */
static uint64_t optimizer_bytes(struct mm_calc *c, const struct model *m,
                                const struct mm_memory_params *p, uint64_t n)
{
    switch (p->optimizer) {
    case MM_OPT_ADAMW:
        return mm_calc_mul(c, n, 8); /* m and v in fp32 */
    case MM_OPT_ADAMW8BIT:
        return mm_calc_mul(c, n, 2); /* bitsandbytes: m and v in 8 bits */
    case MM_OPT_SGD:
        return mm_calc_mul(c, n, 4); /* momentum buffer in fp32 */
    case MM_OPT_ADAFACTOR:
        if (p->train == MM_TRAIN_FULL) {
            return mm_calc_mul(c, adafactor_elems(c, m), 4);
        }
        return mm_calc_mul(c, n, 4); /* LoRA factors are thin: about one vector each */
    }
    return 0;
}

static void training(struct mm_calc *c, struct mm_training *t, const struct model *m,
                     const struct mm_memory_params *p)
{
    const int mixed = p->precision != MM_PREC_FP32;
    memset(t, 0, sizeof(*t));
    if (p->train == MM_TRAIN_FULL) {
        t->trainable_parameters = m->params;
        t->weights_bytes = mm_calc_mul(c, m->params, mixed ? 2 : 4);
        t->master_bytes = mixed ? mm_calc_mul(c, m->params, 4) : 0;
        t->gradients_bytes = mm_calc_mul(c, m->params, mixed ? 2 : 4);
    } else {
        const uint64_t base = p->train == MM_TRAIN_QLORA ? nf4_bytes(c, m) : m->stored;
        t->trainable_parameters = lora_params(c, m, p);
        /* PEFT keeps adapters in fp32 (autocast_adapter_dtype) */
        t->weights_bytes = mm_calc_add(c, base, mm_calc_mul(c, t->trainable_parameters, 4));
        t->gradients_bytes = mm_calc_mul(c, t->trainable_parameters, 4);
    }
    t->optimizer_bytes = optimizer_bytes(c, m, p, t->trainable_parameters);
    training_acts(c, m, p, 1, &t->activations_full_bytes, &t->activations_checkpointed_bytes);
    t->activation_bytes =
        p->checkpointing ? t->activations_checkpointed_bytes : t->activations_full_bytes;
    t->overhead_bytes = p->overhead_bytes;
}

static void training_total(struct mm_calc *c, struct mm_training *t)
{
    uint64_t v = mm_calc_add(c, t->weights_bytes, t->master_bytes);
    v = mm_calc_add(c, v, t->gradients_bytes);
    v = mm_calc_add(c, v, t->optimizer_bytes);
    v = mm_calc_add(c, v, t->activation_bytes);
    t->total_bytes = mm_calc_add(c, v, t->overhead_bytes);
}

/* ---- Many devices ----------------------------------------------------------- */

/*
 * What one of n devices holds in training (inference: the runtime plans,
 * fit.c). Tensor parallel: weights and training states split n ways,
 * activations by Korthikanti's t formula. Pipeline parallel and the layer
 * split: layers split, so weights and states split; activations stay whole
 * (with 1F1B the first stage keeps n micro-batches of L/n layers). ZeRO
 * (Rajbhandari et al. 2020): stage 1 splits optimizer states and the fp32
 * master, stage 2 also gradients, stage 3 also the weights, plus the
 * largest layer gathered whole.
 */
static void per_device(struct mm_calc *c, const struct model *m, const struct mm_memory_params *p,
                       unsigned n, const struct mm_training *tr, struct mm_training *dtr)
{
    const enum mm_parallel par = n > 1 ? p->parallel : MM_PAR_DP;
    const uint64_t gathered = mm_calc_mul(c, m->largest, m->wbytes);
    *dtr = *tr;
    switch (par) {
    case MM_PAR_NONE:
    case MM_PAR_DP:
        return;
    case MM_PAR_TP:
    case MM_PAR_PP:
    case MM_PAR_LAYERS:
        dtr->weights_bytes = mm_calc_ceil_div(tr->weights_bytes, n);
        dtr->master_bytes = mm_calc_ceil_div(tr->master_bytes, n);
        dtr->gradients_bytes = mm_calc_ceil_div(tr->gradients_bytes, n);
        dtr->optimizer_bytes = mm_calc_ceil_div(tr->optimizer_bytes, n);
        if (par == MM_PAR_TP && m->g.source != MM_GEOMETRY_NONE && tr->total_bytes != 0) {
            training_acts(c, m, p, n, &dtr->activations_full_bytes,
                          &dtr->activations_checkpointed_bytes);
            dtr->activation_bytes = p->checkpointing ? dtr->activations_checkpointed_bytes
                                                     : dtr->activations_full_bytes;
        }
        break;
    case MM_PAR_ZERO3:
        dtr->weights_bytes = mm_calc_add(c, mm_calc_ceil_div(tr->weights_bytes, n), gathered);
        /* fall through */
    case MM_PAR_ZERO2:
        dtr->gradients_bytes = mm_calc_ceil_div(tr->gradients_bytes, n);
        /* fall through */
    case MM_PAR_ZERO1:
        dtr->master_bytes = mm_calc_ceil_div(tr->master_bytes, n);
        dtr->optimizer_bytes = mm_calc_ceil_div(tr->optimizer_bytes, n);
        break;
    }
    training_total(c, dtr);
}


/* The smallest device count, under the same split, whose training figure
 * fits. */
static unsigned min_gpus(struct mm_calc *c, const struct model *m, const struct mm_memory_params *p,
                         const struct mm_training *tr)
{
    unsigned n;
    for (n = 1; n <= MM_LIMIT_GPUS; n++) {
        struct mm_training dtr;
        per_device(c, m, p, n, tr, &dtr);
        if (dtr.total_bytes <= p->device_bytes) {
            return n;
        }
    }
    return 0;
}

/* ---- The entry point ------------------------------------------------------ */

/* Checks the caller's parameters into `q`, version 2: a version 1 caller's
 * struct ends before `runtime`, its overhead was always its own and its
 * MM_PAR_NONE meant a replica per device. */
static enum mm_status check_params(struct mm_memory_params *q, const struct mm_memory_params *p,
                                   struct mm_error *err)
{
    const struct mm_memory_params init = MM_MEMORY_PARAMS_INIT;
    const char *why = NULL;
    *q = init;
    if (p->version == 1) {
        memcpy(q, p, offsetof(struct mm_memory_params, runtime));
        q->version = MM_MEMORY_PARAMS_VERSION;
        q->overhead_set = 1;
        q->parallel = q->parallel == MM_PAR_NONE ? MM_PAR_DP : q->parallel;
    } else if (p->version == 2) {
        /* a version 2 caller's struct ends before n_gpu_layers */
        memcpy(q, p, offsetof(struct mm_memory_params, n_gpu_layers));
        q->version = MM_MEMORY_PARAMS_VERSION;
    } else if (p->version == MM_MEMORY_PARAMS_VERSION) {
        *q = *p;
    } else {
        why = "unknown parameters version";
    }
    if (why != NULL) {
    } else if (q->gpus == 0 || q->gpus > MM_LIMIT_GPUS) {
        why = "gpus out of range";
    } else if (q->batch == 0) {
        why = "batch must be at least 1";
    } else if (q->nlora_targets > MM_LIMIT_LORA_TARGETS) {
        why = "too many LoRA targets";
    } else if ((unsigned)q->train > MM_TRAIN_QLORA || (unsigned)q->optimizer > MM_OPT_ADAFACTOR ||
               (unsigned)q->precision > MM_PREC_FP32 || (unsigned)q->parallel > MM_PAR_DP ||
               (unsigned)q->attention > MM_ATTN_EAGER ||
               (unsigned)q->runtime > MM_RUNTIME_LLAMACPP) {
        why = "unknown mode";
    } else if (q->gpu_util_ppm > 1000000 || q->context > MM_LIMIT_TOKENS ||
               q->max_model_len > MM_LIMIT_TOKENS || q->max_num_batched_tokens > MM_LIMIT_TOKENS ||
               q->max_num_seqs > MM_LIMIT_TOKENS) {
        why = "a runtime setting out of range";
    } else if (why == NULL) {
        why = mm_llamacpp_check(q);
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
    st = mm_logical_parameters(&m->params, NULL, inv, cfg);
    if (st == MM_ERR_LIMIT) {
        return mm_fail(err, st, MM_E_CONFIG_INVALID, NULL, NULL, -1,
                       "the logical parameter count passes 2^64 - 1 (quantization bits)");
    }
    if (st != MM_OK) {
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

/* The per-device training total at context x (for the longest context that
 * trains, mm_fit_max); UINT64_MAX where it overflows. */
struct train_at {
    const struct model *m;
    const struct mm_memory_params *q;
};

static uint64_t train_total_at(const void *arg, uint64_t x)
{
    const struct train_at *a = arg;
    struct mm_memory_params q = *a->q;
    struct mm_calc c = {0};
    struct mm_training t;
    struct mm_training dt;
    q.context = x;
    training(&c, &t, a->m, &q);
    training_total(&c, &t);
    per_device(&c, a->m, &q, q.gpus, &t, &dt);
    return c.overflow ? UINT64_MAX : dt.total_bytes;
}

static int from_gguf(const struct mm_inventory *inv)
{
    const size_t n = mm_inventory_file_count(inv);
    size_t i;
    for (i = 0; i < n; i++) {
        if (strcmp(mm_inventory_file(inv, i)->format, "gguf") == 0) {
            return 1;
        }
    }
    return 0;
}

/* The inference plan of the runtime (fit.c), with the runtime and the split
 * resolved in `q`. */
static enum mm_status inference(struct mm_calc *c, struct mm_memory *out, const struct model *m,
                                struct mm_memory_params *q, struct mm_error *err)
{
    struct mm_plan_model pm;
    struct mm_calc pc = {0};
    enum mm_status st;
    memset(&pm, 0, sizeof(pm));
    pm.cfg = m->cfg;
    pm.g = m->g;
    pm.stored = m->stored;
    pm.gathered = mm_calc_mul(c, m->largest, m->wbytes);
    pm.wbytes = m->wbytes;
    pm.kv_bytes = q->kv_bytes != 0 ? q->kv_bytes : m->wbytes;
    pm.gguf = from_gguf(m->inv);
    pm.inv = m->inv;
    q->runtime = mm_plan_runtime(q->runtime, &pm);
    q->parallel = mm_plan_parallel(q->parallel, q->runtime);
    out->runtime = q->runtime;
    out->parallel = q->parallel;
    if (!q->inference) {
        return MM_OK;
    }
    st = mm_plan_run(&pc, out, &pm, q, err);
    c->overflow |= pc.overflow;
    return st;
}

enum mm_status mm_memory_run(struct mm_memory *out, const struct mm_inventory *inv,
                             const struct mm_config *cfg, const struct mm_memory_params *p,
                             struct mm_error *err)
{
    struct mm_calc c = {0};
    struct model m;
    struct mm_memory_params q;
    enum mm_status st;
    mm_error_clear(err);
    if (out == NULL || inv == NULL || p == NULL) {
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_INVALID_ARG, NULL, NULL, -1,
                       "no inventory or parameters");
    }
    memset(out, 0, sizeof(*out));
    st = check_params(&q, p, err);
    if (st == MM_OK) {
        st = load_model(&m, inv, cfg, err);
    }
    if (st != MM_OK) {
        return st;
    }
    out->logical_parameters = m.params;
    out->geometry = m.g;
    if ((q.inference || q.train != MM_TRAIN_NONE) && m.g.source == MM_GEOMETRY_NONE) {
        const char *file = mm_inventory_file_count(inv) > 0 ? mm_inventory_file(inv, 0)->path
                                                            : NULL;
        return mm_fail(err, MM_ERR_UNSUPPORTED, MM_E_GEOMETRY_UNKNOWN, file, NULL, -1,
                       "no config.json geometry and no attention layers recognised in the "
                       "tensor names: KV cache and activations cannot be estimated");
    }
    st = inference(&c, out, &m, &q, err);
    if (st != MM_OK) {
        return st;
    }
    if (q.train != MM_TRAIN_NONE) {
        out->has_training = 1;
        training(&c, &out->training, &m, &q);
        training_total(&c, &out->training);
    }
    per_device(&c, &m, &q, q.gpus, &out->training, &out->device_training);
    out->device.training_bytes = out->device_training.total_bytes;
    if (q.device_bytes != 0 && out->has_training) {
        struct mm_device *d = &out->device;
        const struct train_at at = {&m, &q};
        d->training_fits = d->training_bytes <= q.device_bytes;
        d->training_headroom = mm_calc_diff(&c, q.device_bytes, d->training_bytes);
        d->training_min_gpus = min_gpus(&c, &m, &q, &out->training);
        d->has_training_max_context =
            mm_fit_max(&d->training_max_context, train_total_at, &at, q.device_bytes, 0);
    }
    if (c.overflow) {
        memset(out, 0, sizeof(*out));
        return mm_fail(err, MM_ERR_LIMIT, MM_E_INVALID_ARG, NULL, NULL, -1,
                       "a memory figure would pass 2^64 - 1 bytes, or a headroom leave "
                       "the int64 range");
    }
    return MM_OK;
}
