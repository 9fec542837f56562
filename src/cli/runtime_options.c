/* runtime_options.c - estimate's runtime settings, named as the runtime
 * names them: vLLM's (--gpu-memory-utilization, --max-num-batched-tokens,
 * --max-num-seqs, --max-model-len) and llama.cpp's (--n-gpu-layers,
 * --tensor-split, --cache-type-v, --ubatch-size; --runtime, --load-in,
 * --cache-type-k and --flash-attn take one of a list: cli_take_choice),
 * and the checks that refuse those that do not go together. */
#include <string.h>

#include "cli/cli.h"

/* "0.9", "0.95", "1", ".5": a fraction in (0, 1] with at most six
 * decimals, in millionths; -1 otherwise. */
static int parse_fraction(const char *s, uint32_t *out)
{
    uint64_t whole = 0;
    uint64_t frac = 0;
    uint64_t scale = 100000;
    const char *p = s;
    if (*p >= '0' && *p <= '9') {
        whole = (uint64_t)(*p - '0');
        p++;
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') {
            return -1;
        }
        for (; *p >= '0' && *p <= '9'; p++) {
            if (scale == 0) {
                return -1; /* more than six decimals */
            }
            frac += (uint64_t)(*p - '0') * scale;
            scale /= 10;
        }
    }
    if (p == s || *p != '\0' || whole > 1 || (whole == 1 && frac != 0) ||
        (whole == 0 && frac == 0)) {
        return -1;
    }
    *out = (uint32_t)(whole * 1000000 + frac);
    return 0;
}

/* vLLM's token and sequence counts, 1 to 2^32 - 1. */
static int take_tokens(const struct cli_option *opt, const char *v, uint64_t *out)
{
    if (cli_parse_u64(v, 1, UINT32_MAX, out) != 0) {
        return cli_usage_error("%s takes a number from 1 to %u, not '%s'", opt->name,
                               UINT32_MAX, v);
    }
    return 0;
}

int cli_take_batched_tokens(struct cli_parse *p, const struct cli_option *opt, const char *v)
{
    return take_tokens(opt, v, &cli_memory_given(p, opt)->params.max_num_batched_tokens);
}

int cli_take_num_seqs(struct cli_parse *p, const struct cli_option *opt, const char *v)
{
    return take_tokens(opt, v, &cli_memory_given(p, opt)->params.max_num_seqs);
}

int cli_take_model_len(struct cli_parse *p, const struct cli_option *opt, const char *v)
{
    return take_tokens(opt, v, &cli_memory_given(p, opt)->params.max_model_len);
}

int cli_take_gpu_util(struct cli_parse *p, const struct cli_option *opt, const char *v)
{
    struct cli_memory *m = cli_memory_given(p, opt);
    return parse_fraction(v, &m->params.gpu_util_ppm) == 0
               ? 0
               : cli_usage_error("--gpu-memory-utilization takes a fraction above 0 and "
                                 "at most 1 (six decimals at most), not '%s'",
                                 v);
}

int cli_take_gpu_layers(struct cli_parse *p, const struct cli_option *opt, const char *v)
{
    struct mm_memory_params *q = &cli_memory_given(p, opt)->params;
    uint64_t x;
    if (strcmp(v, "all") == 0) {
        q->n_gpu_layers = MM_NGL_ALL;
        return 0;
    }
    if (cli_parse_u64(v, 0, 1000000, &x) != 0) {
        return cli_usage_error("--n-gpu-layers takes a number of layers or 'all', not '%s'", v);
    }
    q->n_gpu_layers = (int32_t)x;
    return 0;
}

/* "3,1", "0.6,0.4" are not taken: whole numbers, one per device. */
int cli_take_tensor_split(struct cli_parse *p, const struct cli_option *opt, const char *v)
{
    struct cli_memory *m = cli_memory_given(p, opt);
    const char *s = v;
    size_t n = 0;
    for (;;) {
        char part[24];
        const char *comma = strchr(s, ',');
        const size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
        uint64_t x;
        if (len == 0 || len >= sizeof(part) || n >= MM_LIMIT_GPUS) {
            break;
        }
        memcpy(part, s, len);
        part[len] = '\0';
        if (cli_parse_u64(part, 0, MM_LLAMACPP_SPLIT_MAX, &x) != 0) {
            break;
        }
        m->split[n++] = (uint32_t)x;
        if (comma == NULL) {
            m->params.ntensor_split = n;
            m->params.tensor_split = m->split;
            return 0;
        }
        s = comma + 1;
    }
    return cli_usage_error("--tensor-split takes whole-number proportions up to %u, one per "
                           "device, such as 3,1, not '%s'",
                           MM_LLAMACPP_SPLIT_MAX, v);
}

/* As the other options of a list, its value kept as typed for
 * cli_runtime_check's error. */
int cli_take_cache_type_v(struct cli_parse *p, const struct cli_option *opt, const char *v)
{
    cli_memory_given(p, opt)->cache_v_typed = v;
    return cli_take_choice(p, opt, v);
}

int cli_take_ubatch(struct cli_parse *p, const struct cli_option *opt, const char *v)
{
    struct mm_memory_params *q = &cli_memory_given(p, opt)->params;
    uint64_t x;
    if (cli_parse_u64(v, 1, MM_LLAMACPP_UBATCH_MAX, &x) != 0) {
        return cli_usage_error("--ubatch-size takes a number of tokens from 1 to %u, not '%s'",
                               MM_LLAMACPP_UBATCH_MAX, v);
    }
    q->n_ubatch = (uint32_t)x;
    return 0;
}

int cli_runtime_check(const struct cli_memory *m)
{
    const struct mm_memory_params *p = &m->params;
    if (m->vllm_option != NULL && p->runtime != MM_RUNTIME_VLLM) {
        return cli_usage_error("%s is a vLLM setting: add --runtime vllm", m->vllm_option);
    }
    if (m->params.load_in != MM_LOAD_AS_STORED && m->params.runtime != MM_RUNTIME_TRANSFORMERS) {
        const char *rt = mm_runtime_name(m->params.runtime);
        return cli_usage_error("--load-in is a transformers setting (bitsandbytes quantizes "
                               "while transformers loads): %s%s",
                               rt != NULL ? "not with --runtime " : "add --runtime transformers",
                               rt != NULL ? rt : "");
    }
    if (m->llama_option != NULL && p->runtime != MM_RUNTIME_DEFAULT &&
        p->runtime != MM_RUNTIME_LLAMACPP) {
        return cli_usage_error("%s is a llama.cpp setting: add --runtime llama.cpp, not "
                               "--runtime %s",
                               m->llama_option, mm_runtime_name(p->runtime));
    }
    if (p->ntensor_split != 0 && p->ntensor_split != p->gpus) {
        return cli_usage_error("--tensor-split gives %zu proportions for --gpus %u: give one "
                               "per device",
                               p->ntensor_split, p->gpus);
    }
    if (m->cache_v_typed != NULL && p->flash_attn == MM_FLASH_OFF &&
        p->cache_type_v != MM_DTYPE_F16 && p->cache_type_v != MM_DTYPE_BF16 &&
        p->cache_type_v != MM_DTYPE_F32) {
        return cli_usage_error("--cache-type-v %s needs flash attention in llama.cpp: drop "
                               "--flash-attn off",
                               m->cache_v_typed);
    }
    return EXIT_OK;
}

int cli_runtime_check_resolved(const struct cli_memory *m)
{
    if (m->result.runtime == MM_RUNTIME_LLAMACPP && m->params.kv_bytes == 1) {
        return cli_usage_error("--kv-dtype: llama.cpp has no 8-bit float cache; use "
                               "--cache-type-k q8_0 and --cache-type-v q8_0");
    }
    if (m->llama_option != NULL && m->result.runtime != MM_RUNTIME_LLAMACPP) {
        return cli_usage_error("%s is a llama.cpp setting: add --runtime llama.cpp (this "
                               "model is planned with --runtime %s)",
                               m->llama_option, mm_runtime_name(m->result.runtime));
    }
    return EXIT_OK;
}
