/* fuzz_any.c - any bytes through the public entry point: format detection
 * by content, the reader that wins, the inventory checks, the estimators
 * (accelerate's table, and the memory breakdowns with the geometry the
 * tensor names or GGUF metadata give). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    char line[2048];
    /* a name ending in .safetensors sends unrecognised bytes to that reader */
    const char *name = (size > 0 && (data[size - 1] & 1) != 0) ? "fuzz.safetensors" : "fuzz.bin";
    if (mm_inventory_load_memory(&inv, data, size, name, &err) == MM_OK) {
        struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
        struct mm_memory r;
        mm_fuzz_check_inventory(inv);
        /* geometry from the tensor names or GGUF metadata, every estimate */
        p.inference = 1;
        p.train = MM_TRAIN_QLORA;
        p.gpus = 3;
        p.parallel = MM_PAR_TP;
        (void)mm_memory_run(&r, inv, NULL, &p, &err);
    } else {
        /* the one-line message: no newline whatever the input held */
        mm_error_format(line, sizeof(line), &err);
        if (strchr(line, '\n') != NULL || inv != NULL) {
            __builtin_trap();
        }
    }
    mm_inventory_free(inv);
    return 0;
}
