/* runtime_options.c - estimate's runtime options: --runtime, transformers'
 * --load-in (bitsandbytes) and vLLM's own
 * settings (--gpu-memory-utilization, --max-num-batched-tokens,
 * --max-num-seqs, --max-model-len), named as vLLM names them. */
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

int cli_runtime_option(struct cli_memory *m, int argc, char **argv, int *i)
{
    static const char *const names[] = {"--runtime", "--load-in", "--gpu-memory-utilization",
                                        "--max-num-batched-tokens", "--max-num-seqs",
                                        "--max-model-len", NULL};
    const char *a = argv[*i];
    size_t k;
    for (k = 0; names[k] != NULL; k++) {
        const size_t n = strlen(names[k]);
        const char *v;
        if (strncmp(a, names[k], n) != 0 || (a[n] != '\0' && a[n] != '=')) {
            continue;
        }
        if (a[n] == '=') {
            v = a + n + 1;
        } else if (*i + 1 >= argc) {
            cli_usage_error("option '%s' needs a value", names[k]);
            return -1;
        } else {
            v = argv[++*i];
        }
        m->any = true;
        return take(m, names[k], v) == 0 ? 1 : -1;
    }
    return 0;
}

int cli_runtime_check(const struct cli_memory *m)
{
    if (m->vllm_option != NULL && m->params.runtime != MM_RUNTIME_VLLM) {
        return cli_usage_error("%s is a vLLM setting: add --runtime vllm", m->vllm_option);
    }
    if (m->params.load_in != MM_LOAD_AS_STORED && m->params.runtime != MM_RUNTIME_TRANSFORMERS) {
        const char *rt = mm_runtime_name(m->params.runtime);
        return cli_usage_error("--load-in is a transformers setting (bitsandbytes quantizes "
                               "while transformers loads): %s%s",
                               rt != NULL ? "not with --runtime " : "add --runtime transformers",
                               rt != NULL ? rt : "");
    }
    return EXIT_OK;
}
