/*
 * checked.h - overflow-checked arithmetic and allocation.
 *
 * The only place compiler builtins are used (STYLE.md). Every size computed
 * from untrusted input goes through these.
 */
#ifndef MM_CHECKED_H
#define MM_CHECKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/bigmem.h"

/* printf-style format checking of a function's arguments: the format is
 * argument `f`, the values start at `a` (0 for a va_list). */
#define MM_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Each returns true and writes *out on success, false on overflow. */
static inline bool mm_add_u64(uint64_t *out, uint64_t a, uint64_t b)
{
    return !__builtin_add_overflow(a, b, out);
}

static inline bool mm_mul_u64(uint64_t *out, uint64_t a, uint64_t b)
{
    return !__builtin_mul_overflow(a, b, out);
}

static inline bool mm_add_size(size_t *out, size_t a, size_t b)
{
    return !__builtin_add_overflow(a, b, out);
}

static inline bool mm_mul_size(size_t *out, size_t a, size_t b)
{
    return !__builtin_mul_overflow(a, b, out);
}

/* realloc of n elements of `size` bytes; NULL on overflow or failure, in
 * which case `p` is left untouched. */
static inline void *mm_reallocarray(void *p, size_t n, size_t size)
{
    size_t bytes;
    if (!mm_mul_size(&bytes, n, size)) {
        return NULL;
    }
    return realloc(p, bytes == 0 ? 1 : bytes);
}

/* Grows *p (holding *cap elements of `size`) to hold at least `need`.
 * Returns false, leaving *p and *cap as they were, on failure. */
static inline bool mm_grow(void **p, size_t *cap, size_t need, size_t size)
{
    size_t ncap;
    void *np;
    if (need <= *cap) {
        return true;
    }
    ncap = *cap < 16 ? 16 : *cap;
    while (ncap < need) {
        if (!mm_mul_size(&ncap, ncap, 2)) {
            return false;
        }
    }
    if (ncap >= MM_BIG_BYTES / size) {
        size_t bytes;
        np = mm_mul_size(&bytes, ncap, size) ? mm_realloc_big(*p, *cap * size, bytes) : NULL;
    } else {
        np = mm_reallocarray(*p, ncap, size);
    }
    if (np == NULL) {
        return false;
    }
    *p = np;
    *cap = ncap;
    return true;
}

#endif
