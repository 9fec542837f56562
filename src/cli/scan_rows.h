/* scan_rows.h - `modelmem scan`: one row per model found, filled by a small
 * pool of workers (scan_rows.c), rendered by render_scan.c. */
#ifndef MM_SCAN_ROWS_H
#define MM_SCAN_ROWS_H

#include "cli/cli.h"

/* A file on disk, so that a blob two snapshots share counts once. */
struct scan_file_id {
    uint64_t dev;
    uint64_t ino;
    uint64_t size;
};

/* Orders by (dev, ino), for qsort. */
int scan_cmp_file_id(const void *a, const void *b);

struct scan_row {
    const struct mm_scan_model *model;
    char *name;           /* ORG/NAME[@REF] or the path, as the text shows it */
    struct mm_error *err; /* NULL when the row is fine */
    bool loaded;          /* the figures below are known */
    char format[32];      /* "safetensors", "gguf+pytorch" */
    uint64_t files;
    uint64_t tensors;
    uint64_t parameters;
    uint64_t stored_bytes;
    uint64_t disk_bytes; /* the weight files' sizes, each real file once */
    uint64_t by_dtype[MM_DTYPE_COUNT_];
    bool has_memory;          /* the memory plan was computed */
    uint64_t inference_bytes; /* per device */
    uint64_t training_bytes;
    int fits; /* the verdict the FITS column shows */
    unsigned min_gpus;
    char *estimate_json;      /* the "estimate" object (--json only) */
    struct scan_file_id *ids; /* the real files, sorted, unique */
    size_t nids;
};

/* What every row is computed with. */
struct scan_ctx {
    const struct cli_common *c;
    const struct mm_estimate_params *est;
    const struct cli_memory *mem; /* the options only (params, gpu) */
    bool json;
    struct scan_row *rows;
    size_t n;
};

/* Fills every row, reading up to c->threads models at once (each with one
 * loader thread, so that the total stays bounded); a progress line on
 * stderr when `progress` and the scan takes over a second. 0, or -1 when
 * out of memory. */
int scan_rows_run(struct scan_ctx *ctx, bool progress);
void scan_row_free(struct scan_row *r);

void render_scan_text(struct out *o, const struct scan_ctx *ctx, uint64_t disk_total, bool utf8);
void render_scan_json(struct out *o, const struct scan_ctx *ctx, const char *const *roots,
                      size_t nroots, uint64_t disk_total);

/* The document `modelmem scan --json ROOT...` prints (estimate's defaults,
 * sorted by name) for the models `scan` found under `roots`, written to f;
 * `modelmem serve`'s /api/models (cmd_scan.c). 0, or -1 when out of
 * memory. */
int scan_json_document(FILE *f, const struct mm_scan *scan, const char *const *roots,
                       size_t nroots);

#endif
