/*
 * json_scan.h - a strict, allocation-light JSON pull parser (RFC 8259).
 *
 * Used for safetensors headers and index files, where a tree parser's node
 * per value costs more than the rest of modelmem together. Strings come back
 * as (pointer, length) into the input when they hold no escape, else into a
 * scratch buffer that the next string call may overwrite. Numbers come back
 * exact when they are plain integers. Every error is MM_E_JSON_SYNTAX (or
 * MM_E_JSON_DEPTH) with the absolute byte offset of the offending byte.
 */
#ifndef MM_JSON_SCAN_H
#define MM_JSON_SCAN_H

#include <stdbool.h>

#include "core/cursor.h"
#include "core/internal.h"

struct mm_json {
    struct mm_cursor c;
    const char *file;
    struct mm_error *err;
    char *scratch;
    size_t scratch_cap;
};

/* A JSON number: `is_int` when written as an integer (no fraction, no
 * exponent); then `u` holds its magnitude unless `overflow`. */
struct mm_jnum {
    bool is_int;
    bool negative;
    bool overflow;
    uint64_t u;
};

void mm_json_init(struct mm_json *j, const void *p, size_t len, uint64_t base, const char *file,
                  struct mm_error *err);
void mm_json_fini(struct mm_json *j);

/* Skips whitespace; returns the next byte, or -1 at the end. */
int mm_json_peek_ws(struct mm_json *j);
/* Inline, as it runs several times per value: the next byte, or -1; the
 * call skips whitespace only when there is some. */
static inline int mm_json_peek(struct mm_json *j)
{
    if (j->c.pos < j->c.len) {
        const uint8_t ch = j->c.p[j->c.pos];
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
            return ch;
        }
    }
    return mm_json_peek_ws(j);
}
/* A syntax error at the current position. */
enum mm_status mm_json_syntax(struct mm_json *j, const char *what);
/* Offset of the next non-whitespace byte, for error messages. */
static inline int64_t mm_json_offset(struct mm_json *j)
{
    (void)mm_json_peek(j);
    return (int64_t)mm_cursor_offset(&j->c);
}
/* Skips whitespace and consumes `ch`, else a syntax error. */
static inline enum mm_status mm_json_expect(struct mm_json *j, char ch, const char *what)
{
    if (mm_json_peek(j) != (unsigned char)ch) {
        return mm_json_syntax(j, what);
    }
    j->c.pos++;
    return MM_OK;
}
/* Skips whitespace and reads a string. */
enum mm_status mm_json_string(struct mm_json *j, const char **s, size_t *len);
/* Skips whitespace and reads a number. */
enum mm_status mm_json_number(struct mm_json *j, struct mm_jnum *out);
/* Skips whitespace and any one value; `depth` is the current nesting. */
enum mm_status mm_json_skip(struct mm_json *j, unsigned depth);
/*
 * Walks the members of an object or the elements of an array whose opening
 * bracket was consumed: *more is set when another member follows (its key
 * or value is next), cleared when `close` was consumed. `*first` must start
 * true.
 */
enum mm_status mm_json_more_fail(struct mm_json *j, char close, bool trailing);
/* (inline: it runs once per member) */
static inline enum mm_status mm_json_more(struct mm_json *j, char close, bool *first,
                                          bool *more)
{
    const int ch = mm_json_peek(j);
    if (ch == (unsigned char)close) {
        j->c.pos++;
        *more = false;
        return MM_OK;
    }
    if (*first) {
        *first = false;
        *more = true;
        return MM_OK;
    }
    if (ch != ',') {
        return mm_json_more_fail(j, close, false);
    }
    j->c.pos++;
    if (mm_json_peek(j) == (unsigned char)close) {
        return mm_json_more_fail(j, close, true);
    }
    *more = true;
    return MM_OK;
}
/*
 * The next member of an object whose '{' was consumed: its key and the ':'
 * after it (*more is cleared, and nothing read, at the closing '}'). *at
 * receives the key's offset; `at` may be NULL.
 */
enum mm_status mm_json_member(struct mm_json *j, bool *first, bool *more, const char **key,
                              size_t *len, int64_t *at);
/* A string read into the scratch buffer (an escaped one) is overwritten by
 * the next string read: this copies it into *buf (grown as needed) and
 * points *s there. Strings that point into the input are left as they are. */
enum mm_status mm_json_keep(struct mm_json *j, const char **s, size_t len, char **buf,
                            size_t *cap);

/* Checks that bytes are valid UTF-8 (no overlongs, no surrogates); on
 * failure *bad_at is the index of the first bad byte. */
bool mm_utf8_valid(const uint8_t *p, size_t len, size_t *bad_at);
/* The same, but UTF-8-encoded surrogates (ED A0..BF xx) pass, as Python's
 * bytes.decode('utf-8', 'surrogatepass') lets them: the pickle unicode
 * opcodes (Lib/pickle.py load_binunicode). */
bool mm_utf8_valid_surrogatepass(const uint8_t *p, size_t len, size_t *bad_at);
/* Writes code point cp (<= 0x10FFFF) as UTF-8 at dst (room for 4 bytes);
 * returns the bytes written. Shared with the pickle reader's text decoding. */
size_t mm_utf8_put(char *dst, unsigned cp);
/* The value of a hexadecimal digit, or -1. */
int mm_hex_digit(uint8_t ch);

#endif
