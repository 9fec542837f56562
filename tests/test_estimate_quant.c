/* test_estimate_quant.c - transformers' load-time quantization (--load-in,
 * src/estimate/load_in.c) and the quantizations that would fit a device
 * (src/estimate/quant_fit.c), on fixtures/estimate and on a Llama-2-7B
 * shaped sparse checkpoint built at test time; every figure worked out by
 * hand in the comment beside it. */
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
#define GIB 1073741824ull

/*
 * tiny-llama: 2 layers of q [64,64], k and v [32,64], o [64,64], gate and
 * up [128,64], down [64,128] (bf16): 73,728 linear weights in 14 matrices
 * of 1,024 output rows in all; kept in 16 bits: embed_tokens and lm_head
 * [16,64] and five norms of 64: 2,048 + 2,048 + 640 = 4,736 bytes.
 *  8bit: 73,728 + 1,024 x 4 (fp32 row scales) = 77,824; + 4,736 = 82,560
 *  4bit: 36,864 + 1,152 blocks of 64 x 4 = 41,472; + 4,736 = 46,208
 *  nf4:  36,864 + 1,152 (8-bit absmax) + 14 x 4 (one fp32 scale per
 *        matrix: none has more than 256 blocks) = 38,072; + 4,736 = 42,808
 */
static void test_load_in_tiny(void **state)
{
    static const struct {
        enum mm_load_in l;
        uint64_t quantized, weights;
    } cases[] = {{MM_LOAD_8BIT, 77824, 82560},
                 {MM_LOAD_4BIT, 41472, 46208},
                 {MM_LOAD_NF4, 38072, 42808}};
    struct mm_inventory *inv = test_fixture_load("tiny-llama");
    struct mm_config *cfg = test_fixture_config("tiny-llama");
    struct mm_memory_params p = test_inference_params(100);
    struct mm_memory r;
    struct mm_memory base;
    size_t i;
    (void)state;
    p.runtime = MM_RUNTIME_TRANSFORMERS;
    test_memory_ok(&base, inv, cfg, &p);
    assert_int_equal(base.inference.weights_bytes, 152192);
    assert_int_equal(base.detail.load_in, MM_LOAD_AS_STORED);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        p.load_in = cases[i].l;
        test_memory_ok(&r, inv, cfg, &p);
        assert_int_equal(r.inference.weights_bytes, cases[i].weights);
        assert_int_equal(r.detail.load_in, cases[i].l);
        assert_int_equal(r.detail.quantized_parameters, 73728);
        assert_int_equal(r.detail.quantized_bytes, cases[i].quantized);
        assert_int_equal(r.detail.kept_bytes, 4736);
        /* only the weights change: KV cache, activations, overhead alike */
        assert_int_equal(r.inference.total_bytes - r.inference.weights_bytes,
                         base.inference.total_bytes - base.inference.weights_bytes);
    }
    assert_string_equal(mm_load_in_name(MM_LOAD_8BIT), "8bit");
    assert_string_equal(mm_load_in_name(MM_LOAD_NF4), "nf4");
    assert_null(mm_load_in_name(MM_LOAD_AS_STORED));
    mm_config_free(cfg);
    mm_inventory_free(inv);
}

/* --load-in is transformers' own, for a checkpoint stored in floats; any
 * other case is MM_ERR_INVALID_ARG, and nothing is handed out. */
static void test_load_in_refused(void **state)
{
    struct mm_inventory *inv = test_fixture_load("tiny-llama");
    struct mm_config *cfg = test_fixture_config("tiny-llama");
    struct mm_inventory *bnb = test_fixture_load("bnb4");
    struct mm_config *bnb_cfg = test_fixture_config("bnb4");
    struct mm_inventory *gguf = test_fixture_load("gguf-gemma2");
    struct mm_memory_params p = test_inference_params(100);
    struct mm_memory r;
    struct mm_error err;
    (void)state;
    p.load_in = MM_LOAD_8BIT;
    p.runtime = MM_RUNTIME_VLLM;
    assert_int_equal(mm_memory_run(&r, inv, cfg, &p, &err), MM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "transformers"));
    p.runtime = MM_RUNTIME_TRANSFORMERS;
    assert_int_equal(mm_memory_run(&r, bnb, bnb_cfg, &p, &err), MM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "already quantized"));
    assert_int_equal(r.inference.total_bytes, 0);
    assert_int_equal(mm_memory_run(&r, gguf, NULL, &p, &err), MM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "GGUF"));
    /* the default runtime of a GGUF model is llama.cpp: refused as well */
    p.runtime = MM_RUNTIME_DEFAULT;
    assert_int_equal(mm_memory_run(&r, gguf, NULL, &p, &err), MM_ERR_INVALID_ARG);
    p.load_in = (enum mm_load_in)9;
    p.runtime = MM_RUNTIME_TRANSFORMERS;
    assert_int_equal(mm_memory_run(&r, inv, cfg, &p, &err), MM_ERR_INVALID_ARG);
    /* a version 2 caller has no load_in: the weights as stored */
    p.version = 2;
    test_memory_ok(&r, inv, cfg, &p);
    assert_int_equal(r.inference.weights_bytes, 152192);
    mm_inventory_free(gguf);
    mm_config_free(bnb_cfg);
    mm_inventory_free(bnb);
    mm_config_free(cfg);
    mm_inventory_free(inv);
}

static void expect(const struct mm_memory *r, size_t i, const char *name, uint64_t weights,
                   int fits)
{
    assert_true(i < r->nquant_fits);
    assert_string_equal(r->quant_fits[i].name, name);
    assert_int_equal(r->quant_fits[i].weights_bytes, weights);
    assert_int_equal(r->quant_fits[i].fits, fits);
}

/* Which quantization would fit, per runtime, on tiny-llama. The device is
 * made exactly as large as the 8bit total: 8bit and smaller fit, BF16 not. */
static void test_quant_fits_tiny(void **state)
{
    struct mm_inventory *inv = test_fixture_load("tiny-llama");
    struct mm_config *cfg = test_fixture_config("tiny-llama");
    struct mm_memory_params p = test_inference_params(100);
    struct mm_memory r;
    uint64_t rest;
    (void)state;
    p.runtime = MM_RUNTIME_TRANSFORMERS;
    test_memory_ok(&r, inv, cfg, &p);
    assert_int_equal(r.nquant_fits, 0); /* no device, no question */
    rest = r.inference.total_bytes - r.inference.weights_bytes;
    p.device_bytes = 82560 + rest;
    test_memory_ok(&r, inv, cfg, &p);
    assert_int_equal(r.nquant_fits, 4);
    expect(&r, 0, "BF16", 152192, 0);
    expect(&r, 1, "8bit", 82560, 1);
    expect(&r, 2, "4bit", 46208, 1);
    expect(&r, 3, "nf4", 42808, 1);
    assert_int_equal(r.quant_fits[1].total_bytes, p.device_bytes);
    assert_int_equal(r.quant_fits[0].total_bytes, r.inference.total_bytes);
    /* under --load-in the list is still the checkpoint's */
    p.load_in = MM_LOAD_NF4;
    test_memory_ok(&r, inv, cfg, &p);
    expect(&r, 0, "BF16", 152192, 0);
    assert_true(r.device.inference_fits);
    /* vLLM: fp8 = 73,728 + 14 fp32 scales + 4,736 = 78,520; int4, one group
     * of 128 columns a row (no matrix is wider): 36,864 + 1,024 x 2 (fp16
     * scales) + 512 (4-bit zeros) + 4,736 = 44,160 */
    p.load_in = MM_LOAD_AS_STORED;
    p.runtime = MM_RUNTIME_VLLM;
    p.device_bytes = 24 * GIB;
    test_memory_ok(&r, inv, cfg, &p);
    assert_int_equal(r.nquant_fits, 3);
    expect(&r, 0, "BF16", 152192, 1);
    expect(&r, 1, "fp8", 78520, 1);
    expect(&r, 2, "int4", 44160, 1);
    /* a quantized checkpoint: no list */
    mm_config_free(cfg);
    mm_inventory_free(inv);
    inv = test_fixture_load("bnb4");
    cfg = test_fixture_config("bnb4");
    p.runtime = MM_RUNTIME_TRANSFORMERS;
    test_memory_ok(&r, inv, cfg, &p);
    assert_int_equal(r.nquant_fits, 0);
    mm_config_free(cfg);
    mm_inventory_free(inv);
}

/* gguf-gemma2: rows of 16 values, which no ggml block divides: every
 * matrix falls back to F16 (llama.cpp's tensor_type_fallback), the tied
 * token embedding [10,16] too: 160 x 2 + 4 x 128 x 2 = 1,344 bytes. */
static void test_quant_fits_gguf_fallback(void **state)
{
    static const char *const names[] = {"F16", "Q8_0", "Q6_K", "Q5_K_M",
                                        "Q4_K_M", "Q3_K_M", "Q2_K"};
    struct mm_inventory *inv = test_fixture_load("gguf-gemma2");
    struct mm_memory_params p = test_inference_params(100);
    struct mm_memory r;
    size_t i;
    (void)state;
    p.device_bytes = GIB;
    test_memory_ok(&r, inv, NULL, &p);
    assert_int_equal(r.runtime, MM_RUNTIME_LLAMACPP);
    assert_int_equal(r.nquant_fits, 7);
    for (i = 0; i < 7; i++) {
        expect(&r, i, names[i], 1344, 1);
    }
    mm_inventory_free(inv);
}

/* ---- Llama-2-7B, fp16, as a sparse file ------------------------------------ */

/* Llama-2-7B, fp16: 6,738,415,616 parameters x 2 bytes */
static const struct test_llama llama2_7b = {4096, 11008, 32, 32, 32, 32000};

/*
 * Llama-2-7B under llama.cpp's presets (per layer q, k, o 4096 x 4096,
 * gate and up 11008 x 4096, down 4096 x 11008; 32 layers; embeddings and
 * output 32000 x 4096; 65 norms of 4096 in F32: 1,064,960 bytes).
 * Q4_K_M: Q4_K (144 bytes a 256-block) but attn_v and ffn_down in Q6_K
 * (210 bytes) in the 16 layers use_more_bits picks (0-3, 6, 9, ..., 27,
 * 28-31), output Q6_K:
 *   32 x (3 x 9,437,184 + 2 x 25,362,432)      2,529,165,312
 *   v: 16 x 13,762,560 + 16 x 9,437,184          371,195,904
 *   down: 16 x 36,986,880 + 16 x 25,362,432      997,588,992
 *   token_embd 73,728,000 + output 107,520,000 + norms 1,064,960
 *   = 4,080,263,168
 * TheBloke/Llama-2-7B-GGUF lists its files at these sizes to two decimals
 * (7.16, 5.53, 4.78, 4.08, 3.30 GB: the header and vocabulary added) but
 * for Q2_K, made under an older recipe (Q4_K attn_v and ffn_down).
 */
static void test_quant_fits_llama2_7b(void **state)
{
    static const struct {
        const char *name;
        uint64_t weights;
    } want[] = {{"F16", 13477363712ull},   {"Q8_0", 7160348672ull},
                {"Q6_K", 5528453120ull},   {"Q5_K_M", 4782415872ull},
                {"Q4_K_M", 4080263168ull}, {"Q3_K_M", 3297263616ull},
                {"Q2_K", 2532122624ull}};
    uint64_t data = 0;
    struct mm_inventory *inv = test_llama_layout(&llama2_7b, "F16", &data);
    struct mm_memory_params p = test_inference_params(4096);
    struct mm_memory r;
    size_t i;
    (void)state;
    assert_int_equal(data, 13476831232ull);
    p.runtime = MM_RUNTIME_LLAMACPP;
    p.device_bytes = 8 * GIB;
    test_memory_ok(&r, inv, NULL, &p);
    assert_int_equal(r.nquant_fits, 7);
    for (i = 0; i < 7; i++) {
        assert_string_equal(r.quant_fits[i].name, want[i].name);
        assert_int_equal(r.quant_fits[i].weights_bytes, want[i].weights);
        /* llama.cpp keeps the token embeddings in host memory, so the
         * device total is not the weights plus a fixed rest: it falls with
         * the weights, candidate after candidate */
        if (i > 0) {
            assert_true(r.quant_fits[i].total_bytes < r.quant_fits[i - 1].total_bytes);
        }
        assert_int_equal(r.quant_fits[i].fits, r.quant_fits[i].total_bytes <= p.device_bytes);
    }
    /* on 8 GiB at 4k tokens (2 GiB of KV cache): Q6_K and below */
    assert_false(r.quant_fits[1].fits);
    assert_true(r.quant_fits[2].fits);
    /* transformers: LLM.int8 holds 6,476,005,376 linear weights in int8 with
     * 32 x 42,496 fp32 row scales (5,439,488 bytes), the rest in fp16
     * (524,288,000 of embeddings and head, 532,480 of norms) */
    p.runtime = MM_RUNTIME_TRANSFORMERS;
    p.load_in = MM_LOAD_8BIT;
    test_memory_ok(&r, inv, NULL, &p);
    assert_int_equal(r.inference.weights_bytes, 7006265344ull);
    assert_int_equal(r.detail.quantized_parameters, 6476005376ull);
    expect(&r, 0, "F16", 13476831232ull, 0);
    expect(&r, 1, "8bit", 7006265344ull, 0);
    /* nf4: 3,238,002,688 of codes + 101,187,584 8-bit absmax + 395,264 fp32
     * scales (1,581,056) + the same 524,820,480 in fp16 */
    expect(&r, 3, "nf4", 3865591808ull, 1);
    mm_inventory_free(inv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_in_tiny),
        cmocka_unit_test(test_load_in_refused),
        cmocka_unit_test(test_quant_fits_tiny),
        cmocka_unit_test(test_quant_fits_gguf_fallback),
        cmocka_unit_test(test_quant_fits_llama2_7b),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
