/*
 * plan_transformers.c - inference as `from_pretrained` then `generate`
 * holds it (transformers).
 *
 *  weights     the checkpoint's stored bytes, as loaded
 *  KV cache    generate's default DynamicCache: every layer's K and V for
 *              exactly the tokens seen (sliding layers keep the window)
 *  activations prefill of one layer with fused (SDPA/flash) attention:
 *              batch x context x (2 hidden + 3 intermediate) x float width
 *              (residual, normed input, MLP gate/up/product), plus the last
 *              position's fp32 logits, batch x vocab x 4 (generate computes
 *              logits for the last position only); eager attention adds one
 *              layer's scores and probabilities, 2 x batch x heads x ctx^2
 *  overhead    the CUDA context and allocator slack, --overhead (512 MiB)
 *
 * Several devices: device_map="auto" places whole layers on each device
 * (accelerate's infer_auto_device_map), so weights and KV divide by the
 * count and each device runs its layers over the whole batch (activations
 * whole) with its own CUDA context. Other splits as README "Many GPUs".
 */
#include <string.h>

#include "estimate/plan.h"

static uint64_t activations(struct mm_calc *c, const struct mm_plan_model *m,
                            const struct mm_memory_params *p, uint64_t ctx, uint64_t batch)
{
    const struct mm_geometry *g = &m->g;
    const uint64_t width = mm_calc_add(c, mm_calc_mul(c, 2, g->hidden),
                                       mm_calc_mul(c, 3, g->intermediate));
    uint64_t work = mm_calc_mul(c, mm_calc_mul(c, mm_calc_mul(c, batch, ctx), width), m->wbytes);
    if (p->attention == MM_ATTN_EAGER) {
        const uint64_t scores =
            mm_calc_mul(c, mm_calc_mul(c, mm_calc_mul(c, batch, g->heads), ctx), ctx);
        work = mm_calc_add(c, work, mm_calc_mul(c, mm_calc_mul(c, scores, 2), m->wbytes));
    }
    return mm_calc_add(c, work, mm_calc_mul(c, mm_calc_mul(c, batch, g->vocab), 4));
}

void mm_plan_transformers(struct mm_calc *c, struct mm_runtime_plan *out, const struct mm_plan_model *m,
                          const struct mm_memory_params *p, const struct mm_plan_at *at)
{
    struct mm_inference *in = &out->in;
    const unsigned n = at->n;
    memset(out, 0, sizeof(*out));
    in->weights_bytes = m->stored;
    in->kv_cache_bytes = mm_plan_kv(c, m, at->context, at->batch);
    in->state_bytes = mm_plan_state(c, m, at->batch);
    in->kv_bytes_per_token = mm_calc_mul(c, mm_plan_kv_width(c, m), mm_plan_kv_layers(&m->g));
    in->activation_bytes = activations(c, m, p, at->context, at->batch);
    in->overhead_bytes = p->overhead_bytes;
    out->d.cuda_context_bytes = p->overhead_bytes;
    if (n > 1) {
        switch (at->par) {
        case MM_PAR_TP:
            in->weights_bytes = mm_calc_ceil_div(in->weights_bytes, n);
            in->kv_cache_bytes = mm_calc_ceil_div(in->kv_cache_bytes, mm_plan_kv_split(m, n));
            /* the recurrent state splits by heads like the weights (vLLM
             * divides its heads by the tensor-parallel size) */
            in->state_bytes = mm_calc_ceil_div(in->state_bytes, n);
            in->activation_bytes = mm_calc_ceil_div(in->activation_bytes, n);
            break;
        case MM_PAR_PP:
        case MM_PAR_LAYERS: {
            /* no finer than one layer per device; more devices stay idle */
            const uint64_t k = m->g.layers != 0 && m->g.layers < n ? m->g.layers : n;
            in->weights_bytes = mm_calc_ceil_div(in->weights_bytes, k);
            in->kv_cache_bytes = mm_calc_ceil_div(in->kv_cache_bytes, k);
            in->state_bytes = mm_calc_ceil_div(in->state_bytes, k);
            break;
        }
        case MM_PAR_ZERO3:
        case MM_PAR_FSDP:
            in->weights_bytes = mm_calc_add(c, mm_calc_ceil_div(in->weights_bytes, n),
                                            m->gathered);
            break;
        case MM_PAR_NONE:
        case MM_PAR_ZERO1:
        case MM_PAR_ZERO2:
        case MM_PAR_DP:
            break;
        }
    }
    /* counted in the cache figure, as the contract says */
    in->kv_cache_bytes = mm_calc_add(c, in->kv_cache_bytes, in->state_bytes);
    mm_plan_total(c, in);
}
