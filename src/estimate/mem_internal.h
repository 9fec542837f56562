/*
 * mem_internal.h - what memory.c, training.c and zero.c share: arithmetic
 * that remembers an overflow instead of wrapping, and the model as the
 * estimators see it. Internal to src/estimate.
 */
#ifndef MM_MEM_INTERNAL_H
#define MM_MEM_INTERNAL_H

#include <stdint.h>

#include "core/checked.h"
#include "estimate/plan.h"
#include "model/config_internal.h"

/* Arithmetic that remembers an overflow instead of wrapping: struct
 * mm_calc (plan.h). Once `overflow` is set the figures mean nothing:
 * mm_memory_run then returns MM_ERR_LIMIT and hands none of them out. */
static inline uint64_t mul(struct mm_calc *c, uint64_t a, uint64_t b)
{
    return mm_calc_mul(c, a, b);
}

static inline uint64_t add(struct mm_calc *c, uint64_t a, uint64_t b)
{
    return mm_calc_add(c, a, b);
}

static inline uint64_t mul3(struct mm_calc *c, uint64_t a, uint64_t b, uint64_t d)
{
    return mm_calc_mul(c, mm_calc_mul(c, a, b), d);
}

static inline uint64_t ceil_div(uint64_t x, uint64_t d)
{
    return mm_calc_ceil_div(x, d);
}

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static inline uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* What the model is. */
struct model {
    const struct mm_inventory *inv;
    const struct mm_config *cfg;
    struct mm_geometry g;
    uint64_t stored;      /* tensor bytes as stored */
    uint64_t params;      /* logical parameters */
    uint64_t largest;     /* largest layer's parameters */
    unsigned wbytes;      /* bytes of the weights' float type: 2 or 4 */
};

/* Whether the attention keeps its s x s matrices: --attention, or for
 * MM_ATTN_AUTO the architecture's default in transformers (training.c). */
int mm_eager_attention(const struct model *m, const struct mm_memory_params *p);

/* training.c: the states (weights, master copy, gradients, optimizer) for
 * the whole model as `par` keeps them (autocast over fp32 weights for plain
 * data parallelism, 16-bit weights with an fp32 master copy for DeepSpeed,
 * FSDP and Megatron), and the activation peak of one device holding a 1/tp
 * share of every layer (tp = 1: all of it; t->parallel set by
 * mm_train_states). Fills the fields of `t` each names; mm_train_total
 * adds them up. */
int mm_train_amp(const struct mm_memory_params *p, enum mm_parallel par);
void mm_train_states(struct mm_calc *c, struct mm_training *t, const struct model *m,
                     const struct mm_memory_params *p, enum mm_parallel par);
void mm_train_activations(struct mm_calc *c, struct mm_training *t, const struct model *m,
                          const struct mm_memory_params *p, uint64_t tp);
void mm_train_total(struct mm_calc *c, struct mm_training *t);
/* Whether gradient checkpointing applies under `p` (MM_CKPT_AUTO resolved). */
int mm_train_checkpointing(const struct mm_memory_params *p);

/* zero.c: what one of n devices holds under `par` (never MM_PAR_NONE), from
 * the whole-model figures `tr`, its total included. */
void mm_train_split(struct mm_calc *c, const struct model *m, const struct mm_memory_params *p,
                    unsigned n, enum mm_parallel par, const struct mm_training *tr,
                    struct mm_training *out);
/* The training figures for `p`: the whole model and one of p->gpus devices
 * under the mode it resolves; then, with device_bytes, the verdict fields
 * of `d` (training_fits set by the caller) for training. */
void mm_train_plan(struct mm_calc *c, const struct model *m, const struct mm_memory_params *p,
                   struct mm_training *whole, struct mm_training *dev);
void mm_train_verdict(const struct model *m, const struct mm_memory_params *p,
                      const struct mm_training *dev, struct mm_device *d);

#endif
