/* fuzz_safetensors.c - the safetensors reader on arbitrary bytes, called
 * directly (no format detection), as a file of that name would be read. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mm_fuzz_read_with(data, size, "fuzz.safetensors", mm_safetensors_read);
    return 0;
}
