/*
 * quant.c - logical parameters of a quantized checkpoint, counted
 * exactly as the Hugging Face Hub counts them: @huggingface/hub 2.17
 * parseSafetensorsMetadata (packages/hub/src/lib/parse-safetensors-
 * metadata.ts: shouldSkipTensor, isQuantizedTensor, getQuantizationMultiplier,
 * getMlxQuantizedModules). In short:
 *  - F8_E8M0 (scale-only) tensors and rank-0 tensors are never counted;
 *  - with a quantization config, auxiliary tensors (weight_scale,
 *    weight_scale_inv, input_scale, zero points, ...; GPTQ/AWQ qzeros,
 *    g_idx, scales; bitsandbytes absmax, quant_map, quant_state; MLX
 *    scales/biases; MXFP4 *_scales) are skipped;
 *  - packed integer containers count the elements they hold: GPTQ/AWQ
 *    qweight x floor(32 / bits); bitsandbytes 4-bit U8 x 2; MLX U32 weight
 *    x 32 / bits; MXFP4 *_blocks U8 x 2; compressed-tensors *pack-quantized
 *    containers x container bits / num_bits; FP8 routed experts stored in a
 *    packed sub-byte expert dtype likewise.
 * A pure function of the inventory and the parsed config.
 */
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "model/config_internal.h"

struct qctx {
    const cJSON *q;
    const char *method; /* lower case; "mlx" for MLX */
    const char *expert_dtype;
    const struct mm_inventory *inv;
    /* MLX: names of the tensors, hashed, to find a module's scales/biases */
    size_t *slots;
    size_t cap;
};

static const char *suffix_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot != NULL ? dot + 1 : name;
}

static int in_list(const char *s, const char *const *list)
{
    size_t i;
    for (i = 0; list[i] != NULL; i++) {
        if (strcmp(s, list[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int ends_with(const char *s, const char *tail)
{
    const size_t n = strlen(s);
    const size_t t = strlen(tail);
    return n >= t && memcmp(s + n - t, tail, t) == 0;
}

/* JavaScript truthiness of a member. */
static int truthy(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL || cJSON_IsNull(v) || cJSON_IsFalse(v)) {
        return 0;
    }
    if (cJSON_IsNumber(v)) {
        return v->valuedouble != 0;
    }
    if (cJSON_IsString(v)) {
        return v->valuestring[0] != '\0';
    }
    return 1;
}

static int number_is(const cJSON *obj, const char *key, double x)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) && v->valuedouble == x;
}

/* globMatch: '*' matches any run of characters, nothing else is special. */
static int glob_match(const char *pat, const char *str)
{
    const char *star = strchr(pat, '*');
    const size_t slen = strlen(str);
    const char *last;
    size_t pos;
    size_t end;
    size_t llen;
    if (star == NULL) {
        return strcmp(pat, str) == 0;
    }
    if (strncmp(str, pat, (size_t)(star - pat)) != 0) {
        return 0;
    }
    pos = (size_t)(star - pat);
    last = strrchr(pat, '*') + 1;
    llen = strlen(last);
    if (llen > slen || memcmp(str + slen - llen, last, llen) != 0) {
        return 0;
    }
    end = slen - llen;
    while (star < last - 1) {
        const char *next = strchr(star + 1, '*');
        const size_t plen = (size_t)(next - star - 1);
        const char *hit = NULL;
        size_t k;
        for (k = pos; k + plen <= slen; k++) {
            if (memcmp(str + k, star + 1, plen) == 0) {
                hit = str + k;
                break;
            }
        }
        if (hit == NULL || (size_t)(hit - str) + plen > end) {
            return 0;
        }
        pos = (size_t)(hit - str) + plen;
        star = next;
    }
    return pos <= end;
}

/* matchesCompressedTensorsTarget: a literal name, or "re:" with a regex
 * simple enough to be a glob. */
static int ct_target_match(const char *target, const char *module)
{
    char glob[512];
    size_t n = 0;
    const char *p;
    size_t len;
    if (strncmp(target, "re:", 3) != 0) {
        return strcmp(target, module) == 0;
    }
    p = target + 3;
    if (*p == '^') {
        p++;
    }
    len = strlen(p);
    if (len >= sizeof(glob) - 3) {
        return 0;
    }
    {
        char pat[512];
        size_t i;
        const int anchored = len > 0 && p[len - 1] == '$';
        memcpy(pat, p, anchored ? len - 1 : len);
        len = anchored ? len - 1 : len;
        if (!anchored) {
            memcpy(pat + len, ".*", 2);
            len += 2;
        }
        for (i = 0; i < len;) {
            if (i + 1 < len && pat[i] == '.' && pat[i + 1] == '*') {
                glob[n++] = '*';
                i += 2;
            } else {
                glob[n++] = pat[i++];
            }
        }
        glob[n] = '\0';
    }
    /* then "\\." becomes "."; any other regex syntax left means no match */
    {
        size_t i;
        size_t o = 0;
        for (i = 0; i < n; i++) {
            if (glob[i] == '\\' && glob[i + 1] == '.') {
                glob[o++] = '.';
                i++;
            } else {
                glob[o++] = glob[i];
            }
        }
        glob[o] = '\0';
    }
    if (strpbrk(glob, "\\+?()[]{}|^$") != NULL) {
        return 0;
    }
    return glob_match(glob, module);
}

/* The module name up to the last ".weight" (compressed-tensors' rule). */
static size_t module_before_weight(const char *name)
{
    const char *p = name;
    const char *hit = NULL;
    while ((p = strstr(p, ".weight")) != NULL) {
        hit = p;
        p++;
    }
    return hit != NULL ? (size_t)(hit - name) : strlen(name);
}

static int ct_list_matches(const cJSON *list, const char *name, size_t mlen)
{
    char module[MM_LIMIT_NAME + 1];
    const cJSON *t;
    if (!cJSON_IsArray(list) || mlen > MM_LIMIT_NAME) {
        return 0;
    }
    memcpy(module, name, mlen);
    module[mlen] = '\0';
    cJSON_ArrayForEach(t, list)
    {
        if (cJSON_IsString(t) && ct_target_match(t->valuestring, module)) {
            return 1;
        }
    }
    return 0;
}

/* getMlxQuantizationParameters: the module's override, else the top. */
static int mlx_tensor_params(const cJSON *q, const char *name, unsigned *bits, int *affine)
{
    const char *dot = strrchr(name, '.');
    const size_t mlen = dot != NULL ? (size_t)(dot - name) : strlen(name);
    char module[MM_LIMIT_NAME + 1];
    const cJSON *mc;
    const cJSON *mode;
    if (mlen > MM_LIMIT_NAME) {
        return -1;
    }
    memcpy(module, name, mlen);
    module[mlen] = '\0';
    mc = cJSON_GetObjectItemCaseSensitive(q, module);
    if (cJSON_IsFalse(mc)) {
        return -1;
    }
    if (cJSON_IsObject(mc)) {
        return mm_mlx_params(cJSON_GetObjectItemCaseSensitive(mc, "bits"),
                             cJSON_GetObjectItemCaseSensitive(mc, "group_size"),
                             cJSON_GetObjectItemCaseSensitive(mc, "mode"), bits, affine);
    }
    mode = cJSON_GetObjectItemCaseSensitive(q, "mode");
    /* the Hub's chosen config has mode = mode ?? "affine" */
    return mm_mlx_params(cJSON_GetObjectItemCaseSensitive(q, "bits"),
                         cJSON_GetObjectItemCaseSensitive(q, "group_size"),
                         cJSON_IsNull(mode) ? NULL : mode, bits, affine);
}

/* ---- MLX: which modules are really quantized ---------------------------- */

/* The tensor called name[0..len), or NULL. */
static const struct mm_tensor *name_find(const struct qctx *c, const char *name, size_t len)
{
    size_t s = (size_t)mm_hash_bytes(name, len) & (c->cap - 1);
    while (c->slots[s] != 0) {
        const struct mm_tensor *t = mm_inventory_tensor(c->inv, c->slots[s] - 1);
        if (strlen(t->name) == len && memcmp(t->name, name, len) == 0) {
            return t;
        }
        s = (s + 1) & (c->cap - 1);
    }
    return NULL;
}

static int build_names(struct qctx *c)
{
    const size_t n = mm_inventory_tensor_count(c->inv);
    size_t i;
    c->cap = 16;
    while (c->cap < n * 2) {
        c->cap *= 2;
    }
    c->slots = calloc(c->cap, sizeof(*c->slots));
    if (c->slots == NULL) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        const char *name = mm_inventory_tensor(c->inv, i)->name;
        size_t s = (size_t)mm_hash_bytes(name, strlen(name)) & (c->cap - 1);
        while (c->slots[s] != 0) {
            s = (s + 1) & (c->cap - 1);
        }
        c->slots[s] = i + 1;
    }
    return 0;
}

/* The module of `name` has a U32 .weight, .scales, and (affine) .biases. */
static int mlx_module_quantized(const struct qctx *c, const char *name)
{
    const char *dot = strrchr(name, '.');
    const size_t mlen = dot != NULL ? (size_t)(dot - name) : strlen(name);
    char buf[MM_LIMIT_NAME + 16];
    const struct mm_tensor *w;
    unsigned bits;
    int affine;
    if (mlen > MM_LIMIT_NAME) {
        return 0;
    }
    memcpy(buf, name, mlen);
    memcpy(buf + mlen, ".weight", 8);
    w = name_find(c, buf, mlen + 7);
    if (w == NULL || w->dtype != MM_DTYPE_U32 ||
        mlx_tensor_params(c->q, buf, &bits, &affine) != 0) {
        return 0;
    }
    memcpy(buf + mlen, ".scales", 8);
    if (name_find(c, buf, mlen + 7) == NULL) {
        return 0;
    }
    memcpy(buf + mlen, ".biases", 8);
    return !affine || name_find(c, buf, mlen + 7) != NULL;
}

/* ---- The Hub's rules ----------------------------------------------------- */

static int is_quantized(const struct qctx *c, const char *name, int mlx_modules)
{
    const cJSON *ign = cJSON_GetObjectItemCaseSensitive(c->q, "ignore");
    const cJSON *pats = cJSON_GetObjectItemCaseSensitive(c->q, "modules_to_not_convert");
    const cJSON *p;
    if (strcmp(c->method, "mlx") == 0) {
        unsigned b;
        int a;
        return mlx_tensor_params(c->q, name, &b, &a) == 0 &&
               (!mlx_modules || mlx_module_quantized(c, name));
    }
    if (cJSON_GetArraySize(ign) > 0 && ct_list_matches(ign, name, module_before_weight(name))) {
        return 0;
    }
    if (!cJSON_IsArray(pats) || cJSON_GetArraySize(pats) == 0) {
        return 1;
    }
    cJSON_ArrayForEach(p, pats)
    {
        if (!cJSON_IsString(p)) {
            continue;
        }
        if (strchr(p->valuestring, '*') != NULL ? glob_match(p->valuestring, name)
                                                : strstr(name, p->valuestring) != NULL) {
            return 0;
        }
    }
    return 1;
}

static int should_skip(const struct qctx *c, const struct mm_tensor *t)
{
    static const char *const aux[] = {"weight_scale", "weight_scale_inv", "weight_scale_2",
                                      "weight_global_scale", "weight_zero_point", "input_scale",
                                      "input_global_scale", "input_zero_point", "zero_point",
                                      "weight_shape", "weight_g_idx", NULL};
    static const char *const bnb[] = {"absmax", "quant_map", "nested_absmax",
                                      "nested_quant_map", NULL};
    static const char *const gptq[] = {"qzeros", "g_idx", "scales", NULL};
    const char *suf = suffix_of(t->name);
    if (t->dtype == MM_DTYPE_F8_E8M0) {
        return 1;
    }
    if (c->q == NULL) {
        return 0;
    }
    if (in_list(suf, aux)) {
        return 1;
    }
    if (strcmp(c->method, "mlx") == 0 && is_quantized(c, t->name, 1)) {
        unsigned b;
        int affine = 0;
        (void)mlx_tensor_params(c->q, t->name, &b, &affine);
        return strcmp(suf, "scales") == 0 || (strcmp(suf, "biases") == 0 && affine);
    }
    if (strcmp(c->method, "mxfp4") == 0) {
        return t->dtype == MM_DTYPE_U8 && ends_with(suf, "_scales");
    }
    if (strcmp(c->method, "bitsandbytes") == 0) {
        return in_list(suf, bnb) || strncmp(suf, "bitsandbytes__", 14) == 0;
    }
    if (strcmp(c->method, "gptq") != 0 && strcmp(c->method, "awq") != 0) {
        return 0;
    }
    if (!is_quantized(c, t->name, 0)) {
        return 0;
    }
    return strcmp(suf, "qweight") != 0 && in_list(suf, gptq);
}

static unsigned container_bits(enum mm_dtype d)
{
    switch (d) {
    case MM_DTYPE_U8:
    case MM_DTYPE_I8:
        return 8;
    case MM_DTYPE_U16:
    case MM_DTYPE_I16:
        return 16;
    case MM_DTYPE_U32:
    case MM_DTYPE_I32:
        return 32;
    default:
        return 0;
    }
}

/* bitsFromFormatString */
static unsigned format_bits(const char *f)
{
    static const struct {
        const char *pat;
        unsigned bits;
    } tab[] = {{"nvfp4", 4}, {"mxfp4", 4}, {"fp4", 4}, {"int4", 4},
               {"uint4", 4}, {"nf4", 4},   {"int2", 2}};
    char low[64];
    size_t i;
    if (f == NULL) {
        return 0;
    }
    for (i = 0; f[i] != '\0' && i + 1 < sizeof(low); i++) {
        low[i] = (f[i] >= 'A' && f[i] <= 'Z') ? (char)(f[i] - 'A' + 'a') : f[i];
    }
    low[i] = '\0';
    for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        if (strstr(low, tab[i].pat) != NULL) {
            return tab[i].bits;
        }
    }
    return 0;
}

/* A multiplier as a fraction num/den (MLX 3-bit: 32/3). */
struct frac {
    uint64_t num;
    uint64_t den;
};

static struct frac packing(enum mm_dtype d, double bits)
{
    const unsigned cb = container_bits(d);
    struct frac one = {1, 1};
    if (cb == 0 || !(bits > 0) || bits >= cb || bits != (double)(unsigned)bits) {
        return one;
    }
    one.num = cb;
    one.den = (unsigned)bits;
    return one;
}

static const char *str_member(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static struct frac ct_multiplier(const struct qctx *c, const struct mm_tensor *t)
{
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(c->q, "config_groups");
    const size_t mlen = module_before_weight(t->name);
    const cJSON *group = NULL;
    const cJSON *g;
    const char *format;
    char low[64];
    size_t i;
    double bits = 0;
    struct frac one = {1, 1};
    if (container_bits(t->dtype) == 0) {
        return one;
    }
    cJSON_ArrayForEach(g, groups)
    {
        if (cJSON_IsObject(g) &&
            ct_list_matches(cJSON_GetObjectItemCaseSensitive(g, "targets"), t->name, mlen)) {
            group = g;
            break;
        }
    }
    format = group != NULL ? str_member(group, "format") : NULL;
    if (format == NULL) {
        format = str_member(c->q, "format");
    }
    if (format == NULL) {
        return one;
    }
    for (i = 0; format[i] != '\0' && i + 1 < sizeof(low); i++) {
        low[i] = (format[i] >= 'A' && format[i] <= 'Z') ? (char)(format[i] - 'A' + 'a')
                                                          : format[i];
    }
    low[i] = '\0';
    if (!ends_with(low, "pack-quantized")) {
        return one;
    }
    {
        const cJSON *nb = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(group, "weights"), "num_bits");
        if (!cJSON_IsNumber(nb)) {
            nb = NULL;
            cJSON_ArrayForEach(g, groups)
            {
                const cJSON *x = cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(g, "weights"), "num_bits");
                if (cJSON_IsNumber(x) && x->valuedouble != 0) {
                    nb = x;
                    break;
                }
            }
        }
        bits = nb != NULL ? nb->valuedouble : format_bits(low);
        if (bits == 0 && nb == NULL) {
            bits = 4;
        }
    }
    return packing(t->dtype, bits);
}

static struct frac multiplier(const struct qctx *c, const struct mm_tensor *t)
{
    const char *suf = suffix_of(t->name);
    const char *m = c->method;
    struct frac r = {1, 1};
    if (c->q == NULL || !is_quantized(c, t->name, 1)) {
        return r;
    }
    if (strcmp(m, "mlx") == 0) {
        unsigned bits = 0;
        int affine;
        if (t->dtype != MM_DTYPE_U32 || strcmp(suf, "weight") != 0 ||
            mlx_tensor_params(c->q, t->name, &bits, &affine) != 0) {
            return r;
        }
        return packing(t->dtype, bits);
    }
    if (strcmp(m, "mxfp4") == 0) {
        r.num = (t->dtype == MM_DTYPE_U8 && strstr(t->name, "_blocks") != NULL) ? 2 : 1;
    } else if (strcmp(m, "gptq") == 0 || strcmp(m, "awq") == 0) {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(c->q, "bits");
        if (strcmp(suf, "qweight") == 0) {
            const double bits = (cJSON_IsNumber(b) && b->valuedouble > 0) ? b->valuedouble : 4;
            const double f = 32.0 / bits;
            /* Math.max(1, Math.floor(32 / bits)), exactly; bits so small
             * that it passes 2^64 - 1 is num 0, an overflow for the caller */
            r.num = f < 1 ? 1 : f < 18446744073709551616.0 ? (uint64_t)f : 0;
        } else if (t->dtype == MM_DTYPE_U8 && number_is(c->q, "bits", 4)) {
            r.num = 2;
        } else if (t->dtype == MM_DTYPE_U8 && number_is(c->q, "bits", 2)) {
            r.num = 4;
        }
    } else if (strcmp(m, "compressed-tensors") == 0) {
        return ct_multiplier(c, t);
    } else if (strcmp(m, "fp8") == 0) {
        const char *ed = str_member(c->q, "expert_dtype");
        if (strstr(t->name, ".experts.") == NULL || strstr(t->name, "shared_experts") != NULL) {
            return r;
        }
        if (ed == NULL) {
            ed = c->expert_dtype != NULL ? c->expert_dtype : str_member(c->q, "store_dtype");
        }
        return packing(t->dtype, format_bits(ed));
    } else if (strcmp(m, "bitsandbytes") == 0) {
        r.num = (truthy(c->q, "load_in_4bit") && t->dtype == MM_DTYPE_U8) ? 2 : 1;
    } else {
        r.num = (t->dtype == MM_DTYPE_U8 &&
                 (truthy(c->q, "load_in_4bit") || number_is(c->q, "bits", 4)))
                    ? 2
                    : 1;
    }
    return r;
}

enum mm_status mm_logical_parameters(uint64_t *out_total, uint64_t *out_by_dtype,
                                     const struct mm_inventory *inv,
                                     const struct mm_config *cfg)
{
    struct qctx c;
    const size_t n = mm_inventory_tensor_count(inv);
    uint64_t total = 0;
    enum mm_status st = MM_OK;
    size_t i;
    memset(&c, 0, sizeof(c));
    c.q = mm_config_quant(cfg);
    c.method = mm_config_quant_method(cfg);
    c.method = c.method != NULL ? c.method : "";
    c.expert_dtype = mm_config_expert_dtype(cfg);
    c.inv = inv;
    if (out_by_dtype != NULL) {
        memset(out_by_dtype, 0, sizeof(uint64_t) * MM_DTYPE_COUNT_);
    }
    *out_total = 0;
    if (c.q != NULL && strcmp(c.method, "mlx") == 0 && build_names(&c) != 0) {
        return MM_ERR_NOMEM;
    }
    for (i = 0; i < n; i++) {
        const struct mm_tensor *t = mm_inventory_tensor(inv, i);
        struct frac f;
        uint64_t v;
        if (t->rank == 0 || should_skip(&c, t)) {
            continue;
        }
        f = multiplier(&c, t);
        /* Math.round(elements * num / den), exactly; a count past 2^64 - 1
         * is reported, never clamped (den is at most 32) */
        v = 0;
        if (t->numel != 0 &&
            (f.num == 0 || !mm_mul_u64(&v, t->numel, f.num) || !mm_mul_u64(&v, v, 2) ||
             !mm_add_u64(&v, v, f.den))) {
            st = MM_ERR_LIMIT;
            goto out;
        }
        v /= 2 * f.den;
        if (!mm_add_u64(&total, total, v)) {
            st = MM_ERR_LIMIT;
            goto out;
        }
        /* each dtype's sum is at most the total, which did not overflow */
        if (out_by_dtype != NULL && (unsigned)t->dtype < MM_DTYPE_COUNT_) {
            out_by_dtype[t->dtype] += v;
        }
    }
    *out_total = total;
out:
    if (st != MM_OK && out_by_dtype != NULL) {
        memset(out_by_dtype, 0, sizeof(uint64_t) * MM_DTYPE_COUNT_);
    }
    free(c.slots);
    return st;
}
