/*
 * gpus.c - the built-in accelerator table. `total_bytes` is the capacity
 * as sold (GB = 10^9 bytes where the vendor says GB, GiB for the GeForce
 * and T4/V100 parts sold in binary units); `usable_bytes` is memory.total
 * as nvidia-smi (rocm-smi for AMD) commonly reports it - what the driver
 * leaves to CUDA after its own reservation, i.e. what
 * torch.cuda.mem_get_info() shows as total. The CUDA context itself is not
 * subtracted here: the estimates count it as runtime overhead. The figures
 * are those public nvidia-smi/rocm-smi outputs show for each part; ECC
 * settings, MIG partitions and drivers can move them by a few hundred MiB.
 */
#include <string.h>

#include "core/internal.h"

#define MIB 1048576ull
#define GB 1000000000ull
#define GIB 1073741824ull

static const struct mm_gpu gpus[] = {
    {"A100-40GB", 40 * GB, 40960 * MIB},
    {"A100-80GB", 80 * GB, 81920 * MIB},
    {"H100-80GB", 80 * GB, 81559 * MIB},
    {"H100-NVL-94GB", 94 * GB, 95830 * MIB},
    {"H200-141GB", 141 * GB, 143771 * MIB},
    {"B200-192GB", 192 * GB, 183359 * MIB},
    {"L4-24GB", 24 * GB, 23034 * MIB},
    {"L40S-48GB", 48 * GB, 46068 * MIB},
    {"A10-24GB", 24 * GB, 23028 * MIB},
    {"A6000-48GB", 48 * GB, 49140 * MIB},
    {"RTX3090-24GB", 24 * GIB, 24576 * MIB},
    {"RTX4090-24GB", 24 * GIB, 24564 * MIB},
    {"RTX5090-32GB", 32 * GIB, 32607 * MIB},
    {"T4-16GB", 16 * GIB, 15360 * MIB},
    {"V100-16GB", 16 * GIB, 16160 * MIB},
    {"V100-32GB", 32 * GIB, 32510 * MIB},
    {"MI250X-128GB", 128 * GIB, 131072 * MIB},
    {"MI300X-192GB", 192 * GIB, 196592 * MIB},
};

size_t mm_gpu_count(void)
{
    return sizeof(gpus) / sizeof(gpus[0]);
}

const struct mm_gpu *mm_gpu_at(size_t i)
{
    return i < mm_gpu_count() ? &gpus[i] : NULL;
}

/* Letters and digits only, lower case: "H100 80GB" and "h100-80gb" agree. */
static size_t squash(char *out, size_t size, const char *s)
{
    size_t n = 0;
    for (; *s != '\0' && n + 1 < size; s++) {
        const char ch = *s;
        if (ch >= 'A' && ch <= 'Z') {
            out[n++] = (char)(ch - 'A' + 'a');
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
            out[n++] = ch;
        }
    }
    out[n] = '\0';
    return n;
}

const struct mm_gpu *mm_gpu_find(const char *name)
{
    char want[64];
    size_t i;
    const struct mm_gpu *model_hit = NULL;
    size_t hits = 0;
    if (squash(want, sizeof(want), name) == 0) {
        return NULL;
    }
    for (i = 0; i < mm_gpu_count(); i++) {
        char have[64];
        char model[64];
        const char *dash = strrchr(gpus[i].name, '-');
        const size_t ml = (size_t)(dash - gpus[i].name);
        squash(have, sizeof(have), gpus[i].name);
        if (strcmp(have, want) == 0) {
            return &gpus[i];
        }
        /* the model without its size ("H200", "L4"), when only one entry
         * has that model */
        memcpy(model, gpus[i].name, ml);
        model[ml] = '\0';
        squash(model, sizeof(model), model);
        if (strcmp(model, want) == 0) {
            model_hit = &gpus[i];
            hits++;
        }
    }
    return hits == 1 ? model_hit : NULL;
}
