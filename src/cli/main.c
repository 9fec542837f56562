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
    if (strcmp(argv[1], "--completions") == 0 || strncmp(argv[1], "--completions=", 14) == 0) {
        const char *shell = argv[1][13] == '=' ? argv[1] + 14 : argc > 2 ? argv[2] : NULL;
        char shells[64];
        cli_completion_shells(shells, sizeof(shells));
        if (shell == NULL) {
            return cli_usage_error("option '--completions' needs a shell: %s", shells);
        }
        if (cli_completions(stdout, shell) != 0) {
            return cli_usage_error("--completions: choose %s, not '%s'", shells, shell);
        }
        return EXIT_OK;
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
