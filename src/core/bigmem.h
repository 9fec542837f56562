/* bigmem.h - arrays of megabytes in transparent huge pages (bigmem.c). */
#ifndef MM_BIGMEM_H
#define MM_BIGMEM_H

#include <stddef.h>

/* From MM_BIG_BYTES up, arrays are allocated in transparent huge pages
 * (below it, the 2 MiB rounding of pages partly filled costs more memory
 * than the faults it saves):
 * mm_alloc_big, or mm_realloc_big to move `old_bytes` of `p` into a new
 * one, or mm_calloc_big (calloc below MM_BIG_BYTES); all are released with
 * free(); NULL on failure, `p` then left untouched. */
#define MM_BIG_BYTES ((size_t)4 * 1024 * 1024)
void *mm_alloc_big(size_t bytes);
void *mm_realloc_big(void *p, size_t old_bytes, size_t bytes);
void *mm_calloc_big(size_t n, size_t size);

#endif
