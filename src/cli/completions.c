/*
 * completions.c - `modelmem --completions bash|zsh|fish`: the shell
 * completion scripts, written from the one table of options (options.c):
 * the commands, each command's options, the values of the options that
 * take one of a list, file names where a path is due, and the GPU and
 * instance names the library knows (mm_gpu_name_at). The build writes the
 * three into the build folder and installs them where each shell looks
 * (CMakeLists.txt).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* Names a script can hold unquoted: the table's and the GPU table's. */
static bool plain(const char *s)
{
    for (; *s != '\0'; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.')) {
            return false;
        }
    }
    return true;
}

/* The values an option lists (its aliases are taken, not offered). */
static void words(FILE *f, const struct cli_value *list)
{
    const char *sep = "";
    for (; list->name != NULL; list++) {
        if (list->use == CLI_LISTED) {
            fprintf(f, "%s%s", sep, list->name);
            sep = " ";
        }
    }
}

static void gpu_words(FILE *f)
{
    size_t i;
    const char *sep = "";
    for (i = 0; i < mm_gpu_name_count(); i++) {
        if (plain(mm_gpu_name_at(i))) {
            fprintf(f, "%s%s", sep, mm_gpu_name_at(i));
            sep = " ";
        }
    }
}

static void command_words(FILE *f)
{
    size_t i;
    for (i = 0; i < cli_command_count; i++) {
        fprintf(f, "%s%s", i > 0 ? " " : "", cli_commands[i].name);
    }
}

/* The names of the options of `bit` (0: those before any command). */
static void option_words(FILE *f, unsigned bit, const char *sep)
{
    size_t i;
    const char *s = "";
    for (i = 0; i < cli_option_count; i++) {
        const struct cli_option *o = &cli_options[i];
        if (bit == 0 ? o->commands == 0 : (o->commands & bit) != 0) {
            if (o->short_name != NULL && o->short_name[0] != '\0') {
                fprintf(f, "%s%s", s, o->short_name);
                s = sep;
            }
            fprintf(f, "%s%s", s, o->name);
            s = sep;
        }
    }
}

/* The first line of a help text inside a single-quoted string: for fish
 * (zsh false), ' and \ escaped by a backslash; for zsh, ' as '\'' and ':'
 * escaped for _describe. */
static void first_line(FILE *f, const char *help, bool zsh_quoting)
{
    for (; *help != '\0' && *help != '\n'; help++) {
        if (*help == '\'' && zsh_quoting) {
            fputs("'\\''", f);
            continue;
        }
        if (*help == '\\' || *help == '\'' || (zsh_quoting && *help == ':')) {
            fputc('\\', f);
        }
        fputc(*help, f);
    }
}

/* The options whose values are of `kind`, as a case pattern (a|b|c). */
static bool kind_pattern(FILE *f, enum cli_value_kind kind)
{
    size_t i;
    bool any = false;
    for (i = 0; i < cli_option_count; i++) {
        if (cli_options[i].value == kind) {
            fprintf(f, "%s%s", any ? "|" : "", cli_options[i].name);
            any = true;
        }
    }
    return any;
}

/* What bash and zsh scripts differ in, around the same two case
 * statements: the command (the first argument), then the values the
 * previous word, an option, takes. */
struct shell_syntax {
    const char *has_command; /* a test that there is a first argument before the current */
    const char *command;     /* the first argument */
    const char *open;        /* an array of words: open, the words, close */
    const char *close;
    const char *files;       /* the action for a path */
    const char *any;         /* the action for a value with nothing to offer */
};

static const struct shell_syntax bash_syntax = {
    "((COMP_CWORD > 1))", "${COMP_WORDS[1]}", "'", "'",
    "\n        COMPREPLY=($(compgen -f -- \"$cur\"))\n        return ;;",
    "\n        COMPREPLY=()\n        return ;;"};

static const struct shell_syntax zsh_syntax = {
    "(( CURRENT > 2 ))", "${words[2]}", "(", ")", " _files; return ;;",
    " _message -e value ${prev#--}; return ;;"};

/* The two case statements, setting cmd and values, or returning. */
static void dispatch(FILE *f, const struct shell_syntax *sh)
{
    size_t i;
    fprintf(f, "    if %s; then\n        case %s in\n        ", sh->has_command, sh->command);
    for (i = 0; i < cli_command_count; i++) {
        fprintf(f, "%s%s", i > 0 ? "|" : "", cli_commands[i].name);
    }
    fprintf(f, ") cmd=%s ;;\n        esac\n    fi\n    case $prev in\n", sh->command);
    for (i = 0; i < cli_option_count; i++) {
        const struct cli_option *o = &cli_options[i];
        if (o->value == CLI_VALUE_LIST) {
            fprintf(f, "    %s) values=%s", o->name, sh->open);
            words(f, o->values);
            fprintf(f, "%s ;;\n", sh->close);
        } else if (o->value == CLI_VALUE_GPU) {
            fprintf(f, "    %s) values=%s", o->name, sh->open);
            gpu_words(f);
            fprintf(f, "%s ;;\n", sh->close);
        }
    }
    fputs("    ", f);
    if (kind_pattern(f, CLI_VALUE_FILE)) {
        fprintf(f, ")%s\n    ", sh->files);
    }
    if (kind_pattern(f, CLI_VALUE_ANY)) {
        fprintf(f, ")%s\n", sh->any);
    }
}

static void bash(FILE *f)
{
    size_t i;
    fputs("# bash completion for modelmem (written by `modelmem --completions bash`)\n"
          "_modelmem()\n"
          "{\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]} prev='' cmd=estimate values='' opts\n"
          "    local IFS=$' \\t\\n'\n"
          "    if ((COMP_CWORD > 0)); then prev=${COMP_WORDS[COMP_CWORD - 1]}; fi\n"
          "    # --opt=value: split by COMP_WORDBREAKS into --opt, =, value\n"
          "    if [[ $cur == = ]]; then cur=''; elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then\n"
          "        prev=${COMP_WORDS[COMP_CWORD - 2]}\n"
          "    fi\n"
          "    if [[ $cur == --*=* ]]; then prev=${cur%%=*}; cur=${cur#*=}; fi\n",
          f);
    dispatch(f, &bash_syntax);
    fputs("    esac\n"
          "    if [[ -n $values ]]; then\n"
          "        if [[ $prev == --dtypes && $cur == *,* ]]; then\n"
          "            # a comma-separated list: the last item\n"
          "            local head=${cur%,*}, word\n"
          "            COMPREPLY=()\n"
          "            for word in $values; do\n"
          "                [[ $head$word == \"$cur\"* ]] && COMPREPLY+=(\"$head$word\")\n"
          "            done\n"
          "        else\n"
          "            COMPREPLY=($(compgen -W \"$values\" -- \"$cur\"))\n"
          "        fi\n"
          "        return\n"
          "    fi\n"
          "    case $cmd in\n",
          f);
    for (i = 0; i < cli_command_count; i++) {
        fprintf(f, "    %s) opts='", cli_commands[i].name);
        option_words(f, cli_commands[i].bit, " ");
        fputs("' ;;\n", f);
    }
    fputs("    esac\n"
          "    if ((COMP_CWORD == 1)); then opts=\"$opts ",
          f);
    option_words(f, 0, " ");
    fputs("\"; fi\n"
          "    if [[ $cur == -* ]]; then\n"
          "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
          "    elif ((COMP_CWORD == 1)); then\n"
          "        COMPREPLY=($(compgen -W '",
          f);
    command_words(f);
    fputs("' -- \"$cur\") $(compgen -f -- \"$cur\"))\n"
          "    else\n"
          "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
          "    fi\n"
          "}\n"
          "complete -o filenames -F _modelmem modelmem\n",
          f);
}

/* zsh: the options of a command as _describe's "name:description". */
static void zsh_options(FILE *f, unsigned bit)
{
    size_t i;
    for (i = 0; i < cli_option_count; i++) {
        const struct cli_option *o = &cli_options[i];
        if ((o->commands & bit) == 0) {
            continue;
        }
        if (o->short_name != NULL && o->short_name[0] != '\0') {
            fprintf(f, "        '%s:", o->short_name);
            first_line(f, o->help, true);
            fputs("'\n", f);
        }
        fprintf(f, "        '%s:", o->name);
        first_line(f, o->help, true);
        fputs("'\n", f);
    }
}

static void zsh(FILE *f)
{
    size_t i;
    fputs("#compdef modelmem\n"
          "# zsh completion for modelmem (written by `modelmem --completions zsh`)\n"
          "_modelmem() {\n"
          "    local cur=${words[CURRENT]} prev=${words[CURRENT-1]} cmd=estimate\n"
          "    local -a opts values\n"
          "    if [[ $cur == --*=* ]]; then\n"
          "        prev=${cur%%=*}; compset -P '*='; cur=${cur#*=}\n"
          "    fi\n",
          f);
    dispatch(f, &zsh_syntax);
    fputs("    esac\n"
          "    if (( ${#values} )); then\n"
          "        if [[ $prev == --dtypes ]]; then compset -P '*,'; fi\n"
          "        compadd -a values\n"
          "        return\n"
          "    fi\n"
          "    if [[ $cur == -* ]]; then\n"
          "        case $cmd in\n",
          f);
    for (i = 0; i < cli_command_count; i++) {
        fprintf(f, "        %s) opts=(\n", cli_commands[i].name);
        zsh_options(f, cli_commands[i].bit);
        fputs("        ) ;;\n", f);
    }
    fputs("        esac\n"
          "        if (( CURRENT == 2 )); then opts+=(\n",
          f);
    for (i = 0; i < cli_option_count; i++) {
        const struct cli_option *o = &cli_options[i];
        if (o->commands == 0) {
            fprintf(f, "            '%s:", o->name);
            first_line(f, o->help, true);
            fputs("'\n", f);
        }
    }
    fputs("        ); fi\n"
          "        _describe -t options option opts\n"
          "        return\n"
          "    fi\n"
          "    if (( CURRENT == 2 )); then\n"
          "        local -a commands\n"
          "        commands=(\n",
          f);
    for (i = 0; i < cli_command_count; i++) {
        fprintf(f, "            '%s:", cli_commands[i].name);
        first_line(f, cli_commands[i].summary, true);
        fputs("'\n", f);
    }
    fputs("        )\n"
          "        _describe -t commands command commands\n"
          "    fi\n"
          "    _files\n"
          "}\n"
          "_modelmem \"$@\"\n",
          f);
}

static void fish(FILE *f)
{
    size_t i;
    size_t k;
    fputs("# fish completion for modelmem (written by `modelmem --completions fish`)\n"
          "function __modelmem_command\n"
          "    set -l tokens (commandline -opc)\n"
          "    if test (count $tokens) -ge 2; and contains -- $tokens[2] ",
          f);
    command_words(f);
    fputs("\n        echo $tokens[2]\n"
          "    else\n"
          "        echo estimate\n"
          "    end\n"
          "end\n"
          "function __modelmem_for\n"
          "    contains -- (__modelmem_command) $argv\n"
          "end\n"
          "function __modelmem_first\n"
          "    test (count (commandline -opc)) -eq 1\n"
          "end\n"
          "function __modelmem_gpus\n"
          "    printf '%s\\n' ",
          f);
    gpu_words(f);
    fputs("\nend\n", f);
    for (i = 0; i < cli_command_count; i++) {
        fprintf(f, "complete -c modelmem -n __modelmem_first -a %s -d '", cli_commands[i].name);
        first_line(f, cli_commands[i].summary, false);
        fputs("'\n", f);
    }
    for (i = 0; i < cli_option_count; i++) {
        const struct cli_option *o = &cli_options[i];
        if (o->commands == 0) {
            fputs("complete -c modelmem -n __modelmem_first", f);
        } else {
            fputs("complete -c modelmem -n '__modelmem_for", f);
            for (k = 0; k < cli_command_count; k++) {
                if (o->commands & cli_commands[k].bit) {
                    fprintf(f, " %s", cli_commands[k].name);
                }
            }
            fputs("'", f);
        }
        if (o->short_name != NULL && o->short_name[0] != '\0') {
            fprintf(f, " -s %s", o->short_name + 1);
        }
        fprintf(f, " -l %s", o->name + 2);
        if (o->value == CLI_VALUE_LIST) {
            fputs(" -x -a '", f);
            words(f, o->values);
            fputs("'", f);
        } else if (o->value == CLI_VALUE_GPU) {
            fputs(" -x -a '(__modelmem_gpus)'", f);
        } else if (o->value == CLI_VALUE_FILE) {
            fputs(" -r -F", f);
        } else if (o->value == CLI_VALUE_ANY) {
            fputs(" -x", f);
        }
        fputs(" -d '", f);
        first_line(f, o->help, false);
        fputs("'\n", f);
    }
}

void cli_completions(FILE *f, int shell)
{
    /* indexed by the codes of the --completions row's values (options.c) */
    static void (*const write[])(FILE *f) = {[CLI_SHELL_BASH] = bash,
                                             [CLI_SHELL_ZSH] = zsh,
                                             [CLI_SHELL_FISH] = fish};
    write[shell](f);
}
