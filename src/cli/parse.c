/* parse.c - a command's arguments, parsed by the option table (options.c):
 * one loop for every command, each option handed to its row's handler;
 * an option that does not apply is refused with the commands it applies
 * to, or the reason its row gives. */
#include <string.h>

#include "cli/cli.h"

const struct cli_option *cli_option_find(const char *arg, const char **value)
{
    size_t k;
    *value = NULL;
    for (k = 0; k < cli_option_count; k++) {
        const struct cli_option *o = &cli_options[k];
        const size_t n = strlen(o->name);
        if (o->short_name != NULL && o->short_name[0] != '\0' &&
            strcmp(arg, o->short_name) == 0) {
            return o;
        }
        if (strncmp(arg, o->name, n) != 0) {
            continue;
        }
        if (arg[n] == '\0') {
            return o;
        }
        if (arg[n] == '=' && o->arg != NULL) {
            *value = arg + n + 1;
            return o;
        }
    }
    return NULL;
}

/* "--checksums does not apply to estimate (only to verify)". */
static int not_applying(const struct cli_parse *p, const struct cli_option *o)
{
    char only[96] = "";
    size_t used = 0;
    size_t k;
    const char *why = (o->why_for & p->cmd->bit) != 0 ? o->why : NULL;
    for (k = 0; k < cli_command_count && o->commands != 0; k++) {
        if ((o->commands & cli_commands[k].bit) != 0 && used < sizeof(only)) {
            const int n = snprintf(only + used, sizeof(only) - used, "%s%s",
                                   used == 0 ? " (only to " : ", ", cli_commands[k].name);
            used += n > 0 ? (size_t)n : 0;
        }
    }
    if (used > 0 && used < sizeof(only) - 1) {
        only[used] = ')';
        only[used + 1] = '\0';
    }
    if (why != NULL) {
        return cli_usage_error("%s does not apply to %s: %s", o->name, p->cmd->name, why);
    }
    return cli_usage_error("%s does not apply to %s%s", o->name, p->cmd->name, only);
}

/* The option at p->i, its value taken; 0, -1 or EXIT_USAGE. */
static int take_option(struct cli_parse *p, const char *arg)
{
    const char *value = NULL;
    const struct cli_option *o = cli_option_find(arg, &value);
    if (o == NULL) {
        char hint[96];
        cli_option_hint(hint, sizeof(hint), arg);
        return cli_usage_error("%s: unknown option '%s'%s", p->cmd->name, arg, hint);
    }
    if ((o->commands & p->cmd->bit) == 0 || o->take == NULL) {
        return not_applying(p, o);
    }
    if (o->arg != NULL && value == NULL) {
        /* the next argument, whatever it is: "--n-gpu-layers -1" is refused
         * by --n-gpu-layers, not taken as an option */
        if (p->i + 1 >= p->argc) {
            return cli_usage_error("option '%s' needs %s", o->name,
                                   o->needs != NULL ? o->needs : "a value");
        }
        value = p->argv[++p->i];
    }
    return o->take(p, o, value);
}

int cli_parse(struct cli_parse *p)
{
    for (p->i = 0; p->i < p->argc; p->i++) {
        const char *a = p->argv[p->i];
        const int r = a[0] == '-' && a[1] != '\0' ? take_option(p, a) : p->positional(p, a);
        if (r != 0) {
            return r;
        }
    }
    return EXIT_OK;
}

int cli_take_help(struct cli_parse *p, const struct cli_option *opt, const char *value)
{
    (void)opt;
    (void)value;
    cli_help_command(stdout, p->cmd->name);
    return -1;
}

/* serve's own options, here rather than in cmd_serve.c, which the browser
 * build (web/build.sh) leaves out with the server it starts. */
int cli_take_listen(struct cli_parse *p, const struct cli_option *opt, const char *value)
{
    (void)opt;
    p->serve->listen = value;
    return 0;
}

int cli_take_token(struct cli_parse *p, const struct cli_option *opt, const char *value)
{
    (void)opt;
    p->serve->token_file = value;
    return 0;
}

int cli_parse_plain(struct cli_common *c, int argc, char **argv, const char *cmd)
{
    struct cli_parse p;
    int rc;
    memset(c, 0, sizeof(*c));
    memset(&p, 0, sizeof(p));
    p.cmd = cli_command_find(cmd);
    p.argc = argc;
    p.argv = argv;
    p.common = c;
    p.positional = cli_take_target;
    rc = cli_parse(&p);
    if (rc != EXIT_OK) {
        return rc;
    }
    if (c->target == NULL) {
        return cli_usage_error("%s: missing TARGET", cmd);
    }
    return EXIT_OK;
}
