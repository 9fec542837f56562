/*
 * zip.c - zip archives read over pread (PKWARE APPNOTE.TXT 6.3).
 *
 * The end of central directory record (4.3.16) is searched for in the last
 * 22 + 65,535 bytes; a zip64 end record (4.3.14) is used when its locator
 * (4.3.15) sits right before it. Central directory headers (4.3.12) give
 * each member's sizes, CRC-32 and local header offset, with 64-bit values
 * in the zip64 extra field (4.5.3) when the 32-bit ones are 0xFFFFFFFF.
 * Every offset and size is checked against the file before it is used; a
 * member's data is located through its local header (4.3.7), which must
 * agree with the directory. Multi-disk archives, encryption and methods
 * other than stored (0) and deflated (8) are refused.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/checked.h"
#include "core/cursor.h"
#include "formats/torch/zip.h"

#define EOCD_SIZE 22u
#define EOCD_SEARCH (EOCD_SIZE + 65535u)
#define LOC64_SIZE 20u
#define EOCD64_SIZE 56u
#define CDH_SIZE 46u
#define LFH_SIZE 30u
/* A central directory larger than this is refused before it is read. */
#define ZIP_MAX_CD (256u << 20)

bool mm_zip_magic(const uint8_t *head, size_t len)
{
    return len >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
}

static enum mm_status bad(struct mm_error *err, const struct mm_source *src, uint64_t at,
                          const char *what)
{
    return mm_fail(err, MM_ERR_MALFORMED, MM_E_ZIP_INVALID, src->name, NULL, (int64_t)at,
                   "zip: %s", what);
}

void mm_zip_free(struct mm_zip *z)
{
    free(z->entries);
    free(z->names);
    memset(z, 0, sizeof(*z));
}

struct zip_end {
    uint64_t entries;
    uint64_t cd_size;
    uint64_t cd_offset;
    uint64_t end_at; /* where the end records begin: the directory ends here */
};

/* The zip64 end record named by the locator right before the EOCD. */
static enum mm_status read_end64(struct zip_end *e, const struct mm_source *src,
                                 uint64_t eocd_at, struct mm_error *err)
{
    uint8_t b[EOCD64_SIZE];
    uint64_t at = 0;
    enum mm_status st = mm_source_read(src, eocd_at - LOC64_SIZE, b, LOC64_SIZE, MM_E_TRUNCATED,
                                       err);
    if (st != MM_OK) {
        return st;
    }
    if (mm_le32(b + 4) != 0 || mm_le32(b + 16) > 1) {
        return mm_fail(err, MM_ERR_UNSUPPORTED, MM_E_ZIP_UNSUPPORTED, src->name, NULL,
                       (int64_t)(eocd_at - LOC64_SIZE), "zip: multi-disk archives are not read");
    }
    at = mm_le64(b + 8);
    if (at > eocd_at - LOC64_SIZE || eocd_at - LOC64_SIZE - at < EOCD64_SIZE) {
        return bad(err, src, eocd_at - LOC64_SIZE, "zip64 end record offset out of range");
    }
    st = mm_source_read(src, at, b, EOCD64_SIZE, MM_E_TRUNCATED, err);
    if (st != MM_OK) {
        return st;
    }
    if (mm_le32(b) != 0x06064b50u) {
        return bad(err, src, at, "zip64 end record signature missing");
    }
    if (mm_le32(b + 16) != 0 || mm_le32(b + 20) != 0 || mm_le64(b + 24) != mm_le64(b + 32)) {
        return mm_fail(err, MM_ERR_UNSUPPORTED, MM_E_ZIP_UNSUPPORTED, src->name, NULL,
                       (int64_t)at, "zip: multi-disk archives are not read");
    }
    e->entries = mm_le64(b + 32);
    e->cd_size = mm_le64(b + 40);
    e->cd_offset = mm_le64(b + 48);
    e->end_at = at;
    return MM_OK;
}

/* Finds the end of central directory record from the tail of the file. */
static enum mm_status read_end(struct zip_end *e, const struct mm_source *src,
                               struct mm_error *err)
{
    const size_t tail = src->size < EOCD_SEARCH ? (size_t)src->size : EOCD_SEARCH;
    const uint64_t base = src->size - tail;
    uint8_t *b = NULL;
    size_t i = 0;
    uint64_t at = 0;
    bool found = false;
    enum mm_status st;
    if (tail < EOCD_SIZE) {
        return mm_fail(err, MM_ERR_MALFORMED, MM_E_TRUNCATED, src->name, NULL,
                       (int64_t)src->size, "zip: file too short for an end of central directory");
    }
    b = malloc(tail);
    if (b == NULL) {
        return mm_fail_nomem(err, src->name);
    }
    st = mm_source_read(src, base, b, tail, MM_E_TRUNCATED, err);
    for (i = tail - EOCD_SIZE + 1; st == MM_OK && i-- > 0;) {
        if (mm_le32(b + i) == 0x06054b50u &&
            (size_t)mm_le16(b + i + 20) <= tail - EOCD_SIZE - i) {
            found = true;
            at = base + i;
            break;
        }
    }
    if (st == MM_OK && !found) {
        st = mm_fail(err, MM_ERR_MALFORMED, MM_E_TRUNCATED, src->name, NULL,
                     (int64_t)src->size,
                     "zip: no end of central directory record (truncated archive?)");
    }
    if (st == MM_OK) {
        const uint8_t *r = b + (size_t)(at - base);
        if (mm_le16(r + 4) != 0 || mm_le16(r + 6) != 0 || mm_le16(r + 8) != mm_le16(r + 10)) {
            free(b);
            return mm_fail(err, MM_ERR_UNSUPPORTED, MM_E_ZIP_UNSUPPORTED, src->name, NULL,
                           (int64_t)at, "zip: multi-disk archives are not read");
        }
        e->entries = mm_le16(r + 10);
        e->cd_size = mm_le32(r + 12);
        e->cd_offset = mm_le32(r + 16);
        e->end_at = at;
        if (at >= LOC64_SIZE && at - base >= LOC64_SIZE &&
            mm_le32(b + (size_t)(at - base) - LOC64_SIZE) == 0x07064b50u) {
            st = read_end64(e, src, at, err);
        } else if (e->entries == 0xffffu || e->cd_size == 0xffffffffu ||
                   e->cd_offset == 0xffffffffu) {
            st = bad(err, src, at, "zip64 values without a zip64 end record locator");
        }
    }
    free(b);
    return st;
}

/* Takes 64-bit values from a zip64 extra field, for the fields whose 32-bit
 * value is the 0xFFFFFFFF (0xFFFF for the disk) placeholder. */
static bool zip64_extra(const uint8_t *x, size_t xlen, uint64_t *usize, uint64_t *csize,
                        uint64_t *local, uint32_t *disk)
{
    struct mm_cursor c;
    mm_cursor_init(&c, x, xlen, 0);
    while (mm_cursor_remain(&c) >= 4) {
        uint16_t id = 0;
        uint16_t len = 0;
        const uint8_t *d = NULL;
        struct mm_cursor f;
        (void)mm_cursor_u16(&c, &id);
        (void)mm_cursor_u16(&c, &len);
        if (!mm_cursor_take(&c, len, &d)) {
            return false;
        }
        if (id != 1) {
            continue;
        }
        mm_cursor_init(&f, d, len, 0);
        if ((*usize == 0xffffffffu && !mm_cursor_u64(&f, usize)) ||
            (*csize == 0xffffffffu && !mm_cursor_u64(&f, csize)) ||
            (local != NULL && *local == 0xffffffffu && !mm_cursor_u64(&f, local)) ||
            (disk != NULL && *disk == 0xffffu && !mm_cursor_u32(&f, disk))) {
            return false;
        }
        return true;
    }
    return true;
}

/* One central directory header at c; appends to z. */
static enum mm_status read_cdh(struct mm_zip *z, struct mm_cursor *c, size_t *names_used,
                               const struct mm_source *src, struct mm_error *err)
{
    struct mm_zip_entry *e = &z->entries[z->n];
    const uint64_t at = mm_cursor_offset(c);
    const uint8_t *h = NULL;
    const uint8_t *name = NULL;
    const uint8_t *extra = NULL;
    uint16_t nlen = 0;
    uint16_t xlen = 0;
    uint32_t disk = 0;
    uint64_t end = 0;
    if (!mm_cursor_take(c, CDH_SIZE, &h) || mm_le32(h) != 0x02014b50u) {
        return bad(err, src, at, "bad central directory header");
    }
    nlen = mm_le16(h + 28);
    xlen = mm_le16(h + 30);
    if (!mm_cursor_take(c, nlen, &name) || !mm_cursor_take(c, xlen, &extra) ||
        !mm_cursor_skip(c, mm_le16(h + 32))) {
        return bad(err, src, at, "central directory header runs past the directory");
    }
    e->flags = mm_le16(h + 8);
    e->method = mm_le16(h + 10);
    e->crc = mm_le32(h + 16);
    e->comp_size = mm_le32(h + 20);
    e->size = mm_le32(h + 24);
    e->local_offset = mm_le32(h + 42);
    e->cd_offset = at;
    disk = mm_le16(h + 34);
    if (!zip64_extra(extra, xlen, &e->size, &e->comp_size, &e->local_offset, &disk)) {
        return bad(err, src, at, "bad zip64 extra field");
    }
    if (disk != 0 && disk != 0xffffu) {
        return mm_fail(err, MM_ERR_UNSUPPORTED, MM_E_ZIP_UNSUPPORTED, src->name, NULL,
                       (int64_t)at, "zip: member on disk %u of a multi-disk archive", disk);
    }
    if ((e->flags & 1u) != 0 || (e->method != 0 && e->method != 8)) {
        return mm_fail(err, MM_ERR_UNSUPPORTED, MM_E_ZIP_UNSUPPORTED, src->name, NULL,
                       (int64_t)at, "zip: member %.*s is %s", (int)(nlen > 200 ? 200 : nlen),
                       (const char *)name,
                       (e->flags & 1u) != 0 ? "encrypted" : "compressed with an unknown method");
    }
    if (e->method == 0 && e->comp_size != e->size) {
        return bad(err, src, at, "stored member whose sizes differ");
    }
    if (nlen == 0 || memchr(name, 0, nlen) != NULL) {
        return bad(err, src, at, "empty member name or NUL byte in a name");
    }
    /* the local header, the name and the data lie before the directory */
    if (!mm_add_u64(&end, e->local_offset, LFH_SIZE) || !mm_add_u64(&end, end, nlen) ||
        !mm_add_u64(&end, end, e->comp_size) || end > z->cd_offset) {
        return mm_fail(err, MM_ERR_MALFORMED, MM_E_ZIP_MEMBER_BEYOND, src->name, NULL,
                       (int64_t)at, "zip: member %.*s (%llu bytes at %llu) extends past the "
                       "archive's data",
                       (int)(nlen > 200 ? 200 : nlen), (const char *)name,
                       (unsigned long long)e->comp_size, (unsigned long long)e->local_offset);
    }
    memcpy(z->names + *names_used, name, nlen);
    z->names[*names_used + nlen] = '\0';
    e->name = NULL; /* set once names stop moving */
    e->name_len = nlen;
    *names_used += (size_t)nlen + 1;
    z->n++;
    return MM_OK;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct mm_zip_entry *x = a;
    const struct mm_zip_entry *y = b;
    const size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    const int c = memcmp(x->name, y->name, n);
    if (c != 0) {
        return c;
    }
    return x->name_len < y->name_len ? -1 : (x->name_len > y->name_len ? 1 : 0);
}

enum mm_status mm_zip_open(struct mm_zip *z, const struct mm_source *src, struct mm_error *err)
{
    struct zip_end e = {0, 0, 0, 0};
    struct mm_cursor c;
    uint8_t *cd = NULL;
    size_t used = 0;
    size_t i = 0;
    uint64_t cd_end = 0;
    enum mm_status st;
    memset(z, 0, sizeof(*z));
    st = read_end(&e, src, err);
    if (st != MM_OK) {
        return st;
    }
    if (!mm_add_u64(&cd_end, e.cd_offset, e.cd_size) || cd_end > e.end_at) {
        return bad(err, src, e.end_at, "central directory lies outside the archive");
    }
    if (e.entries > MM_LIMIT_ZIP_ENTRIES || e.cd_size > ZIP_MAX_CD) {
        return mm_fail(err, MM_ERR_LIMIT, MM_E_LIMIT_ZIP_ENTRIES, src->name, NULL,
                       (int64_t)e.end_at, "zip: %llu members in %llu directory bytes (limit %u "
                       "members)",
                       (unsigned long long)e.entries, (unsigned long long)e.cd_size,
                       MM_LIMIT_ZIP_ENTRIES);
    }
    if (e.entries > e.cd_size / CDH_SIZE) {
        return bad(err, src, e.end_at, "more members than the central directory can hold");
    }
    z->cd_offset = e.cd_offset;
    cd = malloc(e.cd_size == 0 ? 1 : (size_t)e.cd_size);
    z->entries = calloc(e.entries == 0 ? 1 : (size_t)e.entries, sizeof(*z->entries));
    z->names = malloc((size_t)e.cd_size + 1);
    if (cd == NULL || z->entries == NULL || z->names == NULL) {
        free(cd);
        mm_zip_free(z);
        return mm_fail_nomem(err, src->name);
    }
    st = mm_source_read(src, e.cd_offset, cd, (size_t)e.cd_size, MM_E_TRUNCATED, err);
    mm_cursor_init(&c, cd, (size_t)e.cd_size, e.cd_offset);
    for (i = 0; st == MM_OK && i < e.entries; i++) {
        st = read_cdh(z, &c, &used, src, err);
    }
    free(cd);
    used = 0;
    for (i = 0; i < z->n; i++) {
        z->entries[i].name = z->names + used;
        used += z->entries[i].name_len + 1;
    }
    if (st == MM_OK && z->n > 1) {
        qsort(z->entries, z->n, sizeof(*z->entries), cmp_entry);
        for (i = 1; i < z->n && st == MM_OK; i++) {
            if (cmp_entry(&z->entries[i - 1], &z->entries[i]) == 0) {
                st = bad(err, src, z->entries[i].cd_offset, "member name appears twice");
            }
        }
    }
    if (st != MM_OK) {
        mm_zip_free(z);
    }
    return st;
}

const struct mm_zip_entry *mm_zip_find(const struct mm_zip *z, const char *name, size_t len)
{
    size_t lo = 0;
    size_t hi = z->n;
    struct mm_zip_entry key;
    key.name = name;
    key.name_len = len;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const int c = cmp_entry(&key, &z->entries[mid]);
        if (c == 0) {
            return &z->entries[mid];
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return NULL;
}

/* Bytes read at once for a local header: the fixed part, the name and the
 * extra field of a checkpoint's members fit, so one pread does. */
#define LFH_READ 512u

/* Checks a local header (h: LFH_SIZE bytes, then `rest`: name and extra
 * field) against the central directory's entry. */
static enum mm_status check_lfh(const uint8_t *h, const uint8_t *rest,
                                const struct mm_source *src, const struct mm_zip_entry *e,
                                struct mm_error *err)
{
    const size_t nlen = mm_le16(h + 26);
    const size_t xlen = mm_le16(h + 28);
    uint64_t csize = mm_le32(h + 18);
    uint64_t usize = mm_le32(h + 22);
    if (memcmp(rest, e->name, nlen) != 0) {
        return bad(err, src, e->local_offset, "local header names another member");
    }
    /* without a data descriptor the local sizes and CRC are the real ones */
    if ((mm_le16(h + 6) & 8u) == 0 &&
        (!zip64_extra(rest + nlen, xlen, &usize, &csize, NULL, NULL) ||
         mm_le32(h + 14) != e->crc || csize != e->comp_size || usize != e->size)) {
        return bad(err, src, e->local_offset,
                   "local header sizes or CRC disagree with the central directory");
    }
    return MM_OK;
}

enum mm_status mm_zip_data_start(uint64_t *out, const struct mm_zip *z,
                                 const struct mm_source *src, const struct mm_zip_entry *e,
                                 struct mm_error *err)
{
    uint8_t buf[LFH_READ];
    size_t got = 0;
    size_t need = 0;
    uint64_t start = 0;
    uint64_t end = 0;
    enum mm_status st = mm_source_read_some(src, e->local_offset, buf, sizeof(buf), &got, err);
    if (st != MM_OK) {
        return st;
    }
    if (got < LFH_SIZE) {
        return mm_fail(err, MM_ERR_MALFORMED, MM_E_TRUNCATED, src->name, e->name,
                       (int64_t)e->local_offset, "zip: file ends inside a local header");
    }
    if (mm_le32(buf) != 0x04034b50u || mm_le16(buf + 26) != e->name_len ||
        mm_le16(buf + 8) != e->method) {
        return bad(err, src, e->local_offset, "local header disagrees with the central directory");
    }
    need = LFH_SIZE + (size_t)mm_le16(buf + 26) + mm_le16(buf + 28);
    if (need <= got) {
        st = check_lfh(buf, buf + LFH_SIZE, src, e, err);
    } else {
        uint8_t *rest = malloc(need - LFH_SIZE);
        if (rest == NULL) {
            return mm_fail_nomem(err, src->name);
        }
        st = mm_source_read(src, e->local_offset + LFH_SIZE, rest, need - LFH_SIZE,
                            MM_E_TRUNCATED, err);
        if (st == MM_OK) {
            st = check_lfh(buf, rest, src, e, err);
        }
        free(rest);
    }
    if (st != MM_OK) {
        return st;
    }
    start = e->local_offset + need;
    if (!mm_add_u64(&end, start, e->comp_size) || end > z->cd_offset) {
        return mm_fail(err, MM_ERR_MALFORMED, MM_E_ZIP_MEMBER_BEYOND, src->name, e->name,
                       (int64_t)start, "zip: member data extends past the archive's data");
    }
    *out = start;
    return MM_OK;
}

static enum mm_status inflate_all(uint8_t *dst, size_t dlen, const uint8_t *srcb, size_t slen,
                                  const struct mm_source *src, uint64_t at, struct mm_error *err)
{
    z_stream zs;
    int rc;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, -15) != Z_OK) {
        return mm_fail_nomem(err, src->name);
    }
    zs.next_in = (Bytef *)(uintptr_t)srcb;
    zs.avail_in = (uInt)slen;
    zs.next_out = dst;
    zs.avail_out = (uInt)dlen;
    rc = inflate(&zs, Z_FINISH);
    inflateEnd(&zs);
    if (rc == Z_MEM_ERROR) {
        return mm_fail_nomem(err, src->name);
    }
    if (rc != Z_STREAM_END || zs.total_out != dlen) {
        return bad(err, src, at, "deflate stream is corrupt or its size is wrong");
    }
    return MM_OK;
}

/* Deflated members that may expand beyond this size only up to this ratio
 * (documented with MM_LIMIT_PICKLE_BYTES in modelmem(1)). */
#define MM_ZIP_RATIO_FREE (64u * 1024u * 1024u)
#define MM_ZIP_MAX_RATIO 64u

enum mm_status mm_zip_read(uint8_t **out, size_t *len, const struct mm_zip *z,
                           const struct mm_source *src, const struct mm_zip_entry *e,
                           uint64_t max, enum mm_errcode limit_code, struct mm_error *err)
{
    uint64_t start = 0;
    uint8_t *data = NULL;
    uint8_t *comp = NULL;
    enum mm_status st;
    *out = NULL;
    *len = 0;
    if (e->size > max || e->size > UINT32_MAX || e->comp_size > UINT32_MAX) {
        return mm_fail(err, MM_ERR_LIMIT, limit_code, src->name, e->name,
                       (int64_t)e->local_offset, "zip member of %llu bytes (limit %llu)",
                       (unsigned long long)e->size, (unsigned long long)max);
    }
    /* deflate expands at most 1032:1 (zlib's technical details): a larger
     * declared size would only make us allocate for nothing */
    if (e->method == 8 && e->size / 1032 > e->comp_size + 1) {
        return bad(err, src, e->local_offset,
                   "declared size is impossible for the compressed size");
    }
    /* A pickle deflates a few times at most; one that expands more than
     * MM_ZIP_MAX_RATIO times to over MM_ZIP_RATIO_FREE bytes is a zip bomb
     * (a 250 KB file would make us hold 250 MB): refused, so that memory
     * stays within a multiple of the file's own bytes. */
    if (e->method == 8 && e->size > MM_ZIP_RATIO_FREE &&
        e->size / MM_ZIP_MAX_RATIO > e->comp_size) {
        return mm_fail(err, MM_ERR_LIMIT, limit_code, src->name, e->name,
                       (int64_t)e->local_offset,
                       "zip member inflates from %llu to %llu bytes, more than %u times",
                       (unsigned long long)e->comp_size, (unsigned long long)e->size,
                       MM_ZIP_MAX_RATIO);
    }
    st = mm_zip_data_start(&start, z, src, e, err);
    if (st != MM_OK) {
        return st;
    }
    data = malloc((size_t)e->size + 1);
    if (data == NULL) {
        return mm_fail_nomem(err, src->name);
    }
    if (e->method == 0) {
        st = mm_source_read(src, start, data, (size_t)e->size, MM_E_TRUNCATED, err);
    } else {
        comp = malloc(e->comp_size == 0 ? 1 : (size_t)e->comp_size);
        st = comp == NULL ? mm_fail_nomem(err, src->name)
                          : mm_source_read(src, start, comp, (size_t)e->comp_size,
                                           MM_E_TRUNCATED, err);
        if (st == MM_OK) {
            st = inflate_all(data, (size_t)e->size, comp, (size_t)e->comp_size, src, start, err);
        }
        free(comp);
    }
    if (st == MM_OK) {
        const uLong crc = crc32(crc32(0L, Z_NULL, 0), data, (uInt)e->size);
        if ((uint32_t)crc != e->crc) {
            st = mm_fail(err, MM_ERR_MALFORMED, MM_E_ZIP_CRC, src->name, e->name,
                         (int64_t)start, "zip: CRC-32 is %08lx, the directory says %08lx",
                         (unsigned long)crc, (unsigned long)e->crc);
        }
    }
    if (st != MM_OK) {
        free(data);
        return st;
    }
    data[e->size] = 0;
    *out = data;
    *len = (size_t)e->size;
    return MM_OK;
}
