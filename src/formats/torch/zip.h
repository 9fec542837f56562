/*
 * zip.h - the central directory of a zip archive read over pread, as
 * PyTorch's torch.save writes it (PKWARE APPNOTE.TXT 6.3: end of central
 * directory record, zip64 end record and locator, central directory file
 * headers, local file headers). Single-disk archives only; members are
 * stored (method 0) or deflated (method 8). Only the directory and the
 * members a caller asks for are read; everything else is located, never
 * read.
 */
#ifndef MM_ZIP_H
#define MM_ZIP_H

#include "core/internal.h"

struct mm_zip_entry {
    const char *name;      /* into mm_zip.names, NUL-terminated */
    size_t name_len;
    uint64_t comp_size;
    uint64_t size;         /* uncompressed */
    uint64_t local_offset; /* of the local file header */
    uint64_t cd_offset;    /* of the central directory header (for errors) */
    uint32_t crc;
    uint16_t method;
    uint16_t flags;
};

struct mm_zip {
    struct mm_zip_entry *entries; /* sorted by name */
    size_t n;
    char *names;
    uint64_t cd_offset; /* where the central directory starts */
};

/* Reads and checks the end records and the central directory. */
enum mm_status mm_zip_open(struct mm_zip *out, const struct mm_source *src,
                           struct mm_error *err);
void mm_zip_free(struct mm_zip *z);

/* The entry called `name` (len bytes), or NULL. */
const struct mm_zip_entry *mm_zip_find(const struct mm_zip *z, const char *name, size_t len);

/* Where the member's data begins: reads its local header, checks it against
 * the central directory and that the data lies before the directory. */
enum mm_status mm_zip_data_start(uint64_t *out, const struct mm_zip *z,
                                 const struct mm_source *src, const struct mm_zip_entry *e,
                                 struct mm_error *err);

/* Reads a whole member (inflating it) and checks its CRC-32. A member
 * larger than `max` bytes is MM_ERR_LIMIT with `limit_code`. *out is
 * malloc'ed, with a NUL after the *len bytes. */
enum mm_status mm_zip_read(uint8_t **out, size_t *len, const struct mm_zip *z,
                           const struct mm_source *src, const struct mm_zip_entry *e,
                           uint64_t max, enum mm_errcode limit_code, struct mm_error *err);

/* True when the first bytes are a zip local file header. */
bool mm_zip_magic(const uint8_t *head, size_t len);

#endif
