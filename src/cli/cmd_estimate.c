/* cmd_estimate.c - `modelmem [estimate] TARGET`: memory figures. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* "--dtypes float32,float16" (also repeated, and other tools' names:
 * bf16, fp16, half, fp32...: the values of opt, --dtypes' row); -1 on an
 * unknown name, printed unless `quiet`. */
static int parse_dtypes(struct mm_estimate_params *p, const struct cli_option *opt,
                        const char *list, bool quiet)
{
    const char *s = list;
    for (;;) {
        const char *comma = strchr(s, ',');
        const size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
        char item[32];
        const struct cli_value *v;
        enum mm_est_dtype d;
        size_t k;
        snprintf(item, sizeof(item), "%.*s", (int)(len < sizeof(item) ? len : 0), s);
        v = cli_value_find(opt, item);
        if (len >= sizeof(item) || v == NULL) {
            char hint[96];
            char names[96];
            if (quiet) {
                return -1;
            }
            cli_value_hint(hint, sizeof(hint), opt, item);
            cli_value_list(names, sizeof(names), opt, ", ");
            cli_usage_error("--dtypes: unknown dtype '%.*s' (choose from %s)%s", (int)len, s,
                            names, hint);
            return -1;
        }
        d = (enum mm_est_dtype)v->code;
        for (k = 0; k < p->ndtypes; k++) {
            if (p->dtypes[k] == d) {
                break;
            }
        }
        if (k == p->ndtypes) {
            if (p->ndtypes >= MM_ESTIMATE_MAX_ROWS) {
                if (!quiet) {
                    cli_usage_error("--dtypes: too many dtypes");
                }
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

/* accelerate's own spelling, "--dtypes float32 float16": the arguments
 * after the list that are dtype lists too (up to the next option, or one
 * that is not: TARGET). */
static int more_dtypes(struct mm_estimate_params *p, const struct cli_option *opt, int argc,
                       char **argv, int i)
{
    while (i + 1 < argc && argv[i + 1][0] != '-') {
        struct mm_estimate_params tmp = *p;
        if (parse_dtypes(&tmp, opt, argv[i + 1], true) != 0) {
            break;
        }
        *p = tmp;
        i++;
    }
    return i;
}

/* --dtypes LIST (estimate: also the lists after it; scan: one). */
int cli_take_dtypes(struct cli_parse *p, const struct cli_option *opt, const char *value)
{
    if (parse_dtypes(p->est, opt, value, false) != 0) {
        return EXIT_USAGE;
    }
    if (p->cmd->bit == CLI_ESTIMATE) {
        p->i = more_dtypes(p->est, opt, p->argc, p->argv, p->i);
    }
    return 0;
}

/* --base BASE: p->own is the struct cli_adapter. */
int cli_take_base(struct cli_parse *p, const struct cli_option *opt, const char *value)
{
    struct cli_adapter *ad = p->own;
    (void)opt;
    ad->base_opt = value;
    return 0;
}

/* The text (or Markdown) output; text is folded within 80 columns. */
static int render_text_folded(struct out *o, const struct mm_estimate *est,
                              const struct mm_inventory *inv, const struct cli_common *c,
                              struct cli_memory *mem, const struct cli_adapter *ad)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = c->markdown ? o->f : open_memstream(&buf, &len);
    struct out *w = f != NULL ? malloc(sizeof(*w)) : NULL;
    if (w == NULL) {
        if (f != NULL && f != o->f) {
            fclose(f);
        }
        free(buf);
        return -1;
    }
    out_init(w, f);
    render_estimate_text(w, est, inv, c->target, c->markdown);
    render_partial_text(w, inv, c->markdown);
    render_adapter_text(w, ad, c->markdown);
    if (mem->any) {
        cli_memory_style(mem);
        render_memory_text(w, mem, c->markdown);
    }
    out_flush(w);
    free(w);
    if (f != o->f) {
        if (fclose(f) != 0) {
            free(buf);
            return -1;
        }
        cli_fold(o, buf, len, CLI_TEXT_COLUMNS);
        free(buf);
    }
    return 0;
}

int cli_estimate(int argc, char **argv)
{
    return cli_estimate_to(stdout, argc, argv);
}

int cli_estimate_to(FILE *f, int argc, char **argv)
{
    struct cli_common c;
    struct mm_estimate_params params = MM_ESTIMATE_PARAMS_INIT;
    struct mm_estimate *est = NULL;
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    struct out *o = NULL;
    struct cli_memory *mem = NULL;
    struct cli_adapter *ad = calloc(1, sizeof(*ad));
    struct cli_parse p;
    char path[4096];
    bool verbose;
    int rc;
    memset(&c, 0, sizeof(c));
    mem = malloc(sizeof(*mem));
    if (mem == NULL || ad == NULL) {
        cli_nomem();
        free(mem);
        free(ad);
        return EXIT_INPUT;
    }
    cli_memory_init(mem);
    memset(&p, 0, sizeof(p));
    p.cmd = cli_command_find("estimate");
    p.argc = argc;
    p.argv = argv;
    p.common = &c;
    p.memory = mem;
    p.est = &params;
    p.own = ad;
    p.positional = cli_take_target;
    rc = cli_parse(&p);
    if (rc != EXIT_OK) {
        rc = rc < 0 ? EXIT_OK : rc;
        goto out;
    }
    if (c.target == NULL) {
        rc = cli_usage_error("missing TARGET");
        goto out;
    }
    if (c.json && c.markdown) {
        rc = cli_usage_error("--json and --markdown cannot be combined");
        goto out;
    }
    c.allow_missing = true;
    /* config.json sits next to the weights: the resolved target's folder,
     * or the base model's for an adapter (resolved quietly: loading says
     * it with -v) */
    verbose = c.verbose;
    c.verbose = false;
    if (cli_resolve_target(path, sizeof(path), &c, &err) != 0) {
        cli_print_error(&err);
        rc = EXIT_INPUT;
        goto out;
    }
    c.verbose = verbose;
    rc = cli_load_estimate(&inv, ad, &c, path);
    if (rc != EXIT_OK) {
        goto out;
    }
    if (c.json || mem->any) {
        rc = cli_memory_config(mem, ad->found ? ad->base_path : path, c.quiet);
        if (rc == EXIT_OK) {
            rc = cli_memory_run(mem, inv);
        }
        if (rc != EXIT_OK) {
            goto out;
        }
    }
    est = malloc(sizeof(*est));
    o = malloc(sizeof(*o));
    if (est == NULL || o == NULL) {
        cli_nomem();
        rc = EXIT_INPUT;
        goto out;
    }
    if (mm_estimate_run(est, inv, &params, &err) != MM_OK) {
        cli_print_error(&err);
        rc = EXIT_INPUT;
        goto out;
    }
    out_init(o, f);
    if (c.json) {
        render_estimate_json_members(o, est, inv, c.target, mem);
        render_adapter_json(o, ad);
        out_str(o, "\n}\n");
    } else if (render_text_folded(o, est, inv, &c, mem, ad) != 0) {
        cli_nomem();
        rc = EXIT_INPUT;
        goto out;
    }
    out_flush(o);
out:
    free(o);
    free(est);
    mm_inventory_free(inv);
    cli_memory_free(mem);
    free(mem);
    free(ad);
    return rc;
}
