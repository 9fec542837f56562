/* render_scan.c - `modelmem scan`'s table (within 80 columns) and its JSON
 * document (modelmem.scan/1, CONTRACT.md).
 *
 * Names come from the file system: the text shows them through the
 * front end's one escaping writer (out_text_escape, output.c). */
#include <string.h>

#include "cli/scan_rows.h"

#define LINE_COLS 80
#define W_FORMAT 11
#define W_PARAMS 6
#define W_DTYPES 9
#define W_SIZE 11 /* "1023.99 MiB" */
#define W_FITS 7  /* "no:4096" */
#define NAME_MIN 12

/* Byte offset of column `col` of an escaped string (columns = code points). */
static size_t col_offset(const char *s, size_t col)
{
    size_t i = 0;
    size_t c = 0;
    while (s[i] != '\0' && c < col) {
        i++;
        while (((unsigned char)s[i] & 0xc0) == 0x80) {
            i++;
        }
        c++;
    }
    return i;
}

/* Writes `s` (raw) escaped in exactly `width` columns: cut in the middle
 * with an ellipsis when longer, padded (left or right) when shorter and
 * `pad`. */
static void cell_pad(struct out *o, const char *s, size_t width, bool right, bool utf8, bool pad)
{
    char esc[4096];
    const size_t cols = out_text_escape(esc, sizeof(esc), s, utf8);
    size_t i;
    if (cols > width) {
        const char *dots = utf8 ? "\xe2\x80\xa6" : "...";
        const size_t dcols = utf8 ? 1 : 3;
        const size_t keep = width > dcols ? width - dcols : 0;
        const size_t head = (keep + 1) / 2;
        const size_t tail_from = col_offset(esc, cols - (keep - head));
        out_bytes(o, esc, col_offset(esc, head));
        out_str(o, dots);
        out_str(o, esc + tail_from);
        return;
    }
    for (i = 0; pad && right && i < width - cols; i++) {
        out_bytes(o, " ", 1);
    }
    out_str(o, esc);
    for (i = 0; pad && !right && i < width - cols; i++) {
        out_bytes(o, " ", 1);
    }
}

static void cell(struct out *o, const char *s, size_t width, bool right, bool utf8)
{
    cell_pad(o, s, width, right, utf8, true);
}

/* "980", "2.17K", "124M", "7.25B", "685B", "1.20T" (three digits). */
static void fmt_count(char *buf, size_t size, uint64_t v)
{
    static const char units[] = "KMBTPE";
    double x = (double)v;
    size_t u = 0;
    if (v < 1000) {
        snprintf(buf, size, "%u", (unsigned)v);
        return;
    }
    x /= 1000.0;
    while (x >= 999.5 && u + 1 < sizeof(units) - 1) {
        x /= 1000.0;
        u++;
    }
    if (x < 9.995) {
        snprintf(buf, size, "%.2f%c", x, units[u]);
    } else if (x < 99.95) {
        snprintf(buf, size, "%.1f%c", x, units[u]);
    } else {
        snprintf(buf, size, "%.0f%c", x, units[u]);
    }
}

/* The stored dtypes, most parameters first, within W_DTYPES columns:
 * "BF16+F32", "F16+I32+..." (an ellipsis when some are left out). */
static void dtype_mix(char *buf, size_t size, const uint64_t *by, bool utf8)
{
    const char *names[MM_DTYPE_COUNT_];
    bool used[MM_DTYPE_COUNT_] = {false};
    const char *more = utf8 ? "+\xe2\x80\xa6" : "+..";
    const size_t more_cols = utf8 ? 2 : 3;
    size_t n = 0;
    size_t all = 0;
    size_t len = 0;
    size_t i;
    for (;;) {
        size_t best = MM_DTYPE_COUNT_;
        size_t d;
        for (d = 0; d < MM_DTYPE_COUNT_; d++) {
            if (!used[d] && by[d] > 0 && (best == MM_DTYPE_COUNT_ || by[d] > by[best])) {
                best = d;
            }
        }
        if (best == MM_DTYPE_COUNT_) {
            break;
        }
        used[best] = true;
        names[n] = mm_dtype_name((enum mm_dtype)best);
        all += (n > 0) + strlen(names[n]);
        n++;
    }
    buf[0] = '\0';
    for (i = 0; i < n; i++) {
        const size_t next = len + (i > 0) + strlen(names[i]);
        /* the first always; others while they fit, with room for "+..."
         * unless everything fits */
        if (i > 0 && all > W_DTYPES && next + more_cols > W_DTYPES) {
            snprintf(buf + len, size - len, "%s", more);
            return;
        }
        if (next + 1 >= size) {
            return;
        }
        snprintf(buf + len, size - len, "%s%s", i > 0 ? "+" : "", names[i]);
        len = next;
    }
}

struct layout {
    size_t name;
    size_t format; /* up to W_FORMAT */
    size_t fits;   /* up to W_FITS */
    bool mem;
};

/* The FITS cell: "yes", "no:N" (N devices would hold it), "no", "-". */
static void verdict(char *buf, size_t size, const struct scan_row *r)
{
    if (!r->has_memory) {
        snprintf(buf, size, "-");
    } else if (r->fits) {
        snprintf(buf, size, "yes");
    } else if (r->min_gpus > 0) {
        snprintf(buf, size, "no:%u", r->min_gpus);
    } else {
        snprintf(buf, size, "no");
    }
}

static void row_text(struct out *o, const struct scan_row *r, const struct layout *l,
                     const struct scan_ctx *ctx, bool utf8)
{
    char buf[128];
    cell(o, r->name, l->name, false, utf8);
    out_str(o, "  ");
    if (!r->loaded) {
        snprintf(buf, sizeof(buf), "error: %s", mm_errcode_name(r->err->code));
        cell_pad(o, buf, LINE_COLS - l->name - 2, false, utf8, false);
        out_str(o, "\n");
        return;
    }
    cell(o, r->format, l->format, false, utf8);
    out_str(o, " ");
    fmt_count(buf, sizeof(buf), r->parameters);
    cell(o, buf, W_PARAMS, true, utf8);
    out_str(o, " ");
    if (!l->mem) {
        dtype_mix(buf, sizeof(buf), r->by_dtype, utf8);
        cell(o, buf, W_DTYPES, false, utf8);
        out_str(o, " ");
    }
    fmt_size(buf, sizeof(buf), r->disk_bytes);
    cell(o, buf, W_SIZE, true, utf8);
    if (l->mem) {
        out_str(o, " ");
        if (r->has_memory) {
            fmt_size(buf, sizeof(buf),
                     ctx->mem->params.train != MM_TRAIN_NONE ? r->training_bytes
                                                             : r->inference_bytes);
        } else {
            snprintf(buf, sizeof(buf), "-");
        }
        cell(o, buf, W_SIZE, true, utf8);
    }
    if (l->fits > 0) {
        out_str(o, " ");
        verdict(buf, sizeof(buf), r);
        cell(o, buf, l->fits, true, utf8);
    }
    out_str(o, "\n");
}

void render_scan_text(struct out *o, const struct scan_ctx *ctx, uint64_t disk_total, bool utf8)
{
    struct layout l = {0, 6, 0, false}; /* "FORMAT" */
    size_t fixed;
    size_t longest = 5; /* "MODEL" */
    size_t errors = 0;
    uint64_t params = 0;
    size_t i;
    char line[LINE_COLS * 4 + 1];
    char a[64];
    char b[64];
    l.mem = ctx->mem->any;
    l.fits = ctx->mem->params.device_bytes != 0 ? 4 : 0; /* "FITS" */
    for (i = 0; i < ctx->n; i++) {
        char esc[4096];
        const size_t cols = out_text_escape(esc, sizeof(esc), ctx->rows[i].name, utf8);
        const size_t fcols = strlen(ctx->rows[i].format);
        longest = cols > longest ? cols : longest;
        l.format = fcols > l.format ? (fcols < W_FORMAT ? fcols : W_FORMAT) : l.format;
        if (l.fits > 0) {
            verdict(esc, sizeof(esc), &ctx->rows[i]);
            l.fits = strlen(esc) > l.fits ? (strlen(esc) < W_FITS ? strlen(esc) : W_FITS) : l.fits;
        }
        errors += ctx->rows[i].err != NULL;
        params += ctx->rows[i].loaded ? ctx->rows[i].parameters : 0;
    }
    /* with the memory columns the dtypes give way (JSON has them) */
    fixed = l.format + 1 + W_PARAMS + 1 + W_SIZE + 2;
    fixed += l.mem ? W_SIZE + 1 : W_DTYPES + 1;
    fixed += l.fits > 0 ? l.fits + 1 : 0;
    l.name = LINE_COLS - fixed;
    l.name = l.name < NAME_MIN ? NAME_MIN : l.name;
    l.name = longest < l.name ? longest : l.name;
    cell(o, "MODEL", l.name, false, utf8);
    out_str(o, "  ");
    cell(o, "FORMAT", l.format, false, utf8);
    out_str(o, " ");
    cell(o, "PARAMS", W_PARAMS, true, utf8);
    out_str(o, " ");
    if (!l.mem) {
        cell(o, "DTYPES", W_DTYPES, false, utf8);
        out_str(o, " ");
    }
    cell(o, "DISK", W_SIZE, true, utf8);
    if (l.mem) {
        out_str(o, " ");
        cell(o, ctx->mem->params.train != MM_TRAIN_NONE ? "TRAINING" : "INFERENCE", W_SIZE, true,
             utf8);
    }
    if (l.fits > 0) {
        out_str(o, " ");
        cell(o, "FITS", l.fits, true, utf8);
    }
    out_str(o, "\n");
    for (i = 0; i < ctx->n; i++) {
        row_text(o, &ctx->rows[i], &l, ctx, utf8);
    }
    fmt_thousands(a, sizeof(a), params);
    fmt_size(b, sizeof(b), disk_total);
    snprintf(line, sizeof(line), "%zu model%s, %zu with errors; %s parameters; %s on disk", ctx->n,
             ctx->n == 1 ? "" : "s", errors, a, b);
    cell_pad(o, line, LINE_COLS, false, utf8, false);
    out_str(o, "\n");
}

static void json_str_or_null(struct out *o, const char *s)
{
    if (s != NULL) {
        out_json_str(o, s);
    } else {
        out_str(o, "null");
    }
}

static void row_json(struct out *o, const struct scan_row *r)
{
    const struct mm_scan_model *m = r->model;
    size_t i;
    out_str(o, "{\"id\": ");
    json_str_or_null(o, m->id);
    out_str(o, ", \"revision\": ");
    json_str_or_null(o, m->revision);
    out_str(o, ", \"refs\": ");
    if (m->id == NULL) {
        out_str(o, "null");
    } else {
        out_str(o, "[");
        for (i = 0; i < m->nrefs; i++) {
            out_str(o, i > 0 ? ", " : "");
            out_json_str(o, m->refs[i]);
        }
        out_str(o, "]");
    }
    out_str(o, ", \"path\": ");
    out_json_str(o, m->path);
    if (r->loaded) {
        out_str(o, ", \"format\": ");
        out_json_str(o, r->format);
        out_str(o, ", \"files\": ");
        out_u64(o, r->files);
        out_str(o, ", \"tensors\": ");
        out_u64(o, r->tensors);
        out_str(o, ", \"parameters\": ");
        out_u64(o, r->parameters);
        out_str(o, ", \"parameters_by_dtype\": ");
        out_json_by_dtype(o, r->by_dtype);
        out_str(o, ", \"stored_bytes\": ");
        out_u64(o, r->stored_bytes);
        out_str(o, ", \"disk_bytes\": ");
        out_u64(o, r->disk_bytes);
    } else {
        out_str(o, ", \"format\": null, \"files\": null, \"tensors\": null, \"parameters\": "
                   "null, \"parameters_by_dtype\": null, \"stored_bytes\": null, "
                   "\"disk_bytes\": null");
    }
    out_str(o, ",\n     \"estimate\": ");
    out_str(o, r->estimate_json != NULL ? r->estimate_json : "null");
    out_str(o, ",\n     \"error\": ");
    if (r->err == NULL) {
        out_str(o, "null}");
        return;
    }
    {
        char line[MM_ERROR_FILE_MAX + MM_ERROR_TENSOR_MAX + MM_ERROR_MESSAGE_MAX + 64];
        mm_error_format(line, sizeof(line), r->err);
        out_str(o, "{\"code\": ");
        out_json_str(o, mm_errcode_name(r->err->code));
        out_str(o, ", \"message\": ");
        out_json_str(o, line);
        out_str(o, "}}");
    }
}

void render_scan_json(struct out *o, const struct scan_ctx *ctx, const char *const *roots,
                      size_t nroots, uint64_t disk_total)
{
    size_t i;
    size_t errors = 0;
    uint64_t params = 0;
    out_str(o, "{\n  \"schema\": \"modelmem.scan/1\",\n  \"roots\": [");
    for (i = 0; i < nroots; i++) {
        out_str(o, i > 0 ? ", " : "");
        out_json_str(o, roots[i]);
    }
    out_str(o, "],\n  \"models\": [");
    for (i = 0; i < ctx->n; i++) {
        out_str(o, i == 0 ? "\n    " : ",\n    ");
        row_json(o, &ctx->rows[i]);
        errors += ctx->rows[i].err != NULL;
        params += ctx->rows[i].loaded ? ctx->rows[i].parameters : 0;
    }
    out_str(o,
            ctx->n > 0 ? "\n  ],\n  \"totals\": {\"models\": " : "],\n  \"totals\": {\"models\": ");
    out_u64(o, ctx->n);
    out_str(o, ", \"errors\": ");
    out_u64(o, errors);
    out_str(o, ", \"parameters\": ");
    out_u64(o, params);
    out_str(o, ", \"disk_bytes\": ");
    out_u64(o, disk_total);
    out_str(o, "}\n}\n");
}
