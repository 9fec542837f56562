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
 *          a sliding-window layer holds min(context, window) tokens.
 *    act = batch x context x (2 hidden + 3 intermediate) x 2 bytes (one
 *          layer's residual, normed input and MLP gate/up/product during
 *          prefill, flash/SDPA attention without an s^2 score matrix)
 *          + batch x vocab x 4 (the last position's fp32 logits).
 *  training: training.c (one device holding everything) and zero.c (split
 *    across devices, buffers, verdict).
 */
#include <string.h>

#include "estimate/mem_internal.h"

/* 4 when most elements are F32/F64, else 2 (bf16/fp16/fp8/int checkpoints
 * run their activations and KV cache in 16 bits). */
static unsigned float_width(const struct mm_totals *tot)
{
    const uint64_t wide = tot->parameters_by_dtype[MM_DTYPE_F32] +
                          tot->parameters_by_dtype[MM_DTYPE_F64];
    return wide > tot->parameters / 2 ? 4 : 2;
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

static uint64_t inference_activations(struct calc *c, const struct model *m,
                                      const struct mm_memory_params *p)
{
    const struct mm_geometry *g = &m->g;
    const uint64_t width = add(c, mul(c, 2, g->hidden), mul(c, 3, g->intermediate));
    uint64_t work = mul3(c, mul(c, p->batch, p->context), width, m->wbytes);
    if (mm_eager_attention(m, p)) {
        /* one layer's scores and probabilities, batch x heads x s^2 each */
        const uint64_t scores = mul3(c, mul(c, p->batch, g->heads), p->context, p->context);
        work = add(c, work, mul3(c, scores, 2, m->wbytes));
    }
    return add(c, work, mul3(c, p->batch, g->vocab, 4));
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
 * What one of n devices holds for inference. Tensor parallel: weights
 * split n ways, the KV cache by heads (tp_kv_split), activations too.
 * Pipeline parallel: layers split, so weights and KV split; activations
 * stay whole. ZeRO-3 and FSDP shard the weights and gather the largest
 * layer whole; ZeRO-1/2 and data parallelism keep a replica each.
 * Training's split is zero.c's.
 */
static void per_device(struct calc *c, const struct model *m, const struct mm_memory_params *p,
                       unsigned n, const struct mm_inference *in, struct mm_inference *din)
{
    const enum mm_parallel par = n > 1 ? p->parallel : MM_PAR_NONE;
    const uint64_t gathered = mul(c, m->largest, m->wbytes);
    *din = *in;
    switch (par) {
    case MM_PAR_TP:
    case MM_PAR_PP:
        din->weights_bytes = ceil_div(in->weights_bytes, n);
        din->kv_cache_bytes =
            ceil_div(in->kv_cache_bytes, par == MM_PAR_TP ? tp_kv_split(m, n) : n);
        if (par == MM_PAR_TP && m->g.source != MM_GEOMETRY_NONE) {
            din->activation_bytes = ceil_div(in->activation_bytes, n);
        }
        break;
    case MM_PAR_ZERO3:
    case MM_PAR_FSDP:
        din->weights_bytes = add(c, ceil_div(in->weights_bytes, n), gathered);
        break;
    case MM_PAR_NONE:
    case MM_PAR_DP:
    case MM_PAR_ZERO1:
    case MM_PAR_ZERO2:
        break;
    }
    inference_total(c, din);
}

/* cap - need exactly, or an overflow when that does not fit an int64:
 * from -2^63 (need - cap - 1 <= INT64_MAX) to 2^63 - 1. */
static int64_t headroom(struct calc *c, uint64_t cap, uint64_t need)
{
    if (cap >= need) {
        if (cap - need > (uint64_t)INT64_MAX) {
            c->overflow = 1;
            return 0;
        }
        return (int64_t)(cap - need);
    }
    if (need - cap - 1 > (uint64_t)INT64_MAX) {
        c->overflow = 1;
        return 0;
    }
    return -(int64_t)(need - cap - 1) - 1;
}

/* The smallest device count (same parallelism; tensor parallel when none
 * was chosen) whose per-device inference figure fits. */
static unsigned inference_min_gpus(struct calc *c, const struct model *m,
                                   const struct mm_memory_params *p,
                                   const struct mm_inference *in)
{
    struct mm_memory_params q = *p;
    unsigned n;
    if (q.parallel == MM_PAR_NONE || q.parallel == MM_PAR_DP) {
        q.parallel = MM_PAR_TP;
    }
    for (n = 1; n <= MM_LIMIT_GPUS; n++) {
        struct mm_inference din;
        per_device(c, m, &q, n, in, &din);
        if (din.total_bytes <= p->device_bytes) {
            return n;
        }
    }
    return 0;
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
               (unsigned)p->precision > MM_PREC_FP32 || (unsigned)p->parallel > MM_PAR_FSDP ||
               (unsigned)p->attention > MM_ATTN_AUTO || (unsigned)p->loss > MM_LOSS_FUSED ||
               (unsigned)p->checkpointing > MM_CKPT_OFF) {
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
    out->eager_attention = mm_eager_attention(&m, p);
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
        out->inference.kv_cache_bytes = kv_cache(&c, &m.g, p, kvb);
        out->inference.kv_bytes_per_token =
            m.g.encoder_only ? 0
                             : mul(&c, kv_width(&c, &m.g, kvb),
                                   m.g.layers - min_u64(m.g.no_kv_layers, m.g.layers));
        out->inference.activation_bytes = inference_activations(&c, &m, p);
        out->inference.overhead_bytes = p->overhead_bytes;
        inference_total(&c, &out->inference);
    }
    if (p->inference) {
        per_device(&c, &m, p, p->gpus, &out->inference, &out->device_inference);
    }
    if (p->train != MM_TRAIN_NONE) {
        out->has_training = 1;
        mm_train_plan(&c, &m, p, &out->training, &out->device_training);
    }
    out->device.inference_bytes = out->device_inference.total_bytes;
    out->device.training_bytes = out->device_training.total_bytes;
    if (p->device_bytes != 0) {
        struct mm_device *d = &out->device;
        if (out->has_inference) {
            d->inference_fits = d->inference_bytes <= p->device_bytes;
            d->inference_headroom = headroom(&c, p->device_bytes, d->inference_bytes);
            d->inference_min_gpus = inference_min_gpus(&c, &m, p, &out->inference);
        }
        if (out->has_training && !c.overflow) {
            d->training_fits = d->training_bytes <= p->device_bytes;
            d->training_headroom = headroom(&c, p->device_bytes, d->training_bytes);
            mm_train_verdict(&m, p, &out->device_training, d);
        }
    }
    if (c.overflow) {
        memset(out, 0, sizeof(*out));
        return mm_fail(err, MM_ERR_LIMIT, MM_E_INVALID_ARG, NULL, NULL, -1,
                       "a memory figure would pass 2^64 - 1 bytes, or a headroom leave "
                       "the int64 range");
    }
    return MM_OK;
}
