/* json_error.c - with --json, a failure is a JSON document on stdout too
 * (beside its line on stderr), so that a script reading stdout always
 * reads one document: {"schema": "modelmem.error/1", "error": {"code",
 * "message", "file", "tensor", "offset"}}, the members of a verify
 * problem. One per run: the first failure's. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* The program's mode, set once by main before any command runs: the one
 * piece of state the front end keeps outside its commands' structs. */
static bool json_errors;
static bool json_error_done;

void cli_json_errors(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json_errors = true;
        }
    }
}

static void opt_str(struct out *o, const char *s)
{
    if (s != NULL && s[0] != '\0') {
        out_json_str(o, s);
    } else {
        out_str(o, "null");
    }
}

void cli_json_error(const char *code, const char *message, const char *file,
                    const char *tensor, int64_t offset)
{
    struct out *o;
    if (!json_errors || json_error_done) {
        return;
    }
    json_error_done = true;
    o = malloc(sizeof(*o));
    if (o == NULL) {
        return;
    }
    out_init(o, stdout);
    out_str(o, "{\"schema\": \"modelmem.error/1\", \"error\": {\"code\": ");
    out_json_str(o, code);
    out_str(o, ", \"message\": ");
    out_json_str(o, message);
    out_str(o, ", \"file\": ");
    opt_str(o, file);
    out_str(o, ", \"tensor\": ");
    opt_str(o, tensor);
    out_str(o, ", \"offset\": ");
    if (offset >= 0) {
        out_i64(o, offset);
    } else {
        out_str(o, "null");
    }
    out_str(o, "}}\n");
    out_flush(o);
    free(o);
}
