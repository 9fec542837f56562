/*
 * load_in.c - the weights as transformers holds them after quantizing a
 * checkpoint stored in floats while loading it with bitsandbytes
 * (`from_pretrained(..., quantization_config=BitsAndBytesConfig(...))`).
 *
 * Which tensors: transformers swaps every nn.Linear for a bitsandbytes
 * layer except the output embedding (`get_keys_to_not_convert` puts the
 * LM head in llm_int8_skip_modules); embeddings and norms are not
 * nn.Linear and stay as they are, in 16 bits (the quantizer loads the
 * rest in float16 when no torch_dtype is given). modelmem counts as
 * linear every 2-D `*.weight` that is not an embedding or the LM head.
 * Model-specific `_keep_in_fp32_modules` are not modelled.
 *
 * How many bytes (bitsandbytes, `bitsandbytes/functional.py` and
 * `bitsandbytes/nn/modules.py`):
 *  8bit  LLM.int8 (Linear8bitLt, Int8Params): the int8 matrix, one byte a
 *        weight, and SCB, one fp32 absolute maximum per output row.
 *  4bit  quantize_4bit with BitsAndBytesConfig's defaults (quant type fp4,
 *        bnb_4bit_use_double_quant False): two weights a byte, and one fp32
 *        absmax per block of 64 weights: 4.5 bits a weight.
 *  nf4   the QLoRA recipe (Dettmers et al. 2023), NF4 with double
 *        quantization (compress_statistics): the absmax of each 64-block
 *        quantized to 8 bits, with one fp32 scale per 256 of them.
 * A few bytes a matrix (the 16-entry code, the double quantization's
 * offset) are not counted.
 */
#include <string.h>

#include "estimate/plan.h"

const char *mm_load_in_name(enum mm_load_in l)
{
    switch (l) {
    case MM_LOAD_8BIT:
        return "8bit";
    case MM_LOAD_4BIT:
        return "4bit";
    case MM_LOAD_NF4:
        return "nf4";
    case MM_LOAD_AS_STORED:
        break;
    }
    return NULL;
}

int mm_is_embedding_or_head(const char *n)
{
    return strstr(n, "embed") != NULL || strstr(n, "wte.") != NULL ||
           strstr(n, "wpe.") != NULL || strstr(n, "lm_head") != NULL ||
           strstr(n, "token_embd") != NULL || strcmp(n, "output.weight") == 0;
}

static int ends_with(const char *s, const char *suffix)
{
    const size_t n = strlen(s);
    const size_t k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int mm_is_float_dtype(enum mm_dtype d)
{
    return d == MM_DTYPE_F16 || d == MM_DTYPE_BF16 || d == MM_DTYPE_F32 || d == MM_DTYPE_F64;
}

int mm_is_linear_weight(const struct mm_tensor *t)
{
    return t->rank == 2 && ends_with(t->name, ".weight") && !mm_is_embedding_or_head(t->name) &&
           mm_is_float_dtype(t->dtype);
}

const char *mm_load_in_refuses(const struct mm_inventory *inv, const struct mm_config *cfg)
{
    const size_t n = mm_inventory_tensor_count(inv);
    size_t i;
    if (mm_config_quant_method(cfg) != NULL) {
        return "the checkpoint is already quantized (its config has a quantization_config)";
    }
    for (i = 0; i < n; i++) {
        const struct mm_tensor *t = mm_inventory_tensor(inv, i);
        if (t->rank >= 2 && !mm_is_float_dtype(t->dtype)) {
            return "the checkpoint is already quantized (its matrices are not stored in floats)";
        }
    }
    return NULL;
}

/* Bytes of one linear weight of `e` elements and `rows` output rows. */
static uint64_t quantized(struct mm_calc *c, uint64_t e, uint64_t rows, enum mm_load_in l)
{
    const uint64_t blocks = mm_calc_ceil_div(e, 64);
    switch (l) {
    case MM_LOAD_8BIT:
        return mm_calc_add(c, e, mm_calc_mul(c, rows, 4));
    case MM_LOAD_4BIT:
        return mm_calc_add(c, mm_calc_ceil_div(e, 2), mm_calc_mul(c, blocks, 4));
    case MM_LOAD_NF4:
        return mm_calc_add(c, mm_calc_add(c, mm_calc_ceil_div(e, 2), blocks),
                           mm_calc_mul(c, mm_calc_ceil_div(blocks, 256), 4));
    case MM_LOAD_AS_STORED:
        break;
    }
    return 0;
}

uint64_t mm_load_in_tensor_bytes(struct mm_calc *c, const struct mm_tensor *t,
                                 enum mm_load_in l)
{
    if (mm_is_linear_weight(t)) {
        return quantized(c, t->numel, t->shape[0], l);
    }
    if (t->dtype == MM_DTYPE_F32 || t->dtype == MM_DTYPE_F64) {
        return mm_calc_mul(c, t->numel, 2);
    }
    return t->nbytes;
}

void mm_load_in_weights(struct mm_calc *c, struct mm_load_in_bytes *out,
                        const struct mm_inventory *inv, enum mm_load_in l)
{
    const size_t n = mm_inventory_tensor_count(inv);
    /* the stored bytes count storage shared by tied tensors once; the
     * kept part is what is left of them once the linear weights go */
    uint64_t gone = 0;
    uint64_t narrowed = 0;
    size_t i;
    memset(out, 0, sizeof(*out));
    for (i = 0; i < n; i++) {
        const struct mm_tensor *t = mm_inventory_tensor(inv, i);
        if (mm_is_linear_weight(t)) {
            out->quantized_parameters = mm_calc_add(c, out->quantized_parameters, t->numel);
            out->quantized_bytes =
                mm_calc_add(c, out->quantized_bytes, quantized(c, t->numel, t->shape[0], l));
            gone = mm_calc_add(c, gone, t->nbytes);
        } else if (t->dtype == MM_DTYPE_F32 || t->dtype == MM_DTYPE_F64) {
            /* loaded in float16 beside the quantized layers */
            gone = mm_calc_add(c, gone, t->nbytes);
            narrowed = mm_calc_add(c, narrowed, mm_calc_mul(c, t->numel, 2));
        }
    }
    {
        const uint64_t stored = mm_inventory_totals(inv)->bytes;
        out->kept_bytes = mm_calc_add(c, stored > gone ? stored - gone : 0, narrowed);
    }
    out->total_bytes = mm_calc_add(c, out->quantized_bytes, out->kept_bytes);
}
