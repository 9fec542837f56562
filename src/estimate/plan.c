/*
 * plan.c - what the runtime plans share: checked arithmetic, the runtime
 * and split a default stands for, and the KV cache of the whole model.
 * The KV formula is the one README "How the estimates are made" gives:
 * 2 x kv_heads x head_dim per token per layer (one latent of kv_lora_rank +
 * qk_rope_head_dim for DeepSeek MLA), full layers holding every token and
 * sliding layers min(tokens, window); sources in the README.
 */
#include <string.h>

#include "estimate/plan.h"

uint64_t mm_calc_mul(struct mm_calc *c, uint64_t a, uint64_t b)
{
    uint64_t r;
    if (!mm_mul_u64(&r, a, b)) {
        c->overflow = 1;
        return UINT64_MAX;
    }
    return r;
}

uint64_t mm_calc_add(struct mm_calc *c, uint64_t a, uint64_t b)
{
    uint64_t r;
    if (!mm_add_u64(&r, a, b)) {
        c->overflow = 1;
        return UINT64_MAX;
    }
    return r;
}

int64_t mm_calc_diff(struct mm_calc *c, uint64_t have, uint64_t need)
{
    if (have >= need) {
        if (have - need > (uint64_t)INT64_MAX) {
            c->overflow = 1;
            return 0;
        }
        return (int64_t)(have - need);
    }
    /* from -2^63: need - have - 1 <= INT64_MAX */
    if (need - have - 1 > (uint64_t)INT64_MAX) {
        c->overflow = 1;
        return 0;
    }
    return -(int64_t)(need - have - 1) - 1;
}

uint64_t mm_calc_ceil_div(uint64_t x, uint64_t d)
{
    return d == 0 ? x : x / d + (x % d != 0);
}

/* Each runtime's own way of using several devices: vLLM shards every layer
 * (--tensor-parallel-size); transformers' device_map="auto" and llama.cpp's
 * default --split-mode layer put whole layers on each device. */
static const struct mm_runtime_ops runtimes[] = {
    {MM_RUNTIME_TRANSFORMERS, "transformers", mm_plan_transformers, NULL, MM_PAR_LAYERS, 0, 0},
    {MM_RUNTIME_VLLM, "vllm", mm_plan_vllm, mm_vllm_refuses, MM_PAR_TP, 1, 0},
    {MM_RUNTIME_LLAMACPP, "llama.cpp", mm_plan_llamacpp, mm_llamacpp_refuses, MM_PAR_LAYERS, 0,
     1},
};

const struct mm_runtime_ops *mm_runtime_ops(enum mm_runtime rt)
{
    size_t i;
    for (i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
        if (runtimes[i].id == rt) {
            return &runtimes[i];
        }
    }
    return &runtimes[0];
}

const char *mm_runtime_name(enum mm_runtime rt)
{
    return rt == MM_RUNTIME_DEFAULT || (unsigned)rt > MM_RUNTIME_LLAMACPP
               ? NULL
               : mm_runtime_ops(rt)->name;
}

const char *mm_parallel_name(enum mm_parallel par)
{
    static const char *const names[] = {NULL,    "tp",     "pp", "zero1", "zero2",
                                        "zero3", "layers", "dp", "fsdp"};
    return (unsigned)par <= MM_PAR_FSDP ? names[par] : NULL;
}

/* llama.cpp reads GGUF; everything else is loaded with transformers unless
 * the caller names a runtime. */
enum mm_runtime mm_plan_runtime(enum mm_runtime rt, const struct mm_plan_model *m)
{
    if (rt != MM_RUNTIME_DEFAULT) {
        return rt;
    }
    return m->gguf ? MM_RUNTIME_LLAMACPP : MM_RUNTIME_TRANSFORMERS;
}

enum mm_parallel mm_plan_parallel(enum mm_parallel par, enum mm_runtime rt)
{
    return par != MM_PAR_NONE ? par : mm_runtime_ops(rt)->own_split;
}

uint64_t mm_plan_kv_layers(const struct mm_geometry *g)
{
    if (g->encoder_only) {
        return 0;
    }
    return g->layers - (g->no_kv_layers < g->layers ? g->no_kv_layers : g->layers);
}

uint64_t mm_plan_sliding_layers(const struct mm_geometry *g)
{
    const uint64_t kv = mm_plan_kv_layers(g);
    if (g->sliding_window == 0) {
        return 0;
    }
    return g->sliding_layers < kv ? g->sliding_layers : kv;
}

uint64_t mm_plan_kv_width(struct mm_calc *c, const struct mm_plan_model *m)
{
    const struct mm_geometry *g = &m->g;
    if (g->kv_lora_rank != 0) {
        return mm_calc_mul(c, mm_calc_add(c, g->kv_lora_rank, g->qk_rope_head_dim),
                           m->kv_bytes);
    }
    return mm_calc_mul(c, mm_calc_mul(c, 2, mm_calc_mul(c, g->kv_heads, g->head_dim)),
                       m->kv_bytes);
}

uint64_t mm_plan_kv(struct mm_calc *c, const struct mm_plan_model *m, uint64_t ctx,
                    uint64_t batch)
{
    const struct mm_geometry *g = &m->g;
    const uint64_t sliding = mm_plan_sliding_layers(g);
    const uint64_t full = mm_plan_kv_layers(g) - sliding;
    const uint64_t held = ctx < g->sliding_window ? ctx : g->sliding_window;
    uint64_t tokens = mm_calc_mul(c, full, ctx);
    tokens = mm_calc_add(c, tokens, mm_calc_mul(c, sliding, held));
    return mm_calc_mul(c, mm_calc_mul(c, mm_plan_kv_width(c, m), tokens), batch);
}

/* Linear-attention and Mamba layers: a fixed state per sequence, whatever
 * the context and whatever --kv-dtype says of the attention cache: in the
 * model's float type (vLLM's mamba_cache_dtype "auto") unless the geometry
 * says otherwise (llama.cpp's F32 recurrent cache). */
uint64_t mm_plan_state(struct mm_calc *c, const struct mm_plan_model *m, uint64_t batch)
{
    const struct mm_geometry *g = &m->g;
    const uint64_t elems = mm_calc_add(c, g->conv_state_elems, g->recurrent_state_elems);
    const unsigned bytes = g->state_elem_bytes != 0 ? g->state_elem_bytes : m->wbytes;
    return mm_calc_mul(c, mm_calc_mul(c, mm_calc_mul(c, g->state_layers, elems), bytes), batch);
}

uint64_t mm_plan_kv_split(const struct mm_plan_model *m, unsigned n)
{
    if (m->g.kv_lora_rank != 0) {
        return 1;
    }
    return m->g.kv_heads != 0 && m->g.kv_heads < n ? m->g.kv_heads : n;
}

uint64_t mm_plan_tensor_bytes(struct mm_calc *c, const struct mm_plan_model *m,
                              const struct mm_tensor *t)
{
    return m->tensor_bytes != NULL ? m->tensor_bytes(c, m->tensor_arg, t) : t->nbytes;
}

void mm_plan_total(struct mm_calc *c, struct mm_inference *in)
{
    uint64_t v = mm_calc_add(c, in->weights_bytes, in->kv_cache_bytes);
    v = mm_calc_add(c, v, in->activation_bytes);
    in->total_bytes = mm_calc_add(c, v, in->overhead_bytes);
}
