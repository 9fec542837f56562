/* cmd_scan.c - `modelmem scan [ROOT...]`: every model under each ROOT
 * (default: the Hugging Face cache), one row each, with estimate's
 * options. A broken model is a row with its error; the exit status is 1
 * when any row has one. */
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/scan_rows.h"

struct scan_args {
    struct cli_common c;
    struct mm_estimate_params est;
    struct cli_memory *mem;
    struct mm_scan_options opts;
    enum cli_sort sort;
    const char **roots;
    size_t nroots;
};

/* --sort KEY: p->own is the struct scan_args. */
int cli_take_sort(struct cli_parse *p, const struct cli_option *opt, const char *value)
{
    struct scan_args *s = p->own;
    const int k = cli_choose(opt, value);
    if (k >= 0) {
        s->sort = (enum cli_sort)k;
    }
    return k >= 0 ? 0 : EXIT_USAGE;
}

int cli_take_all_revisions(struct cli_parse *p, const struct cli_option *opt,
                           const char *value)
{
    struct scan_args *s = p->own;
    (void)opt;
    (void)value;
    s->opts.all_revisions = 1;
    return 0;
}

static int take_root(struct cli_parse *p, const char *arg)
{
    struct scan_args *s = p->own;
    s->roots[s->nroots++] = arg;
    return 0;
}

/* EXIT_OK to go on, -1 after --help, EXIT_USAGE (printed). */
static int parse(struct scan_args *s, int argc, char **argv)
{
    struct cli_parse p;
    memset(&p, 0, sizeof(p));
    p.cmd = cli_command_find("scan");
    p.argc = argc;
    p.argv = argv;
    p.common = &s->c;
    p.memory = s->mem;
    p.est = &s->est;
    p.own = s;
    p.positional = take_root;
    return cli_parse(&p);
}

/* ORG/NAME for the main branch, ORG/NAME@REF for another ref,
 * ORG/NAME@COMMIT (shortened) for a snapshot no ref names; else the path. */
static char *display_name(const struct mm_scan_model *m)
{
    char buf[1024];
    size_t i;
    bool main_ref = false;
    if (m->id == NULL) {
        return strdup(m->path);
    }
    for (i = 0; i < m->nrefs; i++) {
        main_ref = main_ref || strcmp(m->refs[i], "main") == 0;
    }
    if (main_ref || (m->nrefs == 0 && m->revision == NULL)) {
        snprintf(buf, sizeof(buf), "%s", m->id);
    } else if (m->nrefs > 0) {
        snprintf(buf, sizeof(buf), "%s@%s", m->id, m->refs[0]);
    } else {
        snprintf(buf, sizeof(buf), "%s@%.10s", m->id, m->revision);
    }
    return strdup(buf);
}

static int cmp_name(const void *a, const void *b)
{
    const struct scan_row *x = a;
    const struct scan_row *y = b;
    const int c = strcmp(x->name, y->name);
    return c != 0 ? c : strcmp(x->model->path, y->model->path);
}

/* Largest first; rows without figures last. */
static int cmp_u64_desc(uint64_t x, uint64_t y, bool xl, bool yl)
{
    if (xl != yl) {
        return xl ? -1 : 1;
    }
    return x > y ? -1 : x < y;
}

static int cmp_size(const void *a, const void *b)
{
    const struct scan_row *x = a;
    const struct scan_row *y = b;
    const int c = cmp_u64_desc(x->disk_bytes, y->disk_bytes, x->loaded, y->loaded);
    return c != 0 ? c : cmp_name(a, b);
}

static int cmp_params(const void *a, const void *b)
{
    const struct scan_row *x = a;
    const struct scan_row *y = b;
    const int c = cmp_u64_desc(x->parameters, y->parameters, x->loaded, y->loaded);
    return c != 0 ? c : cmp_name(a, b);
}

/* The bytes of every real file of every row, each once. */
static int disk_total(uint64_t *out, const struct scan_ctx *ctx)
{
    size_t n = 0;
    size_t i;
    size_t k = 0;
    struct scan_file_id *all;
    *out = 0;
    for (i = 0; i < ctx->n; i++) {
        n += ctx->rows[i].nids;
    }
    all = malloc((n > 0 ? n : 1) * sizeof(*all));
    if (all == NULL) {
        return -1;
    }
    for (i = 0; i < ctx->n; i++) {
        if (ctx->rows[i].nids > 0) {
            memcpy(all + k, ctx->rows[i].ids, ctx->rows[i].nids * sizeof(*all));
            k += ctx->rows[i].nids;
        }
    }
    qsort(all, n, sizeof(*all), scan_cmp_file_id);
    for (i = 0; i < n; i++) {
        if (i == 0 || scan_cmp_file_id(&all[i - 1], &all[i]) != 0) {
            *out += all[i].size;
        }
    }
    free(all);
    return 0;
}

static bool utf8_locale(void)
{
    const char *cs;
    setlocale(LC_CTYPE, "");
    cs = nl_langinfo(CODESET);
    return cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

/* Errors on stderr, one line each, escaped; with -v each model read; and
 * what the walk skipped. */
static void report(const struct scan_ctx *ctx, const struct mm_scan *scan, bool utf8)
{
    size_t i;
    for (i = 0; i < ctx->n && !ctx->json; i++) {
        if (ctx->rows[i].err != NULL) {
            char line[MM_ERROR_FILE_MAX + MM_ERROR_TENSOR_MAX + MM_ERROR_MESSAGE_MAX + 64];
            char esc[sizeof(line) * 4];
            mm_error_format(line, sizeof(line), ctx->rows[i].err);
            out_text_escape(esc, sizeof(esc), line, utf8);
            fprintf(stderr, "modelmem: %s\n", esc);
        }
    }
    for (i = 0; i < ctx->n && ctx->c->verbose; i++) {
        const struct scan_row *r = &ctx->rows[i];
        if (r->loaded) {
            char esc[4096];
            out_text_escape(esc, sizeof(esc), r->model->path, utf8);
            fprintf(stderr, "modelmem: read %s (%s, %llu files, %llu bytes on disk)\n", esc,
                    r->format, (unsigned long long)r->files, (unsigned long long)r->disk_bytes);
        }
    }
    if (ctx->c->quiet) {
        return;
    }
    if (mm_scan_too_deep(scan) > 0) {
        fprintf(stderr,
                "modelmem: warning: %zu folders deeper than %u levels below a ROOT "
                "were not scanned\n",
                mm_scan_too_deep(scan), MM_LIMIT_SCAN_DEPTH);
    }
    if (mm_scan_links_out(scan) > 0) {
        fprintf(stderr,
                "modelmem: warning: %zu links to folders outside their ROOT were not "
                "followed\n",
                mm_scan_links_out(scan));
    }
}

/* The rows of the models `scan` found, filled and sorted as `sort` asks;
 * the bytes on disk of all of them in *disk. 0, or -1 when out of memory
 * (ctx->rows freed by the caller, scan_rows_free). */
static int fill(struct scan_ctx *ctx, const struct mm_scan *scan, enum cli_sort sort,
                bool progress, uint64_t *disk)
{
    size_t i;
    ctx->n = mm_scan_count(scan);
    ctx->rows = calloc(ctx->n > 0 ? ctx->n : 1, sizeof(*ctx->rows));
    if (ctx->rows == NULL) {
        ctx->n = 0;
        return -1;
    }
    for (i = 0; i < ctx->n; i++) {
        ctx->rows[i].model = mm_scan_model(scan, i);
        ctx->rows[i].name = display_name(ctx->rows[i].model);
        if (ctx->rows[i].name == NULL) {
            return -1;
        }
    }
    if (scan_rows_run(ctx, progress) != 0 || disk_total(disk, ctx) != 0) {
        return -1;
    }
    qsort(ctx->rows, ctx->n, sizeof(*ctx->rows),
          sort == CLI_SORT_SIZE     ? cmp_size
          : sort == CLI_SORT_PARAMS ? cmp_params
                                : cmp_name);
    return 0;
}

static void rows_free(struct scan_ctx *ctx)
{
    size_t i;
    for (i = 0; ctx->rows != NULL && i < ctx->n; i++) {
        scan_row_free(&ctx->rows[i]);
    }
    free(ctx->rows);
    ctx->rows = NULL;
}

int scan_json_document(FILE *f, const struct mm_scan *scan, const char *const *roots,
                       size_t nroots)
{
    const struct mm_estimate_params est = MM_ESTIMATE_PARAMS_INIT;
    struct cli_common c;
    struct scan_ctx ctx;
    struct cli_memory *mem = malloc(sizeof(*mem));
    struct out *o = malloc(sizeof(*o));
    uint64_t disk = 0;
    int rc = -1;
    memset(&c, 0, sizeof(c));
    memset(&ctx, 0, sizeof(ctx));
    c.json = true;
    c.quiet = true;
    if (mem != NULL && o != NULL) {
        cli_memory_init(mem);
        ctx.c = &c;
        ctx.est = &est;
        ctx.mem = mem;
        ctx.json = true;
        if (fill(&ctx, scan, CLI_SORT_NAME, false, &disk) == 0) {
            out_init(o, f);
            render_scan_json(o, &ctx, roots, nroots, disk);
            out_flush(o);
            rc = 0;
        }
        rows_free(&ctx);
        cli_memory_free(mem);
    }
    free(mem);
    free(o);
    return rc;
}

static int run(struct scan_args *s)
{
    struct mm_scan *scan = NULL;
    struct scan_ctx ctx;
    struct mm_error err;
    struct out *o = NULL;
    const char *nc = getenv("NO_COLOR");
    const bool utf8 = utf8_locale();
    uint64_t disk = 0;
    size_t i;
    int rc = EXIT_OK;
    memset(&ctx, 0, sizeof(ctx));
    if (mm_scan_find(&scan, s->roots, s->nroots, &s->opts, &err) != MM_OK) {
        cli_print_error(&err);
        return EXIT_INPUT;
    }
    ctx.c = &s->c;
    ctx.est = &s->est;
    ctx.mem = s->mem;
    ctx.json = s->c.json;
    o = malloc(sizeof(*o));
    if (o == NULL || fill(&ctx, scan, s->sort,
                          isatty(STDERR_FILENO) && !s->c.quiet && (nc == NULL || nc[0] == '\0'),
                          &disk) != 0) {
        fputs("modelmem: out of memory\n", stderr);
        rc = EXIT_INPUT;
        goto out;
    }
    out_init(o, stdout);
    if (s->c.json) {
        render_scan_json(o, &ctx, s->roots, s->nroots, disk);
    } else {
        render_scan_text(o, &ctx, disk, utf8);
    }
    out_flush(o);
    report(&ctx, scan, utf8);
    for (i = 0; i < ctx.n; i++) {
        rc = ctx.rows[i].err != NULL ? EXIT_INPUT : rc;
    }
out:
    rows_free(&ctx);
    free(o);
    mm_scan_free(scan);
    return rc;
}

int cli_scan(int argc, char **argv)
{
    const struct mm_estimate_params est = MM_ESTIMATE_PARAMS_INIT;
    struct scan_args s;
    char cache[4096];
    int rc;
    memset(&s, 0, sizeof(s));
    s.est = est;
    s.opts.version = MM_SCAN_OPTIONS_VERSION;
    s.mem = malloc(sizeof(*s.mem));
    s.roots = calloc((size_t)(argc > 0 ? argc : 1) + 1, sizeof(char *));
    if (s.mem == NULL || s.roots == NULL) {
        free(s.mem);
        free(s.roots);
        fputs("modelmem: out of memory\n", stderr);
        return EXIT_INPUT;
    }
    cli_memory_init(s.mem);
    rc = parse(&s, argc, argv);
    if (rc == EXIT_OK && s.nroots == 0) {
        if (cli_hf_cache_dir(cache, sizeof(cache)) != 0) {
            rc = cli_usage_error("scan: no ROOT given, and no Hugging Face cache folder "
                                 "(HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME and HOME are unset)");
        } else {
            s.roots[s.nroots++] = cache;
        }
    }
    if (rc == EXIT_OK) {
        rc = run(&s);
    } else if (rc < 0) {
        rc = EXIT_OK;
    }
    cli_memory_free(s.mem);
    free(s.mem);
    free(s.roots);
    return rc;
}
