/*
 * zero.c - training across devices: what one device holds under data,
 * tensor, pipeline, ZeRO and FSDP parallelism, the framework buffers each
 * allocates, the mode a plan falls back on, the smallest device count, the
 * longest context, and the one change that makes a plan fit. Pure.
 *
 * Buffers (bytes in the 16-bit type, fp32 when training in fp32):
 *  DDP: a bucket copy of every gradient (PyTorch DDP without
 *    gradient_as_bucket_view, transformers' default);
 *  ZeRO-1/2: DeepSpeed's contiguous-gradient bucket (the ipg_buffer of
 *    deepspeed/runtime/zero/stage_1_and_2.py), reduce_bucket_size 5e8
 *    elements (the default in deepspeed/runtime/zero/config.py);
 *  ZeRO-3: the same bucket + stage3_prefetch_bucket_size 5e7 elements + the
 *    largest layer gathered whole;
 *  FSDP (FULL_SHARD): the unit being computed and the one prefetched
 *    gathered whole, and the unit's unsharded gradient: 3 x the largest
 *    layer.
 */
#include <string.h>

#include "estimate/mem_internal.h"

#define DS_REDUCE_BUCKET 500000000ull   /* DeepSpeed reduce_bucket_size */
#define DS_PREFETCH_BUCKET 50000000ull  /* stage3_prefetch_bucket_size */

static void split_states(struct mm_training *d, const struct mm_training *tr, unsigned n,
                         enum mm_parallel par)
{
    switch (par) {
    case MM_PAR_TP:
    case MM_PAR_PP:
    case MM_PAR_LAYERS: /* device_map="auto": whole layers on each device, like pp */
    case MM_PAR_ZERO3:
    case MM_PAR_FSDP:
        d->weights_bytes = ceil_div(tr->weights_bytes, n);
        /* fall through */
    case MM_PAR_ZERO2:
        d->gradients_bytes = ceil_div(tr->gradients_bytes, n);
        /* fall through */
    case MM_PAR_ZERO1:
        d->master_bytes = ceil_div(tr->master_bytes, n);
        d->optimizer_bytes = ceil_div(tr->optimizer_bytes, n);
        break;
    case MM_PAR_NONE:
    case MM_PAR_DP:
        break;
    }
}

void mm_train_split(struct mm_calc *c, const struct model *m, const struct mm_memory_params *p,
                    unsigned n, enum mm_parallel par, const struct mm_training *tr,
                    struct mm_training *d)
{
    const uint64_t e = p->precision == MM_PREC_FP32 ? 4 : 2;
    const uint64_t layer = mul(c, m->largest, e);
    *d = *tr;
    d->parallel = par;
    split_states(d, tr, n, par);
    switch (par) {
    case MM_PAR_DP:
    case MM_PAR_NONE:
        if (n > 1) {
            d->buffers_bytes = add(c, d->buffers_bytes, tr->gradients_bytes);
        }
        break;
    case MM_PAR_ZERO1:
    case MM_PAR_ZERO2:
        d->buffers_bytes = add(c, d->buffers_bytes, mul(c, DS_REDUCE_BUCKET, e));
        break;
    case MM_PAR_ZERO3:
        d->buffers_bytes = add(c, d->buffers_bytes,
                               add(c, mul(c, DS_REDUCE_BUCKET + DS_PREFETCH_BUCKET, e), layer));
        break;
    case MM_PAR_FSDP:
        d->buffers_bytes = add(c, d->buffers_bytes, mul(c, 3, layer));
        break;
    case MM_PAR_TP:
        if (n > 1 && m->g.source != MM_GEOMETRY_NONE) {
            struct mm_training acts = *tr;
            mm_train_activations(c, &acts, m, p, n);
            d->activations_full_bytes = acts.activations_full_bytes;
            d->activations_checkpointed_bytes = acts.activations_checkpointed_bytes;
            d->activation_bytes = acts.activation_bytes;
            d->loss_bytes = acts.loss_bytes;
            d->fragmentation_bytes = acts.fragmentation_bytes;
        }
        break;
    case MM_PAR_PP:
    case MM_PAR_LAYERS:
        break;
    }
    mm_train_total(c, d);
}

/* The modes a plan may take: p->parallel, or, when none was chosen, DDP
 * where it fits and else the lowest ZeRO stage that does. */
struct modes {
    size_t n;
    struct mm_training whole[4]; /* the whole model as each mode keeps it */
};

static void plan_modes(struct mm_calc *c, struct modes *ms, const struct model *m,
                       const struct mm_memory_params *p)
{
    static const enum mm_parallel tries[] = {MM_PAR_DP, MM_PAR_ZERO1, MM_PAR_ZERO2,
                                             MM_PAR_ZERO3};
    size_t k;
    ms->n = p->parallel != MM_PAR_NONE ? 1 : 4;
    for (k = 0; k < ms->n; k++) {
        struct mm_training *w = &ms->whole[k];
        mm_train_states(c, w, m, p, ms->n == 1 ? p->parallel : tries[k]);
        mm_train_activations(c, w, m, p, 1);
        mm_train_total(c, w);
    }
}

/* The per-device figures at n devices under the first mode that fits (the
 * last one when none does). */
static void at_count(struct mm_calc *c, const struct model *m, const struct mm_memory_params *p,
                     unsigned n, const struct modes *ms, struct mm_training *d)
{
    size_t k;
    for (k = 0; k < ms->n; k++) {
        mm_train_split(c, m, p, n, ms->whole[k].parallel, &ms->whole[k], d);
        if (p->device_bytes == 0 || n == 1 || d->total_bytes <= p->device_bytes) {
            return; /* one device: no sharding to fall back on */
        }
    }
}

void mm_train_plan(struct mm_calc *c, const struct model *m, const struct mm_memory_params *p,
                   struct mm_training *whole, struct mm_training *dev)
{
    struct modes ms;
    plan_modes(c, &ms, m, p);
    *whole = ms.whole[0];
    if (whole->parallel != MM_PAR_DP && whole->parallel != MM_PAR_NONE) {
        /* the whole model on one device: as plain data parallelism keeps it */
        mm_train_states(c, whole, m, p, MM_PAR_DP);
        mm_train_activations(c, whole, m, p, 1);
        mm_train_total(c, whole);
    }
    at_count(c, m, p, p->gpus, &ms, dev);
}

/* The smallest count from 1 to MM_LIMIT_GPUS that trains under `p` (its
 * mode then in *mode); 0 when none does. Overflowing counts do not fit. */
static unsigned min_gpus(const struct model *m, const struct mm_memory_params *p,
                         enum mm_parallel *mode)
{
    struct mm_calc c = {0};
    struct modes ms;
    struct mm_training d;
    unsigned n;
    plan_modes(&c, &ms, m, p);
    if (c.overflow) {
        return 0;
    }
    for (n = 1; n <= MM_LIMIT_GPUS; n++) {
        struct mm_calc cn = {0};
        at_count(&cn, m, p, n, &ms, &d);
        if (!cn.overflow && d.total_bytes <= p->device_bytes) {
            *mode = d.parallel;
            return n;
        }
    }
    return 0;
}

/* The per-device total at `context` tokens; *ok is 0 when it overflows. */
static uint64_t total_at(const struct model *m, const struct mm_memory_params *p,
                         uint64_t context, int *ok)
{
    struct mm_calc c = {0};
    struct mm_memory_params q = *p;
    struct mm_training whole;
    struct mm_training d;
    q.context = context;
    mm_train_plan(&c, m, &q, &whole, &d);
    *ok = !c.overflow;
    return c.overflow ? UINT64_MAX : d.total_bytes;
}

/* Whether `context` tokens train: a total that overflows does not. */
static int fits_at(const struct model *m, const struct mm_memory_params *p, uint64_t context)
{
    int ok;
    const uint64_t t = total_at(m, p, context, &ok);
    return ok && t <= p->device_bytes;
}

/* Square root by Newton's method (no libm): x >= 0. */
static long double root2(long double x)
{
    long double r = x > 1 ? x : 1;
    int i;
    for (i = 0; i < 200 && r * r - x > x * 1e-18L; i++) {
        r = (r + x / r) / 2;
    }
    return r;
}

/* From s, which fits, the largest context that fits: galloping up, then
 * halving the step (one evaluation when s is already the answer). Totals
 * grow with the context until they overflow, which does not fit, so the
 * search ends below 2^64. */
static uint64_t settle_up(const struct model *m, const struct mm_memory_params *p, uint64_t s)
{
    uint64_t step = 1;
    while (step <= UINT64_MAX - s && fits_at(m, p, s + step)) {
        s += step;
        step = step <= UINT64_MAX / 2 ? step * 2 : step;
    }
    for (step /= 2; step > 0; step /= 2) {
        if (step <= UINT64_MAX - s && fits_at(m, p, s + step)) {
            s += step;
        }
    }
    return s;
}

/* The longest context whose total fits at --batch, exact (not bounded by
 * the --context limit: the total decides): the total is a quadratic in the
 * context (the s^2 term from eager attention, linear otherwise), so its
 * coefficients come from three exact totals and the root from the
 * formula; the exact totals next to the root then settle the integer
 * (rounding up of divisions, the fused loss's power-of-two chunk). */
static uint64_t max_context(const struct model *m, const struct mm_memory_params *p)
{
    int ok;
    const long double cap = (long double)p->device_bytes;
    const long double f1 = (long double)total_at(m, p, 1, &ok);
    const long double f2 = (long double)total_at(m, p, 2, &ok);
    const long double f3 = (long double)total_at(m, p, 3, &ok);
    const long double qa = (f3 - 2 * f2 + f1) / 2;
    const long double qb = f2 - f1 - 3 * qa;
    const long double qc = f1 - qb - qa - cap;
    const long double top = 1.8e19L; /* just under 2^64 */
    long double root;
    uint64_t s;
    uint64_t step = 1;
    if (!fits_at(m, p, 1)) {
        return 0;
    }
    if (qa > 0) {
        const long double disc = qb * qb - 4 * qa * qc;
        root = (-qb + root2(disc > 0 ? disc : 0)) / (2 * qa);
    } else {
        root = qb > 0 ? -qc / qb : top;
    }
    s = root < 1 ? 1 : root >= top ? (uint64_t)top : (uint64_t)root;
    while (s > 1 && !fits_at(m, p, s)) { /* the estimate overshot */
        s = s > step ? s - step : 1;
        step = step <= UINT64_MAX / 2 ? step * 2 : step;
    }
    return settle_up(m, p, s);
}

/* Whether n devices beat the best so far and the plan as it stands. */
static int better(unsigned n, unsigned best, unsigned as_is)
{
    return n > 0 && (as_is == 0 || n < as_is) && (best == 0 || n < best);
}

/* The one change that makes training fit on the fewest devices, fewer than
 * the plan as it stands needs (none when no change does better): tried in
 * the order checkpointing, 8-bit optimizer, ZeRO, QLoRA, shorter context,
 * the first on a tie. */
static void one_change(const struct model *m, const struct mm_memory_params *p,
                       enum mm_parallel now, struct mm_device *d)
{
    const unsigned as_is = d->training_min_gpus;
    struct mm_memory_params q[4];
    enum mm_change what[4];
    size_t k;
    size_t nq = 0;
    unsigned best = 0;
    if (!mm_train_checkpointing(p)) {
        q[nq] = *p;
        q[nq].checkpointing = MM_CKPT_ON;
        what[nq++] = MM_CHANGE_CHECKPOINTING;
    }
    if (p->optimizer == MM_OPT_ADAMW) {
        q[nq] = *p;
        q[nq].optimizer = MM_OPT_ADAMW8BIT;
        what[nq++] = MM_CHANGE_OPTIMIZER_8BIT;
    }
    if (p->parallel != MM_PAR_ZERO3 && p->parallel != MM_PAR_FSDP) {
        q[nq] = *p;
        q[nq].parallel = MM_PAR_ZERO3;
        what[nq++] = MM_CHANGE_ZERO;
    }
    if (p->train != MM_TRAIN_QLORA && mm_config_quant_method(m->cfg) == NULL) {
        q[nq] = *p;
        q[nq].train = MM_TRAIN_QLORA;
        what[nq++] = MM_CHANGE_QLORA;
    }
    for (k = 0; k < nq; k++) {
        enum mm_parallel mode = MM_PAR_DP;
        const unsigned n = min_gpus(m, &q[k], &mode);
        if (better(n, best, as_is)) {
            best = n;
            d->change = what[k];
            d->change_parallel = mode;
        }
    }
    if (d->training_max_context > 0 && better(p->gpus, best, as_is)) {
        best = p->gpus;
        d->change = MM_CHANGE_CONTEXT;
        d->change_parallel = now;
        d->change_context = d->training_max_context;
    }
    d->change_gpus = best;
}

void mm_train_verdict(const struct model *m, const struct mm_memory_params *p,
                      const struct mm_training *dev, struct mm_device *d)
{
    enum mm_parallel mode = MM_PAR_DP;
    d->training_min_gpus = min_gpus(m, p, &mode);
    d->training_parallel = d->training_min_gpus > 0 ? mode : p->parallel;
    d->training_max_context = max_context(m, p);
    d->change = MM_CHANGE_NONE;
    if (!d->training_fits) {
        one_change(m, p, dev->parallel, d);
    }
}
