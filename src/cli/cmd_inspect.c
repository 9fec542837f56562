/* cmd_inspect.c - `modelmem inspect TARGET`: the exact tensor inventory. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int cli_inspect(int argc, char **argv)
{
    return cli_inspect_to(stdout, argc, argv);
}

int cli_inspect_to(FILE *f, int argc, char **argv)
{
    struct cli_common c;
    struct mm_inventory *inv = NULL;
    struct out *o;
    int rc;
    rc = cli_parse_plain(&c, argc, argv, "inspect");
    if (rc != EXIT_OK) {
        return rc < 0 ? EXIT_OK : rc;
    }
    rc = cli_load(&inv, &c);
    if (rc != EXIT_OK) {
        return rc;
    }
    o = malloc(sizeof(*o));
    if (o == NULL) {
        mm_inventory_free(inv);
        cli_nomem();
        return EXIT_INPUT;
    }
    out_init(o, f);
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
