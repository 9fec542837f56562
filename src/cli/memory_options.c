/* memory_options.c - estimate's inference, training and multi-GPU options, the
 * model's config.json, and the call to mm_memory_run. */
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
static const char *const sized_names[S_COUNT] = {"--context", "--batch", "--overhead",
                                                 "--lora-rank", "--gpus", "--gpu"};
_Static_assert(sizeof(((struct cli_memory *)0)->typed) == S_COUNT * sizeof(const char *),
               "cli_memory.typed has one entry per sized option");

/* Index of `s` in a NULL-terminated list, or -1. */
static int choice(const char *s, const char *const *list)
{
    int i;
    for (i = 0; list[i] != NULL; i++) {
        if (strcmp(s, list[i]) == 0) {
            return i;
        }
    }
    return -1;
}

static int kv_dtype_bytes(const char *s, unsigned *out)
{
    static const char *const names[] = {"auto", "fp32", "float32", "fp16", "float16", "bf16",
                                        "bfloat16", "auto16", "fp8", "fp8_e4m3", "fp8_e5m2",
                                        "int8", NULL};
    static const unsigned bytes[] = {0, 4, 4, 2, 2, 2, 2, 2, 1, 1, 1, 1};
    const char *name = cli_value_alias("--kv-dtype", s, names);
    int k = choice(name, names);
    if (k < 0) {
        return -1;
    }
    *out = bytes[k];
    return 0;
}

static int lora_targets(struct cli_memory *m, const char *list)
{
    char *s;
    char *p;
    free(m->targets_buf);
    m->targets_buf = strdup(list);
    if (m->targets_buf == NULL) {
        return cli_usage_error("out of memory");
    }
    m->params.nlora_targets = 0;
    s = m->targets_buf;
    for (;;) {
        p = strchr(s, ',');
        if (p != NULL) {
            *p = '\0';
        }
        if (s[0] == '\0' || m->params.nlora_targets >= MM_LIMIT_LORA_TARGETS) {
            return cli_usage_error("--lora-targets: empty name or more than %u names",
                                   MM_LIMIT_LORA_TARGETS);
        }
        m->params.lora_targets[m->params.nlora_targets++] = s;
        if (p == NULL) {
            return 0;
        }
        s = p + 1;
    }
}

static int set_gpu(struct cli_memory *m, const char *v)
{
    struct mm_gpu_lookup l;
    const enum mm_status st = mm_gpu_lookup(&l, v);
    uint64_t bytes;
    bool dec = false;
    if (st == MM_OK) {
        cli_gpu_chosen(m, &l);
        return 0;
    }
    if (st == MM_ERR_NOT_FOUND && cli_parse_size(v, true, &bytes, &dec) == 0 && bytes > 0) {
        m->gpu = NULL;
        snprintf(m->gpu_label, sizeof(m->gpu_label), "%s", v);
        cli_gpu_size_title(m, v, bytes, dec);
        m->params.device_bytes = bytes;
        m->params.device_name = NULL;
        return 0;
    }
    return cli_gpu_unknown(v, &l);
}

/* The options that name one of a list: the index chosen, or -1 (printed). */
static int take_choice(const char *opt, const char *v)
{
    static const struct {
        const char *opt;
        const char *const list[9];
        const char *say;
    } tab[] = {
        {"--train", {"none", "full", "lora", "qlora"}, "full, lora or qlora"},
        {"--optimizer", {"adamw", "adamw8bit", "sgd", "adafactor"},
         "adamw, adamw8bit, sgd or adafactor"},
        {"--precision", {"bf16-mixed", "fp16-mixed", "fp32"}, "fp32, bf16-mixed or fp16-mixed"},
        {"--parallel", {"dp", "tp", "pp", "zero1", "zero2", "zero3", "layers", "fsdp"},
         "dp, tp, pp, layers, zero1, zero2, zero3 or fsdp"},
        {"--attention", {"sdpa", "eager", "auto"}, "auto, sdpa or eager"},
        {"--loss", {"fp32", "16bit", "fused"}, "fp32, 16bit or fused"},
    };
    const char *name;
    char hint[128];
    size_t t;
    int k;
    for (t = 0; strcmp(tab[t].opt, opt) != 0; t++) {
    }
    name = cli_value_alias(opt, v, tab[t].list);
    for (k = 0; k < (int)(sizeof(tab[t].list) / sizeof(tab[t].list[0])) && tab[t].list[k] != NULL;
         k++) {
        if (strcmp(name, tab[t].list[k]) == 0) {
            return k;
        }
    }
    cli_did_you_mean(hint, sizeof(hint), opt, v, tab[t].list);
    cli_usage_error("%s: choose %s, not '%s'%s", opt, tab[t].say, v, hint);
    return -1;
}

/* A probability such as 0.05: only whether it is above 0 changes the
 * figures (PEFT then keeps a dropped copy of each adapter's input). */
static int lora_dropout(struct cli_memory *m, const char *v)
{
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

/* The options that take a number or a size; 0 or EXIT_USAGE (printed). */
static int take_number(struct cli_memory *m, const char *opt, const char *v)
{
    struct mm_memory_params *p = &m->params;
    uint64_t u;
    if (strcmp(opt, "--context") == 0) {
        return cli_parse_count(v, 1, UINT32_MAX, &p->context) == 0
                   ? 0
                   : cli_usage_error("--context takes a number of tokens such as 4096 or 8k "
                                     "(k = 1024), not '%s'",
                                     v);
    }
    if (strcmp(opt, "--batch") == 0) {
        return cli_parse_u64(v, 1, UINT32_MAX, &p->batch) == 0
                   ? 0
                   : cli_usage_error("--batch takes a number of sequences, not '%s'", v);
    }
    if (strcmp(opt, "--overhead") == 0) {
        p->overhead_set = 1;
        return cli_parse_size(v, false, &p->overhead_bytes, NULL) == 0
                   ? 0
                   : cli_usage_error("--overhead takes a size such as 512MiB or 1.5GiB, not '%s'", v);
    }
    if (strcmp(opt, "--lora-dropout") == 0) {
        return lora_dropout(m, v);
    }
    if (strcmp(opt, "--lora-rank") == 0) {
        return cli_parse_u64(v, 1, 65536, &p->lora_rank) == 0
                   ? 0
                   : cli_usage_error("--lora-rank takes a number from 1 to 65536, not '%s'", v);
    }
    if (cli_parse_u64(v, 1, MM_LIMIT_GPUS, &u) != 0) { /* --gpus */
        return cli_usage_error("--gpus takes a number from 1 to %u, not '%s'", MM_LIMIT_GPUS,
                               v);
    }
    p->gpus = (unsigned)u;
    return 0;
}

/* The option `opt` with its value `v`; returns 0 or EXIT_USAGE. */
static int take(struct cli_memory *m, const char *opt, const char *v)
{
    struct mm_memory_params *p = &m->params;
    int k;
    if (strcmp(opt, "--kv-dtype") == 0) {
        return kv_dtype_bytes(v, &p->kv_bytes) == 0 ? 0 : cli_kv_dtype_unknown(v);
    }
    if (strcmp(opt, "--lora-targets") == 0) {
        return lora_targets(m, v);
    }
    if (strcmp(opt, "--gpu") == 0) {
        return set_gpu(m, v);
    }
    if (strcmp(opt, "--config") == 0) {
        m->config_path = v;
        return 0;
    }
    if (strcmp(opt, "--train") != 0 && strcmp(opt, "--optimizer") != 0 &&
        strcmp(opt, "--precision") != 0 && strcmp(opt, "--parallel") != 0 &&
        strcmp(opt, "--attention") != 0 && strcmp(opt, "--loss") != 0) {
        return take_number(m, opt, v);
    }
    k = take_choice(opt, v);
    if (k < 0) {
        return EXIT_USAGE;
    }
    if (strcmp(opt, "--train") == 0) {
        p->train = (enum mm_train_mode)k;
    } else if (strcmp(opt, "--optimizer") == 0) {
        p->optimizer = (enum mm_optimizer)k;
    } else if (strcmp(opt, "--precision") == 0) {
        p->precision = (enum mm_precision)k;
    } else if (strcmp(opt, "--parallel") == 0) {
        static const enum mm_parallel modes[] = {MM_PAR_DP,    MM_PAR_TP,    MM_PAR_PP,
                                                 MM_PAR_ZERO1, MM_PAR_ZERO2, MM_PAR_ZERO3,
                                                 MM_PAR_LAYERS, MM_PAR_FSDP};
        p->parallel = modes[k];
    } else if (strcmp(opt, "--loss") == 0) {
        p->loss = (enum mm_loss)k;
    } else {
        p->attention = (enum mm_attention)k;
    }
    return 0;
}

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

int cli_take_memory(struct cli_parse *p, const struct cli_option *opt, const char *value)
{
    struct cli_memory *m = p->memory;
    const char *name = opt->name;
    size_t s;
    m->any = true;
    if (strcmp(name, "--grad-checkpointing") == 0 ||
        strcmp(name, "--no-grad-checkpointing") == 0) {
        m->params.checkpointing = name[2] == 'n' ? MM_CKPT_OFF : MM_CKPT_ON;
        return 0;
    }
    if (strcmp(name, "--inference") == 0) {
        m->want_inference = true;
        return 0;
    }
    if (take(m, name, value) != 0) {
        return EXIT_USAGE;
    }
    for (s = 0; s < S_COUNT; s++) {
        if (strcmp(name, sized_names[s]) == 0) {
            m->typed[s] = value;
        }
    }
    if (strcmp(name, "--context") == 0 || strcmp(name, "--kv-dtype") == 0) {
        m->want_inference = true;
    }
    return 0;
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
        if (m->typed[k] != NULL) {
            set_sized(&base, &dflt, (enum sized)k);
        }
    }
    if (overflows(m, inv, &base)) {
        return false;
    }
    for (k = 0; k < S_COUNT; k++) {
        struct mm_memory_params q = m->params;
        if (m->typed[k] != NULL && (k != S_GPU || n == 0)) {
            set_sized(&q, &dflt, (enum sized)k);
            named[k] = !overflows(m, inv, &q);
            n += named[k];
        }
    }
    if (n == 0) {
        for (k = 0; k < S_COUNT; k++) {
            struct mm_memory_params q = base;
            set_sized(&q, &m->params, (enum sized)k);
            named[k] = m->typed[k] != NULL && overflows(m, inv, &q);
            n += named[k];
        }
    }
    if (n == 0) {
        for (k = 0; k < S_COUNT; k++) {
            named[k] = m->typed[k] != NULL;
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
        const char *v = k == S_GPU && m->gpu != NULL ? m->gpu->name : m->typed[k];
        if (named[k] && used < sizeof(list)) {
            const int w = snprintf(list + used, sizeof(list) - used, "%s%s %s",
                                   count > 0 ? ", " : "", sized_names[k], v);
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
    if (m->instance_gpus > 0 && m->typed[S_GPUS] == NULL) {
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
