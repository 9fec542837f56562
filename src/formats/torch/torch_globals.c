/*
 * torch_globals.c - the pickle global callback of the PyTorch reader
 * (torch.h): each global the pickle names is classified (pickle_globals.c),
 * then refused, warned about once, or let through. A dotted name part is
 * classified as Python resolves it, attribute by attribute: unsafe. Below
 * protocol 3 a Python 2 name is classified as the Python 3 global Python
 * maps it to, which the message names too.
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
                                  const char *name, size_t nlen, unsigned proto,
                                  uint64_t at, struct mm_error *err)
{
    struct mm_tctx *x = ctx;
    const enum mm_global_class cls = mm_pickle_classify(module, mlen, name, nlen, proto);
    const char *py3_module = module;
    const char *py3_name = name;
    size_t py3_mlen = mlen;
    size_t py3_nlen = nlen;
    /* a dotted name part is unsafe whatever it spells (pickle_globals.c):
     * the message says why, as the name alone may look harmless */
    const char *const why = memchr(name, '.', nlen) != NULL
                                ? "a dotted name, which can reach any callable"
                                : "which can run code";
    char full[300];
    char msg[MM_ERROR_MESSAGE_MAX + 64];
    bool seen = false;
    if (cls == MM_GLOBAL_SAFE) {
        return MM_OK;
    }
    snprintf(full, sizeof(full), "%.*s.%.*s", (int)(mlen > 95 ? 95 : mlen), module,
             (int)(nlen > 95 ? 95 : nlen), name);
    /* the mapped names are short static strings (pickle_globals.c) */
    if (mm_pickle_fix_import(&py3_module, &py3_mlen, &py3_name, &py3_nlen, proto)) {
        const size_t used = strlen(full);
        snprintf(full + used, sizeof(full) - used, " (read as %.*s.%.*s below protocol 3)",
                 (int)py3_mlen, py3_module, (int)py3_nlen, py3_name);
    }
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
