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

/* Each column as wide as its header and its widest cell, into w; returns
 * the sum. */
static size_t column_widths(size_t *w, char cells[][NCOLS][CELL], size_t nrows)
{
    size_t sum = 0;
    size_t c;
    size_t i;
    for (c = 0; c < NCOLS; c++) {
        w[c] = out_text_width(headers[c]);
        for (i = 0; i < nrows; i++) {
            const size_t cw = out_text_width(cells[i][c]);
            w[c] = cw > w[c] ? cw : w[c];
        }
        sum += w[c];
    }
    return sum;
}

static void ascii_table(struct out *o, const char *title, char cells[][NCOLS][CELL],
                        size_t nrows)
{
    size_t w[NCOLS];
    size_t sum = column_widths(w, cells, nrows);
    size_t c;
    size_t i;
    const char *row[NCOLS];
    bool cut = false;
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
        sum = column_widths(w, cells, nrows);
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

/* "BF16 26,624, F32 160" (the dtypes with a count), or "none", appended
 * to the string in buf. */
static void dtype_list_into(char *buf, size_t size, const uint64_t *counts)
{
    unsigned d;
    bool first = true;
    char num[32];
    size_t len;
    for (d = 1; d < MM_DTYPE_COUNT_; d++) {
        if (counts[d] == 0) {
            continue;
        }
        fmt_thousands(num, sizeof(num), counts[d]);
        len = strlen(buf);
        snprintf(buf + len, size - len, "%s%s %s", first ? "" : ", ",
                 mm_dtype_name((enum mm_dtype)d), num);
        first = false;
    }
    if (first) {
        len = strlen(buf);
        snprintf(buf + len, size - len, "none");
    }
}

static void dtype_list(struct out *o, const uint64_t *counts)
{
    char list[MM_DTYPE_COUNT_ * 40 + 8] = "";
    dtype_list_into(list, sizeof(list), counts);
    out_str(o, list);
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

/* inspect's listing within CLI_TEXT_COLUMNS whatever the names: each
 * tensor's name whole on its line, beside the fixed columns when it fits
 * there, else on a line of its own above them; a name wider than a whole
 * line (which cannot be shown whole on one) goes on, not cut, on lines
 * indented two more columns, broken after a '.' where one falls in the
 * line's second half. Paths in the header lines and metadata values are
 * cut in the middle ("..."); --json has them whole. */
#define NAME_MIN 16     /* the narrowest name column beside the others */
#define VALUE_MIN 24    /* the narrowest room for a metadata value */
#define SHAPE_MAX 28    /* a wider shape pushes its row's next columns */
#define ROW_MAX (MM_LIMIT_RANK * 22 + 128)

struct inspect_cols {
    size_t name;
    size_t dtype;
    size_t shape;
    size_t file;
    size_t offset;
    size_t bytes;
};

/* "[4096,11008]": a shape without spaces. */
static size_t shape_text(char *buf, size_t size, const struct mm_tensor *t)
{
    size_t sl = 0;
    uint32_t k;
    buf[sl++] = '[';
    for (k = 0; k < t->rank && sl + 24 < size; k++) {
        sl += (size_t)snprintf(buf + sl, size - sl, "%s%llu", k > 0 ? "," : "",
                               (unsigned long long)t->shape[k]);
    }
    buf[sl++] = ']';
    buf[sl] = '\0';
    return sl;
}

static size_t digits(uint64_t v)
{
    size_t n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static size_t max_size(size_t a, size_t b)
{
    return a > b ? a : b;
}

static void inspect_layout(struct inspect_cols *c, const struct mm_inventory *inv)
{
    const size_t nt = mm_inventory_tensor_count(inv);
    size_t longest = 4; /* "NAME" */
    size_t fixed;
    size_t i;
    c->dtype = 5;  /* "DTYPE" */
    c->shape = 5;  /* "SHAPE" */
    c->file = 4;   /* "FILE" */
    c->offset = 6; /* "OFFSET" */
    c->bytes = 5;  /* "BYTES" */
    for (i = 0; i < nt; i++) {
        const struct mm_tensor *t = mm_inventory_tensor(inv, i);
        char shape[ROW_MAX];
        longest = max_size(longest, out_text_width(t->name));
        c->dtype = max_size(c->dtype, strlen(mm_dtype_name(t->dtype)));
        c->shape = max_size(c->shape, shape_text(shape, sizeof(shape), t));
        c->file = max_size(c->file, digits(t->file));
        c->offset = max_size(c->offset, digits(t->offset));
        c->bytes = max_size(c->bytes, digits(t->nbytes));
    }
    c->shape = c->shape < SHAPE_MAX ? c->shape : SHAPE_MAX;
    fixed = c->dtype + 2 + c->shape + 2 + c->file + 2 + c->offset + 2 + c->bytes;
    c->name = CLI_TEXT_COLUMNS > fixed + 4 ? CLI_TEXT_COLUMNS - fixed - 4 : 0;
    c->name = c->name < NAME_MIN ? NAME_MIN : c->name;
    c->name = longest < c->name ? longest : c->name;
}

/* A name on lines of its own: whole when it fits one, else broken. */
static void name_lines(struct out *o, const char *name, size_t n)
{
    size_t indent = 2;
    while (n > 0) {
        const size_t room = CLI_TEXT_COLUMNS - indent;
        size_t used;
        size_t k = out_text_fit(name, n, room, &used);
        if (k < n) {
            size_t dot = k;
            while (dot > 0 && name[dot - 1] != '.') {
                dot--;
            }
            if (dot > 0 && out_text_fit(name, dot, room, &used) == dot && used > room / 2) {
                k = dot;
            }
        }
        if (k == 0) {
            k = n; /* no piece is wider than a line: cannot be */
        }
        repeat(o, " ", indent);
        out_textn(o, name, k);
        out_str(o, "\n");
        name += k;
        n -= k;
        indent = 4;
    }
}

/* The columns after the name, padded as laid out; returns its columns. */
static size_t row_fixed(char *buf, size_t size, const struct inspect_cols *c,
                        const struct mm_tensor *t)
{
    char shape[ROW_MAX];
    int n;
    shape_text(shape, sizeof(shape), t);
    n = snprintf(buf, size, "%-*s  %-*s  %*u  %*llu  %*llu", (int)c->dtype,
                 mm_dtype_name(t->dtype), (int)c->shape, shape, (int)c->file, t->file,
                 (int)c->offset, (unsigned long long)t->offset, (int)c->bytes,
                 (unsigned long long)t->nbytes);
    return n < 0 ? 0 : strlen(buf);
}

static void tensor_row(struct out *o, const struct inspect_cols *c, const struct mm_tensor *t)
{
    char fixed[ROW_MAX];
    const size_t fw = row_fixed(fixed, sizeof(fixed), c, t);
    const size_t tw = out_text_width(t->name);
    if (tw <= c->name && 2 + c->name + 2 + fw <= CLI_TEXT_COLUMNS) {
        out_str(o, "  ");
        out_text(o, t->name);
        repeat(o, " ", c->name - tw);
        out_str(o, "  ");
        out_str(o, fixed);
        out_str(o, "\n");
        return;
    }
    name_lines(o, t->name, strlen(t->name));
    if (2 + c->name + 2 + fw <= CLI_TEXT_COLUMNS) {
        repeat(o, " ", 2 + c->name + 2);
        out_str(o, fixed);
        out_str(o, "\n");
    } else {
        /* a shape too wide for its column (numbers only) */
        char line[ROW_MAX + 8];
        const int n = snprintf(line, sizeof(line), "    %s", fixed);
        cli_fold(o, line, n < 0 ? 0 : strlen(line), CLI_TEXT_COLUMNS);
    }
}

static void inspect_files(struct out *o, const struct mm_inventory *inv)
{
    const size_t nf = mm_inventory_file_count(inv);
    size_t i;
    out_str(o, "files:\n");
    for (i = 0; i < nf; i++) {
        const struct mm_file *f = mm_inventory_file(inv, i);
        char head[32];
        char size[32];
        char tail[96];
        size_t used;
        fmt_size(size, sizeof(size), f->bytes);
        snprintf(tail, sizeof(tail), "  %s, header %llu bytes", size,
                 (unsigned long long)f->header_bytes);
        snprintf(head, sizeof(head), "  [%zu] ", i);
        used = strlen(head) + 2 + out_text_width(f->format) + strlen(tail);
        out_str(o, head);
        out_text_cut(o, f->path, CLI_TEXT_COLUMNS > used + 8 ? CLI_TEXT_COLUMNS - used : 8);
        out_str(o, "  ");
        out_text(o, f->format);
        out_str(o, tail);
        out_str(o, "\n");
    }
}

/* "  [0] key = value": the value cut to the line; a key too wide to leave
 * it room goes on lines of its own, the value on the next. */
static void inspect_meta(struct out *o, const struct mm_inventory *inv)
{
    const size_t nm = mm_inventory_meta_count(inv);
    size_t i;
    if (nm == 0) {
        return;
    }
    out_str(o, "metadata:\n");
    for (i = 0; i < nm; i++) {
        const struct mm_meta *m = mm_inventory_meta(inv, i);
        char head[32];
        const size_t kw = out_text_width(m->key);
        size_t hw;
        snprintf(head, sizeof(head), "  [%u] ", m->file);
        hw = strlen(head);
        if (hw + kw + 3 + VALUE_MIN <= CLI_TEXT_COLUMNS) {
            out_str(o, head);
            out_text(o, m->key);
            out_str(o, " = ");
            out_text_cut(o, m->value, CLI_TEXT_COLUMNS - hw - kw - 3);
        } else {
            out_bytes(o, head, hw - 1);
            out_str(o, "\n");
            name_lines(o, m->key, strlen(m->key));
            out_str(o, "    = ");
            out_text_cut(o, m->value, CLI_TEXT_COLUMNS - 6);
        }
        out_str(o, "\n");
    }
}

/* The totals, folded as estimate's text is. */
static void inspect_totals(struct out *o, const struct mm_inventory *inv)
{
    const struct mm_totals *tot = mm_inventory_totals(inv);
    char line[MM_DTYPE_COUNT_ * 40 + 160];
    char num[32];
    char size[32];
    size_t len;
    fmt_thousands(num, sizeof(num), tot->parameters);
    snprintf(line, sizeof(line), "totals: %llu tensors, %s parameters (",
             (unsigned long long)tot->tensors, num);
    dtype_list_into(line, sizeof(line), tot->parameters_by_dtype);
    fmt_thousands(num, sizeof(num), tot->bytes);
    fmt_size(size, sizeof(size), tot->bytes);
    len = strlen(line);
    snprintf(line + len, sizeof(line) - len, "), %s bytes (%s)", num, size);
    cli_fold(o, line, strlen(line), CLI_TEXT_COLUMNS);
}

void render_inspect_text(struct out *o, const struct mm_inventory *inv, const char *target)
{
    const size_t nt = mm_inventory_tensor_count(inv);
    struct inspect_cols c;
    size_t i;
    inspect_layout(&c, inv);
    out_text_cut(o, target, CLI_TEXT_COLUMNS);
    out_str(o, "\n");
    inspect_files(o, inv);
    out_fmt(o, "tensors:\n  %-*s  %-*s  %-*s  %*s  %*s  %*s\n", (int)c.name, "NAME", (int)c.dtype,
            "DTYPE", (int)c.shape, "SHAPE", (int)c.file, "FILE", (int)c.offset, "OFFSET",
            (int)c.bytes, "BYTES");
    for (i = 0; i < nt; i++) {
        tensor_row(o, &c, mm_inventory_tensor(inv, i));
    }
    inspect_meta(o, inv);
    inspect_totals(o, inv);
}
