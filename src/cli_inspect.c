/* cli_inspect.c - `modelmem inspect TARGET`: the exact tensor inventory. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_inspect(int argc, char **argv)
{
    struct cli_common c;
    struct mm_inventory *inv = NULL;
    struct out *o;
    int i;
    int rc;
    memset(&c, 0, sizeof(c));
    for (i = 0; i < argc; i++) {
        const int r = cli_common_option(&c, argc, argv, &i);
        if (r < 0) {
            return EXIT_USAGE;
        }
        if (r > 0) {
            continue;
        }
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            cli_help(stdout);
            return EXIT_OK;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return cli_usage_error("inspect: unknown option '%s'", argv[i]);
        }
        if (cli_positional(&c, argv[i]) != 0) {
            return EXIT_USAGE;
        }
    }
    if (c.target == NULL) {
        return cli_usage_error("inspect: missing TARGET");
    }
    rc = cli_load(&inv, &c);
    if (rc != EXIT_OK) {
        return rc;
    }
    o = malloc(sizeof(*o));
    if (o == NULL) {
        mm_inventory_free(inv);
        fputs("modelmem: out of memory\n", stderr);
        return EXIT_INPUT;
    }
    out_init(o, stdout);
    if (c.json) {
        render_inspect_json(o, inv);
    } else {
        render_inspect_text(o, inv, c.target);
    }
    out_flush(o);
    free(o);
    mm_inventory_free(inv);
    return EXIT_OK;
}
