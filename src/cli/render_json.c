/* render_json.c - the JSON documents of CONTRACT.md, written directly
 * (one tensor per line) so that 10^5 tensors cost little. */
#include <string.h>

#include "cli/cli.h"

/* Metadata as one object; keys from several files are prefixed with the
 * file path when they would clash (kept simple: later files win). */
static void metadata(struct out *o, const struct mm_inventory *inv)
{
    const size_t n = mm_inventory_meta_count(inv);
    size_t i;
    size_t j;
    int first = 1;
    out_str(o, "{");
    for (i = 0; i < n; i++) {
        const struct mm_meta *m = mm_inventory_meta(inv, i);
        int dup = 0;
        for (j = i + 1; j < n && !dup; j++) {
            dup = strcmp(mm_inventory_meta(inv, j)->key, m->key) == 0;
        }
        if (dup) {
            continue; /* the same key from a later file is written instead */
        }
        out_str(o, first ? "" : ", ");
        first = 0;
        out_json_str(o, m->key);
        out_str(o, ": ");
        out_json_str(o, m->value);
    }
    out_str(o, "}");
}

/* What readers noticed without failing (unknown pickle globals, ...). */
static void warnings(struct out *o, const struct mm_inventory *inv)
{
    const size_t n = mm_inventory_warning_count(inv);
    size_t i;
    out_str(o, ",\n  \"warnings\": [");
    for (i = 0; i < n; i++) {
        const struct mm_warning *w = mm_inventory_warning(inv, i);
        out_str(o, i == 0 ? "\n    {\"code\": " : ",\n    {\"code\": ");
        out_json_str(o, mm_errcode_name(w->code));
        out_str(o, ", \"file\": ");
        out_u64(o, w->file);
        out_str(o, ", \"offset\": ");
        out_i64(o, w->offset);
        out_str(o, ", \"message\": ");
        out_json_str(o, w->message);
        out_str(o, "}");
    }
    out_str(o, n > 0 ? "\n  ]" : "]");
}

void render_inspect_json(struct out *o, const struct mm_inventory *inv)
{
    const size_t nf = mm_inventory_file_count(inv);
    const size_t nt = mm_inventory_tensor_count(inv);
    const struct mm_totals *tot = mm_inventory_totals(inv);
    size_t i;
    uint32_t k;
    out_str(o, "{\n  \"schema\": \"modelmem.inventory/1\",\n  \"files\": [");
    for (i = 0; i < nf; i++) {
        const struct mm_file *f = mm_inventory_file(inv, i);
        out_str(o, i == 0 ? "\n    {\"path\": " : ",\n    {\"path\": ");
        out_json_str(o, f->path);
        out_str(o, ", \"format\": ");
        out_json_str(o, f->format);
        out_str(o, ", \"bytes\": ");
        out_u64(o, f->bytes);
        out_str(o, ", \"header_bytes\": ");
        out_u64(o, f->header_bytes);
        out_str(o, "}");
    }
    out_str(o, nf > 0 ? "\n  ],\n  \"tensors\": [" : "],\n  \"tensors\": [");
    for (i = 0; i < nt; i++) {
        const struct mm_tensor *t = mm_inventory_tensor(inv, i);
        out_str(o, i == 0 ? "\n    {\"name\": " : ",\n    {\"name\": ");
        out_json_str(o, t->name);
        out_str(o, ", \"dtype\": \"");
        out_str(o, mm_dtype_name(t->dtype));
        out_str(o, "\", \"shape\": [");
        for (k = 0; k < t->rank; k++) {
            if (k > 0) {
                out_str(o, ", ");
            }
            out_u64(o, t->shape[k]);
        }
        out_str(o, "], \"file\": ");
        out_u64(o, t->file);
        out_str(o, ", \"offset\": ");
        out_u64(o, t->offset);
        out_str(o, ", \"nbytes\": ");
        out_u64(o, t->nbytes);
        out_str(o, "}");
    }
    out_str(o, nt > 0 ? "\n  ],\n  \"metadata\": " : "],\n  \"metadata\": ");
    metadata(o, inv);
    warnings(o, inv);
    out_str(o, ",\n  \"totals\": {\"tensors\": ");
    out_u64(o, tot->tensors);
    out_str(o, ", \"parameters\": ");
    out_u64(o, tot->parameters);
    out_str(o, ", \"bytes\": ");
    out_u64(o, tot->bytes);
    out_str(o, ", \"parameters_by_dtype\": ");
    out_json_by_dtype(o, tot->parameters_by_dtype);
    out_str(o, "}\n}\n");
}

void render_estimate_json(struct out *o, const struct mm_estimate *e,
                          const struct mm_inventory *inv, const char *target,
                          const struct cli_memory *mem)
{
    render_estimate_json_members(o, e, inv, target, mem);
    out_str(o, "\n}\n");
}

void render_estimate_json_members(struct out *o, const struct mm_estimate *e,
                                  const struct mm_inventory *inv, const char *target,
                                  const struct cli_memory *mem)
{
    size_t i;
    out_str(o, "{\n  \"schema\": \"modelmem.estimate/1\",\n  \"target\": ");
    out_json_str(o, target);
    out_str(o, ",\n  \"files\": ");
    out_u64(o, mm_inventory_file_count(inv));
    out_str(o, ",\n  \"tensors\": ");
    out_u64(o, mm_inventory_tensor_count(inv));
    out_str(o, ",\n  \"parameters\": ");
    out_u64(o, e->parameters);
    out_str(o, ",\n  \"parameters_by_dtype\": ");
    out_json_by_dtype(o, e->parameters_by_dtype);
    out_str(o, ",\n  \"stored_bytes\": ");
    out_u64(o, e->stored_bytes);
    out_str(o, ",\n  \"largest_layer\": {\"name\": ");
    out_json_str(o, e->largest_layer);
    out_str(o, ", \"parameters\": ");
    out_u64(o, e->largest_layer_parameters);
    out_str(o, "},\n  \"estimates\": [");
    for (i = 0; i < e->nrows; i++) {
        const struct mm_estimate_row *r = &e->rows[i];
        out_str(o, i == 0 ? "\n    {\"dtype\": " : ",\n    {\"dtype\": ");
        out_json_str(o, mm_est_dtype_name(r->dtype));
        out_str(o, ", \"largest_layer_bytes\": ");
        out_u64(o, r->largest_layer_bytes);
        out_str(o, ", \"total_bytes\": ");
        out_u64(o, r->total_bytes);
        out_str(o, ", \"training_adam_bytes\": ");
        if (r->has_training) {
            out_u64(o, r->training_adam_bytes);
        } else {
            out_str(o, "null");
        }
        out_str(o, "}");
    }
    out_str(o, "\n  ]");
    if (e->stored_type[0] != '\0') {
        out_str(o, ",\n  \"stored\": {\"type\": ");
        out_json_str(o, e->stored_type);
        out_str(o, ", \"largest_layer\": ");
        out_json_str(o, e->largest_stored_layer);
        out_str(o, ", \"largest_layer_bytes\": ");
        out_u64(o, e->largest_stored_layer_bytes);
        out_str(o, ", \"total_bytes\": ");
        out_u64(o, e->stored_bytes);
        out_str(o, "}");
    }
    render_partial_json(o, inv);
    if (mem != NULL) {
        render_memory_json(o, mem);
    }
}
