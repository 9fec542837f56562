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

#endif
