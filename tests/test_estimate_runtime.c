/* test_estimate_runtime.c - the inference plans per runtime (transformers,
 * vLLM, llama.cpp) and the fit answers, on full-size Llama-3 layouts built
 * at test time as sparse safetensors files (the published shapes, header
 * only; the data is a hole) with the published config.json of
 * fixtures/estimate/config-llama-3-{8b,70b}:
 *
 *  - vLLM, Llama-3-8B on an H100: the components vLLM logged in PR #10511
 *    (weights 14.96 GiB, non-torch 1.79 GiB, activation peak 1.26 GiB);
 *  - vLLM, Llama-3-70B, 8k context: fits 2 x A100-80GB under tp; on RTX
 *    4090s the smallest count is 8 (64 heads: 6 is refused, 4 is too few);
 *  - the longest context and the sequences at once, solved exactly;
 *  - the runtime's own split by default, and the mode the verdict assumed.
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "modelmem.h"
#include "test_layout.h"

#define FIX MM_FIXTURES "/estimate/"
#define MIB 1048576ull
#define GIB 1073741824ull

/* GiB with two decimals, rounded as the logs print them: 14.96 -> 1496 */
static uint64_t gib100(uint64_t bytes)
{
    return (bytes * 100 + GIB / 2) / GIB;
}

static const struct test_llama llama3_8b = {4096, 14336, 32, 32, 8, 128256};
static const struct test_llama llama3_70b = {8192, 28672, 80, 64, 8, 128256};

struct model {
    struct mm_inventory *inv;
    struct mm_config *cfg;
};

static struct model model(const struct test_llama *l, const char *config_dir)
{
    struct model m;
    struct mm_error err;
    m.inv = test_llama_layout(l, "BF16", NULL);
    m.cfg = NULL;
    if (mm_config_load(&m.cfg, config_dir, &err) != MM_OK) {
        fail_msg("%s: %s", config_dir, err.message);
    }
    return m;
}

static void model_free(struct model *m)
{
    mm_config_free(m->cfg);
    mm_inventory_free(m->inv);
}

static struct mm_memory plan(const struct model *m, struct mm_memory_params *p)
{
    struct mm_memory r;
    struct mm_error err;
    p->inference = 1;
    if (mm_memory_run(&r, m->inv, m->cfg, p, &err) != MM_OK) {
        fail_msg("%s", err.message);
    }
    return r;
}

static struct mm_memory_params vllm_on(const char *gpu, unsigned gpus, uint64_t context)
{
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    const struct mm_gpu *g = mm_gpu_find(gpu);
    assert_non_null(g);
    p.runtime = MM_RUNTIME_VLLM;
    p.gpus = gpus;
    p.context = context;
    p.device_bytes = g->usable_bytes;
    p.device_name = g->name;
    return p;
}

/* vllm serve meta-llama/Meta-Llama-3-8B on an H100 (vLLM PR #10511):
 * "model weights take 14.96GiB; non_torch_memory 1.79GiB; PyTorch
 * activation peak memory 1.26GiB". */
static void test_vllm_llama3_8b_h100(void **state)
{
    struct model m = model(&llama3_8b, FIX "config-llama-3-8b/config.json");
    struct mm_memory_params p = vllm_on("H100-80GB", 1, 8192);
    struct mm_memory r = plan(&m, &p);
    const struct mm_runtime_detail *d = &r.device_detail;
    (void)state;
    assert_int_equal(r.runtime, MM_RUNTIME_VLLM);
    assert_int_equal(r.parallel, MM_PAR_TP);
    /* 8,030,261,248 x 2 bytes + the rotary cache 8,192 x 128 x 2 */
    assert_int_equal(d->rotary_cache_bytes, 2097152);
    assert_int_equal(r.inference.weights_bytes, 16060522496ull + 2097152);
    assert_int_equal(gib100(r.inference.weights_bytes), 1496);
    assert_int_equal(gib100(d->non_torch_bytes), 179);
    assert_int_equal(gib100(r.inference.activation_bytes), 126);
    /* the profiled batch: 8,192 tokens (>= 70 GiB, not an A100), 256
     * sequences; forward 8,192 x (2 x 4,096 + 3 x 14,336) x 2; sampler
     * 256 x 128,256 x 41.25 */
    assert_int_equal(d->max_num_batched_tokens, 8192);
    assert_int_equal(d->max_num_seqs, 256);
    assert_int_equal(d->forward_bytes, 838860800ull);
    assert_int_equal(d->sampler_bytes, 1354383360ull);
    /* 0.9 x 81,559 MiB; KV = that - weights - activations - non-torch, in
     * blocks of 16 tokens x 131,072 bytes per token (32 layers x 2 x 8
     * heads x 128 x 2 bytes) */
    assert_int_equal(d->requested_bytes, 81559 * MIB * 9 / 10);
    assert_int_equal(r.inference.kv_bytes_per_token, 131072);
    assert_int_equal(d->kv_available_bytes, d->requested_bytes - r.inference.weights_bytes -
                                                r.inference.activation_bytes -
                                                d->non_torch_bytes);
    assert_int_equal(d->kv_blocks, d->kv_available_bytes / (16 * 131072));
    assert_int_equal(r.inference.kv_cache_bytes, d->kv_blocks * 16 * 131072);
    assert_true(r.device.inference_fits);
    assert_int_equal(r.device.inference_min_gpus, 1);
    /* tokens / 8,192 with two decimals (vLLM's "Maximum concurrency") */
    assert_int_equal(r.device.max_concurrency_x100,
                     (d->kv_tokens * 200 + 8192) / (2 * 8192));
    assert_int_equal(r.device.max_context, d->kv_blocks * 16);
    /* tp 2: weights halve, NCCL doubles non-torch (3.58 GiB in the same
     * log), and the activation peak stays 1.26 GiB (the sampler) */
    p.gpus = 2;
    r = plan(&m, &p);
    assert_int_equal(gib100(r.device_detail.non_torch_bytes), 358);
    assert_int_equal(gib100(r.device_inference.activation_bytes), 126);
    assert_int_equal(gib100(r.device_inference.weights_bytes - 2097152), 748);
    model_free(&m);
}

/* Llama-3-70B at 8k under vLLM: 2 x A100-80GB fits with tp 2. */
static void test_vllm_llama3_70b_a100(void **state)
{
    struct model m = model(&llama3_70b, FIX "config-llama-3-70b/config.json");
    struct mm_memory_params p = vllm_on("A100-80GB", 2, 8192);
    struct mm_memory r = plan(&m, &p);
    (void)state;
    assert_int_equal(r.parallel, MM_PAR_TP);
    assert_true(r.device.inference_fits);
    assert_true(r.device.inference_headroom > 0);
    assert_int_equal(r.device.inference_min_gpus, 2);
    /* A100: the 2,048-token budget; per device 80 layers x 2 x 4 heads x
     * 128 x 2 bytes per token */
    assert_int_equal(r.device_detail.max_num_batched_tokens, 2048);
    assert_int_equal(r.device_inference.kv_bytes_per_token, 163840);
    assert_true(r.device.max_context >= 8192);
    assert_true(r.device.max_concurrency_x100 >= 100);
    /* one A100 does not hold the weights */
    p.gpus = 1;
    r = plan(&m, &p);
    assert_false(r.device.inference_fits);
    assert_int_equal(r.device.max_context, 0);
    assert_int_equal(r.device.max_concurrency_x100, 0);
    model_free(&m);
}

/* On RTX 4090s the count is 8: tp must divide the 64 heads (6 is refused),
 * and 4 devices do not hold the weights. */
static void test_vllm_llama3_70b_4090(void **state)
{
    struct model m = model(&llama3_70b, FIX "config-llama-3-70b/config.json");
    struct mm_memory_params p = vllm_on("RTX4090-24GB", 1, 8192);
    struct mm_memory r = plan(&m, &p);
    struct mm_error err;
    (void)state;
    assert_false(r.device.inference_fits);
    assert_int_equal(r.device.inference_min_gpus, 8);
    p.gpus = 8;
    r = plan(&m, &p);
    assert_true(r.device.inference_fits);
    /* GeForce: 0.35 GiB outside torch, doubled for NCCL */
    assert_int_equal(r.device_detail.non_torch_bytes, 2 * 358 * MIB);
    p.gpus = 6;
    p.inference = 1;
    assert_int_equal(mm_memory_run(&r, m.inv, m.cfg, &p, &err), MM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "64 attention heads"));
    assert_non_null(strstr(err.message, "6 devices"));
    model_free(&m);
}

/* transformers: device_map="auto" splits layers by default; the longest
 * context and the sequences at once solve the plan exactly. */
static void test_transformers_fit(void **state)
{
    struct model m = model(&llama3_70b, FIX "config-llama-3-70b/config.json");
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    const struct mm_gpu *g = mm_gpu_find("A100-80GB");
    struct mm_memory r;
    uint64_t fixed;
    uint64_t per;
    (void)state;
    p.gpus = 2;
    p.context = 8192;
    p.device_bytes = g->usable_bytes;
    r = plan(&m, &p);
    assert_int_equal(r.runtime, MM_RUNTIME_TRANSFORMERS);
    assert_int_equal(r.parallel, MM_PAR_LAYERS);
    assert_true(r.device.inference_fits);
    /* per device: weights / 2 + 512 MiB + 128,256 x 4 (logits), then per
     * token KV / 2 = 163,840 and activations (2 x 8,192 + 3 x 28,672) x 2 =
     * 204,800: (80 GiB - fixed) / 368,640 = 40,169 */
    fixed = 141107412992ull / 2 + 512 * MIB + 128256 * 4;
    per = 163840 + 204800;
    assert_int_equal(r.device.max_context, (80 * GIB - fixed) / per);
    /* the total at that context fits, one token more does not */
    p.context = r.device.max_context;
    assert_true(plan(&m, &p).device.inference_fits);
    p.context++;
    assert_false(plan(&m, &p).device.inference_fits);
    /* sequences of 8,192 tokens: (80 GiB - weights - overhead) / per sequence */
    p.context = 8192;
    r = plan(&m, &p);
    assert_int_equal(r.device.max_concurrency_x100,
                     (80 * GIB - 141107412992ull / 2 - 512 * MIB) * 100 /
                         (8192 * per + 128256 * 4));
    model_free(&m);
}

/* The longest context that trains: exact, as for inference. */
static void test_training_max_context(void **state)
{
    struct model m = model(&llama3_8b, FIX "config-llama-3-8b/config.json");
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    uint64_t x;
    (void)state;
    p.train = MM_TRAIN_LORA;
    p.context = 4096;
    p.device_bytes = mm_gpu_find("A100-80GB")->usable_bytes;
    r = plan(&m, &p);
    assert_true(r.device.has_training_max_context);
    x = r.device.training_max_context;
    assert_true(x > 4096);
    p.context = x;
    assert_true(plan(&m, &p).device.training_fits);
    p.context = x + 1;
    assert_false(plan(&m, &p).device.training_fits);
    /* eager attention: quadratic, still exact */
    p.attention = MM_ATTN_EAGER;
    p.context = 4096;
    x = plan(&m, &p).device.training_max_context;
    p.context = x;
    assert_true(plan(&m, &p).device.training_fits);
    p.context = x + 1;
    assert_false(plan(&m, &p).device.training_fits);
    model_free(&m);
}

/* Sliding windows: Gemma 2 (alternate layers slide over 4,096 tokens); the
 * longest context is found past the window, and is exact. */
static void test_fit_sliding(void **state)
{
    struct mm_inventory *inv = NULL;
    struct mm_config *cfg = NULL;
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    struct mm_error err;
    uint64_t x;
    (void)state;
    assert_int_equal(mm_inventory_load(&inv, FIX "tiny-llama", NULL, &err), MM_OK);
    assert_int_equal(mm_config_load(&cfg, FIX "config-gemma-2-9b/config.json", &err), MM_OK);
    p.inference = 1;
    p.context = 4096;
    p.overhead_bytes = 0;
    p.device_bytes = 8 * GIB;
    assert_int_equal(mm_memory_run(&r, inv, cfg, &p, &err), MM_OK);
    x = r.device.max_context;
    assert_true(x > 4096);
    p.context = x;
    assert_int_equal(mm_memory_run(&r, inv, cfg, &p, &err), MM_OK);
    assert_true(r.device.inference_fits);
    p.context = x + 1;
    assert_int_equal(mm_memory_run(&r, inv, cfg, &p, &err), MM_OK);
    assert_false(r.device.inference_fits);
    /* eager attention: quadratic in the context, still exact */
    p.attention = MM_ATTN_EAGER;
    p.context = 4096;
    assert_int_equal(mm_memory_run(&r, inv, cfg, &p, &err), MM_OK);
    x = r.device.max_context;
    p.context = x;
    assert_int_equal(mm_memory_run(&r, inv, cfg, &p, &err), MM_OK);
    assert_true(r.device.inference_fits);
    p.context = x + 1;
    assert_int_equal(mm_memory_run(&r, inv, cfg, &p, &err), MM_OK);
    assert_false(r.device.inference_fits);
    mm_config_free(cfg);
    mm_inventory_free(inv);
}

/* The runtime a default stands for, the names, and what vLLM refuses. */
static void test_defaults(void **state)
{
    struct mm_inventory *inv = NULL;
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    struct mm_error err;
    (void)state;
    assert_string_equal(mm_runtime_name(MM_RUNTIME_VLLM), "vllm");
    assert_string_equal(mm_runtime_name(MM_RUNTIME_LLAMACPP), "llama.cpp");
    assert_null(mm_runtime_name(MM_RUNTIME_DEFAULT));
    assert_string_equal(mm_parallel_name(MM_PAR_LAYERS), "layers");
    assert_string_equal(mm_parallel_name(MM_PAR_DP), "dp");
    assert_null(mm_parallel_name(MM_PAR_NONE));
    assert_int_equal(mm_inventory_load(&inv, FIX "gguf-gemma2", NULL, &err), MM_OK);
    p.inference = 1;
    p.context = 16;
    assert_int_equal(mm_memory_run(&r, inv, NULL, &p, &err), MM_OK);
    assert_int_equal(r.runtime, MM_RUNTIME_LLAMACPP);
    assert_int_equal(r.parallel, MM_PAR_LAYERS);
    /* a version 1 caller: MM_PAR_NONE still means a replica per device */
    p.version = 1;
    p.gpus = 2;
    assert_int_equal(mm_memory_run(&r, inv, NULL, &p, &err), MM_OK);
    assert_int_equal(r.parallel, MM_PAR_DP);
    assert_int_equal(r.device_inference.weights_bytes, r.inference.weights_bytes);
    p.version = MM_MEMORY_PARAMS_VERSION;
    /* vLLM takes tp, pp and dp only */
    p.runtime = MM_RUNTIME_VLLM;
    p.gpus = 2;
    p.parallel = MM_PAR_ZERO3;
    assert_int_equal(mm_memory_run(&r, inv, NULL, &p, &err), MM_ERR_INVALID_ARG);
    /* an unknown runtime, a utilization above 1 */
    p.parallel = MM_PAR_NONE;
    p.runtime = (enum mm_runtime)9;
    assert_int_equal(mm_memory_run(&r, inv, NULL, &p, &err), MM_ERR_INVALID_ARG);
    p.runtime = MM_RUNTIME_VLLM;
    p.gpu_util_ppm = 1000001;
    assert_int_equal(mm_memory_run(&r, inv, NULL, &p, &err), MM_ERR_INVALID_ARG);
    mm_inventory_free(inv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vllm_llama3_8b_h100), cmocka_unit_test(test_vllm_llama3_70b_a100),
        cmocka_unit_test(test_vllm_llama3_70b_4090), cmocka_unit_test(test_transformers_fit),
        cmocka_unit_test(test_fit_sliding),          cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_training_max_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
