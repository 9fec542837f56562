/* render_memory.c - the inference and training breakdowns: a table and a
 * horizontal stacked bar per scenario (text, or Markdown), and their JSON
 * members. Output only: the figures come from mm_memory_run. */
#include <string.h>

#include "cli/cli.h"

#define BAR_WIDTH 60
#define MAX_PARTS 8

struct part {
    const char *label;
    uint64_t bytes;
};

static const char *const glyph_utf8[MAX_PARTS] = {"█", "▓", "▒", "░", "▚", "▞", "▖", "▗"};
static const char *const glyph_ascii[MAX_PARTS] = {"#", "=", "+", ".", "%", "~", "-", ":"};
static const char *const colour[MAX_PARTS] = {"\033[34m", "\033[33m", "\033[32m", "\033[35m",
                                              "\033[36m", "\033[31m", "\033[90m", "\033[37m"};

/* The split the figures assume (the runtime's own when none was asked). */
static const char *parallel_name(const struct cli_memory *m)
{
    const char *s = mm_parallel_name(m->result.parallel);
    return s != NULL ? s : "dp";
}

/* A training split's name (MM_PAR_NONE is one replica per device). */
static const char *par_name(enum mm_parallel p)
{
    const char *s = mm_parallel_name(p);
    return s != NULL ? s : "dp";
}

static const char *geometry_name(enum mm_geometry_source s)
{
    switch (s) {
    case MM_GEOMETRY_CONFIG:
        return "config.json";
    case MM_GEOMETRY_TENSORS:
        return "tensors";
    case MM_GEOMETRY_GGUF:
        return "gguf";
    case MM_GEOMETRY_NONE:
        break;
    }
    return NULL;
}

/* Cells per part: largest remainder, so that the cells add up to the width. */
static void cells(size_t *out, const struct part *parts, size_t n, uint64_t total)
{
    double rem[MAX_PARTS];
    size_t used = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        const double exact = total == 0 ? 0 : (double)parts[i].bytes * BAR_WIDTH / (double)total;
        out[i] = (size_t)exact;
        rem[i] = exact - (double)out[i];
        used += out[i];
    }
    while (total != 0 && used < BAR_WIDTH) {
        size_t best = 0;
        for (i = 1; i < n; i++) {
            best = rem[i] > rem[best] ? i : best;
        }
        out[best]++;
        rem[best] = -1;
        used++;
    }
}

static void bar(struct out *o, const struct cli_memory *m, const struct part *parts, size_t n,
                uint64_t total)
{
    const char *const *g = m->utf8 ? glyph_utf8 : glyph_ascii;
    size_t w[MAX_PARTS];
    size_t i;
    size_t k;
    cells(w, parts, n, total);
    out_str(o, "  [");
    for (i = 0; i < n; i++) {
        if (m->color && w[i] > 0) {
            out_str(o, colour[i]);
        }
        for (k = 0; k < w[i]; k++) {
            out_str(o, g[i]);
        }
        if (m->color && w[i] > 0) {
            out_str(o, "\033[0m");
        }
    }
    out_str(o, "]\n  ");
    for (i = 0; i < n; i++) {
        out_fmt(o, "%s%s%s%s %s", i > 0 ? "  " : "", m->color ? colour[i] : "", g[i],
                m->color ? "\033[0m" : "", parts[i].label);
    }
    out_str(o, "\n");
}

static void table(struct out *o, const struct part *parts, size_t n, uint64_t total,
                  bool markdown)
{
    char num[32];
    char size[32];
    size_t i;
    if (markdown) {
        out_str(o, "\n| component | bytes | size |\n|:--|--:|--:|\n");
    }
    for (i = 0; i <= n; i++) {
        const char *label = i < n ? parts[i].label : "total";
        const uint64_t b = i < n ? parts[i].bytes : total;
        fmt_thousands(num, sizeof(num), b);
        fmt_size(size, sizeof(size), b);
        if (markdown) {
            out_fmt(o, "| %s | %s | %s |\n", label, num, size);
        } else {
            out_fmt(o, "  %-20s %26s %12s\n", label, num, size);
        }
    }
}

static size_t inference_parts(struct part *p, const struct mm_inference *in)
{
    p[0].label = "weights";
    p[0].bytes = in->weights_bytes;
    p[1].label = "KV cache";
    p[1].bytes = in->kv_cache_bytes;
    p[2].label = "activations";
    p[2].bytes = in->activation_bytes;
    p[3].label = "overhead";
    p[3].bytes = in->overhead_bytes;
    return 4;
}

static size_t training_parts(struct part *p, const struct mm_training *t)
{
    p[0].label = "weights";
    p[0].bytes = t->weights_bytes;
    p[1].label = "master weights";
    p[1].bytes = t->master_bytes;
    p[2].label = "gradients";
    p[2].bytes = t->gradients_bytes;
    p[3].label = "optimizer states";
    p[3].bytes = t->optimizer_bytes;
    p[4].label = "activations";
    p[4].bytes = t->activation_bytes;
    p[5].label = "buffers";
    p[5].bytes = t->buffers_bytes;
    p[6].label = "fragmentation";
    p[6].bytes = t->fragmentation_bytes;
    p[7].label = "overhead";
    p[7].bytes = t->overhead_bytes;
    return 8;
}

static void scenario(struct out *o, const struct cli_memory *m, const char *title,
                     const struct part *parts, size_t n, uint64_t total, bool markdown)
{
    out_fmt(o, "\n%s%s\n", markdown ? "### " : "", title);
    table(o, parts, n, total, markdown);
    if (!markdown) {
        bar(o, m, parts, n, total);
    }
}

static void verdict(struct out *o, bool markdown, const char *what, int fits, int64_t headroom,
                    unsigned min)
{
    char size[32];
    fmt_size(size, sizeof(size), headroom < 0 ? (uint64_t)(-(headroom + 1)) + 1
                                              : (uint64_t)headroom);
    out_fmt(o, "%s%s: %s (%s %s)\n", markdown ? "- " : "  ", what,
            fits ? "fits" : "does not fit", headroom < 0 ? "short by" : "headroom", size);
    if (min > 0) {
        out_fmt(o, "%ssmallest count that fits: %u\n", markdown ? "- " : "    ", min);
    } else {
        out_fmt(o, "%sdoes not fit on up to %u devices\n", markdown ? "- " : "    ",
                MM_LIMIT_GPUS);
    }
}

/* "training: fits (headroom 3.2 GiB) on 4 devices with zero2" and, when it
 * does not fit, the one change that makes it fit on the fewest devices. */
static void training_verdict(struct out *o, const struct cli_memory *m, bool markdown)
{
    static const char *const changes[] = {
        "", "turn on gradient checkpointing (--grad-checkpointing)",
        "use an 8-bit optimizer (--optimizer adamw8bit)", "shard with ZeRO",
        "train QLoRA (--train qlora)", "shorten the context"};
    const struct mm_device *d = &m->result.device;
    const struct mm_memory_params *p = &m->params;
    const char *li = markdown ? "- " : "  ";
    char size[32];
    char num[32];
    char what[160];
    const int64_t h = d->training_headroom;
    fmt_size(size, sizeof(size), h < 0 ? (uint64_t)(-(h + 1)) + 1 : (uint64_t)h);
    out_fmt(o, "%straining on %u device%s (%s): %s (%s %s)\n", li, p->gpus, p->gpus > 1 ? "s" : "",
            par_name(m->result.device_training.parallel),
            d->training_fits ? "fits" : "does not fit", h < 0 ? "short by" : "headroom", size);
    if (d->training_min_gpus > 0) {
        out_fmt(o, "%ssmallest count that trains: %u (%s)\n", li, d->training_min_gpus,
                par_name(d->training_parallel));
    } else {
        out_fmt(o, "%sdoes not train on up to %u devices as set\n", li, MM_LIMIT_GPUS);
    }
    if (d->training_max_context > 0) {
        fmt_thousands(num, sizeof(num), d->training_max_context);
        out_fmt(o, "%slongest context that trains at batch %llu on %u device%s: %s tokens\n", li,
                (unsigned long long)p->batch, p->gpus, p->gpus > 1 ? "s" : "", num);
    }
    if (d->change == MM_CHANGE_NONE) {
        if (!d->training_fits) {
            out_fmt(o, "%sno single change (checkpointing, 8-bit optimizer, ZeRO, QLoRA, a "
                       "shorter context) trains it on fewer devices\n",
                    li);
        }
        return;
    }
    fmt_thousands(num, sizeof(num), d->change_context);
    if (d->change == MM_CHANGE_ZERO) {
        snprintf(what, sizeof(what), "%s (--parallel %s)", changes[d->change],
                 par_name(d->change_parallel));
    } else if (d->change == MM_CHANGE_CONTEXT) {
        snprintf(what, sizeof(what), "%s to %s tokens (--context %llu)", changes[d->change], num,
                 (unsigned long long)d->change_context);
    } else {
        snprintf(what, sizeof(what), "%s", changes[d->change]);
    }
    out_fmt(o, "%sto fit: %s -> trains on %u device%s (%s)\n", li, what, d->change_gpus,
            d->change_gpus > 1 ? "s" : "", par_name(d->change_parallel));
}

static void heading(char *buf, size_t size, const struct cli_memory *m, const char *kind)
{
    const struct mm_memory *r = &m->result;
    const char *src = geometry_name(r->geometry.source);
    char ctx[32];
    char batch[32];
    fmt_thousands(ctx, sizeof(ctx), m->params.context);
    fmt_thousands(batch, sizeof(batch), m->params.batch);
    snprintf(buf, size, "%s: context %s, batch %s; geometry from %s", kind, ctx, batch,
             src != NULL ? src : "nowhere");
}

static void devices(struct out *o, const struct cli_memory *m, bool markdown);

void render_memory_text(struct out *o, const struct cli_memory *m, bool markdown)
{
    static const char *const trains[] = {"none", "full", "LoRA", "QLoRA"};
    static const char *const opts[] = {"AdamW", "8-bit AdamW", "SGD", "Adafactor"};
    static const char *const precs[] = {"bf16 mixed", "fp16 mixed", "fp32"};
    const struct mm_memory *r = &m->result;
    const struct mm_memory_params *p = &m->params;
    struct part parts[MAX_PARTS];
    char title[512];
    char head[256];
    char num[32];
    char a[32];
    char b[32];
    size_t n;
    const char *li = markdown ? "- " : "";
    fmt_thousands(num, sizeof(num), r->logical_parameters);
    out_fmt(o, "%sLogical parameters: %s", li, num);
    if (mm_config_quant_method(m->cfg) != NULL) {
        fmt_thousands(a, sizeof(a), m->stored_parameters);
        out_str(o, " (quantization: ");
        out_text(o, mm_config_quant_method(m->cfg));
        out_fmt(o, "; %s elements as stored)", a);
    }
    out_str(o, "\n");
    if (!m->any) {
        return;
    }
    if (r->has_inference) {
        heading(head, sizeof(head), m, "Inference");
        snprintf(title, sizeof(title), "%s", head);
        n = inference_parts(parts, &r->inference);
        scenario(o, m, title, parts, n, r->inference.total_bytes, markdown);
        render_runtime_text_detail(o, m, markdown, false);
    }
    if (r->has_training) {
        heading(head, sizeof(head), m, "Training");
        snprintf(title, sizeof(title), "%s (%s, %s, %s%s%s%s)", head, trains[p->train],
                 opts[p->optimizer], precs[p->precision],
                 r->training.checkpointing ? ", gradient checkpointing" : "",
                 r->eager_attention ? ", eager attention" : "",
                 p->loss == MM_LOSS_FUSED ? ", fused loss"
                                          : p->loss == MM_LOSS_16BIT ? ", 16-bit loss" : "");
        n = training_parts(parts, &r->training);
        scenario(o, m, title, parts, n, r->training.total_bytes, markdown);
        fmt_thousands(num, sizeof(num), r->training.trainable_parameters);
        fmt_size(a, sizeof(a), r->training.activations_full_bytes);
        fmt_size(b, sizeof(b), r->training.activations_checkpointed_bytes);
        out_fmt(o, "%strainable parameters %s; activations %s without, %s with gradient "
                   "checkpointing\n",
                markdown ? "\n- " : "  ", num, a, b);
    }
    devices(o, m, markdown);
}

/* Per-device totals and the verdict for --gpu. */
static void devices(struct out *o, const struct cli_memory *m, bool markdown)
{
    const struct mm_memory *r = &m->result;
    const struct mm_memory_params *p = &m->params;
    char a[32];
    if (p->gpus > 1 || (r->has_training && p->parallel != MM_PAR_NONE &&
                        p->parallel != MM_PAR_DP)) {
        struct part parts[MAX_PARTS];
        char title[128];
        size_t n;
        if (r->has_inference && p->gpus > 1) {
            snprintf(title, sizeof(title), "Inference per device (%u GPUs, %s)", p->gpus,
                     parallel_name(m));
            n = inference_parts(parts, &r->device_inference);
            scenario(o, m, title, parts, n, r->device_inference.total_bytes, markdown);
            render_runtime_text_detail(o, m, markdown, true);
        }
        if (r->has_training) {
            snprintf(title, sizeof(title), "Training per device (%u GPU%s, %s)", p->gpus,
                     p->gpus > 1 ? "s" : "", par_name(r->device_training.parallel));
            n = training_parts(parts, &r->device_training);
            scenario(o, m, title, parts, n, r->device_training.total_bytes, markdown);
        }
    }
    if (p->device_bytes != 0) {
        fmt_size(a, sizeof(a), p->device_bytes);
        out_fmt(o, "\n%s%s (usable %s per device):\n%s", markdown ? "### " : "",
                m->gpu_title[0] != '\0' ? m->gpu_title
                : m->gpu != NULL       ? m->gpu->name
                                       : m->gpu_label,
                a, markdown ? "\n" : "");
        if (r->has_inference) {
            char what[64];
            snprintf(what, sizeof(what), "inference (%s, %s)", mm_runtime_name(r->runtime),
                     parallel_name(m));
            verdict(o, markdown, what, r->device.inference_fits, r->device.inference_headroom,
                    r->device.inference_min_gpus);
            render_runtime_text_fits(o, m, markdown);
        }
        if (r->has_training) {
            training_verdict(o, m, markdown);
        }
    }
}

/* ---- JSON --------------------------------------------------------------------- */

static void member(struct out *o, const char *key, uint64_t v, bool first)
{
    out_str(o, first ? "" : ", ");
    out_json_str(o, key);
    out_str(o, ": ");
    out_u64(o, v);
}

static void json_inference(struct out *o, const struct cli_memory *m,
                           const struct mm_inference *in, const struct mm_runtime_detail *d)
{
    out_str(o, "{");
    member(o, "weights_bytes", in->weights_bytes, true);
    member(o, "kv_cache_bytes", in->kv_cache_bytes, false);
    member(o, "activation_bytes", in->activation_bytes, false);
    member(o, "overhead_bytes", in->overhead_bytes, false);
    member(o, "total_bytes", in->total_bytes, false);
    member(o, "kv_bytes_per_token", in->kv_bytes_per_token, false);
    member(o, "state_bytes", in->state_bytes, false);
    render_runtime_json_inference(o, m, in, d);
    out_str(o, "}");
}

static void json_training(struct out *o, const struct mm_training *t)
{
    out_str(o, "{");
    member(o, "trainable_parameters", t->trainable_parameters, true);
    member(o, "weights_bytes", t->weights_bytes, false);
    member(o, "master_weights_bytes", t->master_bytes, false);
    member(o, "gradients_bytes", t->gradients_bytes, false);
    member(o, "optimizer_bytes", t->optimizer_bytes, false);
    member(o, "activation_bytes", t->activation_bytes, false);
    member(o, "activations_no_checkpointing_bytes", t->activations_full_bytes, false);
    member(o, "activations_checkpointing_bytes", t->activations_checkpointed_bytes, false);
    member(o, "loss_bytes", t->loss_bytes, false);
    member(o, "buffers_bytes", t->buffers_bytes, false);
    member(o, "fragmentation_bytes", t->fragmentation_bytes, false);
    member(o, "overhead_bytes", t->overhead_bytes, false);
    member(o, "total_bytes", t->total_bytes, false);
    out_str(o, ", \"checkpointing\": ");
    out_str(o, t->checkpointing ? "true" : "false");
    out_str(o, ", \"parallel\": ");
    out_json_str(o, par_name(t->parallel));
    out_str(o, "}");
}

static void json_geometry(struct out *o, const struct mm_geometry *g)
{
    out_str(o, "{");
    member(o, "layers", g->layers, true);
    member(o, "hidden_size", g->hidden, false);
    member(o, "attention_heads", g->heads, false);
    member(o, "kv_heads", g->kv_heads, false);
    member(o, "head_dim", g->head_dim, false);
    member(o, "intermediate_size", g->intermediate, false);
    member(o, "vocab_size", g->vocab, false);
    member(o, "sliding_window", g->sliding_window, false);
    member(o, "sliding_layers", g->sliding_layers, false);
    member(o, "kv_lora_rank", g->kv_lora_rank, false);
    member(o, "qk_rope_head_dim", g->qk_rope_head_dim, false);
    member(o, "no_kv_layers", g->no_kv_layers, false);
    member(o, "state_layers", g->state_layers, false);
    member(o, "conv_state_elements", g->conv_state_elems, false);
    member(o, "recurrent_state_elements", g->recurrent_state_elems, false);
    out_str(o, ", \"encoder_only\": ");
    out_str(o, g->encoder_only ? "true" : "false");
    out_str(o, "}");
}

/* "inference": true, "inference_headroom_bytes": N, "inference_min_gpus": N */
static void fit(struct out *o, const char *what, int fits, int64_t headroom, unsigned min)
{
    out_fmt(o, ", \"%s\": %s, \"%s_headroom_bytes\": ", what, fits ? "true" : "false", what);
    out_i64(o, headroom);
    out_fmt(o, ", \"%s_min_gpus\": ", what);
    if (min > 0) {
        out_u64(o, min);
    } else {
        out_str(o, "null");
    }
}

/* The training verdict: fits, headroom, smallest count and its mode, the
 * longest context, and the one change that makes it fit (null when it
 * fits or none does). */
static void json_training_fit(struct out *o, const struct mm_device *d)
{
    static const char *const changes[] = {"", "grad_checkpointing", "optimizer_8bit", "zero",
                                          "qlora", "context"};
    fit(o, "training", d->training_fits, d->training_headroom, d->training_min_gpus);
    out_str(o, ", \"training_parallel\": ");
    if (d->training_min_gpus > 0) {
        out_json_str(o, par_name(d->training_parallel));
    } else {
        out_str(o, "null");
    }
    out_str(o, ", \"training_max_context\": ");
    if (d->training_max_context > 0) {
        out_u64(o, d->training_max_context);
    } else {
        out_str(o, "null");
    }
    out_str(o, ", \"training_change\": ");
    if (d->change == MM_CHANGE_NONE) {
        out_str(o, "null");
        return;
    }
    out_str(o, "{\"change\": ");
    out_json_str(o, changes[d->change]);
    out_str(o, ", \"gpus\": ");
    out_u64(o, d->change_gpus);
    out_str(o, ", \"parallel\": ");
    out_json_str(o, par_name(d->change_parallel));
    out_str(o, ", \"context\": ");
    if (d->change == MM_CHANGE_CONTEXT) {
        out_u64(o, d->change_context);
    } else {
        out_str(o, "null");
    }
    out_str(o, "}");
}

static void json_fits(struct out *o, const struct cli_memory *m)
{
    const struct mm_memory *r = &m->result;
    out_str(o, ",\n  \"fits\": {\"gpu\": ");
    out_json_str(o, m->gpu != NULL ? m->gpu->name : m->gpu_label);
    if (m->instance != NULL) {
        out_str(o, ", \"instance\": ");
        out_json_str(o, m->instance);
    }
    out_str(o, ", ");
    member(o, "usable_bytes", m->params.device_bytes, true);
    out_str(o, ", \"parallel\": ");
    out_json_str(o, parallel_name(m));
    if (r->has_inference) {
        fit(o, "inference", r->device.inference_fits, r->device.inference_headroom,
            r->device.inference_min_gpus);
    }
    if (r->has_training) {
        json_training_fit(o, &r->device);
    } else {
        out_str(o, ", \"training_max_context\": null");
    }
    render_runtime_json_fits(o, m);
    out_str(o, "}");
}

void render_memory_json(struct out *o, const struct cli_memory *m)
{
    const struct mm_memory *r = &m->result;
    const char *q = mm_config_quant_method(m->cfg);
    const char *src = geometry_name(r->geometry.source);
    out_str(o, ",\n  \"logical_parameters\": ");
    out_u64(o, r->logical_parameters);
    out_str(o, ",\n  \"logical_parameters_by_dtype\": ");
    out_json_by_dtype(o, m->logical_by_dtype);
    out_str(o, ",\n  \"quant_method\": ");
    q != NULL ? out_json_str(o, q) : out_str(o, "null");
    if (!m->any) {
        return;
    }
    out_str(o, ",\n  \"config\": ");
    m->config_file[0] != '\0' ? out_json_str(o, m->config_file) : out_str(o, "null");
    out_str(o, ",\n  \"geometry_source\": ");
    src != NULL ? out_json_str(o, src) : out_str(o, "null");
    out_str(o, ",\n  \"geometry\": ");
    json_geometry(o, &r->geometry);
    out_str(o, ",\n  \"context\": ");
    out_u64(o, m->params.context);
    out_str(o, ",\n  \"batch\": ");
    out_u64(o, m->params.batch);
    out_str(o, ",\n  \"runtime\": ");
    out_json_str(o, mm_runtime_name(r->runtime));
    if (r->has_inference) {
        out_str(o, ",\n  \"inference\": ");
        json_inference(o, m, &r->inference, &r->detail);
    }
    if (r->has_training) {
        out_str(o, ",\n  \"training\": ");
        json_training(o, &r->training);
    }
    out_str(o, ",\n  \"per_device\": {\"gpus\": ");
    out_u64(o, m->params.gpus);
    out_str(o, ", \"parallel\": ");
    out_json_str(o, parallel_name(m));
    if (r->has_inference) {
        out_str(o, ", \"inference\": ");
        json_inference(o, m, &r->device_inference, &r->device_detail);
    }
    if (r->has_training) {
        out_str(o, ", \"training\": ");
        json_training(o, &r->device_training);
    }
    out_str(o, "}");
    if (m->params.device_bytes != 0) {
        json_fits(o, m);
    }
}
