/*
 * cursor.h - a bounded cursor over bytes already read into memory.
 *
 * Readers never do pointer arithmetic of their own: they take bytes through
 * these functions, which check what remains first. `base` is the absolute
 * file offset of p[0], so positions reported in errors are file offsets.
 * Integers are decoded little-endian with shifts (libarchive's lesson),
 * never by copying into a host integer.
 */
#ifndef MM_CURSOR_H
#define MM_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mm_cursor {
    const uint8_t *p;
    size_t len;
    size_t pos;
    uint64_t base;
};

static inline void mm_cursor_init(struct mm_cursor *c, const void *p, size_t len, uint64_t base)
{
    c->p = p;
    c->len = len;
    c->pos = 0;
    c->base = base;
}

static inline size_t mm_cursor_remain(const struct mm_cursor *c)
{
    return c->len - c->pos;
}

/* Absolute file offset of the next byte. */
static inline uint64_t mm_cursor_offset(const struct mm_cursor *c)
{
    return c->base + c->pos;
}

static inline bool mm_cursor_skip(struct mm_cursor *c, size_t n)
{
    if (n > mm_cursor_remain(c)) {
        return false;
    }
    c->pos += n;
    return true;
}

/* Borrows n bytes; *out points into the cursor's buffer. */
static inline bool mm_cursor_take(struct mm_cursor *c, size_t n, const uint8_t **out)
{
    if (n > mm_cursor_remain(c)) {
        return false;
    }
    *out = c->p + c->pos;
    c->pos += n;
    return true;
}

static inline bool mm_cursor_u8(struct mm_cursor *c, uint8_t *out)
{
    if (mm_cursor_remain(c) < 1) {
        return false;
    }
    *out = c->p[c->pos++];
    return true;
}

static inline uint16_t mm_le16(const uint8_t *b)
{
    return (uint16_t)((unsigned)b[0] | ((unsigned)b[1] << 8));
}

static inline uint32_t mm_le32(const uint8_t *b)
{
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
           ((uint32_t)b[3] << 24);
}

static inline uint64_t mm_le64(const uint8_t *b)
{
    return (uint64_t)mm_le32(b) | ((uint64_t)mm_le32(b + 4) << 32);
}

static inline bool mm_cursor_u16(struct mm_cursor *c, uint16_t *out)
{
    const uint8_t *b;
    if (!mm_cursor_take(c, 2, &b)) {
        return false;
    }
    *out = mm_le16(b);
    return true;
}

static inline bool mm_cursor_u32(struct mm_cursor *c, uint32_t *out)
{
    const uint8_t *b;
    if (!mm_cursor_take(c, 4, &b)) {
        return false;
    }
    *out = mm_le32(b);
    return true;
}

static inline bool mm_cursor_u64(struct mm_cursor *c, uint64_t *out)
{
    const uint8_t *b;
    if (!mm_cursor_take(c, 8, &b)) {
        return false;
    }
    *out = mm_le64(b);
    return true;
}

#endif
