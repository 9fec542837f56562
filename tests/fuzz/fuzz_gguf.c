/* fuzz_gguf.c - the GGUF reader on arbitrary bytes, called directly. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the probe checks the magic before the reader runs; keep that contract */
    if (size < 4 || memcmp(data, "GGUF", 4) != 0) {
        return 0;
    }
    mm_fuzz_read_with(data, size, "fuzz.gguf", mm_gguf_read);
    return 0;
}
