/* fuzz_pickle.c - the non-executing pickle interpreter on arbitrary bytes:
 * every global is classified as it is named; the tree it builds must be
 * consistent (every kid a node made before it, every string in the pool). */
#include "fuzz_common.h"
#include "formats/torch/pickle.h"

static enum mm_status on_global(void *ctx, const char *module, size_t module_len,
                                const char *name, size_t name_len, unsigned proto,
                                uint64_t at, struct mm_error *err)
{
    (void)ctx;
    (void)at;
    (void)err;
    (void)mm_pickle_classify(module, module_len, name, name_len, proto);
    return MM_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mm_pickle p;
    struct mm_error err;
    size_t i;
    if (mm_pickle_run(&p, size == 0 ? (const uint8_t *)"" : data, size, 0, "fuzz.pkl",
                      on_global, NULL, &err) != MM_OK) {
        return 0;
    }
    if (p.root >= p.n || p.consumed > size) {
        __builtin_trap();
    }
    for (i = 0; i < p.n; i++) {
        const struct mm_pk_node *nd = &p.nodes[i];
        uint32_t k;
        if (nd->kind == MM_PK_STR || nd->kind == MM_PK_BYTES || nd->kind == MM_PK_GLOBAL) {
            if ((size_t)nd->v.s.off + nd->v.s.len >= p.pool_len + 1) {
                __builtin_trap();
            }
            continue;
        }
        if (nd->kind != MM_PK_TUPLE && nd->kind != MM_PK_LIST && nd->kind != MM_PK_DICT &&
            nd->kind != MM_PK_SET && nd->kind != MM_PK_CALL && nd->kind != MM_PK_PERSID) {
            continue;
        }
        for (k = 0; k < nd->n; k++) {
            if (nd->v.kids[k] != MM_PK_NO_NODE && nd->v.kids[k] >= p.n) {
                __builtin_trap();
            }
        }
    }
    mm_pickle_free(&p);
    return 0;
}
