/*
 * bigmem.c - large arrays in transparent huge pages.
 *
 * An array of many megabytes (an index's names and table, an inventory's
 * records) is touched once, page by page, as it is filled: with 4 KiB pages
 * that is one page fault per 4 KiB, and on a model of 10^5 tensors the
 * faults cost more than the parsing. Such arrays are allocated 2 MiB
 * aligned and marked MADV_HUGEPAGE, so that where the system offers
 * transparent huge pages (enabled "always" or "madvise") one fault maps
 * 2 MiB. Elsewhere the advice is ignored and the memory is ordinary.
 */
/* MADV_HUGEPAGE is a Linux extension, which _XOPEN_SOURCE alone hides */
#define _DEFAULT_SOURCE 1

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef __EMSCRIPTEN__
#include <sys/mman.h>
#endif

#include "core/bigmem.h"

#define HUGE_PAGE ((size_t)2 * 1024 * 1024)

void *mm_alloc_big(size_t bytes)
{
#if defined(MADV_HUGEPAGE) && !defined(__EMSCRIPTEN__)
    size_t rounded;
    void *p;
    if (bytes > SIZE_MAX - (HUGE_PAGE - 1)) {
        return NULL;
    }
    rounded = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    if (rounded == 0) {
        rounded = HUGE_PAGE;
    }
    p = aligned_alloc(HUGE_PAGE, rounded);
    if (p != NULL) {
        (void)madvise(p, rounded, MADV_HUGEPAGE); /* advice only */
    }
    return p;
#else
    /* no huge pages to ask for (WebAssembly, other systems) */
    return malloc(bytes == 0 ? 1 : bytes);
#endif
}

void *mm_realloc_big(void *p, size_t old_bytes, size_t bytes)
{
    void *np = mm_alloc_big(bytes);
    if (np == NULL) {
        return NULL;
    }
    if (p != NULL) {
        memcpy(np, p, old_bytes < bytes ? old_bytes : bytes);
        free(p);
    }
    return np;
}

void *mm_calloc_big(size_t n, size_t size)
{
    size_t bytes;
    void *p;
    if (size != 0 && n > SIZE_MAX / size) {
        return NULL;
    }
    bytes = n * size;
    if (bytes < MM_BIG_BYTES) {
        return calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
    }
    p = mm_alloc_big(bytes);
    if (p != NULL) {
        memset(p, 0, bytes);
    }
    return p;
}
