/* dtype.c - the element-type table: names, bits per element, and blocks.
 * Names and sizes from safetensors `Dtype` (safetensors/src/tensor.rs) and
 * ggml's type_traits (ggml/src/ggml.c) for the block-quantized types. */
#include <string.h>

#include "core/internal.h"

struct dtype_info {
    const char *name;
    size_t len; /* strlen(name), compared first when reading a name */
    unsigned bits;        /* per element; 0 for block types */
    unsigned block_elems; /* per block, block types only */
    unsigned block_bytes;
};

static const struct dtype_info dtypes[MM_DTYPE_COUNT_] = {
    [MM_DTYPE_UNKNOWN] = {"UNKNOWN", sizeof("UNKNOWN") - 1, 0, 0, 0},
    [MM_DTYPE_BOOL] = {"BOOL", sizeof("BOOL") - 1, 8, 0, 0},
    [MM_DTYPE_U8] = {"U8", sizeof("U8") - 1, 8, 0, 0},
    [MM_DTYPE_I8] = {"I8", sizeof("I8") - 1, 8, 0, 0},
    [MM_DTYPE_F8_E5M2] = {"F8_E5M2", sizeof("F8_E5M2") - 1, 8, 0, 0},
    [MM_DTYPE_F8_E4M3] = {"F8_E4M3", sizeof("F8_E4M3") - 1, 8, 0, 0},
    [MM_DTYPE_F8_E8M0] = {"F8_E8M0", sizeof("F8_E8M0") - 1, 8, 0, 0},
    [MM_DTYPE_F8_E4M3FNUZ] = {"F8_E4M3FNUZ", sizeof("F8_E4M3FNUZ") - 1, 8, 0, 0},
    [MM_DTYPE_F8_E5M2FNUZ] = {"F8_E5M2FNUZ", sizeof("F8_E5M2FNUZ") - 1, 8, 0, 0},
    [MM_DTYPE_I16] = {"I16", sizeof("I16") - 1, 16, 0, 0},
    [MM_DTYPE_U16] = {"U16", sizeof("U16") - 1, 16, 0, 0},
    [MM_DTYPE_F16] = {"F16", sizeof("F16") - 1, 16, 0, 0},
    [MM_DTYPE_BF16] = {"BF16", sizeof("BF16") - 1, 16, 0, 0},
    [MM_DTYPE_I32] = {"I32", sizeof("I32") - 1, 32, 0, 0},
    [MM_DTYPE_U32] = {"U32", sizeof("U32") - 1, 32, 0, 0},
    [MM_DTYPE_F32] = {"F32", sizeof("F32") - 1, 32, 0, 0},
    [MM_DTYPE_F64] = {"F64", sizeof("F64") - 1, 64, 0, 0},
    [MM_DTYPE_I64] = {"I64", sizeof("I64") - 1, 64, 0, 0},
    [MM_DTYPE_U64] = {"U64", sizeof("U64") - 1, 64, 0, 0},
    [MM_DTYPE_C64] = {"C64", sizeof("C64") - 1, 64, 0, 0},
    [MM_DTYPE_C128] = {"C128", sizeof("C128") - 1, 128, 0, 0},
    [MM_DTYPE_F4] = {"F4", sizeof("F4") - 1, 4, 0, 0},
    [MM_DTYPE_F6_E2M3] = {"F6_E2M3", sizeof("F6_E2M3") - 1, 6, 0, 0},
    [MM_DTYPE_F6_E3M2] = {"F6_E3M2", sizeof("F6_E3M2") - 1, 6, 0, 0},
    [MM_DTYPE_Q4_0] = {"Q4_0", sizeof("Q4_0") - 1, 0, 32, 18},
    [MM_DTYPE_Q4_1] = {"Q4_1", sizeof("Q4_1") - 1, 0, 32, 20},
    [MM_DTYPE_Q5_0] = {"Q5_0", sizeof("Q5_0") - 1, 0, 32, 22},
    [MM_DTYPE_Q5_1] = {"Q5_1", sizeof("Q5_1") - 1, 0, 32, 24},
    [MM_DTYPE_Q8_0] = {"Q8_0", sizeof("Q8_0") - 1, 0, 32, 34},
    [MM_DTYPE_Q8_1] = {"Q8_1", sizeof("Q8_1") - 1, 0, 32, 36},
    [MM_DTYPE_Q2_K] = {"Q2_K", sizeof("Q2_K") - 1, 0, 256, 84},
    [MM_DTYPE_Q3_K] = {"Q3_K", sizeof("Q3_K") - 1, 0, 256, 110},
    [MM_DTYPE_Q4_K] = {"Q4_K", sizeof("Q4_K") - 1, 0, 256, 144},
    [MM_DTYPE_Q5_K] = {"Q5_K", sizeof("Q5_K") - 1, 0, 256, 176},
    [MM_DTYPE_Q6_K] = {"Q6_K", sizeof("Q6_K") - 1, 0, 256, 210},
    [MM_DTYPE_Q8_K] = {"Q8_K", sizeof("Q8_K") - 1, 0, 256, 292},
    [MM_DTYPE_IQ2_XXS] = {"IQ2_XXS", sizeof("IQ2_XXS") - 1, 0, 256, 66},
    [MM_DTYPE_IQ2_XS] = {"IQ2_XS", sizeof("IQ2_XS") - 1, 0, 256, 74},
    [MM_DTYPE_IQ3_XXS] = {"IQ3_XXS", sizeof("IQ3_XXS") - 1, 0, 256, 98},
    [MM_DTYPE_IQ1_S] = {"IQ1_S", sizeof("IQ1_S") - 1, 0, 256, 50},
    [MM_DTYPE_IQ4_NL] = {"IQ4_NL", sizeof("IQ4_NL") - 1, 0, 32, 18},
    [MM_DTYPE_IQ3_S] = {"IQ3_S", sizeof("IQ3_S") - 1, 0, 256, 110},
    [MM_DTYPE_IQ2_S] = {"IQ2_S", sizeof("IQ2_S") - 1, 0, 256, 82},
    [MM_DTYPE_IQ4_XS] = {"IQ4_XS", sizeof("IQ4_XS") - 1, 0, 256, 136},
    [MM_DTYPE_IQ1_M] = {"IQ1_M", sizeof("IQ1_M") - 1, 0, 256, 56},
    [MM_DTYPE_TQ1_0] = {"TQ1_0", sizeof("TQ1_0") - 1, 0, 256, 54},
    [MM_DTYPE_TQ2_0] = {"TQ2_0", sizeof("TQ2_0") - 1, 0, 256, 66},
    [MM_DTYPE_MXFP4] = {"MXFP4", sizeof("MXFP4") - 1, 0, 32, 17},
    [MM_DTYPE_NVFP4] = {"NVFP4", sizeof("NVFP4") - 1, 0, 64, 36},
    [MM_DTYPE_Q1_0] = {"Q1_0", sizeof("Q1_0") - 1, 0, 128, 18},
    [MM_DTYPE_Q2_0] = {"Q2_0", sizeof("Q2_0") - 1, 0, 64, 18},
};

const char *mm_dtype_name(enum mm_dtype dtype)
{
    if ((unsigned)dtype >= MM_DTYPE_COUNT_) {
        return dtypes[MM_DTYPE_UNKNOWN].name;
    }
    return dtypes[dtype].name;
}

unsigned mm_dtype_bits(enum mm_dtype dtype)
{
    if ((unsigned)dtype >= MM_DTYPE_COUNT_) {
        return 0;
    }
    return dtypes[dtype].bits;
}

int mm_dtype_block(enum mm_dtype dtype, unsigned *elements, unsigned *bytes)
{
    const struct dtype_info *d;
    if ((unsigned)dtype >= MM_DTYPE_COUNT_ || dtype == MM_DTYPE_UNKNOWN) {
        return 0;
    }
    d = &dtypes[dtype];
    if (d->block_elems != 0) {
        *elements = d->block_elems;
        *bytes = d->block_bytes;
    } else if (d->bits % 8 == 0) {
        *elements = 1;
        *bytes = d->bits / 8;
    } else {
        *elements = 0;
        *bytes = 0;
    }
    return 1;
}

enum mm_dtype mm_dtype_from_name(const char *name, size_t len)
{
    unsigned i;
    for (i = 1; i < MM_DTYPE_COUNT_; i++) {
        if (dtypes[i].len == len && memcmp(dtypes[i].name, name, len) == 0) {
            return (enum mm_dtype)i;
        }
    }
    return MM_DTYPE_UNKNOWN;
}
