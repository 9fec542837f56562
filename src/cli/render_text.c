/* render_text.c - tables for people: inspect's listing and accelerate's
 * estimate table (box drawing as accelerate's create_ascii_table draws it,
 * or Markdown). Names, paths and metadata from the files, and TARGET, are
 * written with out_text and measured with out_text_width. */
#include <string.h>

#include "cli/cli.h"

static void repeat(struct out *o, const char *s, size_t n)
{
    while (n-- > 0) {
        out_str(o, s);
    }
}

/* Python's str.center(w): the odd space goes left when w is odd. */
static void centered(struct out *o, const char *s, size_t w)
{
    const size_t len = out_text_width(s);
    size_t marg;
    size_t left;
    if (len >= w) {
        out_text(o, s);
        return;
    }
    marg = w - len;
    left = marg / 2 + (marg & w & 1);
    repeat(o, " ", left);
    out_text(o, s);
    repeat(o, " ", marg - left);
}

/* The title's row: centred as accelerate does, or when `cut` and wider
 * than the box, cut into lines of `inner` columns (after a '/' or a space
 * where one is in the second half), each centred. */
static void title_lines(struct out *o, const char *title, size_t inner, bool cut_it)
{
    char part[MM_ERROR_FILE_MAX + 64];
    const char *s = title;
    if (!cut_it || out_text_width(title) <= inner) {
        out_str(o, "│");
        centered(o, title, inner);
        out_str(o, "│\n");
        return;
    }
    while (*s != '\0') {
        size_t n = 0;
        size_t cut = 0;
        size_t cols = 0;
        while (s[n] != '\0' && n + 8 < sizeof(part)) {
            size_t step = 1;
            while (((unsigned char)s[n + step] & 0xc0) == 0x80) {
                step++;
            }
            memcpy(part + n, s + n, step);
            part[n + step] = '\0';
            if (out_text_width(part) > inner) {
                break;
            }
            n += step;
            cols = out_text_width(part);
            if ((s[n - 1] == '/' || s[n - 1] == ' ') && cols > inner / 2) {
                cut = n;
            }
        }
        if (s[n] == '\0' || cut == 0) {
            cut = n;
        }
        if (cut == 0) {
            cut = 1; /* one escaped byte wider than the box: cannot be */
        }
        memcpy(part, s, cut);
        part[cut] = '\0';
        out_str(o, "│");
        centered(o, part, inner);
        out_str(o, "│\n");
        s += cut;
    }
}

#define NCOLS 4
#define CELL 48

/* accelerate's rows, then for a GGUF file its own type as stored
 * ("Q4_K_M (as stored)": the stored bytes, the layer group with the most of
 * them; no training figure). Returns the rows filled. */
static size_t cells_for(char cells[][NCOLS][CELL], const struct mm_estimate *e)
{
    size_t i;
    if (e->stored_type[0] != '\0') {
        snprintf(cells[e->nrows][0], CELL, "%s (as stored)", e->stored_type);
        fmt_size(cells[e->nrows][1], CELL, e->largest_stored_layer_bytes);
        fmt_size(cells[e->nrows][2], CELL, e->stored_bytes);
        snprintf(cells[e->nrows][3], CELL, "N/A");
    }
    for (i = 0; i < e->nrows; i++) {
        const struct mm_estimate_row *r = &e->rows[i];
        snprintf(cells[i][0], CELL, "%s", mm_est_dtype_name(r->dtype));
        fmt_size(cells[i][1], CELL, r->largest_layer_bytes);
        fmt_size(cells[i][2], CELL, r->total_bytes);
        if (r->has_training) {
            fmt_size(cells[i][3], CELL, r->training_adam_bytes);
        } else {
            snprintf(cells[i][3], CELL, "N/A");
        }
    }
    return e->nrows + (e->stored_type[0] != '\0');
}

static const char *const headers[NCOLS] = {"dtype", "Largest Layer", "Total Size",
                                           "Training using Adam"};

static void box_line(struct out *o, const char *l, const char *m, const char *r,
                     const size_t *w)
{
    size_t c;
    out_str(o, l);
    for (c = 0; c < NCOLS; c++) {
        if (c > 0) {
            out_str(o, m);
        }
        repeat(o, "─", w[c]);
    }
    out_str(o, r);
    out_str(o, "\n");
}

static void box_row(struct out *o, const char *const *cells, const size_t *w)
{
    size_t c;
    out_str(o, "│");
    for (c = 0; c < NCOLS; c++) {
        if (c > 0) {
            out_str(o, "│");
        }
        centered(o, cells[c], w[c]);
    }
    out_str(o, "│\n");
}

static void ascii_table(struct out *o, const char *title, char cells[][NCOLS][CELL],
                        size_t nrows)
{
    size_t w[NCOLS];
    size_t sum = 0;
    size_t c;
    size_t i;
    const char *row[NCOLS];
    bool cut = false;
    for (c = 0; c < NCOLS; c++) {
        w[c] = out_text_width(headers[c]);
        for (i = 0; i < nrows; i++) {
            const size_t cw = out_text_width(cells[i][c]);
            w[c] = cw > w[c] ? cw : w[c];
        }
        sum += w[c];
    }
    /* accelerate widens the last column by twice the title's excess over
     * the separator line (|len(title) - len(separator)|, so even when the
     * title is only longer than the bare column widths). */
    if (out_text_width(title) > sum) {
        const size_t sep = sum + NCOLS + 1;
        const size_t tw = out_text_width(title);
        const size_t diff = tw > sep ? tw - sep : sep - tw;
        w[NCOLS - 1] += 2 * diff;
        sum += 2 * diff;
    }
    if (sum + NCOLS + 1 > CLI_TEXT_COLUMNS ||
        (out_text_width(title) > sum + NCOLS - 1 &&
         out_text_width(title) + 2 > CLI_TEXT_COLUMNS)) {
        /* a title that would pass 80 columns: the table keeps its own
         * width and the title takes several lines */
        cut = true;
        sum = 0;
        for (c = 0; c < NCOLS; c++) {
            w[c] = out_text_width(headers[c]);
            for (i = 0; i < nrows; i++) {
                const size_t cw = out_text_width(cells[i][c]);
                w[c] = cw > w[c] ? cw : w[c];
            }
            sum += w[c];
        }
    }
    {
        size_t inner = sum + NCOLS - 1;
        out_str(o, "┌");
        repeat(o, "─", inner);
        out_str(o, "┐\n");
        title_lines(o, title, inner, cut);
    }
    box_line(o, "├", "┬", "┤", w);
    box_row(o, headers, w);
    box_line(o, "├", "┼", "┤", w);
    for (i = 0; i < nrows; i++) {
        for (c = 0; c < NCOLS; c++) {
            row[c] = cells[i][c];
        }
        box_row(o, row, w);
    }
    box_line(o, "└", "┴", "┘", w);
}

static void markdown_table(struct out *o, const char *title, char cells[][NCOLS][CELL],
                           size_t nrows)
{
    size_t i;
    out_str(o, "### ");
    out_text(o, title);
    out_str(o, "\n\n| dtype | Largest Layer | Total Size | Training using Adam |\n");
    out_str(o, "|:------|--------------:|-----------:|-------------------:|\n");
    for (i = 0; i < nrows; i++) {
        out_fmt(o, "| %s | %s | %s | %s |\n", cells[i][0], cells[i][1], cells[i][2],
                cells[i][3]);
    }
}

static void dtype_list(struct out *o, const uint64_t *counts)
{
    unsigned d;
    int first = 1;
    char num[32];
    for (d = 1; d < MM_DTYPE_COUNT_; d++) {
        if (counts[d] == 0) {
            continue;
        }
        fmt_thousands(num, sizeof(num), counts[d]);
        out_fmt(o, "%s%s %s", first ? "" : ", ", mm_dtype_name((enum mm_dtype)d), num);
        first = 0;
    }
    if (first) {
        out_str(o, "none");
    }
}

void render_estimate_text(struct out *o, const struct mm_estimate *e,
                          const struct mm_inventory *inv, const char *target, bool markdown)
{
    char title[MM_ERROR_FILE_MAX + 64];
    char cells[MM_ESTIMATE_MAX_ROWS + 1][NCOLS][CELL];
    size_t rows;
    char num[32];
    char size[32];
    const char *q = markdown ? "`" : "`";
    snprintf(title, sizeof(title), "Memory Usage for loading %s%s%s", q, target, q);
    rows = cells_for(cells, e);
    if (markdown) {
        markdown_table(o, title, cells, rows);
        out_str(o, "\n");
    } else {
        ascii_table(o, title, cells, rows);
    }
    fmt_thousands(num, sizeof(num), e->parameters);
    out_fmt(o, "%sParameters: %s (", markdown ? "- " : "", num);
    dtype_list(o, e->parameters_by_dtype);
    out_str(o, ")\n");
    fmt_thousands(num, sizeof(num), e->stored_bytes);
    fmt_size(size, sizeof(size), e->stored_bytes);
    out_fmt(o, "%sStored: %s bytes (%s) in %zu file%s, %zu tensors\n", markdown ? "- " : "",
            num, size, mm_inventory_file_count(inv),
            mm_inventory_file_count(inv) == 1 ? "" : "s", mm_inventory_tensor_count(inv));
    fmt_thousands(num, sizeof(num), e->largest_layer_parameters);
    out_str(o, markdown ? "- Largest layer: " : "Largest layer: ");
    out_text(o, e->largest_layer[0] != '\0' ? e->largest_layer : "(none)");
    out_fmt(o, " (%s parameters)\n", num);
}

void render_inspect_text(struct out *o, const struct mm_inventory *inv, const char *target)
{
    const size_t nf = mm_inventory_file_count(inv);
    const size_t nt = mm_inventory_tensor_count(inv);
    const size_t nm = mm_inventory_meta_count(inv);
    const struct mm_totals *tot = mm_inventory_totals(inv);
    char num[32];
    char size[32];
    size_t i;
    size_t namew = 4;
    uint32_t k;
    for (i = 0; i < nt; i++) {
        const size_t w = out_text_width(mm_inventory_tensor(inv, i)->name);
        namew = w > namew ? w : namew;
    }
    if (namew > 60) {
        namew = 60;
    }
    out_text(o, target);
    out_str(o, "\n");
    out_str(o, "files:\n");
    for (i = 0; i < nf; i++) {
        const struct mm_file *f = mm_inventory_file(inv, i);
        fmt_size(size, sizeof(size), f->bytes);
        out_fmt(o, "  [%zu] ", i);
        out_text(o, f->path);
        out_str(o, "  ");
        out_text(o, f->format);
        out_fmt(o, "  %s, header %llu bytes\n", size, (unsigned long long)f->header_bytes);
    }
    out_fmt(o, "tensors:\n  %-*s  %-8s  %-22s  %4s  %12s  %s\n", (int)namew, "NAME", "DTYPE",
            "SHAPE", "FILE", "OFFSET", "BYTES");
    for (i = 0; i < nt; i++) {
        const struct mm_tensor *t = mm_inventory_tensor(inv, i);
        const size_t tw = out_text_width(t->name);
        char shape[256];
        size_t sl = 0;
        shape[sl++] = '[';
        for (k = 0; k < t->rank && sl < sizeof(shape) - 32; k++) {
            sl += (size_t)snprintf(shape + sl, sizeof(shape) - sl, "%s%llu", k > 0 ? ", " : "",
                                   (unsigned long long)t->shape[k]);
        }
        shape[sl++] = ']';
        shape[sl] = '\0';
        out_str(o, "  ");
        out_text(o, t->name);
        repeat(o, " ", tw < namew ? namew - tw : 0);
        out_fmt(o, "  %-8s  %-22s  %4u  %12llu  %llu\n", mm_dtype_name(t->dtype), shape, t->file,
                (unsigned long long)t->offset, (unsigned long long)t->nbytes);
    }
    if (nm > 0) {
        out_str(o, "metadata:\n");
        for (i = 0; i < nm; i++) {
            const struct mm_meta *m = mm_inventory_meta(inv, i);
            out_fmt(o, "  [%u] ", m->file);
            out_text(o, m->key);
            out_str(o, " = ");
            out_text(o, m->value);
            out_str(o, "\n");
        }
    }
    fmt_thousands(num, sizeof(num), tot->parameters);
    out_fmt(o, "totals: %llu tensors, %s parameters (", (unsigned long long)tot->tensors, num);
    dtype_list(o, tot->parameters_by_dtype);
    fmt_thousands(num, sizeof(num), tot->bytes);
    fmt_size(size, sizeof(size), tot->bytes);
    out_fmt(o, "), %s bytes (%s)\n", num, size);
}
