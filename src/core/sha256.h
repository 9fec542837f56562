/* sha256.h - SHA-256 (FIPS 180-4), for verify's checksums of Hugging Face
 * cache blobs, whose file names are the SHA-256 of their content. */
#ifndef MM_SHA256_H
#define MM_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct mm_sha256 {
    uint32_t h[8];
    uint64_t total; /* bytes hashed */
    uint8_t block[64];
    size_t used;    /* bytes in block */
};

void mm_sha256_init(struct mm_sha256 *s);
void mm_sha256_update(struct mm_sha256 *s, const void *data, size_t len);
void mm_sha256_final(struct mm_sha256 *s, uint8_t out[32]);

#endif
