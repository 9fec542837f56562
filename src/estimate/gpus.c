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
    {"A10G-24GB", 24 * GB, 23028 * MIB}, /* AWS g5: an A10 variant, the same memory */
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
