/*
 * safetensors_extent.c - the size a safetensors file declares: 8 bytes of
 * header length N, N bytes of JSON header, then the data, whose extent is
 * the largest end of any tensor's "data_offsets" (relative to 8 + N; the
 * safetensors format's README). Only the header is read.
 */
#include <stdlib.h>
#include <string.h>

#include "core/json_scan.h"
#include "formats/safetensors_extent.h"

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* One tensor entry {"dtype": ..., "shape": ..., "data_offsets": [a, b]}:
 * raises *end to b. */
static enum mm_status entry_end(struct mm_json *j, uint64_t *end)
{
    bool first = true;
    bool more = true;
    enum mm_status st = mm_json_expect(j, '{', "expected a tensor object");
    while (st == MM_OK) {
        const char *k;
        size_t klen;
        st = mm_json_member(j, &first, &more, &k, &klen, NULL);
        if (st != MM_OK || !more) {
            break;
        }
        if (klen == 12 && memcmp(k, "data_offsets", 12) == 0 && mm_json_peek(j) == '[') {
            struct mm_jnum a;
            struct mm_jnum b;
            st = mm_json_expect(j, '[', "expected '['");
            if (st == MM_OK) {
                st = mm_json_number(j, &a);
            }
            if (st == MM_OK) {
                st = mm_json_expect(j, ',', "expected ','");
            }
            if (st == MM_OK) {
                st = mm_json_number(j, &b);
            }
            if (st == MM_OK) {
                st = mm_json_expect(j, ']', "expected ']'");
            }
            if (st == MM_OK && b.is_int && !b.negative && !b.overflow && b.u > *end) {
                *end = b.u;
            }
        } else {
            st = mm_json_skip(j, 2);
        }
    }
    return st;
}

static enum mm_status scan_header(struct mm_st_extent *out, const uint8_t *h, size_t n)
{
    struct mm_json j;
    struct mm_error e;
    bool first = true;
    bool more = true;
    uint64_t end = 0;
    enum mm_status st;
    mm_json_init(&j, h, n, 8, "", &e);
    st = mm_json_expect(&j, '{', "expected an object");
    while (st == MM_OK) {
        const char *k;
        size_t klen;
        st = mm_json_member(&j, &first, &more, &k, &klen, NULL);
        if (st != MM_OK || !more) {
            break;
        }
        if (klen == 12 && memcmp(k, "__metadata__", 12) == 0) {
            st = mm_json_skip(&j, 1);
            continue;
        }
        if (out->first_tensor[0] == '\0' && klen < sizeof(out->first_tensor)) {
            memcpy(out->first_tensor, k, klen);
            out->first_tensor[klen] = '\0';
        }
        st = entry_end(&j, &end);
    }
    mm_json_fini(&j);
    if (st == MM_ERR_NOMEM) {
        return st;
    }
    if (st == MM_OK && mm_add_u64(&out->size, 8 + out->header_len, end)) {
        out->has_size = 1;
    } else {
        out->first_tensor[0] = '\0';
    }
    return MM_OK;
}

enum mm_status mm_safetensors_extent(struct mm_st_extent *out, const struct mm_source *src,
                                     struct mm_error *err)
{
    uint8_t lenbuf[8];
    uint8_t *header;
    size_t got = 0;
    enum mm_status st;
    memset(out, 0, sizeof(*out));
    st = mm_source_read_some(src, 0, lenbuf, sizeof(lenbuf), &got, err);
    if (st != MM_OK || got < sizeof(lenbuf)) {
        return st;
    }
    out->has_header_len = 1;
    out->header_len = le64(lenbuf);
    if (out->header_len > MM_LIMIT_HEADER_BYTES) {
        out->has_header_len = 0;
        return MM_OK;
    }
    if (out->header_len > src->size - 8) {
        return MM_OK;
    }
    header = malloc(out->header_len == 0 ? 1 : (size_t)out->header_len);
    if (header == NULL) {
        return mm_fail_nomem(err, src->name);
    }
    st = mm_source_read(src, 8, header, (size_t)out->header_len, MM_E_HEADER_LENGTH, err);
    if (st == MM_OK) {
        st = scan_header(out, header, (size_t)out->header_len);
    } else if (st == MM_ERR_MALFORMED) {
        st = MM_OK; /* the file shrank: as if the header were not all there */
    }
    free(header);
    return st;
}
