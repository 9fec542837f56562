/* render_quant.c - quantization in the output: what --load-in quantized
 * (transformers' runtime_detail and a text line), and which quantization
 * would fit the device (fits.quantizations and the verdict's "would fit"
 * list). Output only: the figures come from mm_memory_run. */
#include "cli/cli.h"

void render_load_in_json(struct out *o, const struct mm_runtime_detail *d)
{
    const char *name = mm_load_in_name(d->load_in);
    out_str(o, ", \"load_in\": ");
    name != NULL ? out_json_str(o, name) : out_str(o, "null");
    out_json_member_u64(o, "quantized_parameters", d->quantized_parameters, name != NULL);
    out_json_member_u64(o, "quantized_bytes", d->quantized_bytes, name != NULL);
    out_json_member_u64(o, "kept_bytes", d->kept_bytes, name != NULL);
}

void render_load_in_text(struct out *o, const struct mm_runtime_detail *d, bool markdown)
{
    static const char *const how[] = {"", "bitsandbytes LLM.int8, fp32 row scales",
                                      "bitsandbytes FP4, fp32 absmax per 64",
                                      "bitsandbytes NF4, double quantization"};
    char q[32];
    char n[32];
    char k[32];
    if (d->load_in == MM_LOAD_AS_STORED || (unsigned)d->load_in > MM_LOAD_NF4) {
        return;
    }
    fmt_size(q, sizeof(q), d->quantized_bytes);
    fmt_thousands(n, sizeof(n), d->quantized_parameters);
    fmt_size(k, sizeof(k), d->kept_bytes);
    out_fmt(o, "%sloaded in %s (%s): linear weights %s (%s parameters); kept in 16 bits %s\n",
            markdown ? "\n- " : "  ", mm_load_in_name(d->load_in), how[d->load_in], q, n, k);
}

void render_quant_json_fits(struct out *o, const struct cli_memory *m)
{
    const struct mm_memory *r = &m->result;
    size_t i;
    out_str(o, ", \"quantizations\": ");
    if (!r->has_inference || r->nquant_fits == 0) {
        out_str(o, "null");
        return;
    }
    out_str(o, "[");
    for (i = 0; i < r->nquant_fits; i++) {
        const struct mm_quant_fit *f = &r->quant_fits[i];
        out_str(o, i > 0 ? ", {\"name\": " : "{\"name\": ");
        out_json_str(o, f->name);
        out_json_member_u64(o, "weights_bytes", f->weights_bytes, 1);
        out_json_member_u64(o, "total_bytes", f->total_bytes, 1);
        out_str(o, f->fits ? ", \"fits\": true}" : ", \"fits\": false}");
    }
    out_str(o, "]");
}

void render_quant_text_fits(struct out *o, const struct cli_memory *m, bool markdown)
{
    const struct mm_memory *r = &m->result;
    size_t shown = 0;
    size_t i;
    if (!r->has_inference || r->nquant_fits == 0) {
        return;
    }
    out_str(o, markdown ? "- would fit: " : "    would fit: ");
    for (i = 0; i < r->nquant_fits; i++) {
        if (r->quant_fits[i].fits) {
            out_str(o, shown > 0 ? ", " : "");
            out_str(o, r->quant_fits[i].name);
            shown++;
        }
    }
    out_str(o, shown > 0 ? "\n" : "none of ");
    if (shown == 0) {
        for (i = 0; i < r->nquant_fits; i++) {
            out_str(o, i > 0 ? ", " : "");
            out_str(o, r->quant_fits[i].name);
        }
        out_str(o, "\n");
    }
}
