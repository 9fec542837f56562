/*
 * fuzz_common.h - what every fuzz target shares: the libFuzzer entry point's
 * prototype and a check that a successful inventory is self-consistent and
 * survives the estimator.
 */
#ifndef MM_FUZZ_COMMON_H
#define MM_FUZZ_COMMON_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "formats/readers.h"
#include "modelmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walks everything a reader produced (so that ASan sees every byte read)
 * and runs the estimator over it. Crashes on an inconsistency. */
static inline void mm_fuzz_check_inventory(const struct mm_inventory *inv)
{
    struct mm_estimate est;
    struct mm_error err;
    const size_t nfiles = mm_inventory_file_count(inv);
    size_t i;
    for (i = 0; i < mm_inventory_tensor_count(inv); i++) {
        const struct mm_tensor *t = mm_inventory_tensor(inv, i);
        uint32_t d;
        /* a name is a C string within the limit */
        if (strlen(t->name) > MM_LIMIT_NAME || t->file >= nfiles || t->rank > MM_LIMIT_RANK) {
            __builtin_trap();
        }
        for (d = 0; d < t->rank; d++) {
            if (t->shape[d] > MM_LIMIT_DIM) {
                __builtin_trap();
            }
        }
        if (t->offset + t->nbytes < t->offset ||
            t->offset + t->nbytes > mm_inventory_file(inv, t->file)->bytes) {
            __builtin_trap();
        }
    }
    for (i = 0; i < mm_inventory_meta_count(inv); i++) {
        const struct mm_meta *m = mm_inventory_meta(inv, i);
        if (m->key == NULL || m->value == NULL || m->file >= nfiles) {
            __builtin_trap();
        }
        (void)strlen(m->key);
        (void)strlen(m->value);
    }
    if (mm_estimate_run(&est, inv, NULL, &err) == MM_OK) {
        (void)mm_layer_group_len(est.largest_layer);
    }
}

/* Reads the bytes with one reader, called directly (no detection) as a
 * file called `name` would be read, and checks what it built. */
static inline void mm_fuzz_read_with(const uint8_t *data, size_t size, const char *name,
                                     enum mm_status (*read)(const struct mm_source *,
                                                            struct mm_inventory *, uint32_t,
                                                            struct mm_error *))
{
    struct mm_source src;
    struct mm_error err;
    struct mm_inventory *inv = mm_inv_new();
    uint32_t f;
    if (inv == NULL) {
        return;
    }
    mm_source_memory(&src, size == 0 ? (const void *)"" : data, size, name);
    if (mm_inv_add_file(inv, src.name, "unknown", size, 0, &f) == MM_OK &&
        read(&src, inv, f, &err) == MM_OK && mm_inv_check_unique(inv, &err) == MM_OK &&
        mm_inv_finish(inv) == MM_OK) {
        mm_fuzz_check_inventory(inv);
    }
    mm_inventory_free(inv);
}

#endif
