/* main.c - the modelmem command: dispatch to a subcommand, map results to
 * exit statuses. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
    cli_json_errors(argc, argv);
    if (argc < 2) {
        return cli_usage_error("missing TARGET");
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cli_help(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("modelmem %s\n", MM_VERSION_STRING);
        return EXIT_OK;
    }
    {
        /* --completions SHELL: the option's row checks the shell */
        const char *shell = NULL;
        const struct cli_option *o = cli_option_find(argv[1], &shell);
        if (o != NULL && strcmp(o->name, "--completions") == 0) {
            int k;
            if (shell == NULL && argc > 2) {
                shell = argv[2];
            }
            if (shell == NULL) {
                return cli_usage_error("option '%s' needs %s", o->name, o->needs);
            }
            k = cli_choose(o, shell);
            if (k < 0) {
                return EXIT_USAGE;
            }
            cli_completions(stdout, k);
            return EXIT_OK;
        }
    }
    if (strcmp(argv[1], "inspect") == 0) {
        return cli_inspect(argc - 2, argv + 2);
    }
    if (strcmp(argv[1], "verify") == 0) {
        return cli_verify(argc - 2, argv + 2);
    }
    if (strcmp(argv[1], "scan") == 0) {
        return cli_scan(argc - 2, argv + 2);
    }
    if (strcmp(argv[1], "serve") == 0) {
        return cli_serve(argc - 2, argv + 2);
    }
    if (strcmp(argv[1], "estimate") == 0) {
        return cli_estimate(argc - 2, argv + 2);
    }
    return cli_estimate(argc - 1, argv + 1);
}
