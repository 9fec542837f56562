/* serve_api.c - the JSON answers of `modelmem serve`: the estimate and
 * inventory documents made by the command line's own functions
 * (cli_estimate_to, cli_inspect_to) from an argument vector built from
 * the query, so that options, figures and errors are the CLI's. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/serve.h"

/* Bytes of one "--name=value" argument. */
#define ARG_MAX_BYTES 4096u

static void reply_doc(struct serve_reply *r, unsigned status, char *body, size_t size)
{
    r->status = status;
    r->body = body;
    r->size = size;
    r->type = "application/json";
}

void serve_reply_error(struct serve_reply *r, unsigned status, const char *code,
                       const char *message)
{
    char *body = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&body, &size);
    struct out *o = malloc(sizeof(*o));
    if (f != NULL && o != NULL) {
        out_init(o, f);
        out_str(o, "{\"error\": {\"code\": ");
        out_json_str(o, code);
        out_str(o, ", \"message\": ");
        out_json_str(o, message);
        out_str(o, "}}\n");
        out_flush(o);
    }
    free(o);
    if (f != NULL) {
        fclose(f);
    }
    reply_doc(r, status, body, body != NULL ? size : 0);
}

/* The first line of what the command printed on its diagnostic stream,
 * "modelmem: " taken off. */
static void first_line(char *out, size_t size, const char *diag)
{
    const char *s = diag != NULL ? diag : "";
    size_t n;
    if (strncmp(s, "modelmem: ", 10) == 0) {
        s += 10;
    }
    n = strcspn(s, "\n");
    snprintf(out, size, "%.*s", (int)n, s);
    if (out[0] == '\0') {
        snprintf(out, size, "the request failed");
    }
}

/* Runs a command's document function with argv; the document, or its
 * error as 400 (usage) or 422 (the model cannot be read). */
static void run(struct serve_reply *r, int (*fn)(FILE *, int, char **), int argc, char **argv)
{
    char *body = NULL;
    char *diag = NULL;
    size_t bsize = 0;
    size_t dsize = 0;
    FILE *f = open_memstream(&body, &bsize);
    FILE *d = open_memstream(&diag, &dsize);
    int rc = EXIT_INPUT;
    char msg[1024];
    if (f != NULL && d != NULL) {
        cli_err_stream_set(d);
        rc = fn(f, argc, argv);
        cli_err_stream_set(NULL);
    }
    if (f != NULL) {
        fclose(f);
    }
    if (d != NULL) {
        fclose(d);
    }
    if (rc == EXIT_OK && body != NULL) {
        reply_doc(r, 200, body, bsize);
        free(diag);
        return;
    }
    free(body);
    first_line(msg, sizeof(msg), diag);
    free(diag);
    if (rc == EXIT_USAGE) {
        serve_reply_error(r, 400, "bad-option", msg);
    } else {
        serve_reply_error(r, 422, "unreadable-model", msg);
    }
}

/* argv for a command: its fixed arguments, the options of the query, the
 * model's path last. NULL (reply set) when an argument is refused. */
static char **build_argv(struct serve_reply *r, int *argc, const char *path,
                         const struct serve_arg *args, size_t nargs, bool options)
{
    static const char *const fixed[] = {"--json", "-q", "--threads=1"};
    const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
    char **argv = calloc(nfixed + nargs + 2, sizeof(*argv));
    char *store = malloc((nargs + 1) * ARG_MAX_BYTES);
    size_t i;
    int n = 0;
    if (argv == NULL || store == NULL) {
        free(argv);
        free(store);
        serve_reply_error(r, 500, "out-of-memory", "out of memory");
        return NULL;
    }
    argv[n++] = store; /* argv[0] owns the storage; the command never sees it */
    for (i = 0; i < nfixed; i++) {
        argv[n++] = (char *)(uintptr_t)fixed[i];
    }
    for (i = 0; i < nargs; i++) {
        char *slot = store + (i + 1) * ARG_MAX_BYTES;
        char msg[256];
        if (strcmp(args[i].name, "model") == 0) {
            continue;
        }
        if (!options || serve_option_arg(slot, ARG_MAX_BYTES, args[i].name,
                                         args[i].value) != 0) {
            snprintf(msg, sizeof(msg), "unknown option '%.64s'%s", args[i].name,
                     options ? "" : " (inspect takes only model)");
            serve_reply_error(r, 400, "bad-option", msg);
            free(store);
            free(argv);
            return NULL;
        }
        argv[n++] = slot;
    }
    /* the path as the catalog has it; "./" keeps one that starts with '-'
     * from being read as an option */
    snprintf(store, ARG_MAX_BYTES, "%s%s", path[0] == '-' ? "./" : "", path);
    argv[n] = store;
    argv[0] = store;
    *argc = n + 1;
    return argv;
}

static void api(struct serve_reply *r, const char *path, const struct serve_arg *args,
                size_t nargs, bool estimate)
{
    int argc = 0;
    char **argv = build_argv(r, &argc, path, args, nargs, estimate);
    if (argv == NULL) {
        return;
    }
    if (strlen(path) + 3 > ARG_MAX_BYTES) {
        serve_reply_error(r, 404, "not-found", "model path too long");
    } else {
        /* argv[0] is the storage and the model's path both; the command
         * takes argv[1..] */
        run(r, estimate ? cli_estimate_to : cli_inspect_to, argc - 1, argv + 1);
    }
    free(argv[0]);
    free(argv);
}

void serve_api_estimate(struct serve_reply *r, const char *path, const struct serve_arg *args,
                        size_t nargs)
{
    api(r, path, args, nargs, true);
}

void serve_api_inspect(struct serve_reply *r, const char *path, const struct serve_arg *args,
                       size_t nargs)
{
    api(r, path, args, nargs, false);
}

void serve_api_models(struct serve_reply *r, const struct serve_catalog *c)
{
    char *body = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&body, &size);
    if (f == NULL) {
        serve_reply_error(r, 500, "out-of-memory", "out of memory");
        return;
    }
    if (serve_models_json(f, c) != 0) {
        fclose(f);
        free(body);
        serve_reply_error(r, 500, "out-of-memory", "out of memory");
        return;
    }
    fclose(f);
    reply_doc(r, 200, body, size);
}
