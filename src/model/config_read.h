/*
 * config_read.h - reading typed values out of a config.json object, shared
 * by config.c (the geometry, the quantization config) and config_layers.c
 * (which kind each decoder layer is). Errors name the key, prefixed with
 * `where` ("" or "text_config.").
 */
#ifndef MM_CONFIG_READ_H
#define MM_CONFIG_READ_H

#include <cjson/cJSON.h>

#include "core/internal.h"

struct mm_cfg_ctx {
    const char *file;
    struct mm_error *err;
    const cJSON *obj;  /* the object keys are read from */
    const char *where; /* "" or "text_config." */
};

/* MM_E_CONFIG_INVALID naming `key`, with `what` is wrong with it. */
enum mm_status mm_cfg_bad(const struct mm_cfg_ctx *c, const char *key, const char *what);
/* A whole number from 0 to 2^53; *found is cleared when absent or null. */
enum mm_status mm_cfg_uint(const struct mm_cfg_ctx *c, const char *key, uint64_t *out,
                           int *found);
/* The first of the NULL-terminated `keys` that is present. */
enum mm_status mm_cfg_first(const struct mm_cfg_ctx *c, const char *const *keys, uint64_t *out,
                            int *found);
/* A boolean, else `dflt`. */
int mm_cfg_bool(const cJSON *obj, const char *key, int dflt);
/* A string value, else NULL. */
const char *mm_cfg_str(const cJSON *obj, const char *key);

/*
 * Which kind each of g->layers decoder layers is (full attention, sliding
 * window, linear attention, state space), and the recurrent state a
 * linear-attention or state-space layer keeps per sequence. Fills
 * sliding_window, sliding_layers, no_kv_layers, state_layers,
 * conv_state_elems and recurrent_state_elems. config_layers.c.
 */
enum mm_status mm_cfg_layer_kinds(const struct mm_cfg_ctx *c, struct mm_geometry *g);

#endif
