/* test_estimate_mem.c - the memory formulas on the fixtures of
 * fixtures/estimate (written by gen_estimate.py), each against a figure
 * worked out by hand in the comment beside it; config.json parsing and its
 * errors; the Hub-exact logical parameter count of quantized checkpoints;
 * and a Llama-2-7B-shaped sparse checkpoint built at test time. Training
 * is test_estimate_train.c's. */
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

/* ---- Logical parameters, as the Hub counts them ------------------------- */

static uint64_t logical(const char *dir, uint64_t *by_dtype)
{
    struct mm_inventory *inv = test_fixture_load(dir);
    struct mm_config *cfg = test_fixture_config(dir);
    uint64_t total = 0;
    assert_int_equal(mm_logical_parameters(&total, by_dtype, inv, cfg), MM_OK);
    mm_config_free(cfg);
    mm_inventory_free(inv);
    return total;
}

/* Each figure is also what hfhub-count.mjs (@huggingface/hub 2.17.5)
 * prints for the folder. */
static void test_logical_quantized(void **state)
{
    uint64_t by[MM_DTYPE_COUNT_];
    (void)state;
    /* GPTQ: qweight I32 8x32 x 32/4 = 2,048; F16 1,024 + 64 + 1,024 */
    assert_int_equal(logical("gptq", by), 4160);
    assert_int_equal(by[MM_DTYPE_I32], 2048);
    assert_int_equal(by[MM_DTYPE_F16], 2112);
    assert_int_equal(by[MM_DTYPE_F32], 0); /* the rank-0 scalar */
    assert_int_equal(logical("awq", by), 3072);
    /* bitsandbytes 4-bit: U8 2,048 x 2; absmax, quant_map, quant_state out */
    assert_int_equal(logical("bnb4", by), 5120);
    assert_int_equal(by[MM_DTYPE_U8], 4096);
    /* FP8: weight_scale_inv, input_scale, F8_E8M0 out */
    assert_int_equal(logical("fp8", by), 18432);
    assert_int_equal(by[MM_DTYPE_F8_E4M3], 16384);
    /* MLX: 512 x 8 + 256 x 8 + 2,048 x 4 (8-bit override) + 128 */
    assert_int_equal(logical("mlx", by), 14464);
    assert_int_equal(by[MM_DTYPE_U32], 14336);
    /* MXFP4: _blocks 4,096 x 2; _scales out; bias 128 + embed 512 */
    assert_int_equal(logical("mxfp4", by), 8832);
    /* compressed-tensors pack-quantized 4-bit: I32 256 x 8 */
    assert_int_equal(logical("compressed", by), 4160);
    assert_int_equal(by[MM_DTYPE_I32], 2048);
}

/* The corner cases of fixtures/estimate/hub-*: the totals hfhub-count.mjs
 * printed for each. */
static void test_logical_hub_variants(void **state)
{
    static const struct {
        const char *dir;
        uint64_t want;
    } cases[] = {
        /* 8-bit qweight x 4; the mlp (modules_to_not_convert glob) is not
         * quantized, so its qzeros and scales count too */
        {"hub-gptq8_notconvert", 2576},
        {"hub-awq2_u8", 1424},         /* qweight x 16, U8 x 4 */
        {"hub-mlx_mixed", 1616},       /* mxfp4 override, `false`, 3 bits */
        {"hub-ct_groups", 800},        /* 8-bit x 4 and 4-bit x 8 by regex */
        {"hub-fp8_experts", 192},      /* routed experts packed mxfp4 x 2 */
        {"hub-bnb8", 73},              /* 8-bit: nothing packed, SCB counted */
        {"hub-hqq_default", 136},      /* unknown method, bits 4: U8 x 2 */
        {"hub-nomethod", 128},         /* load_in_4bit without a method */
        {"hub-text_nested", 512},      /* the config under text_config */
        {"hub-mxfp4_notconv", 272},
        {"hub-mlx_qc_nomethod", 256},  /* MLX fields in quantization_config */
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const uint64_t got = logical(cases[i].dir, NULL);
        if (got != cases[i].want) {
            fail_msg("%s: %llu logical parameters, the Hub counts %llu", cases[i].dir,
                     (unsigned long long)got, (unsigned long long)cases[i].want);
        }
    }
}

static void test_logical_plain(void **state)
{
    struct mm_inventory *inv = test_fixture_load("tiny-llama");
    uint64_t total;
    (void)state;
    /* no quantization config: every element of every tensor */
    assert_int_equal(mm_logical_parameters(&total, NULL, inv, NULL), MM_OK);
    assert_int_equal(total, mm_inventory_totals(inv)->parameters);
    assert_int_equal(total, 76096);
    mm_inventory_free(inv);
}

/* ---- KV cache on published configs, 8k context ------------------------- */

static uint64_t last_per_token; /* kv_bytes_per_token of the last kv_8k */

static uint64_t kv_8k(const char *path_config, struct mm_geometry *g)
{
    struct mm_inventory *inv = test_fixture_load("tiny-llama-noconfig");
    struct mm_config *cfg = NULL;
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    struct mm_error err;
    if (mm_config_load(&cfg, path_config, &err) != MM_OK) {
        fail_msg("%s: %s", path_config, err.message);
    }
    p.inference = 1;
    p.context = 8192;
    p.batch = 1;
    p.kv_bytes = 2;
    test_memory_ok(&r, inv, cfg, &p);
    assert_int_equal(r.geometry.source, MM_GEOMETRY_CONFIG);
    if (g != NULL) {
        *g = r.geometry;
    }
    last_per_token = r.inference.kv_bytes_per_token;
    mm_config_free(cfg);
    mm_inventory_free(inv);
    return r.inference.kv_cache_bytes;
}

static void test_kv_published(void **state)
{
    struct mm_geometry g;
    (void)state;
    /* Llama-3-8B: 2 x 32 layers x 8 KV heads x 128 x 8,192 x 2 bytes */
    assert_int_equal(kv_8k(FIX "config-llama-3-8b/config.json", &g), 1073741824ull);
    assert_int_equal(g.head_dim, 128);
    assert_int_equal(g.kv_heads, 8);
    /* Llama-3-70B: 2 x 80 x 8 x 128 x 8,192 x 2 */
    assert_int_equal(kv_8k(FIX "config-llama-3-70b/config.json", NULL), 2684354560ull);
    /* Mistral-7B v0.1: every layer slides, window 4,096: 2 x 32 x 8 x 128 x
     * 4,096 x 2 */
    assert_int_equal(kv_8k(FIX "config-mistral-7b-v0.1/config.json", &g), 536870912ull);
    assert_int_equal(g.sliding_layers, 32);
    /* Gemma-2-9B: head_dim 256 (not 3,584 / 16), 21 sliding layers hold
     * 4,096 tokens, 21 global ones 8,192: 2 x 8 x 256 x 2 = 8,192 bytes per
     * token per layer; 8,192 x (21 x 8,192 + 21 x 4,096) */
    assert_int_equal(kv_8k(FIX "config-gemma-2-9b/config.json", &g), 2113929216ull);
    assert_int_equal(g.head_dim, 256);
    assert_int_equal(g.sliding_layers, 21);
    /* DeepSeek-V3 MLA: 61 x (512 + 64) x 2 bytes = 70,272 per token, no
     * factor 2 for K and V */
    assert_int_equal(kv_8k(FIX "config-deepseek-v3/config.json", &g), 70272ull * 8192);
    assert_int_equal(last_per_token, 70272);
    assert_int_equal(g.kv_lora_rank, 512);
    /* Gemma 3 12B (text_config): 48 layers, one global in 6 -> 8 global
     * layers of 8,192 tokens, 40 sliding ones of 1,024; 2 x 8 x 256 x 2 =
     * 8,192 bytes per token per layer */
    assert_int_equal(kv_8k(FIX "config-gemma-3-12b/config.json", &g),
                     8192ull * (8 * 8192 + 40 * 1024));
    assert_int_equal(g.sliding_layers, 40);
    /* layer_types: 3 sliding (512 tokens) + 1 full; 2 x 2 x 64 x 2 = 512 */
    assert_int_equal(kv_8k(FIX "config-layer-types/config.json", &g),
                     512ull * (3 * 512 + 8192));
    /* hybrid: 2 of 8 layers attend (2 x 2 x 64 x 2 = 512 bytes a token) */
    assert_int_equal(kv_8k(FIX "config-hybrid-linear/config.json", &g), 512ull * 2 * 8192);
    assert_int_equal(g.no_kv_layers, 6);
    assert_int_equal(last_per_token, 2 * 512);
    /* LLaVA: the language model's geometry under text_config */
    assert_int_equal(kv_8k(FIX "config-llava-nested/config.json", &g), 1073741824ull);
    assert_int_equal(g.vocab, 32064);
}

/* One sequence of `context` tokens with a 16-bit cache, on the config at
 * `dir` (the layout comes from tiny-llama-noconfig: only the config's
 * geometry matters here). */
static struct mm_memory plan_at(const char *dir, uint64_t context)
{
    struct mm_inventory *inv = test_fixture_load("tiny-llama-noconfig");
    struct mm_config *cfg = test_fixture_config(dir);
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    p.inference = 1;
    p.context = context;
    p.kv_bytes = 2;
    test_memory_ok(&r, inv, cfg, &p);
    mm_config_free(cfg);
    mm_inventory_free(inv);
    return r;
}

/* Hybrid models whose layer kinds come from a rule, not a list (issue 11). */
static void test_kv_hybrid(void **state)
{
    struct mm_memory r;
    (void)state;
    /* Qwen3-Next-80B-A3B as released: full_attention_interval 4 and no
     * layer_types, so 12 of 48 layers attend: 12 x 2 x 2 heads x 256 x 2
     * bytes = 24,576 bytes a token, 0.75 GiB at 32k (not 3.0 GiB). The 36
     * Gated DeltaNet layers keep, per sequence, a conv state of
     * (2 x 16 x 128 + 32 x 128) x 3 = 24,576 and a recurrent state of
     * 32 x 128 x 128 = 524,288 elements: 36 x 548,864 x 2 = 39,518,208. */
    r = plan_at("config-qwen3-next-80b-a3b", 32768);
    assert_int_equal(r.geometry.layers, 48);
    assert_int_equal(r.geometry.no_kv_layers, 36);
    assert_int_equal(r.geometry.state_layers, 36);
    assert_int_equal(r.geometry.conv_state_elems, 24576);
    assert_int_equal(r.geometry.recurrent_state_elems, 524288);
    assert_int_equal(r.inference.kv_bytes_per_token, 24576);
    assert_int_equal(r.inference.state_bytes, 39518208ull);
    assert_int_equal(r.inference.kv_cache_bytes, 805306368ull + 39518208ull);
    /* the state does not grow with the context */
    r = plan_at("config-qwen3-next-80b-a3b", 1024);
    assert_int_equal(r.inference.state_bytes, 39518208ull);
    assert_int_equal(r.inference.kv_cache_bytes, 24576ull * 1024 + 39518208ull);
    /* Nemotron-H-8B: hybrid_override_pattern, 4 '*' of 52 layers attend,
     * 24 Mamba-2 layers: conv (128 x 64 + 2 x 8 x 128) x 3 = 30,720,
     * recurrent 128 x 64 x 128 = 1,048,576 elements */
    r = plan_at("config-nemotron-h-8b", 8192);
    assert_int_equal(r.geometry.no_kv_layers, 48);
    assert_int_equal(r.geometry.state_layers, 24);
    assert_int_equal(r.inference.kv_bytes_per_token, 4 * 2 * 8 * 128 * 2);
    assert_int_equal(r.inference.state_bytes, 24ull * (30720 + 1048576) * 2);
    /* a config that sizes a Gated DeltaNet but says nothing of which layers
     * use it is flagged; qwen3_next takes transformers' default interval 4 */
    {
        static const char unresolved[] =
            "{\"model_type\": \"custom\", \"num_hidden_layers\": 8, \"hidden_size\": 256,"
            " \"num_attention_heads\": 4, \"linear_num_key_heads\": 2,"
            " \"linear_key_head_dim\": 8, \"linear_num_value_heads\": 2,"
            " \"linear_value_head_dim\": 8, \"linear_conv_kernel_dim\": 4}";
        static const char dflt[] =
            "{\"model_type\": \"qwen3_next\", \"num_hidden_layers\": 8,"
            " \"hidden_size\": 256, \"num_attention_heads\": 4}";
        struct mm_config *cfg = NULL;
        struct mm_error err;
        assert_int_equal(mm_config_parse(&cfg, unresolved, sizeof(unresolved) - 1, "c", &err),
                         MM_OK);
        assert_true(mm_config_geometry(cfg)->hybrid_unresolved);
        assert_int_equal(mm_config_geometry(cfg)->no_kv_layers, 0);
        mm_config_free(cfg);
        assert_int_equal(mm_config_parse(&cfg, dflt, sizeof(dflt) - 1, "c", &err), MM_OK);
        assert_false(mm_config_geometry(cfg)->hybrid_unresolved);
        assert_int_equal(mm_config_geometry(cfg)->no_kv_layers, 6);
        mm_config_free(cfg);
    }
    /* Falcon-H1 runs attention and Mamba-2 side by side in every layer;
     * Bamba's attn_layer_indices name the attention layers; NemotronH's
     * layers_block_type uses the legacy kind names (synthetic sizes) */
    {
        static const char falcon[] =
            "{\"model_type\": \"falcon_h1\", \"num_hidden_layers\": 4, \"hidden_size\": 64,"
            " \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"mamba_d_ssm\": 96,"
            " \"mamba_n_heads\": 6, \"mamba_d_head\": 16, \"mamba_d_state\": 8,"
            " \"mamba_n_groups\": 1, \"mamba_d_conv\": 4}";
        static const char bamba[] =
            "{\"model_type\": \"bamba\", \"num_hidden_layers\": 6, \"hidden_size\": 64,"
            " \"num_attention_heads\": 4, \"attn_layer_indices\": [2, 5],"
            " \"mamba_n_heads\": 8, \"mamba_d_head\": 16, \"mamba_d_state\": 8,"
            " \"mamba_n_groups\": 1, \"mamba_d_conv\": 4}";
        static const char nemotron[] =
            "{\"model_type\": \"nemotron_h\", \"num_hidden_layers\": 4, \"hidden_size\": 64,"
            " \"num_attention_heads\": 4, \"layers_block_type\": [\"mamba\", \"moe\","
            " \"attention\", \"mlp\"], \"mamba_num_heads\": 8, \"mamba_head_dim\": 16,"
            " \"ssm_state_size\": 8, \"n_groups\": 2, \"conv_kernel\": 4}";
        struct mm_config *cfg = NULL;
        struct mm_error err;
        const struct mm_geometry *g;
        assert_int_equal(mm_config_parse(&cfg, falcon, sizeof(falcon) - 1, "c", &err), MM_OK);
        g = mm_config_geometry(cfg);
        assert_int_equal(g->state_layers, 4);
        assert_int_equal(g->no_kv_layers, 0);
        /* conv (96 + 2 x 1 x 8) x 3, recurrent 6 x 16 x 8 */
        assert_int_equal(g->conv_state_elems, 336);
        assert_int_equal(g->recurrent_state_elems, 768);
        mm_config_free(cfg);
        assert_int_equal(mm_config_parse(&cfg, bamba, sizeof(bamba) - 1, "c", &err), MM_OK);
        g = mm_config_geometry(cfg);
        assert_int_equal(g->state_layers, 4);
        assert_int_equal(g->no_kv_layers, 4);
        assert_int_equal(g->conv_state_elems, (128 + 16) * 3);
        mm_config_free(cfg);
        assert_int_equal(mm_config_parse(&cfg, nemotron, sizeof(nemotron) - 1, "c", &err),
                         MM_OK);
        g = mm_config_geometry(cfg);
        assert_int_equal(g->state_layers, 1);
        assert_int_equal(g->no_kv_layers, 3);
        assert_int_equal(g->conv_state_elems, (128 + 2 * 2 * 8) * 3);
        assert_int_equal(g->recurrent_state_elems, 8 * 16 * 8);
        mm_config_free(cfg);
    }
    /* Jamba v0.1: attention where i % 8 == 4 (4 of 32 layers); Mamba with
     * d_inner 2 x 4096: conv 8,192 x 3, ssm 8,192 x 16 */
    r = plan_at("config-jamba-v0.1", 8192);
    assert_int_equal(r.geometry.no_kv_layers, 28);
    assert_int_equal(r.inference.kv_bytes_per_token, 4 * 2 * 8 * 128 * 2);
    assert_int_equal(r.inference.state_bytes, 28ull * (24576 + 131072) * 2);
}

/* The real config.json files of ../shared/realmodels, where present. */
static void test_kv_realmodels(void **state)
{
    static const struct {
        const char *dir;
        uint64_t kv;
    } cases[] = {
        /* Mistral-7B-Instruct v0.3: sliding_window null, 32 x 8 x 128 */
        {"config-mistral-7b-instruct-v0.3", 1073741824ull},
        /* Qwen2.5-7B: use_sliding_window false; 2 x 28 x 4 x 128 x 8,192 x 2 */
        {"config-qwen2.5-7b-instruct", 469762048ull},
        /* DeepSeek-V3 as published */
        {"config-deepseek-v3-hf", 575668224ull},
        /* GPT-2 XL: n_layer 48, n_head 25, 1,600 / 25 = 64 */
        {"config-gpt2-xl", 2516582400ull},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[512];
        snprintf(path, sizeof(path), MM_SHARED "/realmodels/%s/config.json", cases[i].dir);
        if (access(path, R_OK) != 0) {
            print_message("skipped %s: not present\n", path);
            continue;
        }
        assert_int_equal(kv_8k(path, NULL), cases[i].kv);
    }
}

/* ---- config.json errors ------------------------------------------------------ */

static void config_error(const char *dir, enum mm_errcode code, int64_t offset,
                         const char *item)
{
    struct mm_config *cfg = NULL;
    struct mm_error err;
    char path[512];
    char line[2048];
    snprintf(path, sizeof(path), FIX "%s/config.json", dir);
    assert_int_not_equal(mm_config_load(&cfg, path, &err), MM_OK);
    assert_null(cfg);
    assert_int_equal(err.code, code);
    assert_int_equal(err.offset, offset);
    mm_error_format(line, sizeof(line), &err);
    assert_non_null(strstr(line, "config.json"));
    assert_null(strchr(line, '\n'));
    if (item != NULL) {
        assert_non_null(strstr(err.message, item));
    }
}

static void test_config_errors(void **state)
{
    (void)state;
    /* '{"num_hidden_layers": 32,\n "hidden_size": }': cJSON stops at the
     * '}' where a value should be, byte 42 */
    config_error("bad-syntax", MM_E_JSON_SYNTAX, 42, NULL);
    config_error("bad-type", MM_E_CONFIG_INVALID, -1, "'num_hidden_layers' is not a number");
    config_error("bad-fraction", MM_E_CONFIG_INVALID, -1, "'head_dim'");
    config_error("bad-text-config", MM_E_CONFIG_INVALID, -1, "'text_config'");
    config_error("bad-duplicate", MM_E_DUPLICATE_KEY, -1, "'num_hidden_layers'");
    config_error("bad-not-object", MM_E_JSON_NOT_OBJECT, -1, NULL);
}

/* Every truncation and thousands of byte flips of real configs: a config
 * or one clean error, never a crash (ASan/UBSan watch), and the geometry
 * of whatever parses still runs through the estimator. */
static void test_config_mutations(void **state)
{
    static const char *const dirs[] = {"config-gemma-2-9b", "config-deepseek-v3",
                                       "config-llava-nested", "mlx", "hub-ct_groups"};
    static const char flips[] = "{}[]\",:0123456789-.eEtruefalsn \\\x80\xff";
    struct mm_inventory *inv = test_fixture_load("tiny-llama");
    uint32_t rng = 12345;
    size_t d;
    (void)state;
    for (d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
        char path[512];
        char buf[8192];
        char mut[8192];
        size_t len;
        size_t i;
        FILE *f;
        snprintf(path, sizeof(path), FIX "%s/config.json", dirs[d]);
        f = fopen(path, "rb");
        assert_non_null(f);
        len = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        for (i = 0; i < 2000 + len; i++) {
            struct mm_config *cfg = NULL;
            struct mm_error err;
            size_t n = len;
            memcpy(mut, buf, len);
            if (i < len) {
                n = i; /* every truncation */
            } else {
                unsigned k;
                for (k = 0; k < 1 + i % 4; k++) {
                    rng = rng * 1103515245u + 12345u;
                    mut[(rng >> 8) % len] = flips[(rng >> 20) % (sizeof(flips) - 1)];
                }
            }
            if (mm_config_parse(&cfg, mut, n, "config.json", &err) == MM_OK) {
                struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
                struct mm_memory r;
                uint64_t total;
                p.inference = 1;
                p.train = MM_TRAIN_FULL;
                (void)mm_memory_run(&r, inv, cfg, &p, &err);
                assert_int_equal(mm_logical_parameters(&total, NULL, inv, cfg), MM_OK);
                mm_config_free(cfg);
            } else {
                assert_null(cfg);
                assert_true(err.message[0] != '\0');
            }
        }
    }
    mm_inventory_free(inv);
}

/* MM_LIMIT_CONFIG_BYTES: a config of exactly the limit is read, one byte
 * more is refused with its own code. */
static void test_config_limit(void **state)
{
    char path[] = "/tmp/mm-config-XXXXXX";
    char *buf = malloc((size_t)MM_LIMIT_CONFIG_BYTES + 1);
    struct mm_config *cfg = NULL;
    struct mm_error err;
    FILE *f;
    int fd;
    (void)state;
    assert_non_null(buf);
    memset(buf, ' ', (size_t)MM_LIMIT_CONFIG_BYTES + 1);
    buf[0] = '{';
    buf[MM_LIMIT_CONFIG_BYTES - 1] = '}';
    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, MM_LIMIT_CONFIG_BYTES, f), MM_LIMIT_CONFIG_BYTES);
    assert_int_equal(fflush(f), 0);
    assert_int_equal(mm_config_load(&cfg, path, &err), MM_OK);
    assert_int_equal(mm_config_geometry(cfg)->source, MM_GEOMETRY_NONE);
    assert_null(mm_config_quant_method(cfg));
    mm_config_free(cfg);
    assert_int_equal(fwrite(buf, 1, 1, f), 1);
    fclose(f);
    assert_int_equal(mm_config_load(&cfg, path, &err), MM_ERR_LIMIT);
    assert_int_equal(err.code, MM_E_LIMIT_CONFIG_BYTES);
    assert_string_equal(mm_errcode_name(err.code), "limit-config-bytes");
    assert_int_equal(mm_config_load(&cfg, "/nonexistent/config.json", &err), MM_ERR_NOT_FOUND);
    unlink(path);
    free(buf);
}

/* config.json must lie in the model folder, as weight files must. */
static void test_config_outside(void **state)
{
    char dir[] = "/tmp/mm-cfg-XXXXXX";
    char link[600];
    char target[600];
    struct mm_config *cfg = NULL;
    struct mm_error err;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(link, sizeof(link), "%s/config.json", dir);
    assert_int_equal(symlink(FIX "config-llama-3-8b/config.json", link), 0);
    snprintf(target, sizeof(target), "%s/model.safetensors", dir);
    assert_int_equal(mm_config_load_for(&cfg, target, &err), MM_ERR_UNSAFE);
    assert_int_equal(err.code, MM_E_SHARD_OUTSIDE_FOLDER);
    assert_null(cfg);
    unlink(link);
    assert_int_equal(mm_config_load_for(&cfg, dir, &err), MM_ERR_NOT_FOUND);
    assert_int_equal(mm_config_load_for(&cfg, FIX "tiny-llama", &err), MM_OK);
    assert_int_equal(mm_config_geometry(cfg)->layers, 2);
    mm_config_free(cfg);
    rmdir(dir);
}

static void test_config_path(void **state)
{
    char out[256];
    (void)state;
    assert_int_equal(mm_config_path(out, sizeof(out), FIX "gptq"), 0);
    assert_string_equal(out, FIX "gptq/config.json");
    assert_int_equal(mm_config_path(out, sizeof(out), FIX "gptq/model.safetensors"), 0);
    assert_string_equal(out, FIX "gptq/config.json");
    assert_int_equal(mm_config_path(out, sizeof(out), "model.safetensors"), 0);
    assert_string_equal(out, "config.json");
    assert_int_equal(mm_config_path(out, 4, FIX "gptq"), -1);
}

/* ---- Inference and training on tiny-llama --------------------------------- */

/* tiny-llama: 2 layers, h 64, 4 heads, 2 KV heads of 16, MLP 128, vocab 16;
 * 76,096 BF16 parameters, 152,192 bytes. */
static struct mm_memory run_tiny(const char *dir, struct mm_memory_params *p)
{
    struct mm_inventory *inv = test_fixture_load(dir);
    struct mm_config *cfg = NULL;
    struct mm_memory r;
    struct mm_error err;
    char path[512];
    snprintf(path, sizeof(path), FIX "%s/config.json", dir);
    if (access(path, R_OK) == 0) {
        cfg = test_fixture_config(dir);
    }
    p->context = 100;
    p->batch = 2;
    if (mm_memory_run(&r, inv, cfg, p, &err) != MM_OK) {
        fail_msg("%s", err.message);
    }
    mm_config_free(cfg);
    mm_inventory_free(inv);
    return r;
}

static void test_inference_tiny(void **state)
{
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    (void)state;
    p.inference = 1;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(r.inference.weights_bytes, 152192);
    /* 2 x 2 layers x 2 KV heads x 16 x 100 tokens x 2 sequences x 2 bytes */
    assert_int_equal(r.inference.kv_cache_bytes, 51200);
    /* 2 x 100 x (2 x 64 + 3 x 128) x 2 bytes + 2 x 16 x 4 (logits) */
    assert_int_equal(r.inference.activation_bytes, 204928);
    assert_int_equal(r.inference.overhead_bytes, MM_DEFAULT_OVERHEAD_BYTES);
    assert_int_equal(r.inference.total_bytes, 152192 + 51200 + 204928 + 536870912ull);
    /* KV from the tensors alone: k_proj is 32 wide whatever head_dim is */
    r = run_tiny("tiny-llama-noconfig", &p);
    assert_int_equal(r.geometry.source, MM_GEOMETRY_TENSORS);
    assert_int_equal(r.geometry.layers, 2);
    assert_int_equal(r.geometry.hidden, 64);
    assert_int_equal(r.geometry.kv_heads * r.geometry.head_dim, 32);
    assert_int_equal(r.inference.kv_cache_bytes, 51200);
    /* fp8 KV: half */
    p.kv_bytes = 1;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(r.inference.kv_cache_bytes, 25600);
    /* eager attention adds one layer's scores and probabilities:
     * 2 x 4 heads x 100^2 x 2 x 2 bytes */
    p.attention = MM_ATTN_EAGER;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(r.inference.activation_bytes, 204928 + 320000);
}

/* A GGUF file's metadata gives the geometry: 4 Gemma 2 blocks, 1 KV head
 * of key_length 8, window 4; F32, so 4-byte KV: 2 x 8 x 4 = 64 bytes per
 * token per layer, 2 full layers x 16 tokens + 2 sliding x 4 */
static void test_gguf_metadata(void **state)
{
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    (void)state;
    p.inference = 1;
    r = run_tiny("gguf-gemma2", &p);
    assert_int_equal(r.geometry.source, MM_GEOMETRY_GGUF);
    assert_int_equal(r.geometry.layers, 4);
    assert_int_equal(r.geometry.sliding_layers, 2);
    p.context = 16;
    p.batch = 1;
    p.runtime = MM_RUNTIME_TRANSFORMERS; /* the formula above, not llama.cpp's cells */
    {
        struct mm_inventory *inv = test_fixture_load("gguf-gemma2");
        test_memory_ok(&r, inv, NULL, &p);
        mm_inventory_free(inv);
    }
    assert_int_equal(r.inference.kv_cache_bytes, 64 * (2 * 16 + 2 * 4));
    /* Qwen3-Next in GGUF: qwen3next.full_attention_interval 4, so 12 of 48
     * blocks attend (2 x 2 x 256 x 2 bytes each, 24,576 a token); the 36
     * others keep llama.cpp's F32 recurrent state: (4 - 1) x (4096 + 2 x 16
     * x 128) + 128 x 4096 = 548,864 elements, 36 x 548,864 x 4 bytes */
    {
        struct mm_inventory *inv = test_fixture_load("gguf-qwen3next");
        p.context = 32768;
        p.kv_bytes = 2;
        test_memory_ok(&r, inv, NULL, &p);
        mm_inventory_free(inv);
    }
    assert_int_equal(r.geometry.no_kv_layers, 36);
    assert_int_equal(r.geometry.state_layers, 36);
    assert_int_equal(r.inference.kv_bytes_per_token, 24576);
    assert_int_equal(r.inference.state_bytes, 36ull * 548864 * 4);
    assert_int_equal(r.inference.kv_cache_bytes, 805306368ull + 36ull * 548864 * 4);
}

static void test_encoder_only(void **state)
{
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    (void)state;
    p.inference = 1;
    r = run_tiny("tiny-bert", &p);
    assert_true(r.geometry.encoder_only);
    assert_int_equal(r.inference.kv_cache_bytes, 0);
    /* F32 weights: activations at 4 bytes; 2 x 100 x (64 + 192) x 4 + 2 x 16 x 4 */
    assert_int_equal(r.inference.activation_bytes, 204928);
}

static void test_fits(void **state)
{
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    (void)state;
    p.inference = 1;
    p.device_bytes = 600 * MIB;
    r = run_tiny("tiny-llama", &p);
    assert_true(r.device.inference_fits);
    assert_int_equal(r.device.inference_headroom, 600 * MIB - 537279232ull);
    assert_int_equal(r.device.inference_min_gpus, 1);
    /* 537,000,000 bytes: one device is 279,232 short; with tensor parallel
     * n = 2 holds 536,870,912 + 76,096 + 25,600 + 102,464 = 537,075,072,
     * n = 3 537,007,020, n = 4 536,972,992: the first that fits */
    p.device_bytes = 537000000;
    p.parallel = MM_PAR_TP; /* transformers' own split (layers) never fits */
    r = run_tiny("tiny-llama", &p);
    assert_false(r.device.inference_fits);
    assert_int_equal(r.device.inference_headroom, -279232);
    assert_int_equal(r.device.inference_min_gpus, 4);
}

/* A headroom is device_bytes - total exactly, from -2^63 to 2^63 - 1; one
 * outside that range is an overflow (MM_ERR_LIMIT, nothing handed out),
 * never a clamped value. */
static void test_headroom_range(void **state)
{
    struct mm_inventory *inv = test_fixture_load("tiny-llama");
    struct mm_config *cfg = test_fixture_config("tiny-llama");
    struct mm_memory_params p = test_inference_params(100);
    struct mm_memory r;
    struct mm_error err;
    uint64_t need;
    (void)state;
    p.batch = 2;
    p.overhead_bytes = 0;
    test_memory_ok(&r, inv, cfg, &p);
    need = r.inference.total_bytes;
    assert_int_equal(need, 537279232 - MM_DEFAULT_OVERHEAD_BYTES);
    /* short by exactly 2^63 bytes: the lowest headroom; a byte more is an
     * overflow */
    p.device_bytes = 1024;
    p.overhead_bytes = (1ull << 63) + 1024 - need;
    test_memory_ok(&r, inv, cfg, &p);
    assert_true(r.device.inference_headroom == INT64_MIN);
    assert_false(r.device.inference_fits);
    p.overhead_bytes++;
    assert_int_equal(mm_memory_run(&r, inv, cfg, &p, &err), MM_ERR_LIMIT);
    assert_true(r.device.inference_headroom == 0 && r.inference.total_bytes == 0);
    /* 2^63 - 1 bytes to spare: the highest; a byte more is an overflow */
    p.overhead_bytes = 0;
    p.device_bytes = need + (uint64_t)INT64_MAX;
    test_memory_ok(&r, inv, cfg, &p);
    assert_true(r.device.inference_headroom == INT64_MAX);
    p.device_bytes++;
    assert_int_equal(mm_memory_run(&r, inv, cfg, &p, &err), MM_ERR_LIMIT);
    p.overhead_bytes = MM_DEFAULT_OVERHEAD_BYTES;
    p.device_bytes = UINT64_MAX;
    assert_int_equal(mm_memory_run(&r, inv, cfg, &p, &err), MM_ERR_LIMIT);
    /* training alone: its headroom the same way */
    p.inference = 0;
    p.train = MM_TRAIN_FULL;
    p.device_bytes = 0;
    test_memory_ok(&r, inv, cfg, &p);
    need = r.training.total_bytes;
    p.device_bytes = need + (uint64_t)INT64_MAX;
    test_memory_ok(&r, inv, cfg, &p);
    assert_true(r.device.training_headroom == INT64_MAX);
    assert_true(r.device.inference_headroom == 0); /* not asked for */
    p.device_bytes++;
    assert_int_equal(mm_memory_run(&r, inv, cfg, &p, &err), MM_ERR_LIMIT);
    mm_config_free(cfg);
    mm_inventory_free(inv);
}

/* Quantization bits so few that the logical count passes 2^64 - 1 is an
 * overflow, reported; fewer than 32 / 2^32 but not that few, exact. */
static void test_logical_overflow(void **state)
{
    static const char head[] =
        "{\"hidden_size\": 64, \"intermediate_size\": 128, \"model_type\": \"llama\", "
        "\"num_attention_heads\": 4, \"num_hidden_layers\": 1, \"num_key_value_heads\": 4, "
        "\"vocab_size\": 16, \"quantization_config\": {\"group_size\": 32, "
        "\"quant_method\": \"gptq\", \"bits\": ";
    struct mm_inventory *inv = test_fixture_load("gptq");
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    struct mm_config *cfg = NULL;
    struct mm_error err;
    uint64_t by_dtype[MM_DTYPE_COUNT_];
    uint64_t total = 0;
    char json[512];
    (void)state;
    /* 2^-28 bits: each of the 256 I32 qweight elements holds 2^33 */
    snprintf(json, sizeof(json), "%s3.7252902984619140625e-09}}", head);
    assert_int_equal(mm_config_parse(&cfg, json, strlen(json), "config.json", &err), MM_OK);
    assert_int_equal(mm_logical_parameters(&total, by_dtype, inv, cfg), MM_OK);
    assert_int_equal(by_dtype[MM_DTYPE_I32], 256ull << 33);
    assert_int_equal(total, (256ull << 33) + 2112);
    mm_config_free(cfg);
    /* 1e-300 bits: 3.2e301 each, past 2^64 */
    snprintf(json, sizeof(json), "%s1e-300}}", head);
    assert_int_equal(mm_config_parse(&cfg, json, strlen(json), "config.json", &err), MM_OK);
    assert_int_equal(mm_logical_parameters(&total, by_dtype, inv, cfg), MM_ERR_LIMIT);
    assert_int_equal(total, 0);
    assert_int_equal(by_dtype[MM_DTYPE_F16], 0);
    p.inference = 1;
    assert_int_equal(mm_memory_run(&r, inv, cfg, &p, &err), MM_ERR_LIMIT);
    assert_int_equal(err.code, MM_E_CONFIG_INVALID);
    mm_config_free(cfg);
    mm_inventory_free(inv);
}

static void test_errors(void **state)
{
    struct mm_inventory *inv = test_fixture_load("tiny-llama");
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    struct mm_error err;
    (void)state;
    /* no config and names without layers: no geometry */
    {
        struct mm_inventory *bare = NULL;
        /* 8-byte length 56, a 54-byte header padded with 2 spaces, 8 bytes */
        static const char st[] = "\x38\0\0\0\0\0\0\0{\"w\":{\"dtype\":\"F32\",\"shape\":[2],"
                                 "\"data_offsets\":[0,8]}}  \0\0\0\0\0\0\0\0";
        assert_int_equal(mm_inventory_load_memory(&bare, st, sizeof(st) - 1, "w", &err), MM_OK);
        p.inference = 1;
        assert_int_equal(mm_memory_run(&r, bare, NULL, &p, &err), MM_ERR_UNSUPPORTED);
        assert_int_equal(err.code, MM_E_GEOMETRY_UNKNOWN);
        mm_inventory_free(bare);
    }
    p.gpus = 0;
    assert_int_equal(mm_memory_run(&r, inv, NULL, &p, &err), MM_ERR_INVALID_ARG);
    /* a context beyond MM_LIMIT_TOKENS is refused; a batch so large that the
     * figures pass 2^64 is an overflow, never a clamped figure */
    p.gpus = 1;
    p.context = MM_LIMIT_TOKENS + 1;
    assert_int_equal(mm_memory_run(&r, inv, NULL, &p, &err), MM_ERR_INVALID_ARG);
    p.context = MM_LIMIT_TOKENS;
    p.batch = UINT64_MAX / 2;
    assert_int_equal(mm_memory_run(&r, inv, NULL, &p, &err), MM_ERR_LIMIT);
    mm_inventory_free(inv);
}

static void test_gpus(void **state)
{
    const struct mm_gpu *g;
    size_t i;
    (void)state;
    assert_true(mm_gpu_count() >= 12);
    for (i = 0; i < mm_gpu_count(); i++) {
        assert_true(mm_gpu_at(i)->usable_bytes > 0);
        assert_ptr_equal(mm_gpu_find(mm_gpu_at(i)->name), mm_gpu_at(i));
    }
    assert_null(mm_gpu_at(mm_gpu_count()));
    g = mm_gpu_find("h100 80gb");
    assert_non_null(g);
    assert_string_equal(g->name, "H100-80GB");
    assert_string_equal(mm_gpu_find("H200")->name, "H200-141GB");
    assert_string_equal(mm_gpu_find("L4")->name, "L4-24GB");
    assert_string_equal(mm_gpu_find("MI300X")->name, "MI300X-192GB");
    assert_null(mm_gpu_find("A100")); /* 40 or 80 GB: ambiguous */
    assert_null(mm_gpu_find("TPUv5"));
    assert_null(mm_gpu_find(""));
}

/* What `typed` resolves to: MM_OK and the table entry `name`. */
static void expect_gpu(struct mm_gpu_lookup *l, const char *typed, const char *name)
{
    assert_int_equal(mm_gpu_lookup(l, typed), MM_OK);
    assert_string_equal(l->gpu->name, name);
}

/* What people type: nvidia-smi's names, bare models, instances. */
static void test_gpu_lookup(void **state)
{
    struct mm_gpu_lookup l;
    size_t i;
    (void)state;
    expect_gpu(&l, "NVIDIA H100 80GB HBM3", "H100-80GB");
    assert_int_equal(l.count, 0);
    assert_null(l.instance);
    expect_gpu(&l, "Tesla V100-SXM2-32GB", "V100-32GB");
    expect_gpu(&l, "NVIDIA GeForce RTX 4090", "RTX4090-24GB");
    expect_gpu(&l, "4090", "RTX4090-24GB");
    expect_gpu(&l, "NVIDIA A100-SXM-80GB", "A100-80GB");
    expect_gpu(&l, "Tesla V100-FHHL-16GB", "V100-16GB");
    expect_gpu(&l, "AMD Instinct MI250X/MI250", "MI250X-128GB");
    expect_gpu(&l, "NVIDIA H100 NVL", "H100-NVL-94GB");
    assert_int_equal(mm_gpu_lookup(&l, "a100"), MM_ERR_INVALID_ARG);
    assert_null(l.gpu);
    assert_int_equal(l.ncandidates, 2);
    assert_string_equal(l.candidates[0]->name, "A100-40GB");
    assert_string_equal(l.candidates[1]->name, "A100-80GB");
    assert_int_equal(mm_gpu_lookup(&l, "A100 60GB"), MM_ERR_NOT_FOUND);
    assert_int_equal(mm_gpu_lookup(&l, "80GB"), MM_ERR_NOT_FOUND);
    expect_gpu(&l, "p4de.24xlarge", "A100-80GB");
    assert_int_equal(l.count, 8);
    assert_string_equal(l.provider, "AWS");
    assert_int_equal(mm_gpu_lookup(&l, "Standard_ND96isr_H100_v5"), MM_OK);
    assert_string_equal(l.instance, "ND96isr_H100_v5");
    assert_int_equal(l.count, 8);
    assert_null(mm_gpu_find("p5.48xlarge")); /* a device name only */
    /* every name listed resolves, every instance to a table entry */
    for (i = 0; i < mm_gpu_name_count(); i++) {
        assert_int_equal(mm_gpu_lookup(&l, mm_gpu_name_at(i)), MM_OK);
        assert_non_null(l.gpu);
    }
    assert_null(mm_gpu_name_at(mm_gpu_name_count()));
    /* long or odd input is no name, and no crash */
    assert_int_equal(mm_gpu_lookup(&l, "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"), MM_ERR_NOT_FOUND);
    assert_int_equal(mm_gpu_lookup(&l, "---"), MM_ERR_NOT_FOUND);
}

/* ---- Llama-2-7B, fp16, as a sparse file ------------------------------------ */

static void test_llama2_7b_sparse(void **state)
{
    static const struct test_llama llama2_7b = {4096, 11008, 32, 32, 32, 32000};
    uint64_t data = 0;
    struct mm_inventory *inv = test_llama_layout(&llama2_7b, "F16", &data);
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    (void)state;
    /* 6,738,415,616 parameters x 2 bytes */
    assert_int_equal(data, 13476831232ull);
    p.inference = 1;
    p.context = 4096;
    test_memory_ok(&r, inv, NULL, &p);
    /* weights as loaded = the exact stored size: 12.55 GiB */
    assert_int_equal(r.inference.weights_bytes, 13476831232ull);
    assert_int_equal(r.logical_parameters, 6738415616ull);
    assert_int_equal((r.inference.weights_bytes * 100 + (1ull << 29)) >> 30, 1255);
    /* geometry from the names: 32 layers, 32 heads of 128, vocab 32,000 */
    assert_int_equal(r.geometry.source, MM_GEOMETRY_TENSORS);
    assert_int_equal(r.geometry.layers, 32);
    assert_int_equal(r.geometry.head_dim, 128);
    assert_int_equal(r.geometry.heads, 32);
    assert_int_equal(r.geometry.kv_heads, 32);
    assert_int_equal(r.geometry.intermediate, 11008);
    assert_int_equal(r.geometry.vocab, 32000);
    /* 2 x 32 x 32 x 128 x 4,096 x 2 = 2 GiB */
    assert_int_equal(r.inference.kv_cache_bytes, 2147483648ull);
    mm_inventory_free(inv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logical_quantized), cmocka_unit_test(test_logical_hub_variants),
        cmocka_unit_test(test_logical_plain),
        cmocka_unit_test(test_kv_published),      cmocka_unit_test(test_kv_realmodels),
        cmocka_unit_test(test_kv_hybrid),
        cmocka_unit_test(test_config_errors),     cmocka_unit_test(test_config_mutations),
        cmocka_unit_test(test_config_limit),      cmocka_unit_test(test_config_outside),
        cmocka_unit_test(test_config_path),
        cmocka_unit_test(test_inference_tiny),    cmocka_unit_test(test_gguf_metadata),
        cmocka_unit_test(test_encoder_only),
        cmocka_unit_test(test_fits),
        cmocka_unit_test(test_headroom_range),    cmocka_unit_test(test_logical_overflow),
        cmocka_unit_test(test_errors),            cmocka_unit_test(test_gpus),
        cmocka_unit_test(test_gpu_lookup),
        cmocka_unit_test(test_llama2_7b_sparse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
