/* fuzz_torch.c - the PyTorch reader (zip and legacy checkpoints, plain
 * pickles) on arbitrary bytes, called directly as a file of that name would
 * be read. Unsafe globals are refused, as by default. */
#include "fuzz_common.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mm_source src;
    struct mm_error err;
    struct mm_inventory *inv = mm_inv_new();
    uint32_t f;
    if (inv == NULL) {
        return 0;
    }
    mm_source_memory(&src, size == 0 ? (const void *)"" : data, size, "fuzz.pt");
    if (mm_inv_add_file(inv, src.name, "unknown", size, 0, &f) == MM_OK &&
        mm_torch_read(&src, inv, f, &err) == MM_OK &&
        mm_inv_check_unique(inv, &err) == MM_OK && mm_inv_finish(inv) == MM_OK) {
        mm_fuzz_check_inventory(inv);
    }
    mm_inventory_free(inv);
    return 0;
}
