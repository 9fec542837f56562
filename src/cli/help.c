/* help.c - the text of `modelmem --help` and of `modelmem COMMAND --help`,
 * printed from the one table of options (options.c); it agrees with
 * modelmem(1), checked by tests/cli/options_match.sh. Low in the front
 * end: every command can print it without calling up. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* The column the help text starts in, after "  --option ARG". */
#define HELP_COLUMN 21
/* The column a command's summary starts in, after "Usage: modelmem ...". */
#define SUMMARY_COLUMN 46

static const char targets[] =
    "TARGET is a weight file (safetensors, GGUF, PyTorch .bin/.pt/.pth/.ckpt),\n"
    "an index file (*.safetensors.index.json, pytorch_model.bin.index.json),\n"
    "a model folder, or ORG/NAME[@REVISION] of a repository in the local\n"
    "Hugging Face cache (any case; a short commit hash; or its models--ORG--NAME\n"
    "folder). Only headers are read; nothing is downloaded, executed or\n"
    "modified.\n";

static const char scan_about[] =
    "scan reads every model under each ROOT (default: the Hugging Face cache):\n"
    "folders, cache repositories and weight files, one row each with\n"
    "estimate's figures. Only headers are read; nothing is downloaded,\n"
    "executed or modified.\n";

static const char serve_about[] =
    "serve lists the models under each ROOT (default: the Hugging Face cache)\n"
    "on a web page and at /api/models, /api/estimate?model=NAME&... (estimate's\n"
    "options without --) and /api/inspect?model=NAME.\n";

static const char trailer[] =
    "Exit status: 0 success, 1 invalid or unreadable input, 2 usage error.\n"
    "See modelmem(1) for formats, formulas, limits and error codes.\n";

/* `text`'s lines (each ending in a newline), the first after what is
 * already `used` columns of the line, the others indented to `column`. */
static void lines_at(FILE *f, const char *text, size_t used, size_t column)
{
    const char *p = text;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        const size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
        fprintf(f, "%*s%.*s\n", (int)(column > used ? column - used : 2), "", (int)n, p);
        used = 0;
        p += n + (nl != NULL);
    }
}

static void usage_line(FILE *f, const char *lead, const struct cli_command *c)
{
    const size_t used = strlen(lead) + strlen(" modelmem ") + strlen(c->usage);
    fprintf(f, "%s modelmem %s", lead, c->usage);
    lines_at(f, c->summary, used, SUMMARY_COLUMN);
}

static void option_line(FILE *f, const struct cli_option *o)
{
    char label[64];
    if (o->short_name == NULL) {
        snprintf(label, sizeof(label), "%s%s%s", o->name, o->arg != NULL ? " " : "",
                 o->arg != NULL ? o->arg : "");
    } else {
        snprintf(label, sizeof(label), "%s%s%s%s%s", o->short_name,
                 o->short_name[0] != '\0' ? ", " : "    ", o->name, o->arg != NULL ? " " : "",
                 o->arg != NULL ? o->arg : "");
    }
    fprintf(f, "  %s", label);
    lines_at(f, o->help, 2 + strlen(label), HELP_COLUMN);
}

/* The options of the commands in `mask` (0: every option). */
static void options(FILE *f, unsigned mask)
{
    size_t i;
    fputs("Options:\n", f);
    for (i = 0; i < cli_option_count; i++) {
        if (mask == 0 || (cli_options[i].commands & mask) != 0) {
            option_line(f, &cli_options[i]);
        }
    }
    fputs("\n", f);
}

void cli_help(FILE *f)
{
    size_t i;
    for (i = 0; i < cli_command_count; i++) {
        usage_line(f, i == 0 ? "Usage:" : "      ", &cli_commands[i]);
    }
    fputs("       modelmem --help | --version | --completions SHELL\n"
          "       modelmem COMMAND --help                 that command's options\n"
          "\n",
          f);
    fputs(targets, f);
    fputs(serve_about, f);
    fputs("\n", f);
    options(f, 0);
    fputs(trailer, f);
}

void cli_help_command(FILE *f, const char *command)
{
    const struct cli_command *c = cli_command_find(command);
    if (c == NULL) {
        cli_help(f);
        return;
    }
    usage_line(f, "Usage:", c);
    fputs("\n", f);
    fputs(c->bit == CLI_SCAN ? scan_about : c->bit == CLI_SERVE ? serve_about : targets, f);
    fputs("\n", f);
    options(f, c->bit);
    fputs(trailer, f);
}
