/* fuzz_gguf.c - the GGUF reader on arbitrary bytes, called directly. */
#include "fuzz_common.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mm_source src;
    struct mm_error err;
    struct mm_inventory *inv;
    uint32_t f;
    /* the probe checks the magic before the reader runs; keep that contract */
    if (size < 4 || memcmp(data, "GGUF", 4) != 0) {
        return 0;
    }
    inv = mm_inv_new();
    if (inv == NULL) {
        return 0;
    }
    mm_source_memory(&src, data, size, "fuzz.gguf");
    if (mm_inv_add_file(inv, src.name, "unknown", size, 0, &f) == MM_OK &&
        mm_gguf_read(&src, inv, f, &err) == MM_OK && mm_inv_check_unique(inv, &err) == MM_OK &&
        mm_inv_finish(inv) == MM_OK) {
        mm_fuzz_check_inventory(inv);
    }
    mm_inventory_free(inv);
    return 0;
}
