/*
 * fit.c - the inference plan for one device and for each of N, and the fit
 * questions as users ask them: does it fit on this device, on how many
 * devices at the least (counting only the sizes the runtime accepts), what
 * is the longest context at this batch, how many sequences of this context
 * at once.
 *
 * The longest context is solved from the plan's own arithmetic, not by
 * scanning: vLLM's is its KV blocks per sequence x 16 tokens; for the other
 * runtimes the per-device total is a polynomial of degree 1 (2 with eager
 * attention) in the context on each side of the sliding window, so the
 * answer is the root of that polynomial, computed from three exact values
 * of the plan, then checked (and corrected for the plan's ceiling
 * divisions) with exact evaluations on either side.
 */
#include <string.h>

#include "estimate/plan.h"

/* Corrections tried after the closed form before falling back to bisection;
 * a ceiling division moves the total by less than one byte per term. */
#define FIX_STEPS 64

static void plan_at(struct mm_calc *c, struct mm_runtime_plan *out, const struct mm_plan_model *m,
                    const struct mm_memory_params *p, const struct mm_plan_at *at)
{
    mm_runtime_ops(p->runtime)->plan(c, out, m, p, at);
}

static int preallocates(const struct mm_memory_params *p)
{
    return mm_runtime_ops(p->runtime)->preallocates;
}

static const char *refuses(const struct mm_plan_model *m, const struct mm_memory_params *p,
                           unsigned n, enum mm_parallel par)
{
    const mm_refuse_fn f = mm_runtime_ops(p->runtime)->refuses;
    return f != NULL ? f(&m->g, n, par) : NULL;
}

/* Square root by Newton's method (no libm for one call); v >= 0. */
static double root(double v)
{
    double r = v > 1 ? v : 1;
    int k;
    for (k = 0; k < 200; k++) {
        const double next = (r + v / r) / 2;
        if (next >= r) {
            break;
        }
        r = next;
    }
    return r;
}

/* Bytes of KV the verdict needs where the runtime preallocates: whole
 * blocks per sequence. */
static uint64_t vllm_need(struct mm_calc *c, const struct mm_runtime_plan *pl, const struct mm_plan_at *at)
{
    const uint64_t blocks =
        mm_calc_mul(c, at->batch, mm_calc_ceil_div(at->context, MM_VLLM_BLOCK_SIZE));
    return mm_calc_mul(c, mm_calc_mul(c, blocks, MM_VLLM_BLOCK_SIZE), pl->in.kv_bytes_per_token);
}


/* Whether the plan fits the device, and the headroom: for vLLM what its
 * requested share (utilization x device) keeps beyond weights, activations,
 * non-torch memory and the KV blocks of `batch` sequences of `context`
 * tokens (vLLM's own question), else the device's memory less the plan's
 * total. */
static int fits(struct mm_calc *c, const struct mm_runtime_plan *pl, const struct mm_memory_params *p,
                const struct mm_plan_at *at, int64_t *headroom)
{
    if (preallocates(p)) {
        const uint64_t need = vllm_need(c, pl, at);
        const int len_ok = p->max_model_len == 0 || at->context <= p->max_model_len;
        uint64_t used = mm_calc_add(c, pl->in.weights_bytes, pl->in.activation_bytes);
        used = mm_calc_add(c, mm_calc_add(c, used, pl->d.non_torch_bytes), need);
        *headroom = mm_calc_diff(c, pl->d.requested_bytes, used);
        return !pl->refused && len_ok && need <= pl->in.kv_cache_bytes &&
               pl->in.total_bytes <= p->device_bytes;
    }
    *headroom = mm_calc_diff(c, p->device_bytes, pl->in.total_bytes);
    return pl->in.total_bytes <= p->device_bytes;
}

int mm_fit_plan(struct mm_calc *c, struct mm_runtime_plan *out, const struct mm_plan_model *m,
                const struct mm_memory_params *p)
{
    const struct mm_plan_at at = {p->gpus, p->parallel, p->context, p->batch};
    struct mm_calc scratch = {0}; /* no headroom is reported: its range is not checked */
    int64_t h;
    plan_at(c, out, m, p, &at);
    return fits(&scratch, out, p, &at, &h);
}

static unsigned min_gpus(const struct mm_plan_model *m, const struct mm_memory_params *p)
{
    unsigned n;
    for (n = 1; n <= MM_LIMIT_GPUS; n++) {
        const struct mm_plan_at at = {n, p->parallel, p->context, p->batch};
        struct mm_calc c = {0};
        struct mm_runtime_plan pl;
        int64_t h;
        if (refuses(m, p, n, p->parallel) != NULL) {
            continue;
        }
        plan_at(&c, &pl, m, p, &at);
        if (!c.overflow && fits(&c, &pl, p, &at, &h) && !c.overflow) {
            return n;
        }
    }
    return 0;
}

/* The per-device inference total at context x, UINT64_MAX when it
 * overflows. */
struct at_ctx {
    const struct mm_plan_model *m;
    const struct mm_memory_params *p;
};

static uint64_t total_at(const void *arg, uint64_t x)
{
    const struct at_ctx *a = arg;
    const struct mm_plan_at at = {a->p->gpus, a->p->parallel, x, a->p->batch};
    struct mm_calc c = {0};
    struct mm_runtime_plan pl;
    plan_at(&c, &pl, a->m, a->p, &at);
    return c.overflow ? UINT64_MAX : pl.in.total_bytes;
}

uint64_t mm_fit_solve(mm_fit_fn f, const void *arg, uint64_t cap, uint64_t lo, uint64_t hi)
{
    const double f0 = (double)f(arg, lo);
    const double f1 = (double)f(arg, lo + 1);
    const double d1 = f1 - f0;
    const double d2 = (double)f(arg, lo + 2) - 2 * f1 + f0;
    const double room = (double)cap - f0;
    double t;
    uint64_t x;
    uint64_t a;
    uint64_t b;
    int k;
    /* f(lo + t) = f0 + t d1 + t (t - 1) d2 / 2 */
    if (d2 > 0.5) {
        const double bq = d1 - d2 / 2;
        t = (-bq + root(bq * bq + 2 * d2 * room)) / d2;
    } else {
        t = d1 > 0.5 ? room / d1 : (double)(hi - lo);
    }
    x = t >= (double)(hi - lo) ? hi : lo + (uint64_t)(t > 0 ? t : 0);
    for (k = 0; k < FIX_STEPS && x < hi && f(arg, x + 1) <= cap; k++) {
        x++;
    }
    for (k = 0; k < FIX_STEPS && x > lo && f(arg, x) > cap; k++) {
        x--;
    }
    if (f(arg, x) <= cap && (x == hi || f(arg, x + 1) > cap)) {
        return x;
    }
    /* the closed form was off by more than the rounding allows: bisect */
    a = lo;
    b = hi;
    while (a < b) {
        const uint64_t mid = a + (b - a + 1) / 2;
        if (f(arg, mid) <= cap) {
            a = mid;
        } else {
            b = mid - 1;
        }
    }
    return a;
}

int mm_fit_max(uint64_t *out, mm_fit_fn f, const void *arg, uint64_t cap, uint64_t window)
{
    *out = 0;
    if (f(arg, 1) > cap) {
        return 1;
    }
    if (f(arg, MM_FIT_CONTEXT_MAX) <= cap) {
        return 0; /* the context does not bound it */
    }
    if (window > 2 && window + 2 < MM_FIT_CONTEXT_MAX && f(arg, window) <= cap) {
        *out = mm_fit_solve(f, arg, cap, window, MM_FIT_CONTEXT_MAX);
    } else {
        *out = mm_fit_solve(f, arg, cap, 1, window > 2 ? window : MM_FIT_CONTEXT_MAX);
    }
    return 1;
}

static int max_context(uint64_t *out, const struct mm_plan_model *m,
                       const struct mm_memory_params *p, const struct mm_runtime_plan *dev)
{
    const struct at_ctx a = {m, p};
    if (preallocates(p)) {
        *out = dev->d.kv_blocks / p->batch * MM_VLLM_BLOCK_SIZE;
        return dev->in.kv_bytes_per_token != 0; /* no KV cache: no bound */
    }
    return mm_fit_max(out, total_at, &a, p->device_bytes,
                      mm_plan_sliding_layers(&m->g) != 0 ? m->g.sliding_window : 0);
}

/* Sequences of `context` tokens at once, x 100. vLLM prints KV tokens /
 * max_model_len with two decimals (rounded); elsewhere every per-sequence
 * figure is linear in the batch: (device - fixed) / per sequence, floored. */
static int max_concurrency(struct mm_calc *c, const struct mm_plan_model *m,
                           const struct mm_memory_params *p, const struct mm_runtime_plan *dev,
                           uint64_t *out)
{
    struct mm_plan_at at = {p->gpus, p->parallel, p->context, 0};
    struct mm_runtime_plan none;
    struct mm_runtime_plan one;
    uint64_t per;
    if (preallocates(p)) {
        const uint64_t len = dev->d.max_model_len;
        /* kv_tokens x 100 / len rounded, without forming kv_tokens x 200 */
        *out = mm_calc_add(c, mm_calc_mul(c, dev->d.kv_tokens / len, 100),
                           (mm_calc_mul(c, dev->d.kv_tokens % len, 200) + len) / (2 * len));
        return dev->in.kv_bytes_per_token != 0;
    }
    if (mm_runtime_ops(p->runtime)->unified_cells) {
        /* llama.cpp: one pool of cells shared by the sequences; the most
         * cells that fit at one sequence, / the context (floored) */
        struct mm_memory_params one_seq = *p;
        const struct at_ctx a = {m, &one_seq};
        uint64_t cells = 0;
        one_seq.batch = 1;
        if (!mm_fit_max(&cells, total_at, &a, p->device_bytes, 0)) {
            return 0;
        }
        *out = mm_calc_add(c, mm_calc_mul(c, cells / p->context, 100),
                           cells % p->context * 100 / p->context);
        return 1;
    }
    plan_at(c, &none, m, p, &at);
    at.batch = 1;
    plan_at(c, &one, m, p, &at);
    per = one.in.total_bytes - none.in.total_bytes;
    if (per == 0) {
        return 0;
    }
    if (none.in.total_bytes >= p->device_bytes) {
        *out = 0;
    } else {
        /* room x 100 / per, floored, without forming room x 100: the whole
         * sequences, then the hundredths of the rest (rest < per) */
        const uint64_t room = p->device_bytes - none.in.total_bytes;
        const uint64_t rest = room % per;
        const uint64_t hundredths =
            rest <= UINT64_MAX / 100 ? rest * 100 / per
                                     : (uint64_t)((double)rest * 100.0 / (double)per);
        *out = mm_calc_add(c, mm_calc_mul(c, room / per, 100), hundredths);
    }
    return 1;
}

static enum mm_status refuse(struct mm_error *err, const struct mm_plan_model *m,
                             const struct mm_memory_params *p, const char *why)
{
    return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_INVALID_ARG, NULL, NULL, -1,
                   "%s cannot run on %u devices under %s: %s (%llu attention heads, %llu KV "
                   "heads, %llu layers)",
                   mm_runtime_name(p->runtime), p->gpus, mm_parallel_name(p->parallel), why,
                   (unsigned long long)m->g.heads, (unsigned long long)m->g.kv_heads,
                   (unsigned long long)m->g.layers);
}

enum mm_status mm_plan_run(struct mm_calc *c, struct mm_memory *out, const struct mm_plan_model *m,
                           const struct mm_memory_params *p, struct mm_error *err)
{
    const struct mm_plan_at one = {1, p->parallel, p->context, p->batch};
    const struct mm_plan_at all = {p->gpus, p->parallel, p->context, p->batch};
    struct mm_runtime_plan whole;
    struct mm_runtime_plan dev;
    struct mm_device *d = &out->device;
    if (refuses(m, p, p->gpus, p->parallel) != NULL) {
        return refuse(err, m, p, refuses(m, p, p->gpus, p->parallel));
    }
    out->runtime = p->runtime;
    out->parallel = p->parallel;
    plan_at(c, &whole, m, p, &one);
    plan_at(c, &dev, m, p, &all);
    out->has_inference = 1;
    out->inference = whole.in;
    out->detail = whole.d;
    out->device_inference = dev.in;
    out->device_detail = dev.d;
    d->inference_bytes = dev.in.total_bytes;
    if (p->device_bytes == 0) {
        return MM_OK;
    }
    d->inference_fits = fits(c, &dev, p, &all, &d->inference_headroom);
    d->inference_min_gpus = min_gpus(m, p);
    d->has_max_context = max_context(&d->max_context, m, p, &dev);
    d->has_max_concurrency = max_concurrency(c, m, p, &dev, &d->max_concurrency_x100);
    return MM_OK;
}
