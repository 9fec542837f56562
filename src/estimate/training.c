/*
 * training.c - a training step's memory as the frameworks allocate it, for
 * the whole model on one device (zero.c splits it across devices). Pure;
 * every figure an exact integer. Sources, formulas and the measurements
 * they were checked against: modelmem(1) and the README, "Training".
 *
 *  states: weights (as trained; QLoRA's NF4 base with its fp32-cast
 *    embeddings and norms), fp32 master copy (mixed precision under
 *    DeepSpeed, FSDP, Megatron; autocast over fp32 weights otherwise, as
 *    transformers' Trainer runs it), gradients, optimizer states.
 *  peak activations, without checkpointing: every layer's activations
 *    (Korthikanti et al. 2022, eq. 2) + LoRA's adapter outputs (and its
 *    dropout copies) + the loss path; with full recomputation: every
 *    layer's input + the larger of the loss path and one layer recomputed.
 *  loss path: fp32 logits and their gradient, 12 bytes per token and
 *    vocabulary entry (log-softmax output, its incoming gradient and its
 *    result alive together in backward); 6 in 16 bits without an upcast;
 *    a chunk of logits for a fused linear cross-entropy (Liger).
 *  fragmentation: the caching allocator's reserve, a share of the
 *    activations (MM_FRAG_NUM / MM_FRAG_DEN).
 */
#include <string.h>

#include "estimate/mem_internal.h"

/* The caching allocator's reserve beyond the live tensors, as a share of
 * the activations: transformers' "model memory anatomy" measured 14,949 MiB
 * for bert-large fp32 (batch 4, 512 tokens, eager attention) where the
 * tensors counted here add up to 13,561 MiB with its 1,343 MiB context:
 * 1,388 MiB, 19.5 % of its 7,104 MiB of activations. (GMLake, ASPLOS 2024,
 * measured 15 % of reserved memory fragmented on average in LLM
 * fine-tuning.) */
#define MM_FRAG_NUM 1u
#define MM_FRAG_DEN 5u

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
    *in = mul(c, t->shape[1], 32 / bits);
    if (strcmp(suf, "qweight") == 0) {
        const int awq = method != NULL && strcmp(method, "awq") == 0;
        *in = awq ? t->shape[0] : mul(c, t->shape[0], 32 / bits);
        *out = awq ? mul(c, t->shape[1], 32 / bits) : t->shape[1];
    }
    return 1;
}

static int is_embedding_or_head(const char *n)
{
    return strstr(n, "embed") != NULL || strstr(n, "wte.") != NULL ||
           strstr(n, "wpe.") != NULL || strstr(n, "lm_head") != NULL ||
           strstr(n, "token_embd") != NULL || strstr(n, "output.weight") != NULL;
}

/* The adapted weights: how many, and the sum of their input widths. */
struct adapted {
    uint64_t params;  /* LoRA's trainable parameters */
    uint64_t modules; /* adapted weights, all layers */
    uint64_t inputs;  /* sum of their input widths */
    uint64_t largest; /* the largest adapted or 2-D weight's logical elements */
    uint64_t linear;  /* logical elements of all 2-D weights but embeddings and head */
};

/* LoRA: r x (in + out) per targeted weight (PEFT's A: r x in, B: out x r). */
static void lora_scan(struct mm_calc *c, struct adapted *a, const struct model *m,
                      const struct mm_memory_params *p)
{
    const size_t n = mm_inventory_tensor_count(m->inv);
    size_t i;
    memset(a, 0, sizeof(*a));
    for (i = 0; i < n; i++) {
        const struct mm_tensor *t = mm_inventory_tensor(m->inv, i);
        const char *mod = NULL;
        size_t ml = 0;
        const char *suf = weight_module(t->name, &mod, &ml);
        uint64_t out;
        uint64_t in;
        if (suf == NULL || !lora_dims(c, m, t, suf, mod, ml, &out, &in)) {
            continue;
        }
        if (!is_embedding_or_head(t->name)) {
            a->largest = max_u64(a->largest, mul(c, out, in));
            a->linear = add(c, a->linear, mul(c, out, in));
        }
        if (lora_target(mod, ml, p)) {
            a->params = add(c, a->params, mul(c, p->lora_rank, add(c, in, out)));
            a->modules++;
            a->inputs = add(c, a->inputs, in);
        }
    }
}


/* QLoRA's frozen base: NF4 with double quantization (Dettmers et al. 2023):
 * per 64 weights 32 bytes of codes + an 8-bit block scale, per 256 blocks
 * one fp32 second-level scale; everything but 2-D linear weights (norms,
 * embeddings, the LM head) is left unquantized by bitsandbytes, and PEFT's
 * prepare_model_for_kbit_training then casts those to fp32 (4 bytes). */
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
            sum = add(c, sum, ceil_div(e, 2));
            sum = add(c, sum, ceil_div(e, 64));
            sum = add(c, sum, mul(c, 4, ceil_div(e, 64 * 256)));
        } else {
            sum = add(c, sum, mul(c, e, 4));
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
            sum = add(c, sum, t->numel / t->shape[t->rank - 1]);
            sum = add(c, sum, t->numel / t->shape[t->rank - 2]);
        } else {
            sum = add(c, sum, t->numel);
        }
    }
    return sum;
}


/* A sequence-classification head ("classifier", "score": BERT's and
 * transformers' ...ForSequenceClassification) scores one position per
 * sequence over a few labels: no vocabulary-wide logits. */
static int classifier_head(const struct model *m)
{
    const size_t n = mm_inventory_tensor_count(m->inv);
    size_t i;
    for (i = 0; i < n; i++) {
        const char *name = mm_inventory_tensor(m->inv, i)->name;
        if (strcmp(name, "classifier.weight") == 0 || strcmp(name, "score.weight") == 0 ||
            strcmp(name, "classifier.out_proj.weight") == 0) {
            return 1;
        }
    }
    return 0;
}

int mm_eager_attention(const struct model *m, const struct mm_memory_params *p)
{
    /* transformers' classes with no SDPA path: disentangled attention,
     * T5's relative position bias, XLNet's two streams */
    static const char *const eager[] = {"deberta", "deberta-v2", "t5", "mt5", "longt5",
                                        "xlnet", NULL};
    const char *mt = mm_config_model_type(m->cfg);
    size_t i;
    if (p->attention != MM_ATTN_AUTO) {
        return p->attention == MM_ATTN_EAGER;
    }
    for (i = 0; mt != NULL && eager[i] != NULL; i++) {
        if (strcmp(mt, eager[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

int mm_train_checkpointing(const struct mm_memory_params *p)
{
    if (p->checkpointing == MM_CKPT_AUTO) {
        return p->train == MM_TRAIN_LORA || p->train == MM_TRAIN_QLORA;
    }
    return p->checkpointing == MM_CKPT_ON;
}

/* Optimizer state bytes for `n` trainable parameters. */
static uint64_t optimizer_bytes(struct mm_calc *c, const struct model *m,
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

int mm_train_amp(const struct mm_memory_params *p, enum mm_parallel par)
{
    return p->precision != MM_PREC_FP32 && p->train == MM_TRAIN_FULL &&
           (par == MM_PAR_NONE || par == MM_PAR_DP);
}

void mm_train_states(struct mm_calc *c, struct mm_training *t, const struct model *m,
                     const struct mm_memory_params *p, enum mm_parallel par)
{
    const int mixed = p->precision != MM_PREC_FP32;
    memset(t, 0, sizeof(*t));
    t->checkpointing = mm_train_checkpointing(p);
    t->parallel = par;
    if (mm_train_amp(p, par)) {
        /* torch.autocast over an fp32 model (transformers' Trainer): fp32
         * weights, their 16-bit copies cached by autocast for the step,
         * fp32 gradients; the weights are their own master copy */
        t->trainable_parameters = m->params;
        t->weights_bytes = mul(c, m->params, 6);
        t->gradients_bytes = mul(c, m->params, 4);
    } else if (p->train == MM_TRAIN_FULL) {
        t->trainable_parameters = m->params;
        t->weights_bytes = mul(c, m->params, mixed ? 2 : 4);
        t->master_bytes = mixed ? mul(c, m->params, 4) : 0;
        t->gradients_bytes = mul(c, m->params, mixed ? 2 : 4);
    } else {
        const uint64_t base = p->train == MM_TRAIN_QLORA ? nf4_bytes(c, m) : m->stored;
        struct adapted a;
        lora_scan(c, &a, m, p);
        t->trainable_parameters = a.params;
        /* PEFT keeps adapters in fp32 (autocast_adapter_dtype) */
        t->weights_bytes = add(c, base, mul(c, t->trainable_parameters, 4));
        t->gradients_bytes = mul(c, t->trainable_parameters, 4);
    }
    t->optimizer_bytes = optimizer_bytes(c, m, p, t->trainable_parameters);
    t->overhead_bytes = p->overhead_bytes;
}

/* Korthikanti et al. 2022, eq. 2 and 4 (tensor parallel t, no sequence
 * parallelism): per layer s.b.h.(10 + 24/t + 5.a.s/(h.t)) bytes, which for
 * t = 1 is s.b.h.(34 + 5.a.s/h); written as 10sbh + 24sbh/t + 5as^2b/t so
 * that it stays an exact integer. The 5as^2b term is the attention scores,
 * softmax output and dropout mask that eager attention keeps; fused
 * (flash, memory-efficient SDPA) kernels keep none of them, so it is only
 * counted with MM_ATTN_EAGER (the paper's own assumption). */
static uint64_t layer_acts(struct mm_calc *c, const struct model *m,
                           const struct mm_memory_params *p, uint64_t t, int amp)
{
    const struct mm_geometry *g = &m->g;
    const uint64_t sbh = mul3(c, p->context, p->batch, g->hidden);
    const int eager = mm_eager_attention(m, p);
    /* a s^2 b, only computed where eager attention keeps it */
    const uint64_t ss = eager ? mul3(c, g->heads, mul(c, p->context, p->context), p->batch) : 0;
    uint64_t v;
    if (amp) {
        /* autocast: layer norms and softmax run in fp32, so the residual
         * stream is fp32: both norms keep a 4-byte input (8sbh, not 4), and
         * the query, key and value projections each keep their own 16-bit
         * cast of it (6sbh, not 2); eager attention keeps an fp32 softmax
         * output, its mask and the 16-bit copy the next matmul takes
         * (7as^2b, not 5) */
        v = mul(c, 42, sbh);
        return eager ? add(c, v, mul(c, 7, ss)) : v;
    }
    v = add(c, mul(c, 10, sbh), ceil_div(mul(c, 24, sbh), t));
    if (eager) {
        v = add(c, v, ceil_div(mul(c, 5, ss), t));
    }
    return p->precision == MM_PREC_FP32 ? mul(c, v, 2) : v;
}

/* LoRA's own activations in one layer: each adapter's A output (s.b.r) and,
 * with dropout, the dropped copy of its input and the mask (PEFT applies
 * lora_dropout per adapter), in the activations' width. */
static uint64_t lora_layer_acts(struct mm_calc *c, const struct model *m,
                                const struct mm_memory_params *p, const struct adapted *a)
{
    const uint64_t e = p->precision == MM_PREC_FP32 ? 4 : 2;
    const uint64_t sb = mul(c, p->context, p->batch);
    const uint64_t layers = m->g.layers != 0 ? m->g.layers : 1;
    uint64_t v = mul3(c, sb, mul(c, ceil_div(a->modules, layers), p->lora_rank), e);
    if (p->lora_dropout) {
        v = add(c, v, mul3(c, sb, ceil_div(a->inputs, layers), e + 1));
    }
    return v;
}

/* The loss path's peak: the logits, their log-softmax and its gradients.
 * In backward the log-softmax output, the gradient arriving from the loss
 * and the one it produces are alive together: 3 x 4 bytes per token and
 * vocabulary entry once upcast to fp32 (transformers' ForCausalLMLoss calls
 * logits.float(); under autocast cross_entropy runs in fp32 anyway), 3 x 2
 * in 16 bits. Liger's fused linear cross-entropy materialises a chunk of
 * next_power_of_2(ceil(BT / ceil(V / H))) rows of logits at a time, plus
 * the gradient of the hidden states. */
static uint64_t loss_path(struct mm_calc *c, const struct model *m,
                          const struct mm_memory_params *p, uint64_t t)
{
    const struct mm_geometry *g = &m->g;
    const uint64_t e = p->precision == MM_PREC_FP32 ? 4 : 2;
    const uint64_t sb = mul(c, p->context, p->batch);
    uint64_t v;
    if (classifier_head(m) || g->vocab == 0) {
        return 0;
    }
    if (p->loss == MM_LOSS_FUSED) {
        const uint64_t ratio = ceil_div(g->vocab, g->hidden != 0 ? g->hidden : 1);
        const uint64_t rows = ceil_div(sb, ratio);
        uint64_t chunk = 1;
        while (chunk < rows && chunk <= UINT64_MAX / 2) {
            chunk *= 2;
        }
        v = add(c, mul3(c, min_u64(chunk, sb), g->vocab, e), mul3(c, sb, g->hidden, e));
    } else {
        v = mul3(c, sb, g->vocab, p->loss == MM_LOSS_16BIT ? 3 * e : 12);
    }
    /* QLoRA on a 16-bit checkpoint: the head, cast to fp32 by PEFT, is
     * cast back to 16 bits by autocast and the copy kept for backward */
    if (p->train == MM_TRAIN_QLORA && mm_config_quant_method(m->cfg) == NULL &&
        p->precision != MM_PREC_FP32) {
        v = add(c, v, mul3(c, g->vocab, g->hidden, 2));
    }
    return ceil_div(v, t);
}

void mm_train_activations(struct mm_calc *c, struct mm_training *t, const struct model *m,
                          const struct mm_memory_params *p, uint64_t tp)
{
    const struct mm_geometry *g = &m->g;
    const int amp = mm_train_amp(p, t->parallel);
    const char *method = mm_config_quant_method(m->cfg);
    const int gptq = p->train != MM_TRAIN_FULL && method != NULL && strcmp(method, "gptq") == 0;
    /* the residual stream between layers: fp32 under autocast */
    const int fp32 = p->precision == MM_PREC_FP32 || amp;
    struct adapted a;
    uint64_t one;
    uint64_t inputs;
    memset(&a, 0, sizeof(a));
    if (p->train != MM_TRAIN_FULL) {
        lora_scan(c, &a, m, p);
    }
    one = add(c, layer_acts(c, m, p, tp, amp),
              p->train != MM_TRAIN_FULL ? lora_layer_acts(c, m, p, &a) : 0);
    if (gptq) {
        /* AutoGPTQ's torch path (qlinear_cuda_old, inputs over its kernel
         * threshold) dequantizes each weight to fp16 and calls
         * torch.matmul, which keeps that copy for backward: a layer holds
         * its weights dequantized */
        one = add(c, one, ceil_div(mul(c, ceil_div(a.linear, g->layers ? g->layers : 1), 2), tp));
    }
    inputs = mul3(c, fp32 ? 4 : 2, mul(c, p->context, p->batch), g->hidden);
    t->loss_bytes = loss_path(c, m, p, tp);
    t->activations_full_bytes = add(c, mul(c, g->layers, one), t->loss_bytes);
    /* full recomputation: every layer keeps its input; then either the loss
     * path or the layer being recomputed (its own input among its
     * activations) is at its peak */
    t->activations_checkpointed_bytes =
        add(c, mul(c, g->layers - (g->layers > 0), inputs),
            max_u64(add(c, t->loss_bytes, inputs), one));
    t->activation_bytes =
        t->checkpointing ? t->activations_checkpointed_bytes : t->activations_full_bytes;
    t->fragmentation_bytes = ceil_div(mul(c, t->activation_bytes, MM_FRAG_NUM), MM_FRAG_DEN);
    /* QLoRA and LoRA over a quantized base dequantize one weight at a time
     * into 16 bits for the matmul (bitsandbytes' MatMul4Bit); GPTQ's torch
     * path also builds the unpacked int8 codes and the gathered scales of
     * that weight on the way (1 + 2 bytes per weight) */
    t->buffers_bytes = 0;
    if (gptq) {
        t->buffers_bytes = mul(c, a.largest, 5);
    } else if (p->train == MM_TRAIN_QLORA ||
               (p->train == MM_TRAIN_LORA && mm_config_quant_method(m->cfg) != NULL)) {
        t->buffers_bytes = mul(c, a.largest, 2);
    }
}

void mm_train_total(struct mm_calc *c, struct mm_training *t)
{
    uint64_t v = add(c, t->weights_bytes, t->master_bytes);
    v = add(c, v, t->gradients_bytes);
    v = add(c, v, t->optimizer_bytes);
    v = add(c, v, t->activation_bytes);
    v = add(c, v, t->buffers_bytes);
    v = add(c, v, t->fragmentation_bytes);
    t->total_bytes = add(c, v, t->overhead_bytes);
}
