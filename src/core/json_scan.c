/* json_scan.c - the strict JSON pull parser (see json_scan.h). */
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/json_scan.h"

void mm_json_init(struct mm_json *j, const void *p, size_t len, uint64_t base, const char *file,
                  struct mm_error *err)
{
    memset(j, 0, sizeof(*j));
    mm_cursor_init(&j->c, p, len, base);
    j->file = file;
    j->err = err;
}

void mm_json_fini(struct mm_json *j)
{
    free(j->scratch);
    j->scratch = NULL;
    j->scratch_cap = 0;
}

static void skip_ws(struct mm_json *j)
{
    while (j->c.pos < j->c.len) {
        const uint8_t ch = j->c.p[j->c.pos];
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
            break;
        }
        j->c.pos++;
    }
}

enum mm_status mm_json_syntax(struct mm_json *j, const char *what)
{
    const int64_t at = (int64_t)mm_cursor_offset(&j->c);
    if (j->c.pos >= j->c.len) {
        return mm_fail(j->err, MM_ERR_MALFORMED, MM_E_JSON_SYNTAX, j->file, NULL, at,
                       "invalid JSON: %s, found the end of the text", what);
    }
    return mm_fail(j->err, MM_ERR_MALFORMED, MM_E_JSON_SYNTAX, j->file, NULL, at,
                   "invalid JSON: %s, found byte 0x%02x", what, j->c.p[j->c.pos]);
}

int mm_json_peek_ws(struct mm_json *j)
{
    skip_ws(j);
    return j->c.pos < j->c.len ? j->c.p[j->c.pos] : -1;
}

/* The error of mm_json_more (json_scan.h), out of line: after a member
 * neither ',' nor the close, or a ',' followed by the close. */
enum mm_status mm_json_more_fail(struct mm_json *j, char close, bool trailing)
{
    if (trailing) {
        return mm_json_syntax(j, "trailing comma");
    }
    return mm_json_syntax(j, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
}

enum mm_status mm_json_member(struct mm_json *j, bool *first, bool *more, const char **key,
                              size_t *len, int64_t *at)
{
    enum mm_status st = mm_json_more(j, '}', first, more);
    if (st != MM_OK || !*more) {
        return st;
    }
    if (at != NULL) {
        *at = mm_json_offset(j);
    }
    st = mm_json_string(j, key, len);
    if (st == MM_OK) {
        st = mm_json_expect(j, ':', "expected ':'");
    }
    return st;
}

enum mm_status mm_json_keep(struct mm_json *j, const char **s, size_t len, char **buf,
                            size_t *cap)
{
    if (*s != j->scratch) {
        return MM_OK;
    }
    if (!mm_grow((void **)buf, cap, len + 1, 1)) {
        return mm_fail_nomem(j->err, j->file);
    }
    memcpy(*buf, *s, len);
    (*buf)[len] = '\0';
    *s = *buf;
    return MM_OK;
}

int mm_hex_digit(uint8_t ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

static bool read_hex4(struct mm_json *j, unsigned *out)
{
    unsigned v = 0;
    unsigned i;
    if (mm_cursor_remain(&j->c) < 4) {
        return false;
    }
    for (i = 0; i < 4; i++) {
        const int h = mm_hex_digit(j->c.p[j->c.pos + i]);
        if (h < 0) {
            return false;
        }
        v = (v << 4) | (unsigned)h;
    }
    j->c.pos += 4;
    *out = v;
    return true;
}

size_t mm_utf8_put(char *dst, unsigned cp)
{
    if (cp < 0x80) {
        dst[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (char)(0xc0 | (cp >> 6));
        dst[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char)(0xe0 | (cp >> 12));
        dst[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        dst[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    dst[0] = (char)(0xf0 | (cp >> 18));
    dst[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    dst[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes an escaped string starting at `start` (just after the quote) into
 * the scratch buffer. The decoded form is never longer than the source. */
static enum mm_status decode_escaped(struct mm_json *j, size_t start, const char **s,
                                     size_t *len)
{
    size_t o = 0;
    size_t need = j->c.len - start + 1;
    j->c.pos = start;
    if (!mm_grow((void **)&j->scratch, &j->scratch_cap, need, 1)) {
        return mm_fail_nomem(j->err, j->file);
    }
    for (;;) {
        uint8_t ch;
        if (!mm_cursor_u8(&j->c, &ch)) {
            return mm_json_syntax(j, "unterminated string");
        }
        if (ch == '"') {
            break;
        }
        if (ch < 0x20) {
            j->c.pos--;
            return mm_json_syntax(j, "control character in string");
        }
        if (ch != '\\') {
            j->scratch[o++] = (char)ch;
            continue;
        }
        if (!mm_cursor_u8(&j->c, &ch)) {
            return mm_json_syntax(j, "unterminated escape");
        }
        switch (ch) {
        case '"':
        case '\\':
        case '/':
            j->scratch[o++] = (char)ch;
            break;
        case 'b':
            j->scratch[o++] = '\b';
            break;
        case 'f':
            j->scratch[o++] = '\f';
            break;
        case 'n':
            j->scratch[o++] = '\n';
            break;
        case 'r':
            j->scratch[o++] = '\r';
            break;
        case 't':
            j->scratch[o++] = '\t';
            break;
        case 'u': {
            unsigned cp;
            unsigned lo;
            if (!read_hex4(j, &cp)) {
                return mm_json_syntax(j, "bad \\u escape");
            }
            if (cp >= 0xdc00 && cp <= 0xdfff) {
                return mm_json_syntax(j, "lone low surrogate in \\u escape");
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (mm_cursor_remain(&j->c) < 2 || j->c.p[j->c.pos] != '\\' ||
                    j->c.p[j->c.pos + 1] != 'u') {
                    return mm_json_syntax(j, "lone high surrogate in \\u escape");
                }
                j->c.pos += 2;
                if (!read_hex4(j, &lo) || lo < 0xdc00 || lo > 0xdfff) {
                    return mm_json_syntax(j, "bad surrogate pair in \\u escape");
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            /* \u0000 is allowed by JSON; names stop at NUL in C, so refuse. */
            if (cp == 0) {
                return mm_json_syntax(j, "\\u0000 in string");
            }
            o += mm_utf8_put(j->scratch + o, cp);
            break;
        }
        default:
            j->c.pos--;
            return mm_json_syntax(j, "unknown escape");
        }
    }
    j->scratch[o] = '\0';
    *s = j->scratch;
    *len = o;
    return MM_OK;
}

/* The 8 bytes at p as a little-endian word (compilers make it one load). */
static uint64_t load_le64(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
           (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
           (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

/* The top bit of each byte of v that is '"', '\\' or below 0x20: the classic
 * zero-byte test ((x - 0x01..) & ~x & 0x80..) applied to v XORed with '"'
 * and '\\', and its "less than n" form for the control bytes. A borrow can
 * flag a byte above a flagged one, never below: the lowest flag is exact. */
static uint64_t special8(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ull;
    const uint64_t highs = 0x8080808080808080ull;
    const uint64_t q = v ^ (ones * (uint64_t)'"');
    const uint64_t b = v ^ (ones * (uint64_t)'\\');
    return (((q - ones) & ~q) | ((b - ones) & ~b) | ((v - ones * 0x20u) & ~v)) & highs;
}

/* The byte number (0-7) of the lowest flag of a nonzero special8 mask: the
 * lowest flag alone, moved to bit 8k, times a constant whose byte 7-k is k
 * puts k in the top byte. */
static size_t first_flag(uint64_t m)
{
    const uint64_t low = m & (~m + 1u);
    return (size_t)(((low >> 7) * 0x0001020304050607ull) >> 56);
}

enum mm_status mm_json_string(struct mm_json *j, const char **s, size_t *len)
{
    size_t start;
    size_t i;
    if (mm_json_peek(j) != '"') {
        return mm_json_syntax(j, "expected a string");
    }
    j->c.pos++;
    start = j->c.pos;
    /* Fast path: no escape and no control byte. UTF-8 was checked for the
     * whole text beforehand. Eight bytes at a time to the first byte that
     * can end it (tensor names are long), then byte by byte. */
    i = start;
    while (j->c.len - i >= 8) {
        const uint64_t m = special8(load_le64(j->c.p + i));
        if (m != 0) {
            i += first_flag(m);
            break;
        }
        i += 8;
    }
    for (; i < j->c.len; i++) {
        const uint8_t ch = j->c.p[i];
        if (ch == '"') {
            *s = (const char *)j->c.p + start;
            *len = i - start;
            j->c.pos = i + 1;
            return MM_OK;
        }
        if (ch == '\\') {
            return decode_escaped(j, start, s, len);
        }
        if (ch < 0x20) {
            j->c.pos = i;
            return mm_json_syntax(j, "control character in string");
        }
    }
    j->c.pos = j->c.len;
    return mm_json_syntax(j, "unterminated string");
}

static bool is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

enum mm_status mm_json_number(struct mm_json *j, struct mm_jnum *out)
{
    const uint8_t *p;
    size_t n;
    size_t i = 0;
    memset(out, 0, sizeof(*out));
    skip_ws(j);
    p = j->c.p + j->c.pos;
    n = j->c.len - j->c.pos;
    out->is_int = true;
    if (i < n && p[i] == '-') {
        out->negative = true;
        i++;
    }
    if (i >= n || !is_digit(p[i])) {
        j->c.pos += i;
        return mm_json_syntax(j, "expected a number");
    }
    if (p[i] == '0') {
        i++;
    } else {
        /* 15 digits stay below 10^15 < 2^64: no check needed */
        const size_t fast_end = n - i > 15 ? i + 15 : n;
        while (i < fast_end && is_digit(p[i])) {
            out->u = out->u * 10u + (uint64_t)(p[i] - '0');
            i++;
        }
        while (i < n && is_digit(p[i])) {
            const uint64_t d = (uint64_t)(p[i] - '0');
            if (!out->overflow &&
                (!mm_mul_u64(&out->u, out->u, 10) || !mm_add_u64(&out->u, out->u, d))) {
                out->overflow = true;
            }
            i++;
        }
    }
    if (i < n && p[i] == '.') {
        out->is_int = false;
        i++;
        if (i >= n || !is_digit(p[i])) {
            j->c.pos += i;
            return mm_json_syntax(j, "expected a digit after '.'");
        }
        while (i < n && is_digit(p[i])) {
            i++;
        }
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        out->is_int = false;
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-')) {
            i++;
        }
        if (i >= n || !is_digit(p[i])) {
            j->c.pos += i;
            return mm_json_syntax(j, "expected a digit in the exponent");
        }
        while (i < n && is_digit(p[i])) {
            i++;
        }
    }
    j->c.pos += i;
    return MM_OK;
}

static enum mm_status literal(struct mm_json *j, const char *word)
{
    const size_t n = strlen(word);
    if (mm_cursor_remain(&j->c) < n || memcmp(j->c.p + j->c.pos, word, n) != 0) {
        return mm_json_syntax(j, "expected a value");
    }
    j->c.pos += n;
    return MM_OK;
}

enum mm_status mm_json_skip(struct mm_json *j, unsigned depth)
{
    const int ch = mm_json_peek(j);
    enum mm_status st;
    bool first = true;
    bool more;
    const char *s;
    size_t len;
    struct mm_jnum num;
    if (ch == '{' || ch == '[') {
        const char close = ch == '{' ? '}' : ']';
        if (depth >= MM_LIMIT_JSON_DEPTH) {
            return mm_fail(j->err, MM_ERR_LIMIT, MM_E_JSON_DEPTH, j->file, NULL,
                           (int64_t)mm_cursor_offset(&j->c),
                           "JSON nested deeper than %u levels", MM_LIMIT_JSON_DEPTH);
        }
        j->c.pos++;
        for (;;) {
            st = mm_json_more(j, close, &first, &more);
            if (st != MM_OK || !more) {
                return st;
            }
            if (close == '}') {
                st = mm_json_string(j, &s, &len);
                if (st == MM_OK) {
                    st = mm_json_expect(j, ':', "expected ':'");
                }
                if (st != MM_OK) {
                    return st;
                }
            }
            st = mm_json_skip(j, depth + 1);
            if (st != MM_OK) {
                return st;
            }
        }
    }
    switch (ch) {
    case '"':
        return mm_json_string(j, &s, &len);
    case 't':
        return literal(j, "true");
    case 'f':
        return literal(j, "false");
    case 'n':
        return literal(j, "null");
    default:
        return mm_json_number(j, &num);
    }
}

/* True when the 16 bytes at p are all ASCII: no byte has its top bit (the
 * order the words are loaded in does not matter). */
static bool ascii16(const uint8_t *p)
{
    uint64_t a;
    uint64_t b;
    memcpy(&a, p, sizeof(a));
    memcpy(&b, p + 8, sizeof(b));
    return ((a | b) & 0x8080808080808080ull) == 0;
}

/* UTF-8 as Python's 'utf-8' codec reads it; with `surrogates`, as its
 * 'surrogatepass' error handler does (U+D800..U+DFFF encoded as three bytes
 * accepted). */
static bool utf8_check(const uint8_t *p, size_t len, bool surrogates, size_t *bad_at)
{
    size_t i = 0;
    while (i < len) {
        const uint8_t b = p[i];
        size_t n;
        uint32_t cp;
        uint32_t min;
        size_t k;
        if (b < 0x80) {
            /* headers are nearly all ASCII: skip it 16 bytes at a time */
            while (len - i >= 16 && ascii16(p + i)) {
                i += 16;
            }
            if (i < len && p[i] < 0x80) {
                i++;
            }
            continue;
        }
        if ((b & 0xe0) == 0xc0) {
            n = 2;
            cp = b & 0x1f;
            min = 0x80;
        } else if ((b & 0xf0) == 0xe0) {
            n = 3;
            cp = b & 0x0f;
            min = 0x800;
        } else if ((b & 0xf8) == 0xf0) {
            n = 4;
            cp = b & 0x07;
            min = 0x10000;
        } else {
            *bad_at = i;
            return false;
        }
        if (n > len - i) {
            *bad_at = i;
            return false;
        }
        for (k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                *bad_at = i;
                return false;
            }
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (!surrogates && cp >= 0xd800 && cp <= 0xdfff)) {
            *bad_at = i;
            return false;
        }
        i += n;
    }
    return true;
}

bool mm_utf8_valid(const uint8_t *p, size_t len, size_t *bad_at)
{
    return utf8_check(p, len, false, bad_at);
}

bool mm_utf8_valid_surrogatepass(const uint8_t *p, size_t len, size_t *bad_at)
{
    return utf8_check(p, len, true, bad_at);
}
