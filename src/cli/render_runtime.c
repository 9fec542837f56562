/* render_runtime.c - what a runtime's plan adds to the output: its own
 * figures (`runtime_detail`, modelmem(1) RUNTIMES), host memory, and the
 * fit answers (longest context, sequences at once), in text and JSON.
 * Output only: the figures come from mm_memory_run. */
#include "cli/cli.h"

static void member(struct out *o, const char *key, uint64_t v)
{
    out_str(o, ", ");
    out_json_str(o, key);
    out_str(o, ": ");
    out_u64(o, v);
}

static void member_or_null(struct out *o, const char *key, uint64_t v, int has)
{
    out_str(o, ", ");
    out_json_str(o, key);
    out_str(o, has ? ": " : ": null");
    if (has) {
        out_u64(o, v);
    }
}

/* millionths as a decimal: 900000 -> "0.9", 1000000 -> "1" */
static void fraction(char *buf, size_t size, uint32_t ppm)
{
    char digits[8];
    size_t n;
    if (ppm >= 1000000) {
        snprintf(buf, size, "1");
        return;
    }
    snprintf(digits, sizeof(digits), "%06u", (unsigned)ppm);
    for (n = 6; n > 1 && digits[n - 1] == '0'; n--) {
    }
    digits[n] = '\0';
    snprintf(buf, size, "0.%s", digits);
}

/* hundredths as a decimal with two places: 762 -> "7.62" */
static void hundredths(char *buf, size_t size, uint64_t v)
{
    snprintf(buf, size, "%llu.%02u", (unsigned long long)(v / 100), (unsigned)(v % 100));
}

static void vllm_detail(struct out *o, const struct cli_memory *m,
                        const struct mm_runtime_detail *d)
{
    const int dev = m->params.device_bytes != 0;
    char f[16];
    fraction(f, sizeof(f), d->gpu_util_ppm);
    out_str(o, "\"tensor_parallel\": ");
    out_u64(o, d->tensor_parallel);
    out_str(o, ", \"gpu_memory_utilization\": ");
    out_str(o, f);
    member(o, "max_num_batched_tokens", d->max_num_batched_tokens);
    member(o, "max_num_seqs", d->max_num_seqs);
    member(o, "max_model_len", d->max_model_len);
    member(o, "block_size", d->block_size);
    member(o, "forward_bytes", d->forward_bytes);
    member(o, "sampler_bytes", d->sampler_bytes);
    member(o, "non_torch_bytes", d->non_torch_bytes);
    member(o, "cuda_graph_bytes", d->cuda_graph_bytes);
    member(o, "rotary_cache_bytes", d->rotary_cache_bytes);
    member_or_null(o, "requested_bytes", d->requested_bytes, dev);
    member_or_null(o, "kv_available_bytes", d->kv_available_bytes, dev);
    member_or_null(o, "kv_blocks", d->kv_blocks, dev);
    member_or_null(o, "kv_tokens", d->kv_tokens, dev);
}

void render_runtime_json_inference(struct out *o, const struct cli_memory *m,
                                   const struct mm_inference *in,
                                   const struct mm_runtime_detail *d)
{
    member(o, "host_bytes", in->host_bytes);
    out_str(o, ", \"runtime_detail\": {");
    if (m->result.runtime == MM_RUNTIME_VLLM) {
        vllm_detail(o, m, d);
    } else if (m->result.runtime == MM_RUNTIME_TRANSFORMERS) {
        out_str(o, "\"cuda_context_bytes\": ");
        out_u64(o, d->cuda_context_bytes);
        render_load_in_json(o, d);
    }
    out_str(o, "}");
}

void render_runtime_json_fits(struct out *o, const struct cli_memory *m)
{
    const struct mm_memory *r = &m->result;
    const struct mm_device *d = &r->device;
    member_or_null(o, "max_context", d->max_context, r->has_inference && d->has_max_context);
    out_str(o, ", \"max_concurrency\": ");
    if (r->has_inference && d->has_max_concurrency) {
        char v[32];
        hundredths(v, sizeof(v), d->max_concurrency_x100);
        out_str(o, v);
    } else {
        out_str(o, "null");
    }
    render_quant_json_fits(o, m);
}

void render_runtime_text_fits(struct out *o, const struct cli_memory *m, bool markdown)
{
    const struct mm_device *d = &m->result.device;
    char a[32];
    char b[32];
    char c[32];
    if (!d->has_max_context) {
        render_quant_text_fits(o, m, markdown);
        return;
    }
    fmt_thousands(a, sizeof(a), d->max_context);
    fmt_thousands(b, sizeof(b), m->params.batch);
    fmt_thousands(c, sizeof(c), m->params.context);
    out_fmt(o, "%slongest context at batch %s: %s tokens", markdown ? "- " : "    ", b, a);
    if (d->has_max_concurrency) {
        char x[32];
        hundredths(x, sizeof(x), d->max_concurrency_x100);
        out_fmt(o, "\n%ssequences of %s tokens at once: %sx", markdown ? "- " : "    ", c, x);
    }
    out_str(o, "\n");
    render_quant_text_fits(o, m, markdown);
}

void render_runtime_text_detail(struct out *o, const struct cli_memory *m, bool markdown,
                                bool per_device)
{
    const struct mm_memory *r = &m->result;
    const struct mm_runtime_detail *d = per_device ? &r->device_detail : &r->detail;
    const char *li = markdown ? "\n- " : "  ";
    char t[32];
    char s[32];
    char fw[32];
    char sa[32];
    char nt[32];
    char cg[32];
    if (r->runtime == MM_RUNTIME_TRANSFORMERS && !per_device) {
        render_load_in_text(o, d, markdown); /* whole-model figures */
    }
    if (r->runtime != MM_RUNTIME_VLLM) {
        return;
    }
    fmt_thousands(t, sizeof(t), d->max_num_batched_tokens);
    fmt_thousands(s, sizeof(s), d->max_num_seqs);
    fmt_size(fw, sizeof(fw), d->forward_bytes);
    fmt_size(sa, sizeof(sa), d->sampler_bytes);
    fmt_size(nt, sizeof(nt), d->non_torch_bytes);
    fmt_size(cg, sizeof(cg), d->cuda_graph_bytes);
    out_fmt(o, "%svLLM (tensor parallel %llu): profiled %s tokens, %s sequences "
               "(forward %s, sampler %s); non-torch %s, CUDA graphs %s\n",
            li, (unsigned long long)d->tensor_parallel, t, s, fw, sa, nt, cg);
    if (m->params.device_bytes != 0) {
        char f[16];
        char req[32];
        char kv[32];
        char blocks[32];
        char tokens[32];
        fraction(f, sizeof(f), d->gpu_util_ppm);
        fmt_size(req, sizeof(req), d->requested_bytes);
        fmt_size(kv, sizeof(kv), d->kv_available_bytes);
        fmt_thousands(blocks, sizeof(blocks), d->kv_blocks);
        fmt_thousands(tokens, sizeof(tokens), d->kv_tokens);
        out_fmt(o, "%sgpu_memory_utilization %s: %s requested; KV cache gets %s: %s blocks of "
                   "%llu tokens (%s tokens)\n",
                li, f, req, kv, blocks, (unsigned long long)d->block_size, tokens);
    }
}
