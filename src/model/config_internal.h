/*
 * config_internal.h - what the estimators read from a parsed config.json
 * beyond the public geometry: the quantization config as cJSON nodes
 * (borrowed, valid while the config lives), so that the Hub's counting
 * rules can be followed key by key.
 */
#ifndef MM_CONFIG_INTERNAL_H
#define MM_CONFIG_INTERNAL_H

#include <cjson/cJSON.h>

#include "core/internal.h"

/* The effective quantization config, as the Hub chooses it (MLX's
 * `quantization`, else `quantization_config`, else the same in
 * `text_config`), or NULL. */
const cJSON *mm_config_quant(const struct mm_config *cfg);
/* The top-level `model_type`, or NULL. */
const char *mm_config_model_type(const struct mm_config *cfg);
/* `expert_dtype` (top level or in text_config), or NULL. */
const char *mm_config_expert_dtype(const struct mm_config *cfg);
/* The whole parsed document (borrowed), or NULL. */
const cJSON *mm_config_root(const struct mm_config *cfg);
/* 1 when the effective quantization config is MLX's. */
int mm_config_quant_is_mlx(const struct mm_config *cfg);

/* MLX's parseMlxQuantizationParameters: 0 and the bits (and whether the
 * mode is affine) when bits/group_size/mode (each may be NULL) form a valid
 * MLX quantization, else -1. */
int mm_mlx_params(const cJSON *bits, const cJSON *group_size, const cJSON *mode,
                  unsigned *out_bits, int *out_affine);

#endif
