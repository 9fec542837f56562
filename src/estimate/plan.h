/*
 * plan.h - inference plans per runtime: what one device holds when a given
 * runtime (transformers, vLLM, llama.cpp) serves the model, and the fit
 * questions answered from them (fit.c). Internal to src/estimate; the
 * public face is mm_memory_run (memory.c), which calls mm_plan_run.
 *
 * Every plan is a pure function of the model, the parameters, the device
 * count and split, the context and the batch; every figure is an exact
 * integer, and an overflow is remembered in the calc, never wrapped or
 * clamped.
 */
#ifndef MM_PLAN_H
#define MM_PLAN_H

#include "core/internal.h"

/* Arithmetic that remembers an overflow instead of wrapping. */
struct mm_calc {
    int overflow;
};

uint64_t mm_calc_mul(struct mm_calc *c, uint64_t a, uint64_t b);
uint64_t mm_calc_add(struct mm_calc *c, uint64_t a, uint64_t b);
/* ceil(x / d); x when d is 0 */
uint64_t mm_calc_ceil_div(uint64_t x, uint64_t d);
/* have - need exactly (a headroom), or 0 and an overflow when that leaves
 * the int64 range: never a clamped figure. */
int64_t mm_calc_diff(struct mm_calc *c, uint64_t have, uint64_t need);

/* Bytes of one tensor in a quantization other than the stored one. */
struct mm_calc;
typedef uint64_t (*mm_tensor_bytes_fn)(struct mm_calc *c, const void *arg,
                                       const struct mm_tensor *t);

/* What the plans need of the model. */
struct mm_plan_model {
    const struct mm_config *cfg; /* may be NULL */
    struct mm_geometry g;
    uint64_t stored;        /* tensor bytes as stored: the weights as loaded */
    uint64_t gathered;      /* ZeRO-3: the largest layer at the float width */
    unsigned wbytes;        /* the weights' float width: 2 or 4 */
    unsigned kv_bytes;      /* bytes of one KV element */
    int gguf;               /* the inventory came from GGUF files */
    /* Which quantization would fit (quant_fit.c): `stored` is then the
     * weights in another quantization, and a plan that places tensors one
     * by one sizes each with mm_plan_tensor_bytes. NULL: as stored. */
    mm_tensor_bytes_fn tensor_bytes;
    const void *tensor_arg;
    const struct mm_inventory *inv; /* the tensors (llama.cpp places each) */
};

/* One device's inference figures and the runtime's own. */
struct mm_runtime_plan {
    struct mm_inference in;
    struct mm_runtime_detail d;
    /* vLLM with a device: the startup check (one max_model_len sequence) */
    int refused;
};

/* Where a plan runs: n devices split `par` (never MM_PAR_NONE here). */
struct mm_plan_at {
    unsigned n;
    enum mm_parallel par;
    uint64_t context;
    uint64_t batch;
};

/* ---- plan.c: the runtimes and what they share ------------------------------ */

typedef void (*mm_plan_fn)(struct mm_calc *c, struct mm_runtime_plan *out, const struct mm_plan_model *m,
                           const struct mm_memory_params *p, const struct mm_plan_at *at);
/* NULL when the runtime accepts `n` devices split `par`, else why not. */
typedef const char *(*mm_refuse_fn)(const struct mm_geometry *g, unsigned n,
                                    enum mm_parallel par);

/* One runtime. Adding one is a plan file and a row of plan.c's table. */
struct mm_runtime_ops {
    enum mm_runtime id;
    const char *name;
    mm_plan_fn plan;
    mm_refuse_fn refuses; /* NULL: every split and count is accepted */
    enum mm_parallel own_split; /* what MM_PAR_NONE stands for */
    /* The KV cache takes what is left of a share of the device (vLLM): the
     * verdict and the fit answers count KV blocks, not the total. */
    int preallocates;
    /* Sequences share one pool of KV cells (llama.cpp's unified cache): the
     * concurrency is the cells that fit / the context. */
    int unified_cells;
};

/* The row of a resolved runtime (never MM_RUNTIME_DEFAULT). */
const struct mm_runtime_ops *mm_runtime_ops(enum mm_runtime rt);

/* The runtime MM_RUNTIME_DEFAULT stands for, and the split MM_PAR_NONE
 * stands for under a runtime. */
enum mm_runtime mm_plan_runtime(enum mm_runtime rt, const struct mm_plan_model *m);
enum mm_parallel mm_plan_parallel(enum mm_parallel par, enum mm_runtime rt);
/* Layers with a KV cache, and how many of them slide. */
uint64_t mm_plan_kv_layers(const struct mm_geometry *g);
uint64_t mm_plan_sliding_layers(const struct mm_geometry *g);
/* Bytes of one token in one layer's cache (K and V, or the MLA latent). */
uint64_t mm_plan_kv_width(struct mm_calc *c, const struct mm_plan_model *m);
/* KV bytes of `batch` sequences of `ctx` tokens on one device holding the
 * whole model (sliding layers hold min(ctx, window)). */
/* The recurrent state of linear-attention and state-space layers for
 * `batch` sequences (README "Hybrid attention"). */
uint64_t mm_plan_state(struct mm_calc *c, const struct mm_plan_model *m, uint64_t batch);
uint64_t mm_plan_kv(struct mm_calc *c, const struct mm_plan_model *m, uint64_t ctx,
                    uint64_t batch);
/* Ways tensor parallelism splits the cache: kv_heads at most (beyond, each
 * device keeps a copy of one head, as vLLM replicates them); 1 for MLA. */
uint64_t mm_plan_kv_split(const struct mm_plan_model *m, unsigned n);
/* One tensor's bytes as the plan holds it: t->nbytes, or m->tensor_bytes'. */
uint64_t mm_plan_tensor_bytes(struct mm_calc *c, const struct mm_plan_model *m,
                              const struct mm_tensor *t);
/* Sum of an inference's parts into total_bytes. */
void mm_plan_total(struct mm_calc *c, struct mm_inference *in);

/* ---- plan_transformers.c ------------------------------------------------------ */

void mm_plan_transformers(struct mm_calc *c, struct mm_runtime_plan *out, const struct mm_plan_model *m,
                          const struct mm_memory_params *p, const struct mm_plan_at *at);

/* ---- plan_llamacpp.c ------------------------------------------------------- */

void mm_plan_llamacpp(struct mm_calc *c, struct mm_runtime_plan *out, const struct mm_plan_model *m,
                      const struct mm_memory_params *p, const struct mm_plan_at *at);
/* NULL when llama.cpp accepts `n` devices split `par` (layers, pp, dp). */
const char *mm_llamacpp_refuses(const struct mm_geometry *g, unsigned n, enum mm_parallel par);
/* NULL when the llama.cpp settings of `p` are valid, else why not: a cache
 * type llama.cpp does not take, a quantized V cache without flash
 * attention, a tensor split that is not one proportion per device. */
const char *mm_llamacpp_check(const struct mm_memory_params *p);

/* ---- plan_vllm.c ------------------------------------------------------------- */

/* NULL when vLLM accepts `n` devices split `par`, else why not (static text;
 * the heads and size are in the caller's message). */
const char *mm_vllm_refuses(const struct mm_geometry *g, unsigned n, enum mm_parallel par);
void mm_plan_vllm(struct mm_calc *c, struct mm_runtime_plan *out, const struct mm_plan_model *m,
                  const struct mm_memory_params *p, const struct mm_plan_at *at);

/* ---- fit.c --------------------------------------------------------------------- */

/* A memory total as a function of the context, nondecreasing; UINT64_MAX
 * where it overflows. */
typedef uint64_t (*mm_fit_fn)(const void *arg, uint64_t context);
/* The largest x in [lo, hi] with f(x) <= cap, given f(lo) <= cap and f a
 * polynomial of degree 2 at most on [lo, hi] up to ceiling divisions: the
 * root from three exact values, then exact corrections. */
uint64_t mm_fit_solve(mm_fit_fn f, const void *arg, uint64_t cap, uint64_t lo, uint64_t hi);
/* Contexts searched: up to 2^53, the largest integer JSON keeps exactly. */
#define MM_FIT_CONTEXT_MAX 9007199254740992ull
/* The longest context with f <= cap into *out (0 when even 1 token is too
 * many), solving each side of a sliding `window` (0 = none) on its own.
 * Returns 0 when the context does not bound it (f(2^53) <= cap): no figure
 * applies, none is clamped. */
int mm_fit_max(uint64_t *out, mm_fit_fn f, const void *arg, uint64_t cap, uint64_t window);

/* The plan on p->gpus devices and the verdict's own question (does it fit
 * p->device_bytes): 1 when it fits. */
int mm_fit_plan(struct mm_calc *c, struct mm_runtime_plan *out, const struct mm_plan_model *m,
                const struct mm_memory_params *p);

/* ---- load_in.c: transformers' load-time quantization (bitsandbytes) -------- */

struct mm_load_in_bytes {
    uint64_t quantized_parameters; /* elements of the linear weights */
    uint64_t quantized_bytes;      /* their bytes once quantized, scales included */
    uint64_t kept_bytes;           /* everything else, in 16 bits */
    uint64_t total_bytes;
};
/* NULL when the checkpoint is stored in floats (no quantization config,
 * every matrix F16, BF16, F32 or F64), else why --load-in does not apply. */
const char *mm_load_in_refuses(const struct mm_inventory *inv, const struct mm_config *cfg);
void mm_load_in_weights(struct mm_calc *c, struct mm_load_in_bytes *out,
                        const struct mm_inventory *inv, enum mm_load_in l);
/* One tensor's bytes once loaded in `l` (its stored bytes when kept). */
uint64_t mm_load_in_tensor_bytes(struct mm_calc *c, const struct mm_tensor *t,
                                 enum mm_load_in l);
/* Names the quantizers skip: token and position embeddings, the LM head. */
int mm_is_embedding_or_head(const char *name);
int mm_is_float_dtype(enum mm_dtype d);
/* A 2-D float `*.weight` other than an embedding or the LM head. */
int mm_is_linear_weight(const struct mm_tensor *t);

/* ---- quant_fit.c: which quantization would fit ------------------------------- */

/* Fills out->quant_fits for the runtime p->runtime (resolved) when
 * p->device_bytes is set and the model is GGUF or stored in floats. */
void mm_quant_fits(struct mm_calc *c, struct mm_memory *out, const struct mm_plan_model *m,
                   const struct mm_memory_params *p, const struct mm_inventory *inv);

/*
 * Fills out->inference, device_inference, runtime, parallel, detail,
 * device_detail and the inference half of out->device (verdict, smallest
 * count, max_context, max_concurrency). `p` has its runtime and parallel
 * resolved. MM_ERR_INVALID_ARG when the runtime refuses the split.
 */
enum mm_status mm_plan_run(struct mm_calc *c, struct mm_memory *out, const struct mm_plan_model *m,
                           const struct mm_memory_params *p, struct mm_error *err);

#endif
