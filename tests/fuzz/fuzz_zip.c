/* fuzz_zip.c - the zip directory reader on arbitrary bytes: open, then for
 * every member locate its data and read it when small (inflate and CRC). */
#include "fuzz_common.h"
#include "formats/torch/zip.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mm_source src;
    struct mm_error err;
    struct mm_zip z;
    size_t i;
    mm_source_memory(&src, size == 0 ? (const void *)"" : data, size, "fuzz.zip");
    if (mm_zip_open(&z, &src, &err) != MM_OK) {
        return 0;
    }
    for (i = 0; i < z.n; i++) {
        const struct mm_zip_entry *e = &z.entries[i];
        uint64_t start;
        uint8_t *buf = NULL;
        size_t len = 0;
        /* the directory is sorted and every name is found again */
        if (mm_zip_find(&z, e->name, e->name_len) == NULL) {
            __builtin_trap();
        }
        if (mm_zip_data_start(&start, &z, &src, e, &err) != MM_OK) {
            continue;
        }
        if (start > size || e->comp_size > size - start) {
            __builtin_trap(); /* a located member must lie within the bytes */
        }
        if (mm_zip_read(&buf, &len, &z, &src, e, 1u << 20, MM_E_LIMIT_PICKLE_BYTES, &err) ==
            MM_OK) {
            if (len != e->size || buf[len] != 0) {
                __builtin_trap();
            }
        }
        free(buf);
    }
    mm_zip_free(&z);
    return 0;
}
