/*
 * plan_llamacpp.c - inference as llama.cpp allocates it: the buffers its
 * load log prints, for each device and for host memory. Sources, read in
 * ggml-org/llama.cpp (src/llama-model.cpp load_tensors and create_memory,
 * src/llama-context.cpp, src/llama-kv-cache.cpp, src/llama-kv-cache-iswa.cpp,
 * common/arg.cpp); the README section "llama.cpp" gives the same formulas.
 *
 *  placement   the token embedding always stays on the CPU ("there is very
 *              little benefit to offloading the input layer"); with -ngl N,
 *              the first n_layer - N blocks stay on the CPU, the rest go to
 *              the devices, and the output layer (il = n_layer) is offloaded
 *              only when N > n_layer. Offloaded block il goes to the first
 *              device whose cumulative --tensor-split share exceeds
 *              (il - first) / offloaded (std::upper_bound over the split
 *              points; compared here as exact fractions). A file without
 *              output.weight (tied embeddings) loads token_embd a second
 *              time as the output layer. Tensors kept on the CPU are mapped
 *              from the file ("CPU_Mapped model buffer"): host memory.
 *  KV cache    n_ctx = the cells asked for (context x sequences, one
 *              unified pool) padded to 256 (llama-context.cpp, PR 17046);
 *              per layer K = ggml_row_size(type_k, key_length x kv_heads)
 *              x cells, V likewise; sliding-window layers hold
 *              min(n_ctx, n_swa x n_seq_max + n_ubatch padded to 256)
 *              cells (llama_kv_cache_iswa, unified; the padding as
 *              llama.cpp v0.5.0 logs it: window 128 + ubatch 513 gives
 *              "SWA KV cache, size = 768 cells"). A layer's cache lives
 *              where the layer does (offload_kqv, the default).
 *  compute     graph_reserve's worst case, n_tokens = min(n_ctx, n_ubatch)
 *              rows: on a device holding blocks, attention's peak; on the
 *              one holding the output layer, the logits' peak; the larger:
 *                attention  n_kv x ub x (4 n_head + 4)  flash attention off
 *                           (the f32 KQ scores [n_kv, ub, n_head] and the
 *                           mask), n_kv x ub x 2 with it on (an f16 mask),
 *                           + 4 x n_embd x ub x 4 (fitted: the residual
 *                           stream and Q tensors live beside the scores)
 *                logits     n_vocab x ub x 4 + n_embd x ub x 4
 *              Host ("CUDA_Host compute buffer"): the embedded inputs
 *              n_embd x ub x 4, the f32 mask n_kv x ub x 4 (one more for
 *              the sliding layers), token, position and output ids 3 x ub
 *              x 4, plus attention's peak less its mask copy when blocks
 *              run on the CPU; the logits' peak instead when larger and the
 *              output layer is there (a CPU-only log shows the logits'
 *              258.50 MiB alone).
 *              Fitted to the published logs of tests/accuracy/llamacpp.tsv
 *              (Llama-3-8B at n_ctx 512, 2048 and 8192 on CUDA, Metal and
 *              the CPU, TriLM 3.9B, GLM-4 32B with flash attention): exact
 *              to the MiB printed. Those logs with flash attention on are
 *              dominated by the logits, so its attention term is derived
 *              from the graph, not checked by a log.
 *  output      n_vocab x n_seq_max x 4 bytes of logits, host memory
 *  platform    the CUDA context and driver footprint, 250 MiB per device
 *              (gguf-parser-go's figure); --overhead replaces it
 */
#include <string.h>

#include "estimate/plan.h"

#define MIB 1048576ull
#define PLATFORM_BYTES (250 * MIB)
#define DEFAULT_UBATCH 512u
#define CTX_PAD 256u

/* Where llama.cpp puts each block: the split points and the offloaded
 * range (load_tensors). */
struct split {
    uint64_t cum[MM_LIMIT_GPUS]; /* cumulative shares */
    uint64_t total;
    uint64_t first; /* first offloaded block */
    uint64_t act;   /* offloaded blocks, the output layer counting */
    uint64_t layers;
    unsigned n;
};

/* What each place holds: devices 0..n-1, then the CPU (index n). */
struct place {
    uint64_t model[MM_LIMIT_GPUS + 1];
    uint64_t kv[MM_LIMIT_GPUS + 1];
    uint64_t blocks[MM_LIMIT_GPUS + 1];
    unsigned out_dev; /* where the output layer is */
};

const char *mm_llamacpp_refuses(const struct mm_geometry *g, unsigned n, enum mm_parallel par)
{
    (void)g;
    (void)n;
    if (par == MM_PAR_LAYERS || par == MM_PAR_PP || par == MM_PAR_DP) {
        return NULL;
    }
    return "llama.cpp splits a model by layers (--split-mode layer), or runs one copy per "
           "device (dp)";
}

static int kv_type_ok(enum mm_dtype t)
{
    return t == MM_DTYPE_F16 || t == MM_DTYPE_BF16 || t == MM_DTYPE_F32 || t == MM_DTYPE_Q8_0 ||
           t == MM_DTYPE_Q4_0 || t == MM_DTYPE_Q4_1 || t == MM_DTYPE_Q5_0 ||
           t == MM_DTYPE_Q5_1 || t == MM_DTYPE_IQ4_NL;
}

static int quantized(enum mm_dtype t)
{
    return t != MM_DTYPE_F16 && t != MM_DTYPE_BF16 && t != MM_DTYPE_F32;
}

const char *mm_llamacpp_check(const struct mm_memory_params *p)
{
    size_t i;
    if (!kv_type_ok(p->cache_type_k) || !kv_type_ok(p->cache_type_v)) {
        return "a KV cache type llama.cpp does not take";
    }
    if (quantized(p->cache_type_v) && p->flash_attn == MM_FLASH_OFF) {
        return "a quantized V cache needs flash attention in llama.cpp";
    }
    if ((unsigned)p->flash_attn > MM_FLASH_OFF || p->n_gpu_layers < MM_NGL_ALL ||
        p->n_ubatch > MM_LLAMACPP_UBATCH_MAX) {
        return "a llama.cpp setting out of range";
    }
    if (p->ntensor_split != 0) {
        uint64_t sum = 0;
        if (p->tensor_split == NULL || p->ntensor_split != p->gpus) {
            return "the tensor split needs one proportion per device";
        }
        for (i = 0; i < p->ntensor_split; i++) {
            /* keeps the split points' cross products under 2^64 */
            if (p->tensor_split[i] > MM_LLAMACPP_SPLIT_MAX) {
                return "a tensor split proportion above 1000000";
            }
            sum += p->tensor_split[i];
        }
        if (sum == 0) {
            return "the tensor split gives every device nothing";
        }
    }
    return NULL;
}

/* ggml_row_size: bytes of `n` elements of `t` (whole blocks). */
static uint64_t row_size(struct mm_calc *c, enum mm_dtype t, uint64_t n)
{
    unsigned el = 1;
    unsigned by = 2;
    if (!mm_dtype_block(t, &el, &by) || el == 0) {
        el = 1;
        by = 2;
    }
    return mm_calc_mul(c, mm_calc_ceil_div(n, el), by);
}

/* The block a tensor belongs to: its index, -1 for the token embedding,
 * -2 for the output layer (everything that is neither). */
static long tensor_layer(const char *name)
{
    static const char *const blocks[] = {"blk.", "model.layers.", "layers.", NULL};
    static const char *const inputs[] = {"token_embd.", "model.embed_tokens.", "tok_embeddings.",
                                         NULL};
    size_t k;
    for (k = 0; inputs[k] != NULL; k++) {
        if (strncmp(name, inputs[k], strlen(inputs[k])) == 0) {
            return -1;
        }
    }
    for (k = 0; blocks[k] != NULL; k++) {
        const size_t n = strlen(blocks[k]);
        if (strncmp(name, blocks[k], n) == 0 && name[n] >= '0' && name[n] <= '9') {
            long v = 0;
            const char *s = name + n;
            for (; *s >= '0' && *s <= '9' && v < 1000000; s++) {
                v = v * 10 + (*s - '0');
            }
            return v;
        }
    }
    return -2;
}

static int is_output_weight(const char *name)
{
    return strcmp(name, "output.weight") == 0 || strcmp(name, "lm_head.weight") == 0;
}

/* Whether block il slides: llama.cpp's patterns as geometry.c counts them
 * (all; Gemma 2 every other from 0; Gemma 3 five in six). */
static int is_swa(const struct mm_geometry *g, uint64_t il)
{
    const uint64_t s = mm_plan_sliding_layers(g);
    if (s == 0) {
        return 0;
    }
    if (s >= g->layers) {
        return 1;
    }
    if (s == (g->layers + 1) / 2) {
        return il % 2 == 0;
    }
    if (s == g->layers - g->layers / 6) {
        return (il + 1) % 6 != 0;
    }
    return il < s;
}

static void split_init(struct split *sp, const struct mm_memory_params *p, unsigned n,
                       uint64_t layers)
{
    const int own = p->ntensor_split == n && p->tensor_split != NULL;
    const uint64_t ngl = p->n_gpu_layers < 0 || (uint64_t)p->n_gpu_layers > layers
                             ? layers + 1
                             : (uint64_t)p->n_gpu_layers;
    unsigned d;
    sp->n = n;
    sp->layers = layers;
    sp->first = layers > ngl ? layers - ngl : 0;
    sp->act = ngl;
    sp->total = 0;
    for (d = 0; d < n; d++) {
        sp->total += own ? p->tensor_split[d] : 1;
        sp->cum[d] = sp->total;
    }
}

/* The device of block il (il == layers: the output layer), n for the CPU:
 * std::upper_bound over the split points cum_d / total for
 * (il - first) / act, compared as exact fractions. */
static unsigned device_of(const struct split *sp, uint64_t il)
{
    unsigned lo = 0;
    unsigned hi;
    uint64_t x;
    if (il < sp->first || il - sp->first >= sp->act) {
        return sp->n;
    }
    x = (il - sp->first) * sp->total;
    hi = sp->n - 1;
    while (lo < hi) {
        const unsigned mid = lo + (hi - lo) / 2;
        if (sp->cum[mid] * sp->act > x) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return lo;
}

static void place(struct mm_calc *c, struct place *pl, const struct split *sp,
                  const struct mm_plan_model *m)
{
    const uint64_t layers = sp->layers;
    const size_t count = m->inv != NULL ? mm_inventory_tensor_count(m->inv) : 0;
    const unsigned n = sp->n;
    uint64_t input = 0;
    int tied = 1;
    size_t i;
    uint64_t il;
    memset(pl, 0, sizeof(*pl));
    pl->out_dev = device_of(sp, layers);
    for (i = 0; i < count; i++) {
        const struct mm_tensor *t = mm_inventory_tensor(m->inv, i);
        const long l = tensor_layer(t->name);
        /* as stored, or as a candidate quantization holds it (quant_fit.c) */
        const uint64_t bytes = mm_plan_tensor_bytes(c, m, t);
        unsigned d;
        if (l == -1) {
            input = mm_calc_add(c, input, bytes);
            d = n; /* the input layer stays on the CPU */
        } else if (l >= 0) {
            const uint64_t b = (uint64_t)l < layers ? (uint64_t)l : (layers ? layers - 1 : 0);
            d = device_of(sp, b);
        } else {
            tied &= !is_output_weight(t->name);
            d = pl->out_dev;
        }
        pl->model[d] = mm_calc_add(c, pl->model[d], bytes);
    }
    if (tied) { /* token_embd loaded again as the output layer */
        pl->model[pl->out_dev] = mm_calc_add(c, pl->model[pl->out_dev], input);
    }
    for (il = 0; il < layers; il++) {
        pl->blocks[device_of(sp, il)]++;
    }
}

/* K and V bytes of one cell of block il. */
static void kv_row(struct mm_calc *c, const struct mm_plan_model *m,
                   const struct mm_memory_params *p, uint64_t *k, uint64_t *v)
{
    const struct mm_geometry *g = &m->g;
    if (g->kv_lora_rank != 0) { /* MLA: the latent and its rope part, V the latent */
        *k = row_size(c, p->cache_type_k, g->kv_lora_rank + g->qk_rope_head_dim);
        *v = row_size(c, p->cache_type_v, g->kv_lora_rank);
        return;
    }
    *k = row_size(c, p->cache_type_k, mm_calc_mul(c, g->head_dim, g->kv_heads));
    *v = row_size(c, p->cache_type_v, mm_calc_mul(c, g->head_dim, g->kv_heads));
}

struct sizes {
    uint64_t cells, swa, ub, kv_full, kv_swa, attn, logits, inputs;
    uint64_t mask; /* attention's copy of the mask, part of attn */
};

static void sizes(struct mm_calc *c, struct sizes *s, const struct mm_plan_model *m,
                  const struct mm_memory_params *p, const struct mm_plan_at *at, int flash)
{
    const struct mm_geometry *g = &m->g;
    const uint64_t want = mm_calc_mul(c, at->context, at->batch);
    const uint64_t ub = p->n_ubatch != 0 ? p->n_ubatch : DEFAULT_UBATCH;
    const uint64_t row = mm_calc_mul(c, g->hidden, 4); /* one [n_embd] f32 row */
    uint64_t k;
    uint64_t v;
    uint64_t n_kv;
    memset(s, 0, sizeof(*s));
    s->cells = mm_calc_mul(c, mm_calc_ceil_div(want, CTX_PAD), CTX_PAD);
    if (mm_plan_sliding_layers(g) != 0) {
        uint64_t w = mm_calc_add(c, mm_calc_mul(c, g->sliding_window, at->batch), ub);
        w = mm_calc_mul(c, mm_calc_ceil_div(w, CTX_PAD), CTX_PAD);
        s->swa = w < s->cells ? w : s->cells;
    }
    s->ub = ub < s->cells ? ub : s->cells;
    kv_row(c, m, p, &k, &v);
    s->kv_full = mm_calc_mul(c, mm_calc_add(c, k, v), s->cells);
    s->kv_swa = mm_calc_mul(c, mm_calc_add(c, k, v), s->swa);
    n_kv = mm_plan_sliding_layers(g) >= mm_plan_kv_layers(g) && s->swa != 0 ? s->swa : s->cells;
    if (mm_plan_kv_layers(g) == 0) {
        n_kv = s->ub; /* an encoder attends within the batch */
    }
    s->mask = mm_calc_mul(c, mm_calc_mul(c, n_kv, s->ub), flash ? 2 : 4);
    s->attn = mm_calc_mul(c, mm_calc_mul(c, n_kv, s->ub),
                          flash ? 2 : mm_calc_add(c, mm_calc_mul(c, 4, g->heads), 4));
    s->attn = mm_calc_add(c, s->attn, mm_calc_mul(c, 4, mm_calc_mul(c, row, s->ub)));
    s->logits = mm_calc_add(c, mm_calc_mul(c, mm_calc_mul(c, g->vocab, s->ub), 4),
                            mm_calc_mul(c, row, s->ub));
    s->inputs = mm_calc_add(c, mm_calc_mul(c, row, s->ub),
                            mm_calc_mul(c, mm_calc_mul(c, s->cells, s->ub), 4));
    if (s->swa != 0 && s->swa != s->cells) {
        s->inputs = mm_calc_add(c, s->inputs, mm_calc_mul(c, mm_calc_mul(c, s->swa, s->ub), 4));
    }
    s->inputs = mm_calc_add(c, s->inputs, mm_calc_mul(c, 3 * 4, s->ub));
}

/* Device d's compute buffer: the larger peak of what runs there. */
static uint64_t compute_on(const struct place *pl, const struct sizes *s, unsigned d)
{
    const uint64_t a = pl->blocks[d] != 0 ? s->attn : 0;
    const uint64_t o = pl->out_dev == d ? s->logits : 0;
    return a > o ? a : o;
}

/* What the CPU holds: the mapped tensors, the cache of its blocks, and its
 * compute buffer. The inputs stay live through the blocks on the CPU, whose
 * attention reads the input mask itself (no device copy), not to the logits
 * (a CPU-only run logs the logits' peak alone). */
static void host(struct mm_calc *c, struct mm_runtime_detail *d, const struct place *pl,
                 const struct sizes *s, unsigned n)
{
    const uint64_t a = mm_calc_add(c, s->inputs, pl->blocks[n] != 0 ? s->attn - s->mask : 0);
    const uint64_t o = pl->out_dev == n ? s->logits : 0;
    d->cpu_mapped_bytes = pl->model[n];
    d->cpu_kv_buffer_bytes = pl->kv[n];
    d->host_compute_buffer_bytes = a > o ? a : o;
}

static void detail(struct mm_runtime_detail *d, const struct sizes *s,
                   const struct mm_memory_params *p, const struct mm_plan_at *at, int flash,
                   uint64_t layers)
{
    d->n_ctx = s->cells;
    d->n_seq_max = at->batch;
    d->swa_cells = s->swa;
    d->n_ubatch = p->n_ubatch != 0 ? p->n_ubatch : DEFAULT_UBATCH;
    d->flash_attn = flash;
    d->type_k = p->cache_type_k;
    d->type_v = p->cache_type_v;
    d->layers_total = layers + 1;
}

/* --kv-dtype's width stands for both cache types left at f16: 4 bytes is
 * f32 (2 bytes is f16 already; 1 byte has no llama.cpp type and is refused
 * by the command line). */
static enum mm_dtype cache_type(enum mm_dtype t, unsigned kv_bytes)
{
    return t == MM_DTYPE_F16 && kv_bytes == 4 ? MM_DTYPE_F32 : t;
}

void mm_plan_llamacpp(struct mm_calc *c, struct mm_runtime_plan *out, const struct mm_plan_model *m,
                      const struct mm_memory_params *params, const struct mm_plan_at *at)
{
    struct mm_memory_params q = *params;
    const struct mm_memory_params *p = &q;
    const struct mm_geometry *g = &m->g;
    const unsigned n = at->par == MM_PAR_DP || at->n == 0 ? 1 : at->n;
    const int flash = p->flash_attn != MM_FLASH_OFF;
    const uint64_t platform = p->overhead_set ? p->overhead_bytes : PLATFORM_BYTES;
    struct split sp;
    struct place pl;
    struct sizes s;
    uint64_t k;
    uint64_t v;
    uint64_t il;
    uint64_t best = 0;
    unsigned busiest = 0;
    unsigned d;
    q.cache_type_k = cache_type(q.cache_type_k, q.kv_bytes);
    q.cache_type_v = cache_type(q.cache_type_v, q.kv_bytes);
    memset(out, 0, sizeof(*out));
    sizes(c, &s, m, p, at, flash);
    split_init(&sp, p, n, g->layers);
    place(c, &pl, &sp, m);
    for (il = 0; il < g->layers; il++) {
        const unsigned dv = device_of(&sp, il);
        /* the first no_kv_layers blocks have no cache, as mm_plan_kv_layers counts */
        if (!g->encoder_only && il >= g->no_kv_layers) {
            pl.kv[dv] = mm_calc_add(c, pl.kv[dv], is_swa(g, il) ? s.kv_swa : s.kv_full);
        }
    }
    for (d = 0; d < n; d++) {
        uint64_t t = mm_calc_add(c, pl.model[d], pl.kv[d]);
        t = mm_calc_add(c, t, compute_on(&pl, &s, d));
        if (d == 0 || t > best) {
            best = t;
            busiest = d;
        }
    }
    detail(&out->d, &s, p, at, flash, g->layers);
    out->d.layers_offloaded = sp.act < g->layers + 1 ? sp.act : g->layers + 1;
    out->d.model_buffer_bytes = pl.model[busiest];
    out->d.kv_buffer_bytes = pl.kv[busiest];
    out->d.compute_buffer_bytes = compute_on(&pl, &s, busiest);
    out->d.platform_bytes = platform;
    host(c, &out->d, &pl, &s, n);
    out->d.output_buffer_bytes = mm_calc_mul(c, mm_calc_mul(c, g->vocab, at->batch), 4);
    kv_row(c, m, p, &k, &v);
    {
        const uint64_t sl = mm_plan_sliding_layers(g);
        const uint64_t full = mm_plan_kv_layers(g) - sl;
        const uint64_t cells = mm_calc_add(c, mm_calc_mul(c, full, s.cells),
                                           mm_calc_mul(c, sl, s.swa));
        out->d.k_bytes = mm_calc_mul(c, k, cells);
        out->d.v_bytes = mm_calc_mul(c, v, cells);
        out->in.kv_bytes_per_token = mm_calc_mul(c, mm_calc_add(c, k, v), mm_plan_kv_layers(g));
    }
    out->in.weights_bytes = out->d.model_buffer_bytes;
    out->in.kv_cache_bytes = out->d.kv_buffer_bytes;
    out->in.activation_bytes = out->d.compute_buffer_bytes;
    out->in.overhead_bytes = platform;
    out->in.host_bytes = mm_calc_add(c, mm_calc_add(c, pl.model[n], pl.kv[n]),
                                     mm_calc_add(c, out->d.host_compute_buffer_bytes,
                                                 out->d.output_buffer_bytes));
    mm_plan_total(c, &out->in);
}
