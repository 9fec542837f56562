/*
 * memory.c - inference and training memory, per model and per device.
 * A pure function of the inventory, the parsed config and the parameters;
 * every figure is an exact integer (uint64, overflow-checked). The formulas
 * and their sources are in modelmem(1) and the README, "How the estimates
 * are made"; in short:
 *
 *  inference: the runtime's plan (plan_transformers.c, plan_vllm.c,
 *    plan_llamacpp.c) and the fit questions (fit.c);
 *  training: training.c (one device holding everything) and zero.c (split
 *    across devices, buffers, verdict).
 */
#include <stddef.h>
#include <string.h>

#include "estimate/mem_internal.h"
#include "estimate/plan.h"

/* 4 when most elements are F32/F64, else 2 (bf16/fp16/fp8/int checkpoints
 * run their activations and KV cache in 16 bits). */
static unsigned float_width(const struct mm_totals *tot)
{
    const uint64_t wide = tot->parameters_by_dtype[MM_DTYPE_F32] +
                          tot->parameters_by_dtype[MM_DTYPE_F64];
    return wide > tot->parameters / 2 ? 4 : 2;
}

/* ---- The entry point ------------------------------------------------------ */

/* `p` as the current version in `q` (an older caller gets the defaults it lacks),
 * checked. */
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
        /* version 1's checkpointing was a flag; its attention SDPA or eager */
        q->checkpointing = p->checkpointing != MM_CKPT_AUTO ? MM_CKPT_ON : MM_CKPT_OFF;
    } else if (p->version == 2) {
        /* a version 2 caller's struct ends before loss */
        memcpy(q, p, offsetof(struct mm_memory_params, loss));
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
               (unsigned)q->precision > MM_PREC_FP32 || (unsigned)q->parallel > MM_PAR_FSDP ||
               (unsigned)q->attention > MM_ATTN_AUTO || (unsigned)q->loss > MM_LOSS_FUSED ||
               (unsigned)q->checkpointing > MM_CKPT_OFF ||
               (unsigned)q->runtime > MM_RUNTIME_LLAMACPP || (unsigned)q->load_in > MM_LOAD_NF4) {
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
    if (m->g.layers > MM_LIMIT_LAYERS) {
        return mm_fail(err, MM_ERR_MALFORMED, MM_E_CONFIG_INVALID, NULL, NULL, -1,
                       "the geometry declares %llu layers, more than MM_LIMIT_LAYERS (%u)",
                       (unsigned long long)m->g.layers, MM_LIMIT_LAYERS);
    }
    return MM_OK;
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

/* --load-in: transformers only, a checkpoint stored in floats; the plan
 * then holds the weights as bitsandbytes quantizes them (load_in.c). */
static enum mm_status load_in(struct mm_calc *c, struct mm_plan_model *pm,
                              struct mm_load_in_bytes *lb, const struct model *m,
                              const struct mm_memory_params *q, struct mm_error *err)
{
    const char *why = q->runtime != MM_RUNTIME_TRANSFORMERS
                          ? "load-time quantization is a transformers setting (bitsandbytes)"
                          : (pm->gguf ? "the model is GGUF, already quantized or not, not a "
                                        "checkpoint transformers quantizes while loading"
                                      : mm_load_in_refuses(m->inv, m->cfg));
    if (why != NULL) {
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_INVALID_ARG, NULL, NULL, -1,
                       "cannot load in %s: %s", mm_load_in_name(q->load_in), why);
    }
    mm_load_in_weights(c, lb, m->inv, q->load_in);
    pm->stored = lb->total_bytes;
    return MM_OK;
}

static void set_load_in(struct mm_runtime_detail *d, const struct mm_load_in_bytes *lb,
                        enum mm_load_in l)
{
    d->load_in = l;
    d->quantized_parameters = lb->quantized_parameters;
    d->quantized_bytes = lb->quantized_bytes;
    d->kept_bytes = lb->kept_bytes;
}

/* The inference plan of the runtime (fit.c), with the runtime and the split
 * resolved in `q`. */
static enum mm_status inference(struct mm_calc *c, struct mm_memory *out, const struct model *m,
                                struct mm_memory_params *q, struct mm_error *err)
{
    struct mm_plan_model pm;
    struct mm_load_in_bytes lb;
    struct mm_calc pc = {0};
    enum mm_status st;
    memset(&pm, 0, sizeof(pm));
    memset(&lb, 0, sizeof(lb));
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
    if (q->load_in != MM_LOAD_AS_STORED) {
        st = load_in(&pc, &pm, &lb, m, q, err);
        if (st != MM_OK) {
            return st;
        }
    }
    st = mm_plan_run(&pc, out, &pm, q, err);
    if (st == MM_OK && q->load_in != MM_LOAD_AS_STORED) {
        set_load_in(&out->detail, &lb, q->load_in);
        set_load_in(&out->device_detail, &lb, q->load_in);
    }
    if (st == MM_OK) {
        pm.stored = m->stored;
        mm_quant_fits(&pc, out, &pm, q, m->inv);
    }
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
    struct mm_memory_params tq;
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
    out->eager_attention = mm_eager_attention(&m, &q);
    if ((q.inference || q.train != MM_TRAIN_NONE) && m.g.source == MM_GEOMETRY_NONE) {
        const char *file = mm_inventory_file_count(inv) > 0 ? mm_inventory_file(inv, 0)->path
                                                            : NULL;
        return mm_fail(err, MM_ERR_UNSUPPORTED, MM_E_GEOMETRY_UNKNOWN, file, NULL, -1,
                       "no config.json geometry and no attention layers recognised in the "
                       "tensor names: KV cache and activations cannot be estimated");
    }
    /* training follows its own split (DDP or ZeRO by default), not the
     * inference runtime's */
    tq = q;
    st = inference(&c, out, &m, &q, err);
    if (st != MM_OK) {
        return st;
    }
    if (tq.train != MM_TRAIN_NONE) {
        out->has_training = 1;
        mm_train_plan(&c, &m, &tq, &out->training, &out->device_training);
        out->device.training_bytes = out->device_training.total_bytes;
        if (tq.device_bytes != 0 && !c.overflow) {
            struct mm_device *d = &out->device;
            d->training_fits = d->training_bytes <= tq.device_bytes;
            d->training_headroom = mm_calc_diff(&c, tq.device_bytes, d->training_bytes);
            mm_train_verdict(&m, &tq, &out->device_training, d);
            d->has_training_max_context = 1;
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
