/* cmd_verify.c - `modelmem verify TARGET`: integrity checks; exit 1 when a
 * problem of severity error is found. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char *severity_name(enum mm_severity s)
{
    return s == MM_SEVERITY_ERROR ? "error" : "warning";
}

static void render_json(struct out *o, const struct mm_verify_report *rep)
{
    const size_t n = mm_verify_problem_count(rep);
    size_t i;
    out_str(o, "{\n  \"schema\": \"modelmem.verify/1\",\n  \"ok\": ");
    out_str(o, mm_verify_error_count(rep) == 0 ? "true" : "false");
    out_str(o, ",\n  \"files\": ");
    out_u64(o, mm_verify_file_count(rep));
    out_str(o, ",\n  \"checksums\": ");
    out_u64(o, mm_verify_checksum_count(rep));
    out_str(o, ",\n  \"problems\": [");
    for (i = 0; i < n; i++) {
        const struct mm_problem *p = mm_verify_problem(rep, i);
        out_str(o, i == 0 ? "\n    {\"severity\": \"" : ",\n    {\"severity\": \"");
        out_str(o, severity_name(p->severity));
        out_str(o, "\", \"code\": \"");
        out_str(o, mm_errcode_name(p->code));
        out_str(o, "\", \"file\": ");
        out_json_str(o, p->file);
        out_str(o, ", \"tensor\": ");
        if (p->tensor[0] != '\0') {
            out_json_str(o, p->tensor);
        } else {
            out_str(o, "null");
        }
        out_str(o, ", \"offset\": ");
        if (p->offset >= 0) {
            out_i64(o, p->offset);
        } else {
            out_str(o, "null");
        }
        out_str(o, ", \"message\": ");
        out_json_str(o, p->message);
        out_str(o, ", \"remedy\": ");
        if (p->remedy != NULL) {
            out_json_str(o, p->remedy);
        } else {
            out_str(o, "null");
        }
        out_str(o, ", \"expected_bytes\": ");
        if (p->expected_bytes >= 0) {
            out_i64(o, p->expected_bytes);
        } else {
            out_str(o, "null");
        }
        out_str(o, ", \"actual_bytes\": ");
        if (p->actual_bytes >= 0) {
            out_i64(o, p->actual_bytes);
        } else {
            out_str(o, "null");
        }
        out_str(o, "}");
    }
    out_str(o, n > 0 ? "\n  ]\n}\n" : "]\n}\n");
}

static void render_text(struct out *o, const struct mm_verify_report *rep, bool quiet)
{
    const size_t n = mm_verify_problem_count(rep);
    const size_t errors = mm_verify_error_count(rep);
    size_t warnings = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        const struct mm_problem *p = mm_verify_problem(rep, i);
        struct mm_error e;
        char line[MM_ERROR_FILE_MAX + MM_ERROR_TENSOR_MAX + MM_ERROR_MESSAGE_MAX + 64];
        mm_error_clear(&e);
        e.offset = p->offset;
        snprintf(e.file, sizeof(e.file), "%s", p->file);
        snprintf(e.tensor, sizeof(e.tensor), "%s", p->tensor);
        snprintf(e.message, sizeof(e.message), "%s", p->message);
        mm_error_format(line, sizeof(line), &e);
        out_fmt(o, "%s %s: ", severity_name(p->severity), mm_errcode_name(p->code));
        out_text(o, line);
        out_str(o, "\n");
        if (p->remedy != NULL) {
            out_str(o, "  remedy: ");
            out_text(o, p->remedy);
            out_str(o, "\n");
        }
        warnings += p->severity == MM_SEVERITY_WARNING;
    }
    if (!quiet) {
        out_fmt(o, "%s: %zu file%s checked, %zu checksum%s verified, %zu error%s, %zu warning%s\n",
                errors == 0 ? "OK" : "FAILED", mm_verify_file_count(rep),
                mm_verify_file_count(rep) == 1 ? "" : "s", mm_verify_checksum_count(rep),
                mm_verify_checksum_count(rep) == 1 ? "" : "s", errors, errors == 1 ? "" : "s",
                warnings, warnings == 1 ? "" : "s");
    }
}

int cli_verify(int argc, char **argv)
{
    struct cli_common c;
    struct mm_verify_options opts = MM_VERIFY_OPTIONS_INIT;
    struct mm_verify_report *rep = NULL;
    struct mm_error err;
    struct cli_progress progress;
    struct out *o;
    enum mm_status st;
    char path[4096];
    int rc;
    rc = cli_parse_plain(&c, argc, argv, "verify");
    if (rc != EXIT_OK) {
        return rc < 0 ? EXIT_OK : rc;
    }
    if (cli_resolve_target(path, sizeof(path), &c, &err) != 0) {
        cli_print_error(&err);
        return EXIT_INPUT;
    }
    opts.load.threads = c.threads;
    opts.load.allow_unsafe_pickle = c.allow_unsafe_pickle;
    opts.checksums = c.checksums;
    cli_progress_init(&progress, c.quiet);
    if (progress.on && c.checksums) {
        opts.progress = cli_progress_update;
        opts.progress_ctx = &progress;
    }
    st = mm_verify(&rep, path, &opts, &err);
    cli_progress_end(&progress);
    if (st != MM_OK) {
        cli_print_error(&err);
        return EXIT_INPUT;
    }
    o = malloc(sizeof(*o));
    if (o == NULL) {
        mm_verify_free(rep);
        cli_nomem();
        return EXIT_INPUT;
    }
    out_init(o, stdout);
    if (c.json) {
        render_json(o, rep);
    } else {
        render_text(o, rep, c.quiet);
    }
    out_flush(o);
    rc = mm_verify_error_count(rep) == 0 ? EXIT_OK : EXIT_INPUT;
    free(o);
    mm_verify_free(rep);
    return rc;
}
