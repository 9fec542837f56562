/* dtype.c - the element-type table: names and bits per element.
 * Names and sizes from safetensors `Dtype` (safetensors/src/tensor.rs). */
#include <string.h>

#include "internal.h"

struct dtype_info {
    const char *name;
    unsigned bits;
};

static const struct dtype_info dtypes[MM_DTYPE_COUNT_] = {
    [MM_DTYPE_UNKNOWN] = {"UNKNOWN", 0},
    [MM_DTYPE_BOOL] = {"BOOL", 8},
    [MM_DTYPE_U8] = {"U8", 8},
    [MM_DTYPE_I8] = {"I8", 8},
    [MM_DTYPE_F8_E5M2] = {"F8_E5M2", 8},
    [MM_DTYPE_F8_E4M3] = {"F8_E4M3", 8},
    [MM_DTYPE_F8_E8M0] = {"F8_E8M0", 8},
    [MM_DTYPE_F8_E4M3FNUZ] = {"F8_E4M3FNUZ", 8},
    [MM_DTYPE_F8_E5M2FNUZ] = {"F8_E5M2FNUZ", 8},
    [MM_DTYPE_I16] = {"I16", 16},
    [MM_DTYPE_U16] = {"U16", 16},
    [MM_DTYPE_F16] = {"F16", 16},
    [MM_DTYPE_BF16] = {"BF16", 16},
    [MM_DTYPE_I32] = {"I32", 32},
    [MM_DTYPE_U32] = {"U32", 32},
    [MM_DTYPE_F32] = {"F32", 32},
    [MM_DTYPE_F64] = {"F64", 64},
    [MM_DTYPE_I64] = {"I64", 64},
    [MM_DTYPE_U64] = {"U64", 64},
    [MM_DTYPE_C64] = {"C64", 64},
    [MM_DTYPE_F4] = {"F4", 4},
    [MM_DTYPE_F6_E2M3] = {"F6_E2M3", 6},
    [MM_DTYPE_F6_E3M2] = {"F6_E3M2", 6},
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

enum mm_dtype mm_dtype_from_name(const char *name, size_t len)
{
    unsigned i;
    for (i = 1; i < MM_DTYPE_COUNT_; i++) {
        const char *n = dtypes[i].name;
        if (strlen(n) == len && memcmp(n, name, len) == 0) {
            return (enum mm_dtype)i;
        }
    }
    return MM_DTYPE_UNKNOWN;
}
