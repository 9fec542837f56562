/* runtime_options.c - estimate's runtime options: --runtime, transformers'
 * --load-in (bitsandbytes), llama.cpp's and vLLM's own
 * settings (--gpu-memory-utilization, --max-num-batched-tokens,
 * --max-num-seqs, --max-model-len), named as vLLM names them, and
 * llama.cpp's (--n-gpu-layers, --tensor-split, --cache-type-k,
 * --cache-type-v, --flash-attn, --ubatch-size), named as llama.cpp's
 * long options name them. */
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

static int take_tokens(const char *opt, const char *v, uint64_t *out)
{
    if (cli_parse_u64(v, 1, UINT32_MAX, out) != 0) {
        return cli_usage_error("%s takes a number from 1 to %u, not '%s'", opt, UINT32_MAX, v);
    }
    return 0;
}

/* "3,1", "0.6,0.4" are not taken: whole numbers, one per device. */
static int take_split(struct cli_memory *m, const char *v)
{
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

static int take_cache_type(enum mm_dtype *out, const char *opt, const char *v)
{
    static const struct {
        const char *name;
        enum mm_dtype t;
    } types[] = {{"f16", MM_DTYPE_F16},   {"bf16", MM_DTYPE_BF16}, {"f32", MM_DTYPE_F32},
                 {"q8_0", MM_DTYPE_Q8_0}, {"q4_0", MM_DTYPE_Q4_0}, {"q4_1", MM_DTYPE_Q4_1},
                 {"q5_0", MM_DTYPE_Q5_0}, {"q5_1", MM_DTYPE_Q5_1}, {"iq4_nl", MM_DTYPE_IQ4_NL}};
    size_t k;
    for (k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
        if (strcmp(v, types[k].name) == 0) {
            *out = types[k].t;
            return 0;
        }
    }
    return cli_usage_error("%s: choose f16, bf16, f32, q8_0, q4_0, q4_1, q5_0, q5_1 or "
                           "iq4_nl, not '%s'",
                           opt, v);
}

/* llama.cpp's settings; 0 or EXIT_USAGE (printed). */
static int take_llama(struct cli_memory *m, const char *opt, const char *v)
{
    struct mm_memory_params *p = &m->params;
    uint64_t x;
    m->llama_option = opt;
    if (strcmp(opt, "--n-gpu-layers") == 0) {
        if (strcmp(v, "all") == 0) {
            p->n_gpu_layers = MM_NGL_ALL;
            return 0;
        }
        if (cli_parse_u64(v, 0, 1000000, &x) != 0) {
            return cli_usage_error("--n-gpu-layers takes a number of layers or 'all', not '%s'",
                                   v);
        }
        p->n_gpu_layers = (int32_t)x;
        return 0;
    }
    if (strcmp(opt, "--tensor-split") == 0) {
        return take_split(m, v);
    }
    if (strcmp(opt, "--cache-type-k") == 0) {
        return take_cache_type(&p->cache_type_k, opt, v);
    }
    if (strcmp(opt, "--cache-type-v") == 0) {
        m->cache_v_typed = v;
        return take_cache_type(&p->cache_type_v, opt, v);
    }
    if (strcmp(opt, "--flash-attn") == 0) {
        static const char *const modes[] = {"auto", "on", "off"};
        size_t k;
        m->flash_typed = v;
        for (k = 0; k < 3; k++) {
            if (strcmp(v, modes[k]) == 0) {
                p->flash_attn = (enum mm_flash_attn)k;
                return 0;
            }
        }
        return cli_usage_error("--flash-attn: choose on, off or auto, not '%s'", v);
    }
    if (cli_parse_u64(v, 1, MM_LLAMACPP_UBATCH_MAX, &x) != 0) { /* --ubatch-size */
        return cli_usage_error("--ubatch-size takes a number of tokens from 1 to %u, not '%s'",
                               MM_LLAMACPP_UBATCH_MAX, v);
    }
    p->n_ubatch = (uint32_t)x;
    return 0;
}

static int take(struct cli_memory *m, const char *opt, const char *v)
{
    struct mm_memory_params *p = &m->params;
    if (strcmp(opt, "--runtime") == 0) {
        static const char *const names[] = {"transformers", "vllm", "llama.cpp"};
        size_t k;
        for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
            if (strcmp(v, names[k]) == 0) {
                p->runtime = (enum mm_runtime)(k + 1);
                return 0;
            }
        }
        return cli_usage_error("--runtime: choose transformers, vllm or llama.cpp, not '%s'", v);
    }
    if (strcmp(opt, "--load-in") == 0) {
        static const char *const loads[] = {"8bit", "4bit", "nf4"};
        size_t k;
        for (k = 0; k < sizeof(loads) / sizeof(loads[0]); k++) {
            if (strcmp(v, loads[k]) == 0) {
                p->load_in = (enum mm_load_in)(k + 1);
                return 0;
            }
        }
        return cli_usage_error("--load-in: choose 8bit, 4bit or nf4, not '%s'", v);
    }
    if (strcmp(opt, "--n-gpu-layers") == 0 || strcmp(opt, "--tensor-split") == 0 ||
        strcmp(opt, "--cache-type-k") == 0 || strcmp(opt, "--cache-type-v") == 0 ||
        strcmp(opt, "--flash-attn") == 0 || strcmp(opt, "--ubatch-size") == 0) {
        return take_llama(m, opt, v);
    }
    m->vllm_option = opt;
    if (strcmp(opt, "--gpu-memory-utilization") == 0) {
        return parse_fraction(v, &p->gpu_util_ppm) == 0
                   ? 0
                   : cli_usage_error("--gpu-memory-utilization takes a fraction above 0 and "
                                     "at most 1 (six decimals at most), not '%s'",
                                     v);
    }
    if (strcmp(opt, "--max-num-batched-tokens") == 0) {
        return take_tokens(opt, v, &p->max_num_batched_tokens);
    }
    if (strcmp(opt, "--max-num-seqs") == 0) {
        return take_tokens(opt, v, &p->max_num_seqs);
    }
    return take_tokens(opt, v, &p->max_model_len);
}

int cli_take_runtime(struct cli_parse *p, const struct cli_option *opt, const char *value)
{
    p->memory->any = true;
    return take(p->memory, opt->name, value) == 0 ? 0 : EXIT_USAGE;
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
