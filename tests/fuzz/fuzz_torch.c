/* fuzz_torch.c - the PyTorch reader (zip and legacy checkpoints, plain
 * pickles) on arbitrary bytes, called directly as a file of that name would
 * be read. Unsafe globals are refused, as by default. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mm_fuzz_read_with(data, size, "fuzz.pt", mm_torch_read);
    return 0;
}
