/* render_runtime.c - what a runtime's plan adds to the output: its own
 * figures (`runtime_detail`, modelmem(1) RUNTIMES), host memory, and the
 * fit answers (longest context, sequences at once), in text and JSON.
 * Output only: the figures come from mm_memory_run. */
#include "cli/cli.h"

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
    out_json_member_u64(o, "max_num_batched_tokens", d->max_num_batched_tokens, 1);
    out_json_member_u64(o, "max_num_seqs", d->max_num_seqs, 1);
    out_json_member_u64(o, "max_model_len", d->max_model_len, 1);
    out_json_member_u64(o, "block_size", d->block_size, 1);
    out_json_member_u64(o, "forward_bytes", d->forward_bytes, 1);
    out_json_member_u64(o, "sampler_bytes", d->sampler_bytes, 1);
    out_json_member_u64(o, "non_torch_bytes", d->non_torch_bytes, 1);
    out_json_member_u64(o, "cuda_graph_bytes", d->cuda_graph_bytes, 1);
    out_json_member_u64(o, "rotary_cache_bytes", d->rotary_cache_bytes, 1);
    out_json_member_u64(o, "requested_bytes", d->requested_bytes, dev);
    out_json_member_u64(o, "kv_available_bytes", d->kv_available_bytes, dev);
    out_json_member_u64(o, "kv_blocks", d->kv_blocks, dev);
    out_json_member_u64(o, "kv_tokens", d->kv_tokens, dev);
}

/* A cache type as llama.cpp spells it: "f16", "q8_0". */
static void cache_name(char *buf, size_t size, enum mm_dtype t)
{
    const char *n = mm_dtype_name(t);
    size_t i;
    for (i = 0; n != NULL && n[i] != '\0' && i + 1 < size; i++) {
        buf[i] = (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] - 'A' + 'a' : n[i]);
    }
    buf[i] = '\0';
}

static void llama_detail(struct out *o, const struct mm_runtime_detail *d)
{
    char k[16];
    char v[16];
    cache_name(k, sizeof(k), d->type_k);
    cache_name(v, sizeof(v), d->type_v);
    out_str(o, "\"n_ctx\": ");
    out_u64(o, d->n_ctx);
    out_json_member_u64(o, "n_seq_max", d->n_seq_max, 1);
    out_json_member_u64(o, "n_ubatch", d->n_ubatch, 1);
    out_json_member_u64(o, "swa_cells", d->swa_cells, 1);
    out_str(o, d->flash_attn ? ", \"flash_attn\": true" : ", \"flash_attn\": false");
    out_str(o, ", \"type_k\": ");
    out_json_str(o, k);
    out_str(o, ", \"type_v\": ");
    out_json_str(o, v);
    out_json_member_u64(o, "n_gpu_layers", d->layers_offloaded, 1);
    out_json_member_u64(o, "layers", d->layers_total, 1);
    out_json_member_u64(o, "model_buffer_bytes", d->model_buffer_bytes, 1);
    out_json_member_u64(o, "cpu_mapped_model_buffer_bytes", d->cpu_mapped_bytes, 1);
    out_json_member_u64(o, "kv_buffer_bytes", d->kv_buffer_bytes, 1);
    out_json_member_u64(o, "cpu_kv_buffer_bytes", d->cpu_kv_buffer_bytes, 1);
    out_json_member_u64(o, "kv_k_bytes", d->k_bytes, 1);
    out_json_member_u64(o, "kv_v_bytes", d->v_bytes, 1);
    out_json_member_u64(o, "compute_buffer_bytes", d->compute_buffer_bytes, 1);
    out_json_member_u64(o, "host_compute_buffer_bytes", d->host_compute_buffer_bytes, 1);
    out_json_member_u64(o, "output_buffer_bytes", d->output_buffer_bytes, 1);
    out_json_member_u64(o, "platform_bytes", d->platform_bytes, 1);
}

void render_runtime_json_inference(struct out *o, const struct cli_memory *m,
                                   const struct mm_inference *in,
                                   const struct mm_runtime_detail *d)
{
    out_json_member_u64(o, "host_bytes", in->host_bytes, 1);
    out_str(o, ", \"runtime_detail\": {");
    if (m->result.runtime == MM_RUNTIME_VLLM) {
        vllm_detail(o, m, d);
    } else if (m->result.runtime == MM_RUNTIME_LLAMACPP) {
        llama_detail(o, d);
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
    out_json_member_u64(o, "max_context", d->max_context, r->has_inference && d->has_max_context);
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

/* The buffers as llama.cpp's load log names them. */
static void llama_text(struct out *o, const struct mm_runtime_detail *d, const char *li,
                       bool busiest)
{
    char k[16];
    char v[16];
    char ctx[32];
    char b[6][32];
    cache_name(k, sizeof(k), d->type_k);
    cache_name(v, sizeof(v), d->type_v);
    fmt_thousands(ctx, sizeof(ctx), d->n_ctx);
    out_fmt(o, "%sllama.cpp (%llu/%llu layers offloaded, n_ctx %s, %llu sequence%s, ubatch %llu, "
               "flash attention %s, K %s, V %s)\n",
            li, (unsigned long long)d->layers_offloaded, (unsigned long long)d->layers_total,
            ctx, (unsigned long long)d->n_seq_max, d->n_seq_max == 1 ? "" : "s",
            (unsigned long long)d->n_ubatch, d->flash_attn ? "on" : "off", k, v);
    fmt_size(b[0], sizeof(b[0]), d->model_buffer_bytes);
    fmt_size(b[1], sizeof(b[1]), d->kv_buffer_bytes);
    fmt_size(b[2], sizeof(b[2]), d->compute_buffer_bytes);
    out_fmt(o, "%s%s model buffer %s, KV buffer %s, compute buffer %s\n", li,
            busiest ? "busiest device:" : "device: CUDA0", b[0], b[1], b[2]);
    fmt_size(b[0], sizeof(b[0]), d->cpu_mapped_bytes);
    fmt_size(b[1], sizeof(b[1]), d->cpu_kv_buffer_bytes);
    fmt_size(b[2], sizeof(b[2]), d->host_compute_buffer_bytes);
    fmt_size(b[3], sizeof(b[3]), d->output_buffer_bytes);
    out_fmt(o, "%shost: CPU_Mapped model buffer %s, CPU KV buffer %s, CUDA_Host compute buffer "
               "%s, output buffer %s\n",
            li, b[0], b[1], b[2], b[3]);
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
    if (r->runtime == MM_RUNTIME_LLAMACPP) {
        llama_text(o, d, li, per_device && m->params.gpus > 1);
        return;
    }
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
