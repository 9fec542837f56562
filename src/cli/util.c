/* util.c - errors, the options shared by every subcommand, TARGET's
 * resolution and loading. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

/* Where this thread's diagnostics go: stderr, or a stream the server
 * reads them back from (one per request, on the request's thread). */
static _Thread_local FILE *diag_stream;

FILE *cli_err_stream(void)
{
    return diag_stream != NULL ? diag_stream : stderr;
}

void cli_err_stream_set(FILE *f)
{
    diag_stream = f;
}

/* Diagnostics go to stderr through a struct out, so that text from a file
 * in them passes the one escaping writer (out_text) as it does on stdout;
 * each function flushes what it wrote before returning. */
void cli_print_error(const struct mm_error *err)
{
    char line[MM_ERROR_FILE_MAX + MM_ERROR_TENSOR_MAX + MM_ERROR_MESSAGE_MAX + 64];
    struct out e;
    out_init(&e, cli_err_stream());
    mm_error_format(line, sizeof(line), err);
    cli_json_error(mm_errcode_name(err->code), err->message, err->file, err->tensor,
                   err->offset);
    out_str(&e, "modelmem: ");
    out_text(&e, line);
    out_str(&e, "\n");
    out_flush(&e);
}

/* "modelmem: " and the formatted line, escaped, on this thread's
 * diagnostics stream (stderr but in the server). */
static void vdiag(const char *fmt, va_list ap) MM_PRINTF(1, 0);
static void vdiag(const char *fmt, va_list ap)
{
    char line[2048];
    struct out e;
    out_init(&e, cli_err_stream());
    vsnprintf(line, sizeof(line), fmt, ap);
    out_str(&e, "modelmem: ");
    out_text(&e, line);
    out_str(&e, "\n");
    out_flush(&e);
}

void cli_diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(fmt, ap);
    va_end(ap);
}

/* vdiag, and the JSON document with `code`. */
static void vfail(const char *code, const char *fmt, va_list ap) MM_PRINTF(2, 0);
static void vfail(const char *code, const char *fmt, va_list ap)
{
    char line[2048];
    va_list again;
    va_copy(again, ap);
    vsnprintf(line, sizeof(line), fmt, again);
    va_end(again);
    cli_json_error(code, line, NULL, NULL, -1);
    vdiag(fmt, ap);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail("input", fmt, ap);
    va_end(ap);
}

void cli_nomem(void)
{
    cli_json_error(mm_errcode_name(MM_E_NOMEM), "out of memory", NULL, NULL, -1);
    cli_diag("out of memory");
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail("usage", fmt, ap);
    va_end(ap);
    fputs("Try 'modelmem --help' for more information.\n", cli_err_stream());
    return EXIT_USAGE;
}

int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;
    if (s[0] < '0' || s[0] > '9') {
        return -1;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_unsigned(const char *s, unsigned max, unsigned *out)
{
    uint64_t v;
    if (cli_parse_u64(s, 0, max, &v) != 0) {
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

int cli_take_threads(struct cli_parse *p, const struct cli_option *opt, const char *value)
{
    (void)opt;
    return parse_unsigned(value, 64, &p->common->threads) == 0
               ? 0
               : cli_usage_error("--threads takes a number from 0 to 64, not '%s'", value);
}

/* -q or -v, the other one not given. */
static int loudness(struct cli_common *c, bool quiet)
{
    if (quiet ? c->verbose : c->quiet) {
        return cli_usage_error("-q (--quiet) and -v (--verbose) cannot be combined");
    }
    c->quiet = c->quiet || quiet;
    c->verbose = c->verbose || !quiet;
    return 0;
}

int cli_take_quiet(struct cli_parse *p, const struct cli_option *opt, const char *value)
{
    (void)opt;
    (void)value;
    return loudness(p->common, true);
}

int cli_take_verbose(struct cli_parse *p, const struct cli_option *opt, const char *value)
{
    (void)opt;
    (void)value;
    return loudness(p->common, false);
}

/* The flags: each sets its member of struct cli_common. */
static int flag(bool *member, const struct cli_option *opt, const char *value)
{
    (void)opt;
    (void)value;
    *member = true;
    return 0;
}

int cli_take_json(struct cli_parse *p, const struct cli_option *opt, const char *value)
{
    return flag(&p->common->json, opt, value);
}

int cli_take_markdown(struct cli_parse *p, const struct cli_option *opt, const char *value)
{
    return flag(&p->common->markdown, opt, value);
}

int cli_take_checksums(struct cli_parse *p, const struct cli_option *opt, const char *value)
{
    return flag(&p->common->checksums, opt, value);
}

int cli_take_unsafe_pickle(struct cli_parse *p, const struct cli_option *opt, const char *value)
{
    return flag(&p->common->allow_unsafe_pickle, opt, value);
}

int cli_take_target(struct cli_parse *p, const char *arg)
{
    struct cli_common *c = p->common;
    if (c->target != NULL) {
        /* "modelmem inspcet model": the first was meant as a command, one
         * of those that take TARGET */
        char hint[96];
        struct cli_nearest n;
        size_t i;
        cli_nearest_init(&n, c->target);
        for (i = 0; i < cli_command_count; i++) {
            if ((cli_commands[i].bit & (CLI_ESTIMATE | CLI_INSPECT | CLI_VERIFY)) != 0) {
                cli_nearest_offer(&n, cli_commands[i].name);
            }
        }
        cli_nearest_hint(hint, sizeof(hint), &n);
        return cli_usage_error("unexpected argument '%s' (TARGET is already '%s')%s", arg,
                               c->target, hint);
    }
    c->target = arg;
    return 0;
}

int cli_hf_cache_dir(char *out, size_t size)
{
    const char *v = getenv("HF_HUB_CACHE");
    int n;
    if (v != NULL && v[0] != '\0') {
        n = snprintf(out, size, "%s", v);
    } else if ((v = getenv("HF_HOME")) != NULL && v[0] != '\0') {
        n = snprintf(out, size, "%s/hub", v);
    } else if ((v = getenv("XDG_CACHE_HOME")) != NULL && v[0] != '\0') {
        n = snprintf(out, size, "%s/huggingface/hub", v);
    } else if ((v = getenv("HOME")) != NULL && v[0] != '\0') {
        n = snprintf(out, size, "%s/.cache/huggingface/hub", v);
    } else {
        return -1;
    }
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

/* TARGET as a path, else as ORG/NAME[@REVISION] in the local cache. */
static int resolve_target(char *out, size_t size, const char *target, struct mm_error *err)
{
    mm_error_clear(err);
    struct stat sb;
    char cache[4096];
    if (mm_hf_repo_dir(target)) {
        /* a models--ORG--NAME folder, as `ls` shows the cache */
        return mm_hf_repo_dir_resolve(out, size, target, err) == MM_OK ? 0 : -1;
    }
    if (stat(target, &sb) == 0 || !mm_hf_repo_id_syntax(target) ||
        cli_hf_cache_dir(cache, sizeof(cache)) != 0) {
        snprintf(out, size, "%s", target);
        return 0;
    }
    return mm_hf_cache_resolve(out, size, cache, target, err) == MM_OK ? 0 : -1;
}

int cli_resolve_target(char *out, size_t size, const struct cli_common *c,
                       struct mm_error *err)
{
    if (resolve_target(out, size, c->target, err) != 0) {
        return -1;
    }
    if (c->verbose && strcmp(out, c->target) != 0) {
        struct out e;
        out_init(&e, cli_err_stream());
        out_str(&e, "modelmem: ");
        out_text(&e, c->target);
        out_str(&e, " is ");
        out_text(&e, out);
        out_str(&e, " in the Hugging Face cache\n");
        out_flush(&e);
    }
    return 0;
}

void cli_print_warnings(const struct mm_inventory *inv, const struct cli_common *c)
{
    const size_t n = mm_inventory_warning_count(inv);
    size_t i;
    struct out e;
    if (c->quiet || n == 0) {
        return;
    }
    out_init(&e, cli_err_stream());
    for (i = 0; i < n; i++) {
        const struct mm_warning *w = mm_inventory_warning(inv, i);
        const struct mm_file *f = mm_inventory_file(inv, w->file);
        out_str(&e, "modelmem: ");
        out_text(&e, f != NULL ? f->path : "?");
        out_str(&e, ": warning: ");
        out_text(&e, w->message);
        if (w->offset >= 0) {
            out_fmt(&e, " (byte %lld)", (long long)w->offset);
        }
        out_fmt(&e, " [%s]\n", mm_errcode_name(w->code));
    }
    out_flush(&e);
}

/* -v: the files read, one line each. */
static void print_files_read(const struct mm_inventory *inv)
{
    const size_t nf = mm_inventory_file_count(inv);
    size_t i;
    struct out e;
    out_init(&e, cli_err_stream());
    for (i = 0; i < nf; i++) {
        const struct mm_file *f = mm_inventory_file(inv, i);
        out_str(&e, "modelmem: read ");
        out_text(&e, f->path);
        out_str(&e, " (");
        out_text(&e, f->format);
        out_fmt(&e, ", %llu bytes, %llu header bytes)\n", (unsigned long long)f->bytes,
                (unsigned long long)f->header_bytes);
    }
    out_flush(&e);
}

/* A folder with no weights of its own may hold models below it (a model
 * store, a Hugging Face cache): the error then says how to list them. Not
 * in the server (its diagnostics go to the reply, not stderr): a request
 * walks no tree, and a reply names no command. */
static void hint_scan(struct mm_error *err, const char *path)
{
    const char *const roots[1] = {path};
    const struct mm_scan_options so = MM_SCAN_OPTIONS_INIT;
    struct mm_scan *scan = NULL;
    struct mm_error e;
    size_t n;
    size_t len;
    if (err->code != MM_E_NO_WEIGHTS || cli_err_stream() != stderr ||
        mm_scan_find(&scan, roots, 1, &so, &e) != MM_OK) {
        return;
    }
    n = mm_scan_count(scan);
    mm_scan_free(scan);
    len = strlen(err->message);
    if (n > 0 && len < sizeof(err->message)) {
        snprintf(err->message + len, sizeof(err->message) - len,
                 "; %zu model%s below it: modelmem scan lists them", n, n == 1 ? "" : "s");
    }
}

int cli_load(struct mm_inventory **out, const struct cli_common *c)
{
    struct mm_load_options opts = MM_LOAD_OPTIONS_INIT;
    struct mm_error err;
    enum mm_status st;
    char path[4096];
    opts.threads = c->threads;
    opts.allow_unsafe_pickle = c->allow_unsafe_pickle;
    opts.allow_missing_shards = c->allow_missing;
    if (cli_resolve_target(path, sizeof(path), c, &err) != 0) {
        cli_print_error(&err);
        return EXIT_INPUT;
    }
    st = mm_inventory_load(out, path, &opts, &err);
    if (st != MM_OK) {
        hint_scan(&err, path);
        cli_print_error(&err);
        return EXIT_INPUT;
    }
    cli_print_warnings(*out, c);
    if (c->verbose) {
        print_files_read(*out);
    }
    return EXIT_OK;
}

