/* memory_options.c - estimate's inference, training and multi-GPU options
 * (the handlers their rows name, options.c; cli_take_choice, in
 * option_values.c, for those that take one of a list), the model's config.json, and the call to
 * mm_memory_run. */
#include <assert.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"

/* Tokens when --context is not given. */
#define DEFAULT_CONTEXT 4096u

/* The options whose values size the figures, indexes of cli_memory.typed,
 * in the order an overflow names them. */
enum sized { S_CONTEXT, S_BATCH, S_OVERHEAD, S_LORA_RANK, S_GPUS, S_GPU, S_COUNT };
_Static_assert(sizeof(((struct cli_memory *)0)->typed) == S_COUNT * sizeof(struct cli_typed),
               "cli_memory.typed has one entry per sized option");

void cli_memory_init(struct cli_memory *m)
{
    const struct mm_memory_params init = MM_MEMORY_PARAMS_INIT;
    memset(m, 0, sizeof(*m));
    m->params = init;
    m->params.context = DEFAULT_CONTEXT;
}

void cli_memory_free(struct cli_memory *m)
{
    free(m->targets_buf);
    m->targets_buf = NULL;
    mm_config_free(m->cfg);
    m->cfg = NULL;
}

/* A sized option, `ok` when its value was taken: its name and value as
 * typed kept for an overflow's error; else the usage error saying what it
 * takes. 0 or EXIT_USAGE. */
static int sized(struct cli_memory *m, enum sized k, const struct cli_option *opt,
                 const char *value, bool ok, const char *takes)
{
    if (!ok) {
        return cli_usage_error("%s takes %s, not '%s'", opt->name, takes, value);
    }
    m->typed[k].option = opt->name;
    m->typed[k].value = value;
    return 0;
}

int cli_take_context(struct cli_parse *p, const struct cli_option *opt, const char *v)
{
    struct cli_memory *m = cli_memory_given(p, opt);
    m->want_inference = true;
    return sized(m, S_CONTEXT, opt, v, cli_parse_count(v, 1, UINT32_MAX, &m->params.context) == 0,
                 "a number of tokens such as 4096 or 8k (k = 1024)");
}

int cli_take_batch(struct cli_parse *p, const struct cli_option *opt, const char *v)
{
    struct cli_memory *m = cli_memory_given(p, opt);
    return sized(m, S_BATCH, opt, v, cli_parse_u64(v, 1, UINT32_MAX, &m->params.batch) == 0,
                 "a number of sequences");
}

int cli_take_overhead(struct cli_parse *p, const struct cli_option *opt, const char *v)
{
    struct cli_memory *m = cli_memory_given(p, opt);
    m->params.overhead_set = 1;
    return sized(m, S_OVERHEAD, opt, v,
                 cli_parse_size(v, false, &m->params.overhead_bytes, NULL) == 0,
                 "a size such as 512MiB or 1.5GiB");
}

int cli_take_lora_rank(struct cli_parse *p, const struct cli_option *opt, const char *v)
{
    struct cli_memory *m = cli_memory_given(p, opt);
    return sized(m, S_LORA_RANK, opt, v, cli_parse_u64(v, 1, 65536, &m->params.lora_rank) == 0,
                 "a number from 1 to 65536");
}

int cli_take_gpus(struct cli_parse *p, const struct cli_option *opt, const char *v)
{
    struct cli_memory *m = cli_memory_given(p, opt);
    uint64_t u;
    if (cli_parse_u64(v, 1, MM_LIMIT_GPUS, &u) != 0) {
        return cli_usage_error("--gpus takes a number from 1 to %u, not '%s'", MM_LIMIT_GPUS,
                               v);
    }
    m->params.gpus = (unsigned)u;
    return sized(m, S_GPUS, opt, v, true, NULL);
}

int cli_take_gpu(struct cli_parse *p, const struct cli_option *opt, const char *v)
{
    struct cli_memory *m = cli_memory_given(p, opt);
    struct mm_gpu_lookup l;
    const enum mm_status st = mm_gpu_lookup(&l, v);
    uint64_t bytes;
    bool dec = false;
    if (st == MM_OK) {
        cli_gpu_chosen(m, &l);
        return sized(m, S_GPU, opt, v, true, NULL);
    }
    if (st == MM_ERR_NOT_FOUND && cli_parse_size(v, true, &bytes, &dec) == 0 && bytes > 0) {
        m->gpu = NULL;
        snprintf(m->gpu_label, sizeof(m->gpu_label), "%s", v);
        cli_gpu_size_title(m, v, bytes, dec);
        m->params.device_bytes = bytes;
        m->params.device_name = NULL;
        return sized(m, S_GPU, opt, v, true, NULL);
    }
    return cli_gpu_unknown(v, &l);
}

int cli_take_kv_dtype(struct cli_parse *p, const struct cli_option *opt, const char *v)
{
    struct cli_memory *m = cli_memory_given(p, opt);
    const struct cli_value *c = cli_value_find(opt, v);
    if (c == NULL) {
        return cli_kv_dtype_unknown(opt, v);
    }
    m->params.kv_bytes = (unsigned)c->code;
    m->want_inference = true;
    return 0;
}

int cli_take_lora_targets(struct cli_parse *p, const struct cli_option *opt, const char *list)
{
    struct cli_memory *m = cli_memory_given(p, opt);
    char *s;
    char *comma;
    free(m->targets_buf);
    m->targets_buf = strdup(list);
    if (m->targets_buf == NULL) {
        return cli_usage_error("out of memory");
    }
    m->params.nlora_targets = 0;
    s = m->targets_buf;
    for (;;) {
        comma = strchr(s, ',');
        if (comma != NULL) {
            *comma = '\0';
        }
        if (s[0] == '\0' || m->params.nlora_targets >= MM_LIMIT_LORA_TARGETS) {
            return cli_usage_error("--lora-targets: empty name or more than %u names",
                                   MM_LIMIT_LORA_TARGETS);
        }
        m->params.lora_targets[m->params.nlora_targets++] = s;
        if (comma == NULL) {
            return 0;
        }
        s = comma + 1;
    }
}

/* A probability such as 0.05: only whether it is above 0 changes the
 * figures (PEFT then keeps a dropped copy of each adapter's input). */
int cli_take_lora_dropout(struct cli_parse *p, const struct cli_option *opt, const char *v)
{
    struct cli_memory *m = cli_memory_given(p, opt);
    char *end = NULL;
    double d;
    errno = 0;
    d = strtod(v, &end);
    if (errno != 0 || end == v || *end != '\0' || !(d >= 0.0 && d <= 1.0) ||
        v[0] < '0' || v[0] > '9') {
        return cli_usage_error("--lora-dropout takes a probability from 0 to 1, not '%s'", v);
    }
    m->params.lora_dropout = d > 0.0;
    return 0;
}

int cli_take_config(struct cli_parse *p, const struct cli_option *opt, const char *path)
{
    cli_memory_given(p, opt)->config_path = path;
    return 0;
}

int cli_take_inference(struct cli_parse *p, const struct cli_option *opt, const char *value)
{
    (void)value;
    cli_memory_given(p, opt)->want_inference = true;
    return 0;
}

/* --grad-checkpointing, --no-grad-checkpointing: on or off. */
static int checkpointing(struct cli_parse *p, const struct cli_option *opt, const char *value,
                         enum mm_checkpointing on_off)
{
    (void)value;
    cli_memory_given(p, opt)->params.checkpointing = on_off;
    return 0;
}

int cli_take_checkpointing(struct cli_parse *p, const struct cli_option *opt,
                           const char *value)
{
    return checkpointing(p, opt, value, MM_CKPT_ON);
}

int cli_take_no_checkpointing(struct cli_parse *p, const struct cli_option *opt,
                              const char *value)
{
    return checkpointing(p, opt, value, MM_CKPT_OFF);
}

void cli_memory_style(struct cli_memory *m)
{
    const char *nc = getenv("NO_COLOR");
    const char *cs;
    setlocale(LC_CTYPE, "");
    cs = nl_langinfo(CODESET);
    m->utf8 = cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
    m->color = isatty(STDOUT_FILENO) && (nc == NULL || nc[0] == '\0');
}

/* Loads config.json next to the weights (or --config). A missing file is
 * no error unless --config named it; a broken one is, when the options
 * need it, else a warning. */
int cli_memory_config(struct cli_memory *m, const char *target, bool quiet)
{
    struct mm_error err;
    enum mm_status st;
    if (m->config_path != NULL) {
        snprintf(m->config_file, sizeof(m->config_file), "%s", m->config_path);
        st = mm_config_load(&m->cfg, m->config_file, &err);
    } else if (mm_config_path(m->config_file, sizeof(m->config_file), target) != 0) {
        m->config_file[0] = '\0';
        return EXIT_OK;
    } else {
        st = mm_config_load_for(&m->cfg, target, &err);
    }
    if (st == MM_ERR_NOT_FOUND && m->config_path == NULL) {
        m->config_file[0] = '\0';
        return EXIT_OK;
    }
    if (st != MM_OK) {
        if (m->any || m->config_path != NULL) {
            cli_print_error(&err);
            return EXIT_INPUT;
        }
        if (!quiet) {
            char line[MM_ERROR_FILE_MAX + MM_ERROR_TENSOR_MAX + MM_ERROR_MESSAGE_MAX + 64];
            mm_error_format(line, sizeof(line), &err);
            cli_diag("warning: %s (config ignored)", line);
        }
        m->config_file[0] = '\0';
    } else if (!quiet && mm_config_geometry(m->cfg)->hybrid_unresolved) {
        cli_diag("warning: %s: the config sizes linear-attention or state-space layers but "
                 "not which layers they are; every layer is counted as attention",
                 m->config_file);
    }
    return EXIT_OK;
}

/* Option `k`'s figure in `to` set as it is in `from`. */
static void set_sized(struct mm_memory_params *to, const struct mm_memory_params *from,
                      enum sized k)
{
    switch (k) {
    case S_CONTEXT:
        to->context = from->context;
        break;
    case S_BATCH:
        to->batch = from->batch;
        break;
    case S_OVERHEAD:
        to->overhead_bytes = from->overhead_bytes;
        break;
    case S_LORA_RANK:
        to->lora_rank = from->lora_rank;
        break;
    case S_GPUS:
        to->gpus = from->gpus;
        break;
    case S_GPU:
    case S_COUNT:
        to->device_bytes = from->device_bytes;
        break;
    }
}

/* Whether the estimate with `q` overflows (MM_ERR_LIMIT). */
static bool overflows(const struct cli_memory *m, const struct mm_inventory *inv,
                      const struct mm_memory_params *q)
{
    struct mm_memory r;
    struct mm_error err;
    return mm_memory_run(&r, inv, m->cfg, q, &err) == MM_ERR_LIMIT;
}

/* Marks in `named` the options given that drove an overflow: those without
 * which it goes away (--gpu, which only matters through a headroom, when no
 * other one does); else those that overflow with the others at their
 * defaults; else all given. Returns false when it overflows with all of
 * them at their defaults: the model, not an option, is to blame. */
static bool overflow_drivers(bool *named, const struct cli_memory *m,
                             const struct mm_inventory *inv)
{
    const struct mm_memory_params init = MM_MEMORY_PARAMS_INIT;
    struct mm_memory_params dflt = init;
    struct mm_memory_params base = m->params;
    size_t n = 0;
    int k;
    dflt.context = DEFAULT_CONTEXT;
    dflt.device_bytes = 0; /* no verdict */
    for (k = 0; k < S_COUNT; k++) {
        named[k] = false;
        if (m->typed[k].value != NULL) {
            set_sized(&base, &dflt, (enum sized)k);
        }
    }
    if (overflows(m, inv, &base)) {
        return false;
    }
    for (k = 0; k < S_COUNT; k++) {
        struct mm_memory_params q = m->params;
        if (m->typed[k].value != NULL && (k != S_GPU || n == 0)) {
            set_sized(&q, &dflt, (enum sized)k);
            named[k] = !overflows(m, inv, &q);
            n += named[k];
        }
    }
    if (n == 0) {
        for (k = 0; k < S_COUNT; k++) {
            struct mm_memory_params q = base;
            set_sized(&q, &m->params, (enum sized)k);
            named[k] = m->typed[k].value != NULL && overflows(m, inv, &q);
            n += named[k];
        }
    }
    if (n == 0) {
        for (k = 0; k < S_COUNT; k++) {
            named[k] = m->typed[k].value != NULL;
        }
    }
    return true;
}

/* A figure would overflow: a usage error naming the options that drove it,
 * each with its value as typed (a GPU by its table name), or the library's
 * error when the model alone overflows. */
static int overflow_error(const struct cli_memory *m, const struct mm_inventory *inv,
                          const struct mm_error *err)
{
    bool named[S_COUNT];
    char list[512];
    size_t used = 0;
    unsigned count = 0;
    int k;
    if (!overflow_drivers(named, m, inv)) {
        if (m->config_file[0] == '\0') {
            cli_print_error(err);
        } else {
            cli_error("%s: %s, even with --context, --batch, --overhead and --gpu at their "
                     "defaults",
                     m->config_file, err->message);
        }
        return EXIT_INPUT;
    }
    list[0] = '\0';
    for (k = 0; k < S_COUNT; k++) {
        const char *v = k == S_GPU && m->gpu != NULL ? m->gpu->name : m->typed[k].value;
        if (named[k] && used < sizeof(list)) {
            const int w = snprintf(list + used, sizeof(list) - used, "%s%s %s",
                                   count > 0 ? ", " : "", m->typed[k].option, v);
            used += w > 0 ? (size_t)w : 0;
            count++;
        }
    }
    return cli_usage_error("%s: the estimate would overflow 64-bit figures; choose %s", list,
                           count > 1 ? "smaller values" : "a smaller value");
}

int cli_memory_run(struct cli_memory *m, const struct mm_inventory *inv)
{
    struct mm_error err;
    enum mm_status st;
    /* with --train, the inference plan only when asked for */
    m->params.inference = m->any && (m->params.train == MM_TRAIN_NONE || m->want_inference);
    if (m->instance_gpus > 0 && m->typed[S_GPUS].value == NULL) {
        m->params.gpus = m->instance_gpus; /* an explicit --gpus wins */
    }
    memset(&m->result, 0, sizeof(m->result));
    m->stored_parameters = mm_inventory_totals(inv)->parameters;
    st = mm_logical_parameters(&m->result.logical_parameters, m->logical_by_dtype, inv, m->cfg);
    if (st == MM_ERR_LIMIT) {
        cli_error("%s: the logical parameter count would pass 2^64 - 1",
                 m->config_file[0] != '\0' ? m->config_file : "config.json");
        return EXIT_INPUT;
    }
    if (st != MM_OK) {
        cli_nomem();
        return EXIT_INPUT;
    }
    if (!m->any) {
        return EXIT_OK;
    }
    if (cli_runtime_check(m) != EXIT_OK) {
        return EXIT_USAGE;
    }
    st = mm_memory_run(&m->result, inv, m->cfg, &m->params, &err);
    if (st == MM_ERR_LIMIT) {
        return overflow_error(m, inv, &err);
    }
    if (st != MM_OK) {
        if (err.file[0] == '\0' && err.code == MM_E_CONFIG_INVALID && m->config_file[0] != '\0') {
            /* the geometry came from config.json: the line names it */
            snprintf(err.file, sizeof(err.file), "%.*s", (int)sizeof(err.file) - 1, m->config_file);
        }
        cli_print_error(&err);
        /* a split the runtime refuses */
        return err.status == MM_ERR_INVALID_ARG ? EXIT_USAGE : EXIT_INPUT;
    }
    return cli_runtime_check_resolved(m);
}
