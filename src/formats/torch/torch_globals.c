/*
 * torch_globals.c - the pickle global callback of the PyTorch reader
 * (torch.h): each global the pickle names is classified (pickle_globals.c),
 * then refused, warned about once, or let through. A dotted name part is
 * classified as Python resolves it, attribute by attribute: unsafe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "formats/torch/torch.h"

/* ---- Globals ------------------------------------------------------------------ */

/* Whether `full` was reported before (*seen), remembering it; at most
 * MM_LIMIT_PROBLEMS distinct globals are reported per file. */
static enum mm_status already_warned(struct mm_tctx *x, const char *full, bool *seen)
{
    size_t i = 0;
    char *copy;
    *seen = x->nwarned >= MM_LIMIT_PROBLEMS;
    for (i = 0; i < x->nwarned && !*seen; i++) {
        *seen = strcmp(x->warned[i], full) == 0;
    }
    if (*seen) {
        return MM_OK;
    }
    copy = strdup(full);
    if (copy == NULL ||
        !mm_grow((void **)&x->warned, &x->warned_cap, x->nwarned + 1, sizeof(char *))) {
        free(copy);
        return MM_ERR_NOMEM;
    }
    x->warned[x->nwarned++] = copy;
    return MM_OK;
}

enum mm_status mm_torch_on_global(void *ctx, const char *module, size_t mlen,
                                  const char *name, size_t nlen, uint64_t at,
                                  struct mm_error *err)
{
    struct mm_tctx *x = ctx;
    const enum mm_global_class cls = mm_pickle_classify(module, mlen, name, nlen);
    /* a dotted name part is unsafe whatever it spells (pickle_globals.c):
     * the message says why, as the name alone may look harmless */
    const char *const why = memchr(name, '.', nlen) != NULL
                                ? "a dotted name, which can reach any callable"
                                : "which can run code";
    char full[200];
    char msg[MM_ERROR_MESSAGE_MAX + 64];
    bool seen = false;
    if (cls == MM_GLOBAL_SAFE) {
        return MM_OK;
    }
    snprintf(full, sizeof(full), "%.*s.%.*s", (int)(mlen > 95 ? 95 : mlen), module,
             (int)(nlen > 95 ? 95 : nlen), name);
    if (cls == MM_GLOBAL_UNSAFE && !mm_inv_allow_unsafe_pickle(x->inv)) {
        return mm_fail(err, MM_ERR_UNSAFE, MM_E_UNSAFE_GLOBAL, x->src->name, NULL, (int64_t)at,
                       "pickle imports %s, %s: refused (nothing was run; "
                       "--allow-unsafe-pickle reads the file anyway)",
                       full, why);
    }
    if (already_warned(x, full, &seen) != MM_OK) {
        return mm_fail_nomem(err, x->src->name);
    }
    if (seen) {
        return MM_OK;
    }
    if (cls == MM_GLOBAL_UNSAFE) {
        snprintf(msg, sizeof(msg), "pickle imports %s, %s (not run)", full, why);
    } else {
        snprintf(msg, sizeof(msg), "pickle imports %s, not a tensor-checkpoint global (not run)",
                 full);
    }
    if (mm_inv_add_warning(x->inv, cls == MM_GLOBAL_UNSAFE ? MM_E_UNSAFE_GLOBAL
                                                           : MM_E_UNKNOWN_GLOBAL,
                           x->file, (int64_t)at, msg) != MM_OK) {
        return mm_fail_nomem(err, x->src->name);
    }
    return MM_OK;
}
