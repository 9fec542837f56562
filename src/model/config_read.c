/*
 * config_read.c - typed reads from a config.json object (config_read.h).
 * null counts as absent, as in transformers' PretrainedConfig; a present
 * key of the wrong type or range is an error naming the key.
 */
#include <stdio.h>

#include "model/config_read.h"

/* Numbers JSON keeps exactly: integral and at most 2^53. */
#define EXACT_MAX 9007199254740992.0

enum mm_status mm_cfg_bad(const struct mm_cfg_ctx *c, const char *key, const char *what)
{
    char item[128];
    snprintf(item, sizeof(item), "%s%s", c->where, key);
    return mm_fail(c->err, MM_ERR_MALFORMED, MM_E_CONFIG_INVALID, c->file, NULL, -1,
                   "config item '%s' %s", item, what);
}

enum mm_status mm_cfg_uint(const struct mm_cfg_ctx *c, const char *key, uint64_t *out,
                           int *found)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->obj, key);
    *found = 0;
    if (v == NULL || cJSON_IsNull(v)) {
        return MM_OK;
    }
    if (!cJSON_IsNumber(v)) {
        return mm_cfg_bad(c, key, "is not a number");
    }
    if (v->valuedouble < 0 || v->valuedouble > EXACT_MAX ||
        v->valuedouble != (double)(uint64_t)v->valuedouble) {
        return mm_cfg_bad(c, key, "is not a whole number from 0 to 2^53");
    }
    *out = (uint64_t)v->valuedouble;
    *found = 1;
    return MM_OK;
}

enum mm_status mm_cfg_first(const struct mm_cfg_ctx *c, const char *const *keys, uint64_t *out,
                            int *found)
{
    size_t i;
    *found = 0;
    for (i = 0; keys[i] != NULL && !*found; i++) {
        const enum mm_status st = mm_cfg_uint(c, keys[i], out, found);
        if (st != MM_OK) {
            return st;
        }
    }
    return MM_OK;
}

int mm_cfg_bool(const cJSON *obj, const char *key, int dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsBool(v)) {
        return cJSON_IsTrue(v);
    }
    return dflt;
}

const char *mm_cfg_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}
