/* cli_estimate.c - `modelmem [estimate] TARGET`: memory figures. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* "--dtypes float32,float16" (also repeated or space-free lists). */
static int parse_dtypes(struct mm_estimate_params *p, const char *list)
{
    const char *s = list;
    for (;;) {
        const char *comma = strchr(s, ',');
        const size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
        enum mm_est_dtype d;
        size_t k;
        if (mm_est_dtype_parse(&d, s, len) != MM_OK) {
            cli_usage_error("--dtypes: unknown dtype '%.*s' (choose from float32, float16, "
                            "bfloat16, int8, int4)",
                            (int)len, s);
            return -1;
        }
        for (k = 0; k < p->ndtypes; k++) {
            if (p->dtypes[k] == d) {
                break;
            }
        }
        if (k == p->ndtypes) {
            if (p->ndtypes >= MM_ESTIMATE_MAX_ROWS) {
                cli_usage_error("--dtypes: too many dtypes");
                return -1;
            }
            p->dtypes[p->ndtypes++] = d;
        }
        if (comma == NULL) {
            return 0;
        }
        s = comma + 1;
    }
}

int cli_estimate(int argc, char **argv)
{
    struct cli_common c;
    struct mm_estimate_params params = MM_ESTIMATE_PARAMS_INIT;
    struct mm_estimate *est = NULL;
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    struct out *o = NULL;
    int i;
    int rc;
    memset(&c, 0, sizeof(c));
    for (i = 0; i < argc; i++) {
        const int r = cli_common_option(&c, argc, argv, &i);
        const char *a = argv[i];
        if (r < 0) {
            return EXIT_USAGE;
        }
        if (r > 0) {
            continue;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            cli_help(stdout);
            return EXIT_OK;
        }
        if (strcmp(a, "--markdown") == 0) {
            c.markdown = true;
        } else if (strcmp(a, "--dtypes") == 0 || strncmp(a, "--dtypes=", 9) == 0) {
            const char *v = a[8] == '=' ? a + 9 : NULL;
            if (v == NULL) {
                if (i + 1 >= argc) {
                    return cli_usage_error("option '--dtypes' needs a list");
                }
                v = argv[++i];
            }
            if (parse_dtypes(&params, v) != 0) {
                return EXIT_USAGE;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            return cli_usage_error("estimate: unknown option '%s'", a);
        } else if (cli_positional(&c, a) != 0) {
            return EXIT_USAGE;
        }
    }
    if (c.target == NULL) {
        return cli_usage_error("missing TARGET");
    }
    if (c.json && c.markdown) {
        return cli_usage_error("--json and --markdown cannot be combined");
    }
    rc = cli_load(&inv, &c);
    if (rc != EXIT_OK) {
        return rc;
    }
    est = malloc(sizeof(*est));
    o = malloc(sizeof(*o));
    if (est == NULL || o == NULL) {
        fputs("modelmem: out of memory\n", stderr);
        rc = EXIT_INPUT;
        goto out;
    }
    if (mm_estimate_run(est, inv, &params, &err) != MM_OK) {
        cli_print_error(&err);
        rc = EXIT_INPUT;
        goto out;
    }
    out_init(o, stdout);
    if (c.json) {
        render_estimate_json(o, est, inv, c.target);
    } else {
        render_estimate_text(o, est, inv, c.target, c.markdown);
    }
    out_flush(o);
out:
    free(o);
    free(est);
    mm_inventory_free(inv);
    return rc;
}
