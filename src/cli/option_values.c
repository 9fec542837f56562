/* option_values.c - the values of the options that take one of a list
 * (their row's, options.c) and the usage error for one not known; --gpu
 * beyond the table's own names: cloud instances (a GPU and a count), sizes
 * in decimal units stated in binary ones, and the usage errors for a name
 * that fits several GPUs or none (with the nearest name); --kv-dtype's
 * error for a value not known; the handler of every option of a list
 * (cli_take_choice), and what each memory option's handler calls first
 * (cli_memory_given). */
#include <assert.h>
#include <string.h>

#include "cli/cli.h"

struct cli_memory *cli_memory_given(struct cli_parse *p, const struct cli_option *opt)
{
    struct cli_memory *m = p->memory;
    m->any = true;
    if ((opt->flags & CLI_VLLM) != 0) {
        m->vllm_option = opt->name;
    }
    if ((opt->flags & CLI_LLAMA) != 0) {
        m->llama_option = opt->name;
    }
    return m;
}

/* The options that take one of a list: the code of the value chosen (its
 * row's, options.c) is the value of the enum member of params the row
 * names. Every such member is an enum as wide as an int. */
_Static_assert(sizeof(enum mm_train_mode) == sizeof(int) &&
                   sizeof(enum mm_optimizer) == sizeof(int) &&
                   sizeof(enum mm_precision) == sizeof(int) &&
                   sizeof(enum mm_parallel) == sizeof(int) &&
                   sizeof(enum mm_attention) == sizeof(int) &&
                   sizeof(enum mm_loss) == sizeof(int) && sizeof(enum mm_runtime) == sizeof(int) &&
                   sizeof(enum mm_load_in) == sizeof(int) && sizeof(enum mm_dtype) == sizeof(int) &&
                   sizeof(enum mm_flash_attn) == sizeof(int),
               "cli_take_choice sets an enum member as an int");

int cli_take_choice(struct cli_parse *p, const struct cli_option *opt, const char *v)
{
    const int k = cli_choose(opt, v);
    struct cli_memory *m;
    if (k < 0) {
        return EXIT_USAGE;
    }
    m = cli_memory_given(p, opt);
    /* a row that names no member would have the version overwritten */
    assert(opt->member > 0 && opt->member + sizeof(k) <= sizeof(m->params));
    memcpy((unsigned char *)&m->params + opt->member, &k, sizeof(k));
    return 0;
}

void cli_gpu_chosen(struct cli_memory *m, const struct mm_gpu_lookup *l)
{
    m->gpu = l->gpu;
    m->params.device_bytes = l->gpu->usable_bytes;
    m->params.device_name = l->gpu->name;
    m->gpu_title[0] = '\0';
    m->instance = NULL;
    m->instance_gpus = 0;
    if (l->count > 0) {
        m->instance = l->instance;
        m->instance_gpus = l->count;
        snprintf(m->gpu_title, sizeof(m->gpu_title), "%s (%s): %u x %s", l->instance,
                 l->provider, l->count, l->gpu->name);
    }
}

/* "80GB" -> "80 GB = 74.51 GiB": a decimal size says what it is in the
 * binary units every figure is printed in. */
void cli_gpu_size_title(struct cli_memory *m, const char *typed, uint64_t bytes, bool decimal)
{
    char size[32];
    char num[32];
    size_t n = 0;
    m->instance = NULL;
    m->instance_gpus = 0;
    m->gpu_title[0] = '\0';
    if (!decimal) {
        return;
    }
    while (n + 1 < sizeof(num) && ((typed[n] >= '0' && typed[n] <= '9') || typed[n] == '.')) {
        num[n] = typed[n];
        n++;
    }
    num[n] = '\0';
    fmt_size(size, sizeof(size), bytes);
    snprintf(m->gpu_title, sizeof(m->gpu_title), "%s %c%c = %s", num,
             (char)(typed[n + (typed[n] == ' ')] & ~0x20), 'B', size);
}

int cli_gpu_unknown(const char *typed, const struct mm_gpu_lookup *l)
{
    char hint[160];
    struct cli_nearest n;
    size_t i;
    if (l->ncandidates > 1) {
        char list[256];
        size_t used = 0;
        for (i = 0; i < l->ncandidates && used < sizeof(list); i++) {
            const int w = snprintf(list + used, sizeof(list) - used, "%s%s",
                                   i == 0 ? "" : i + 1 == l->ncandidates ? " or " : ", ",
                                   l->candidates[i]->name);
            used += w > 0 ? (size_t)w : 0;
        }
        return cli_usage_error("--gpu: '%s' is ambiguous: %s; name one", typed, list);
    }
    cli_nearest_init(&n, typed);
    for (i = 0; i < mm_gpu_name_count(); i++) {
        cli_nearest_offer(&n, mm_gpu_name_at(i));
    }
    cli_nearest_hint(hint, sizeof(hint), &n);
    return cli_usage_error("--gpu: unknown GPU '%s'%s (give a size such as 24GiB or 80GB, "
                           "or a GPU or cloud instance modelmem(1) lists)",
                           typed, hint);
}

int cli_kv_dtype_unknown(const struct cli_option *opt, const char *typed)
{
    const struct cli_value *c;
    for (c = cli_cache_types; c->name != NULL; c++) {
        const bool whole = c->code == MM_DTYPE_F16 || c->code == MM_DTYPE_BF16 ||
                           c->code == MM_DTYPE_F32;
        if (!whole && strcmp(typed, c->name) == 0) {
            return cli_usage_error("--kv-dtype: llama.cpp's block type '%s' is not a whole "
                                   "number of bytes per element and is not modelled; fp8 or "
                                   "int8 count one byte",
                                   typed);
        }
    }
    return cli_value_unknown(opt, typed);
}

void cli_value_list(char *buf, size_t size, const struct cli_option *opt, const char *last)
{
    const struct cli_value *c;
    size_t n = 0;
    size_t i = 0;
    size_t used = 0;
    for (c = opt->values; c->name != NULL; c++) {
        n += c->use == CLI_LISTED;
    }
    buf[0] = '\0';
    for (c = opt->values; c->name != NULL && used < size; c++) {
        if (c->use == CLI_LISTED) {
            const int w = snprintf(buf + used, size - used, "%s%s",
                                   i == 0 ? "" : i + 1 == n ? last : ", ", c->name);
            used += w > 0 ? (size_t)w : 0;
            i++;
        }
    }
}

int cli_value_unknown(const struct cli_option *opt, const char *v)
{
    char list[256];
    char hint[128] = "";
    if ((opt->flags & CLI_LENIENT) != 0) {
        cli_value_hint(hint, sizeof(hint), opt, v);
    }
    if (opt->choose != NULL) {
        snprintf(list, sizeof(list), "%s", opt->choose);
    } else {
        cli_value_list(list, sizeof(list), opt, " or ");
    }
    return cli_usage_error("%s: choose %s, not '%s'%s", opt->name, list, v, hint);
}

int cli_choose(const struct cli_option *opt, const char *v)
{
    const struct cli_value *c = cli_value_find(opt, v);
    if (c == NULL) {
        cli_value_unknown(opt, v);
        return -1;
    }
    return c->code;
}
