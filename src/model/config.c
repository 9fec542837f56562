/*
 * config.c - a model's config.json (transformers' PretrainedConfig): the
 * attention geometry the KV cache and activation formulas need, and the
 * quantization config the logical parameter count follows.
 *
 * Key precedence follows vLLM's (vllm/config.py get_head_size,
 * get_total_num_kv_heads): head_dim = `head_dim`, else
 * `hidden_size_per_head`, else hidden_size / num_attention_heads; KV heads =
 * the first of n_head_kv, num_kv_heads, num_key_value_heads,
 * multi_query_group_num, else the attention heads (Falcon `multi_query`
 * without `new_decoder_architecture`: 1). Multimodal configs nest the
 * language model under `text_config`, which is preferred when it has layers.
 *
 * Malformed input is one error: a JSON syntax error with its byte offset
 * (cJSON's parse end), or a known key whose value has the wrong type or
 * range, named in the error. null counts as absent, as in transformers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/checked.h"
#include "model/config_internal.h"
#include "model/config_read.h"
#include "model/path_safety.h"

struct mm_config {
    cJSON *root;
    const cJSON *quant; /* borrowed from root */
    int quant_is_mlx;
    const char *expert_dtype;
    char method[32];
    struct mm_geometry geom;
};

/* BERT-like models: no decoder, no KV cache. */
static int encoder_only(const cJSON *obj)
{
    static const char *const types[] = {"bert", "roberta", "distilbert", "albert", "electra",
                                        "deberta", "deberta-v2", "xlm-roberta", "camembert",
                                        "mpnet", "modernbert", "nomic_bert", NULL};
    const char *mt = mm_cfg_str(obj, "model_type");
    size_t i;
    if (mt == NULL) {
        return 0;
    }
    for (i = 0; types[i] != NULL; i++) {
        if (strcmp(mt, types[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static enum mm_status geometry(const struct mm_cfg_ctx *c, struct mm_geometry *g)
{
    static const char *const k_layers[] = {"num_hidden_layers", "n_layer", "num_layers",
                                           "n_layers", NULL};
    static const char *const k_hidden[] = {"hidden_size", "n_embd", "d_model", "dim", NULL};
    static const char *const k_heads[] = {"num_attention_heads", "n_head", "num_heads",
                                          "n_heads", NULL};
    static const char *const k_kv[] = {"n_head_kv", "num_kv_heads", "num_key_value_heads",
                                       "multi_query_group_num", NULL};
    static const char *const k_hd[] = {"head_dim", "hidden_size_per_head", NULL};
    static const char *const k_inter[] = {"intermediate_size", "n_inner", "ffn_dim",
                                          "hidden_dim", NULL};
    static const char *const k_vocab[] = {"vocab_size", NULL};
    static const char *const k_mla[] = {"kv_lora_rank", NULL};
    static const char *const k_rope[] = {"qk_rope_head_dim", NULL};
    int f_layers;
    int f_hidden;
    int f_heads;
    int f_kv;
    int f_hd;
    int f;
    const struct {
        const char *const *keys;
        uint64_t *dst;
        int *found;
    } sets[] = {{k_layers, &g->layers, &f_layers},  {k_hidden, &g->hidden, &f_hidden},
                {k_heads, &g->heads, &f_heads},     {k_kv, &g->kv_heads, &f_kv},
                {k_hd, &g->head_dim, &f_hd},        {k_inter, &g->intermediate, &f},
                {k_vocab, &g->vocab, &f},           {k_mla, &g->kv_lora_rank, &f},
                {k_rope, &g->qk_rope_head_dim, &f}};
    size_t i;
    enum mm_status st;
    memset(g, 0, sizeof(*g));
    for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
        st = mm_cfg_first(c, sets[i].keys, sets[i].dst, sets[i].found);
        if (st != MM_OK) {
            return st;
        }
    }
    if (!f_layers || !f_heads || g->layers == 0 || g->heads == 0) {
        memset(g, 0, sizeof(*g));
        return MM_OK; /* not a transformer config we can read */
    }
    if (!f_kv || g->kv_heads == 0) {
        const int mq = mm_cfg_bool(c->obj, "multi_query", 0) &&
                       !mm_cfg_bool(c->obj, "new_decoder_architecture", 0);
        g->kv_heads = mq ? 1 : g->heads;
    }
    if (!f_hd || g->head_dim == 0) {
        g->head_dim = f_hidden ? g->hidden / g->heads : 0;
    }
    if (g->intermediate == 0 && g->hidden != 0) {
        g->intermediate = g->hidden * 4; /* GPT-2's n_inner: null means 4h */
    }
    g->encoder_only = encoder_only(c->obj);
    st = mm_cfg_layer_kinds(c, g);
    if (st != MM_OK) {
        return st;
    }
    g->source = MM_GEOMETRY_CONFIG;
    return MM_OK;
}

/* ---- The quantization config, chosen as the Hub chooses it -------------- */

static int has_key(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key) != NULL;
}

static int ascii_ieq(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        const char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a - 'A' + 'a') : *a;
        const char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b - 'A' + 'a') : *b;
        if (x != y) {
            return 0;
        }
    }
    return *a == *b;
}

/* An integral JSON number, or absent/null (then `dflt`). */
static int int_or_default(const cJSON *v, unsigned dflt, unsigned *out)
{
    if (v == NULL || cJSON_IsNull(v)) {
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 65536 ||
        v->valuedouble != (double)(unsigned)v->valuedouble) {
        return -1;
    }
    *out = (unsigned)v->valuedouble;
    return 0;
}

int mm_mlx_params(const cJSON *bits, const cJSON *group_size, const cJSON *mode,
                  unsigned *out_bits, int *out_affine)
{
    static const struct {
        const char *mode;
        unsigned bits, group;
    } modes[] = {{"affine", 4, 64}, {"mxfp4", 4, 32}, {"nvfp4", 4, 16}, {"mxfp8", 8, 32}};
    const char *m = "affine";
    unsigned b;
    unsigned g;
    size_t i;
    int ok;
    if (mode != NULL) {
        if (!cJSON_IsString(mode)) {
            return -1; /* parseMlxQuantizationParameters: a non-string mode */
        }
        m = mode->valuestring;
    }
    for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (ascii_ieq(m, modes[i].mode)) {
            break;
        }
    }
    if (i == sizeof(modes) / sizeof(modes[0]) ||
        int_or_default(bits, modes[i].bits, &b) != 0 ||
        int_or_default(group_size, modes[i].group, &g) != 0) {
        return -1;
    }
    if (i == 0) {
        ok = (b >= 2 && b <= 8 && b != 7) && (g == 32 || g == 64 || g == 128);
    } else {
        ok = b == modes[i].bits && g == modes[i].group;
    }
    if (ok && out_bits != NULL) {
        *out_bits = b;
    }
    if (ok && out_affine != NULL) {
        *out_affine = i == 0;
    }
    return ok ? 0 : -1;
}

static int mlx_params_valid(const cJSON *obj)
{
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(obj, "bits");
    const cJSON *gs = cJSON_GetObjectItemCaseSensitive(obj, "group_size");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "mode");
    return mm_mlx_params(b, gs, m, NULL, NULL) == 0;
}

static int has_mlx_fields(const cJSON *obj)
{
    return has_key(obj, "bits") || has_key(obj, "group_size") || has_key(obj, "mode");
}

/* hasValidMlxConfiguration: the object itself or any member object. */
static int mlx_valid(const cJSON *q)
{
    const cJSON *v;
    if (has_mlx_fields(q) && mlx_params_valid(q)) {
        return 1;
    }
    cJSON_ArrayForEach(v, q)
    {
        if (cJSON_IsObject(v) && has_mlx_fields(v) && mlx_params_valid(v)) {
            return 1;
        }
    }
    return 0;
}

/* getModelQuantizationConfig over one object: sets *mlx. */
static const cJSON *pick_quant(const cJSON *obj, int *mlx)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "quantization");
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(obj, "quantization_config");
    const char *mm;
    *mlx = 0;
    if (cJSON_IsObject(m)) {
        mm = mm_cfg_str(m, "quant_method");
        if ((!has_key(m, "quant_method") || (mm != NULL && ascii_ieq(mm, "mlx"))) &&
            mlx_valid(m)) {
            *mlx = 1;
            return m;
        }
    }
    if (!cJSON_IsObject(q)) {
        return NULL;
    }
    mm = mm_cfg_str(q, "quant_method");
    if ((!has_key(q, "quant_method") || (mm != NULL && ascii_ieq(mm, "mlx"))) &&
        mlx_valid(q)) {
        *mlx = 1;
    }
    return q;
}

static enum mm_status check_quant(const struct mm_cfg_ctx *c, const cJSON *q)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(q, "quant_method");
    if (v != NULL && !cJSON_IsString(v) && !cJSON_IsNull(v)) {
        return mm_cfg_bad(c, "quantization_config.quant_method", "is not a string");
    }
    v = cJSON_GetObjectItemCaseSensitive(q, "bits");
    if (v != NULL && !cJSON_IsNumber(v) && !cJSON_IsNull(v)) {
        return mm_cfg_bad(c, "quantization_config.bits", "is not a number");
    }
    return MM_OK;
}

/* Duplicate keys in the objects read: refused, since which one transformers
 * (Python's json: the last) and cJSON (the first) take differ. */
static enum mm_status no_duplicates(const struct mm_cfg_ctx *c, const cJSON *obj,
                                    const char *what)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, obj)
    {
        const cJSON *b;
        for (b = a->next; b != NULL; b = b->next) {
            if (a->string != NULL && b->string != NULL && strcmp(a->string, b->string) == 0) {
                return mm_fail(c->err, MM_ERR_MALFORMED, MM_E_DUPLICATE_KEY, c->file, NULL, -1,
                               "config item '%s%s' appears twice", what, a->string);
            }
        }
    }
    return MM_OK;
}

static unsigned depth_of(const cJSON *v, unsigned d)
{
    unsigned best = d;
    const cJSON *ch;
    if (d > MM_LIMIT_JSON_DEPTH) {
        return d;
    }
    for (ch = v->child; ch != NULL; ch = ch->next) {
        const unsigned x = depth_of(ch, d + 1);
        best = x > best ? x : best;
    }
    return best;
}

static enum mm_status build(struct mm_config *cfg, const char *name, struct mm_error *err)
{
    struct mm_cfg_ctx c = {name, err, cfg->root, ""};
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(cfg->root, "text_config");
    enum mm_status st;
    int mlx = 0;
    if (depth_of(cfg->root, 1) > MM_LIMIT_JSON_DEPTH) {
        return mm_fail(err, MM_ERR_LIMIT, MM_E_JSON_DEPTH, name, NULL, -1,
                       "config nested deeper than %u", MM_LIMIT_JSON_DEPTH);
    }
    st = no_duplicates(&c, cfg->root, "");
    if (st != MM_OK) {
        return st;
    }
    if (text != NULL && !cJSON_IsNull(text) && !cJSON_IsObject(text)) {
        return mm_cfg_bad(&c, "text_config", "is not an object");
    }
    st = geometry(&c, &cfg->geom);
    if (st != MM_OK) {
        return st;
    }
    if (cJSON_IsObject(text)) {
        struct mm_cfg_ctx t = {name, err, text, "text_config."};
        struct mm_geometry g;
        st = no_duplicates(&t, text, "text_config.");
        if (st == MM_OK) {
            st = geometry(&t, &g);
        }
        if (st != MM_OK) {
            return st;
        }
        if (g.source != MM_GEOMETRY_NONE) {
            cfg->geom = g;
        }
    }
    cfg->quant = pick_quant(cfg->root, &mlx);
    if (cfg->quant == NULL && cJSON_IsObject(text)) {
        cfg->quant = pick_quant(text, &mlx);
    }
    cfg->quant_is_mlx = mlx;
    if (cfg->quant != NULL) {
        const char *m = mm_cfg_str(cfg->quant, "quant_method");
        size_t i;
        st = check_quant(&c, cfg->quant);
        if (st != MM_OK) {
            return st;
        }
        snprintf(cfg->method, sizeof(cfg->method), "%s", mlx ? "mlx" : (m ? m : "unknown"));
        for (i = 0; cfg->method[i] != '\0'; i++) {
            if (cfg->method[i] >= 'A' && cfg->method[i] <= 'Z') {
                cfg->method[i] = (char)(cfg->method[i] - 'A' + 'a');
            }
        }
    }
    cfg->expert_dtype = mm_cfg_str(cfg->root, "expert_dtype");
    if (cfg->expert_dtype == NULL && cJSON_IsObject(text)) {
        cfg->expert_dtype = mm_cfg_str(text, "expert_dtype");
    }
    return MM_OK;
}

enum mm_status mm_config_parse(struct mm_config **out, const void *data, size_t len,
                               const char *name, struct mm_error *err)
{
    struct mm_config *cfg;
    const char *end = NULL;
    enum mm_status st;
    mm_error_clear(err);
    *out = NULL;
    cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL) {
        return mm_fail_nomem(err, name);
    }
    cfg->root = cJSON_ParseWithLengthOpts(data, len, &end, 0);
    if (cfg->root == NULL) {
        const char *p = data;
        const int64_t at = (end != NULL && end >= p && end <= p + len) ? (int64_t)(end - p) : -1;
        free(cfg);
        return mm_fail(err, MM_ERR_MALFORMED, MM_E_JSON_SYNTAX, name, NULL, at,
                       "config is not valid JSON");
    }
    if (!cJSON_IsObject(cfg->root)) {
        mm_config_free(cfg);
        return mm_fail(err, MM_ERR_MALFORMED, MM_E_JSON_NOT_OBJECT, name, NULL, -1,
                       "config is not a JSON object");
    }
    st = build(cfg, name, err);
    if (st != MM_OK) {
        mm_config_free(cfg);
        return st;
    }
    *out = cfg;
    return MM_OK;
}

/* Reads the config at `open_path`; errors name `path`. */
static enum mm_status load_named(struct mm_config **out, const char *open_path, const char *path,
                                 struct mm_error *err)
{
    struct mm_source src;
    char *buf;
    enum mm_status st;
    mm_error_clear(err);
    *out = NULL;
    st = mm_source_open(&src, open_path, path, err);
    if (st != MM_OK) {
        return st;
    }
    if (src.size > MM_LIMIT_CONFIG_BYTES) {
        mm_source_close(&src);
        return mm_fail(err, MM_ERR_LIMIT, MM_E_LIMIT_CONFIG_BYTES, path, NULL, -1,
                       "config over MM_LIMIT_CONFIG_BYTES (%u bytes)", MM_LIMIT_CONFIG_BYTES);
    }
    buf = malloc((size_t)src.size + 1);
    if (buf == NULL) {
        mm_source_close(&src);
        return mm_fail_nomem(err, path);
    }
    st = mm_source_read(&src, 0, buf, (size_t)src.size, MM_E_TRUNCATED, err);
    mm_source_close(&src);
    if (st == MM_OK) {
        st = mm_config_parse(out, buf, (size_t)src.size, path, err);
    }
    free(buf);
    return st;
}

enum mm_status mm_config_load(struct mm_config **out, const char *path, struct mm_error *err)
{
    return load_named(out, path, path, err);
}

void mm_config_free(struct mm_config *cfg)
{
    if (cfg == NULL) {
        return;
    }
    cJSON_Delete(cfg->root);
    free(cfg);
}

const struct mm_geometry *mm_config_geometry(const struct mm_config *cfg)
{
    return &cfg->geom;
}

const char *mm_config_quant_method(const struct mm_config *cfg)
{
    return cfg != NULL && cfg->quant != NULL ? cfg->method : NULL;
}

const char *mm_config_model_type(const struct mm_config *cfg)
{
    const cJSON *v =
        cfg != NULL ? cJSON_GetObjectItemCaseSensitive(cfg->root, "model_type") : NULL;
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *mm_config_quant(const struct mm_config *cfg)
{
    return cfg != NULL ? cfg->quant : NULL;
}

const char *mm_config_expert_dtype(const struct mm_config *cfg)
{
    return cfg != NULL ? cfg->expert_dtype : NULL;
}

int mm_config_quant_is_mlx(const struct mm_config *cfg)
{
    return cfg != NULL && cfg->quant_is_mlx;
}

const cJSON *mm_config_root(const struct mm_config *cfg)
{
    return cfg != NULL ? cfg->root : NULL;
}

int mm_config_path(char *out, size_t size, const char *target)
{
    struct stat sb;
    const char *slash = strrchr(target, '/');
    int n;
    if (stat(target, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        n = snprintf(out, size, "%s/config.json", target);
    } else if (slash == NULL) {
        n = snprintf(out, size, "config.json");
    } else {
        n = snprintf(out, size, "%.*s/config.json", (int)(slash - target), target);
    }
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

/* config.json lies in the model folder `dir`, as every weight file must;
 * *real receives the real path checked, which is the one opened, so that a
 * link swapped after the check is not followed. */
static enum mm_status config_inside(char **real, const char *dir, const char *path,
                                    struct mm_error *err)
{
    struct mm_real_dir rd = MM_REAL_DIR_INIT;
    char *root = NULL;
    enum mm_status st = mm_model_root(&root, dir, err);
    *real = NULL;
    if (st == MM_OK) {
        st = mm_path_inside(real, root, &rd, path, err);
    }
    free(root);
    mm_real_dir_free(&rd);
    return st;
}

enum mm_status mm_config_load_for(struct mm_config **out, const char *target,
                                  struct mm_error *err)
{
    char path[4096];
    char dir[4096];
    char *real = NULL;
    const char *slash;
    enum mm_status st;
    mm_error_clear(err);
    *out = NULL;
    if (mm_config_path(path, sizeof(path), target) != 0) {
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_INVALID_ARG, target, NULL, -1,
                       "path too long");
    }
    slash = strrchr(path, '/');
    snprintf(dir, sizeof(dir), "%.*s", slash != NULL ? (int)(slash - path) : 1,
             slash != NULL ? path : ".");
    if (dir[0] == '\0') {
        snprintf(dir, sizeof(dir), "/");
    }
    st = config_inside(&real, dir, path, err);
    if (st == MM_OK) {
        st = load_named(out, real != NULL ? real : path, path, err);
    }
    free(real);
    return st;
}
