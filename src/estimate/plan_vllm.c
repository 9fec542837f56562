/*
 * plan_vllm.c - one device as vLLM lays it out. vLLM loads the weights,
 * profiles one forward pass and one sampler pass at its largest batch,
 * then gives the KV cache whatever is left of gpu_memory_utilization x the
 * device's memory, in blocks of 16 tokens (vllm/v1/worker/gpu_worker.py
 * determine_available_memory, vllm/v1/worker/gpu_model_runner.py
 * profile_run, vllm/utils MemoryProfilingResult; vLLM PR #10511):
 *
 *  requested    = utilization (default 0.9) x device memory
 *  weights      = stored bytes / (tp x pp) + the rotary cos/sin cache
 *                 (max_position_embeddings x rotary dim x float width,
 *                 RotaryEmbedding._compute_cos_sin_cache)
 *  activations  = the profiled peak, max(forward, sampler):
 *                 forward = T x (2 hidden + 3 intermediate / tp) x width,
 *                 T = --max-num-batched-tokens (the profile_run batch);
 *                 sampler = R x vocab x 41.25 bytes, R = min(max_num_seqs, T)
 *                 dummy requests' logits through the sampler (fp32 copies,
 *                 sort values and indices for top-k/top-p, softmax). The
 *                 41.25 is fitted to the published log of PR #10511:
 *                 Llama-3-8B on an H100, T = 8192, R = 256: 1.26 GiB at
 *                 tp 1 and tp 2 alike (the sampler works on the whole
 *                 vocabulary on every rank, which is why tp did not lower it).
 *  non-torch    = CUDA context, cuBLAS/cuDNN workspaces: 1.79 GiB on a
 *                 data-centre part (PR #10511, H100), 0.35 GiB on a GeForce
 *                 card (an RTX 3090 measurement, issue 11 of this project);
 *                 NCCL buffers for tp x pp > 1 add as much again (the same
 *                 log: 3.58 GiB at tp 2; assumed alike on GeForce cards)
 *  CUDA graphs  = 0.36 GiB captured after the KV cache is allocated, from the
 *                 share utilization leaves free (vLLM logs 0.17-0.36 GiB
 *                 for 7-8B models); not in the KV arithmetic (recent vLLM
 *                 can estimate them in the budget with
 *                 VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS, not by default)
 *  KV cache     = requested - weights - activations - non-torch, in whole
 *                 blocks of 16 tokens x every KV layer on the device
 *
 * --overhead replaces non-torch and CUDA graphs together. Defaults of
 * vLLM's V1 engine (vllm/engine/arg_utils.py, get_batch_defaults): for
 * `vllm serve`, max_num_batched_tokens 8192 on devices of 70 GiB or more
 * that are not A100s, else 2048; max_num_seqs 256 (V1 raises it to 1024 on
 * the large devices; the sampler fit was measured at 256).
 */
#include <string.h>

#include "estimate/plan.h"
#include "model/config_internal.h"

#define MIB 1048576ull
#define GIB 1073741824ull

/* 1.79 GiB and 0.35 GiB to the MiB, as the logs print them */
#define NON_TORCH_DATACENTRE (1833 * MIB)
#define NON_TORCH_GEFORCE (358 * MIB)
#define CUDA_GRAPHS (368 * MIB)
#define DEFAULT_UTIL_PPM 900000u
#define DEFAULT_MAX_SEQS 256u
/* sampler bytes per logit: 165 / 4 = 41.25, fitted (see above) */
#define SAMPLER_NUM 165u
#define SAMPLER_DEN 4u

static int name_has(const char *name, const char *word)
{
    size_t i;
    size_t k;
    if (name == NULL) {
        return 0;
    }
    for (i = 0; name[i] != '\0'; i++) {
        for (k = 0; word[k] != '\0'; k++) {
            char ch = name[i + k];
            if (ch >= 'A' && ch <= 'Z') {
                ch = (char)(ch - 'A' + 'a');
            }
            if (ch != word[k]) {
                break;
            }
        }
        if (word[k] == '\0') {
            return 1;
        }
    }
    return 0;
}

static uint64_t batched_tokens(const struct mm_memory_params *p)
{
    if (p->max_num_batched_tokens != 0) {
        return p->max_num_batched_tokens;
    }
    /* with no device, as on an H100 */
    if (p->device_bytes == 0 ||
        (p->device_bytes >= 70 * GIB && !name_has(p->device_name, "a100"))) {
        return 8192;
    }
    return 2048;
}

/* max_position_embeddings (the language model's, under text_config for a
 * multimodal config), 0 when the config has none. */
static uint64_t max_position(const struct mm_config *cfg)
{
    const cJSON *root = mm_config_root(cfg);
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(root, "text_config");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(text, "max_position_embeddings");
    if (!cJSON_IsNumber(v)) {
        v = cJSON_GetObjectItemCaseSensitive(root, "max_position_embeddings");
    }
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 1e9) {
        return 0;
    }
    return (uint64_t)v->valuedouble;
}

const char *mm_vllm_refuses(const struct mm_geometry *g, unsigned n, enum mm_parallel par)
{
    if (n <= 1) {
        return NULL;
    }
    if (par == MM_PAR_TP) {
        /* ModelConfig.verify_with_parallel_config: heads % tp == 0; and
         * QKVParallelLinear shards or replicates the KV heads evenly */
        if (g->heads % n != 0) {
            return "the attention heads must divide by the tensor-parallel size";
        }
        if (g->kv_lora_rank == 0 && g->kv_heads % n != 0 && n % g->kv_heads != 0) {
            return "the KV heads must divide by the tensor-parallel size, or it by them";
        }
        return NULL;
    }
    if (par == MM_PAR_PP || par == MM_PAR_LAYERS) {
        return g->layers >= n ? NULL : "fewer layers than pipeline stages";
    }
    if (par == MM_PAR_DP) {
        return NULL;
    }
    return "vLLM splits a model by tp, pp (layers) or dp only";
}

static void overheads(struct mm_runtime_plan *out, const struct mm_memory_params *p, unsigned ranks)
{
    const int geforce = name_has(p->device_name, "rtx") || name_has(p->device_name, "geforce");
    const uint64_t base = geforce ? NON_TORCH_GEFORCE : NON_TORCH_DATACENTRE;
    if (p->overhead_set) {
        out->d.non_torch_bytes = p->overhead_bytes;
        out->d.cuda_graph_bytes = 0;
    } else {
        out->d.non_torch_bytes = ranks > 1 ? 2 * base : base;
        out->d.cuda_graph_bytes = CUDA_GRAPHS;
    }
    out->in.overhead_bytes = out->d.non_torch_bytes + out->d.cuda_graph_bytes;
}

static void activations(struct mm_calc *c, struct mm_runtime_plan *out, const struct mm_plan_model *m,
                        const struct mm_memory_params *p, uint64_t tp)
{
    const struct mm_geometry *g = &m->g;
    const uint64_t t = batched_tokens(p);
    const uint64_t seqs = p->max_num_seqs != 0 ? p->max_num_seqs : DEFAULT_MAX_SEQS;
    const uint64_t rows = seqs < t ? seqs : t;
    const uint64_t width = mm_calc_add(c, mm_calc_mul(c, 2, g->hidden),
                                       mm_calc_mul(c, 3, mm_calc_ceil_div(g->intermediate, tp)));
    out->d.max_num_batched_tokens = t;
    out->d.max_num_seqs = seqs;
    out->d.forward_bytes = mm_calc_mul(c, mm_calc_mul(c, t, width), m->wbytes);
    out->d.sampler_bytes = mm_calc_ceil_div(
        mm_calc_mul(c, mm_calc_mul(c, rows, g->vocab), SAMPLER_NUM), SAMPLER_DEN);
    out->in.activation_bytes = out->d.forward_bytes > out->d.sampler_bytes
                                   ? out->d.forward_bytes
                                   : out->d.sampler_bytes;
}

/* The KV cache: with a device, every block vLLM can allocate; without one,
 * the blocks `batch` sequences of `context` tokens take. */
static void kv_cache(struct mm_calc *c, struct mm_runtime_plan *out, const struct mm_plan_model *m,
                     const struct mm_memory_params *p, const struct mm_plan_at *at,
                     uint64_t per_token)
{
    const uint64_t page = mm_calc_mul(c, MM_VLLM_BLOCK_SIZE, per_token);
    const uint64_t want_blocks =
        mm_calc_mul(c, at->batch, mm_calc_ceil_div(at->context, MM_VLLM_BLOCK_SIZE));
    uint64_t fixed;
    (void)m;
    if (p->device_bytes == 0) {
        out->in.kv_cache_bytes = mm_calc_mul(c, want_blocks, page);
        return;
    }
    out->d.requested_bytes = mm_calc_mul(c, p->device_bytes / 1000000, out->d.gpu_util_ppm) +
                             p->device_bytes % 1000000 * out->d.gpu_util_ppm / 1000000;
    fixed = mm_calc_add(c, out->in.weights_bytes, out->in.activation_bytes);
    fixed = mm_calc_add(c, fixed, out->d.non_torch_bytes);
    out->d.kv_available_bytes =
        out->d.requested_bytes > fixed ? out->d.requested_bytes - fixed : 0;
    if (page == 0) { /* no KV cache (an encoder): only the rest must fit */
        out->refused = fixed > out->d.requested_bytes;
        return;
    }
    out->d.kv_blocks = out->d.kv_available_bytes / page;
    out->d.kv_tokens = mm_calc_mul(c, out->d.kv_blocks, MM_VLLM_BLOCK_SIZE);
    out->in.kv_cache_bytes = mm_calc_mul(c, out->d.kv_blocks, page);
    out->refused = out->d.kv_blocks < mm_calc_ceil_div(out->d.max_model_len, MM_VLLM_BLOCK_SIZE);
}

void mm_plan_vllm(struct mm_calc *c, struct mm_runtime_plan *out, const struct mm_plan_model *m,
                  const struct mm_memory_params *p, const struct mm_plan_at *at)
{
    const struct mm_geometry *g = &m->g;
    const uint64_t tp = at->par == MM_PAR_TP ? at->n : 1;
    const uint64_t pp = (at->par == MM_PAR_PP || at->par == MM_PAR_LAYERS) ? at->n : 1;
    const uint64_t rotary_dim = g->kv_lora_rank != 0 ? g->qk_rope_head_dim : g->head_dim;
    const uint64_t layers = mm_calc_ceil_div(mm_plan_kv_layers(g), pp);
    uint64_t per_token;
    memset(out, 0, sizeof(*out));
    out->d.tensor_parallel = tp;
    out->d.block_size = MM_VLLM_BLOCK_SIZE;
    out->d.gpu_util_ppm = p->gpu_util_ppm != 0 ? p->gpu_util_ppm : DEFAULT_UTIL_PPM;
    out->d.max_model_len = p->max_model_len != 0 ? p->max_model_len : at->context;
    out->d.rotary_cache_bytes =
        mm_calc_mul(c, mm_calc_mul(c, max_position(m->cfg), rotary_dim), m->wbytes);
    out->in.weights_bytes =
        mm_calc_add(c, mm_calc_ceil_div(m->stored, tp * pp), out->d.rotary_cache_bytes);
    /* every KV layer on the device holds the whole length (the hybrid
     * allocator's window-sized sliding layers are not modelled) */
    per_token = mm_calc_mul(c, mm_plan_kv_width(c, m) / mm_plan_kv_split(m, (unsigned)tp), layers);
    out->in.kv_bytes_per_token = per_token;
    overheads(out, p, (unsigned)(tp * pp));
    activations(c, out, m, p, tp);
    kv_cache(c, out, m, p, at, per_token);
    mm_plan_total(c, &out->in);
}
