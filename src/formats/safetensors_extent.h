/*
 * safetensors_extent.h - how long a safetensors file should be, read from
 * the part of it that is there: what verify needs to say "1.63 GiB of
 * 3.26 GiB" of a truncated or half-downloaded file, whose full reading
 * (safetensors.c) stops at the first tensor past the end.
 */
#ifndef MM_SAFETENSORS_EXTENT_H
#define MM_SAFETENSORS_EXTENT_H

#include "core/internal.h"

struct mm_st_extent {
    int has_header_len;   /* the 8-byte header length N is there */
    uint64_t header_len;
    int has_size;         /* the whole header is there and names the layout */
    uint64_t size;        /* 8 + N + the last byte any tensor's data_offsets reach */
    char first_tensor[MM_ERROR_TENSOR_MAX]; /* a tensor it holds, "" if none */
};

/*
 * Reads what it can of `src`'s header: never fails on a short file (the
 * fields say what was found); MM_ERR_NOMEM, MM_ERR_IO, or MM_OK. A header
 * that is not a safetensors header leaves has_size clear.
 */
enum mm_status mm_safetensors_extent(struct mm_st_extent *out, const struct mm_source *src,
                                     struct mm_error *err);

#endif
