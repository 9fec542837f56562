/* cli_util.c - output buffer, number formatting, errors and the options
 * shared by every subcommand. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

void out_init(struct out *o, FILE *f)
{
    o->f = f;
    o->n = 0;
}

void out_flush(struct out *o)
{
    if (o->n > 0) {
        fwrite(o->buf, 1, o->n, o->f);
        o->n = 0;
    }
    fflush(o->f);
}

void out_bytes(struct out *o, const char *s, size_t n)
{
    if (n > sizeof(o->buf) - o->n) {
        fwrite(o->buf, 1, o->n, o->f);
        o->n = 0;
        if (n > sizeof(o->buf)) {
            fwrite(s, 1, n, o->f);
            return;
        }
    }
    memcpy(o->buf + o->n, s, n);
    o->n += n;
}

void out_str(struct out *o, const char *s)
{
    out_bytes(o, s, strlen(s));
}

void out_u64(struct out *o, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    out_bytes(o, tmp + i, sizeof(tmp) - i);
}

void out_i64(struct out *o, int64_t v)
{
    if (v < 0) {
        out_bytes(o, "-", 1);
        out_u64(o, (uint64_t)(-(v + 1)) + 1);
    } else {
        out_u64(o, (uint64_t)v);
    }
}

void out_json_strn(struct out *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;
    size_t run = 0;
    out_bytes(o, "\"", 1);
    for (i = 0; i < n; i++) {
        const unsigned char ch = (unsigned char)s[i];
        char esc[6];
        const char *e = NULL;
        size_t elen = 2;
        if (ch >= 0x20 && ch != '"' && ch != '\\' && ch != 0x7f) {
            continue;
        }
        out_bytes(o, s + run, i - run);
        run = i + 1;
        switch (ch) {
        case '"':
            e = "\\\"";
            break;
        case '\\':
            e = "\\\\";
            break;
        case '\n':
            e = "\\n";
            break;
        case '\r':
            e = "\\r";
            break;
        case '\t':
            e = "\\t";
            break;
        default:
            esc[0] = '\\';
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[ch >> 4];
            esc[5] = hex[ch & 15];
            e = esc;
            elen = 6;
            break;
        }
        out_bytes(o, e, elen);
    }
    out_bytes(o, s + run, n - run);
    out_bytes(o, "\"", 1);
}

void out_json_str(struct out *o, const char *s)
{
    out_json_strn(o, s, strlen(s));
}

void out_fmt(struct out *o, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    out_bytes(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void fmt_thousands(char *buf, size_t size, uint64_t v)
{
    char tmp[32];
    size_t i = sizeof(tmp) - 1;
    unsigned digits = 0;
    tmp[i] = '\0';
    do {
        if (digits > 0 && digits % 3 == 0) {
            tmp[--i] = ',';
        }
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
        digits++;
    } while (v != 0);
    snprintf(buf, size, "%s", tmp + i);
}

void fmt_size(char *buf, size_t size, uint64_t bytes)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    unsigned u = 0;
    if (bytes < 1024) {
        snprintf(buf, size, "%llu bytes", (unsigned long long)bytes);
        return;
    }
    v /= 1024.0;
    while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, size, "%.2f %s", v, units[u]);
}

void cli_print_error(const struct mm_error *err)
{
    char line[MM_ERROR_FILE_MAX + MM_ERROR_TENSOR_MAX + MM_ERROR_MESSAGE_MAX + 64];
    mm_error_format(line, sizeof(line), err);
    fprintf(stderr, "modelmem: %s\n", line);
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("modelmem: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'modelmem --help' for more information.\n", stderr);
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

int cli_common_option(struct cli_common *c, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (strcmp(a, "--json") == 0) {
        c->json = true;
        return 1;
    }
    if (strcmp(a, "--checksums") == 0) {
        c->checksums = true;
        return 1;
    }
    if (strcmp(a, "--allow-unsafe-pickle") == 0) {
        c->allow_unsafe_pickle = true;
        return 1;
    }
    if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
        c->quiet = true;
        return 1;
    }
    if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
        c->verbose = true;
        return 1;
    }
    if (strcmp(a, "--threads") == 0 || strncmp(a, "--threads=", 10) == 0) {
        const char *v = a[9] == '=' ? a + 10 : NULL;
        if (v == NULL) {
            if (*i + 1 >= argc) {
                cli_usage_error("option '--threads' needs a number");
                return -1;
            }
            v = argv[++*i];
        }
        if (parse_unsigned(v, 64, &c->threads) != 0) {
            cli_usage_error("--threads takes a number from 0 to 64, not '%s'", v);
            return -1;
        }
        return 1;
    }
    return 0;
}

int cli_positional(struct cli_common *c, const char *arg)
{
    if (c->target != NULL) {
        cli_usage_error("unexpected argument '%s' (TARGET is already '%s')", arg, c->target);
        return -1;
    }
    c->target = arg;
    return 0;
}

/* The Hugging Face cache folder, as huggingface_hub chooses it. */
static int hf_cache_dir(char *out, size_t size)
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
    if (stat(target, &sb) == 0 || !mm_hf_repo_id_syntax(target) ||
        hf_cache_dir(cache, sizeof(cache)) != 0) {
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
        fprintf(stderr, "modelmem: %s is %s in the Hugging Face cache\n", c->target, out);
    }
    return 0;
}

void cli_print_warnings(const struct mm_inventory *inv, const struct cli_common *c)
{
    const size_t n = mm_inventory_warning_count(inv);
    size_t i;
    if (c->quiet) {
        return;
    }
    for (i = 0; i < n; i++) {
        const struct mm_warning *w = mm_inventory_warning(inv, i);
        const struct mm_file *f = mm_inventory_file(inv, w->file);
        if (w->offset >= 0) {
            fprintf(stderr, "modelmem: %s: warning: %s (byte %lld) [%s]\n",
                    f != NULL ? f->path : "?", w->message, (long long)w->offset,
                    mm_errcode_name(w->code));
        } else {
            fprintf(stderr, "modelmem: %s: warning: %s [%s]\n", f != NULL ? f->path : "?",
                    w->message, mm_errcode_name(w->code));
        }
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
    if (cli_resolve_target(path, sizeof(path), c, &err) != 0) {
        cli_print_error(&err);
        return EXIT_INPUT;
    }
    st = mm_inventory_load(out, path, &opts, &err);
    if (st != MM_OK) {
        cli_print_error(&err);
        return EXIT_INPUT;
    }
    cli_print_warnings(*out, c);
    if (c->verbose) {
        const size_t nf = mm_inventory_file_count(*out);
        size_t i;
        for (i = 0; i < nf; i++) {
            const struct mm_file *f = mm_inventory_file(*out, i);
            fprintf(stderr, "modelmem: read %s (%s, %llu bytes, %llu header bytes)\n", f->path,
                    f->format, (unsigned long long)f->bytes,
                    (unsigned long long)f->header_bytes);
        }
    }
    return EXIT_OK;
}

int cli_parse_plain(struct cli_common *c, int argc, char **argv, const char *cmd)
{
    int i;
    memset(c, 0, sizeof(*c));
    for (i = 0; i < argc; i++) {
        const int r = cli_common_option(c, argc, argv, &i);
        if (r < 0) {
            return EXIT_USAGE;
        }
        if (r > 0) {
            continue;
        }
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            cli_help(stdout);
            return -1;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error("%s: unknown option '%s'", cmd, argv[i]);
        }
        if (cli_positional(c, argv[i]) != 0) {
            return EXIT_USAGE;
        }
    }
    if (c->target == NULL) {
        return cli_usage_error("%s: missing TARGET", cmd);
    }
    return EXIT_OK;
}
