/* render_partial.c - an estimate made while shards are missing (a download
 * that stopped): the files the library left out have format "missing" and
 * hold the tensors it estimated for them (mm_load_options,
 * allow_missing_shards). */
#include <string.h>

#include "cli/cli.h"

static bool is_missing(const struct mm_file *f)
{
    return strcmp(f->format, "missing") == 0;
}

size_t cli_missing_count(const struct mm_inventory *inv)
{
    const size_t nf = mm_inventory_file_count(inv);
    size_t i;
    size_t n = 0;
    for (i = 0; i < nf; i++) {
        n += is_missing(mm_inventory_file(inv, i)) ? 1 : 0;
    }
    return n;
}

void render_partial_text(struct out *o, const struct mm_inventory *inv, bool markdown)
{
    const size_t missing = cli_missing_count(inv);
    if (missing == 0) {
        return;
    }
    out_fmt(o, "%spartial: %zu of %zu shards missing; figures from the index and config.json\n",
            markdown ? "- " : "", missing, mm_inventory_file_count(inv));
}

void render_partial_json(struct out *o, const struct mm_inventory *inv)
{
    const size_t nf = mm_inventory_file_count(inv);
    const size_t nt = mm_inventory_tensor_count(inv);
    uint64_t estimated = 0;
    size_t i;
    bool first = true;
    if (cli_missing_count(inv) == 0) {
        return;
    }
    out_str(o, ",\n  \"partial\": true,\n  \"missing\": [");
    for (i = 0; i < nf; i++) {
        const struct mm_file *f = mm_inventory_file(inv, i);
        if (is_missing(f)) {
            out_str(o, first ? "" : ", ");
            out_json_str(o, f->path);
            first = false;
        }
    }
    for (i = 0; i < nt; i++) {
        const struct mm_tensor *t = mm_inventory_tensor(inv, i);
        if (is_missing(mm_inventory_file(inv, t->file)) &&
            !mm_add_u64(&estimated, estimated, t->numel)) {
            estimated = UINT64_MAX;
        }
    }
    out_str(o, "],\n  \"estimated_parameters\": ");
    out_u64(o, estimated);
}
