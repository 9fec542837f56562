/* output.c - the front end's writers: a buffered writer with fast integers,
 * JSON string literals, text from files made safe for a terminal, and the
 * sizes and counts people read. Every renderer writes through it; it calls
 * nothing of the front end above it. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

void out_init(struct out *o, FILE *f)
{
    o->f = f;
    o->n = 0;
}

void out_flush(struct out *o)
{
    if (o->n > 0) {
        fwrite(o->buf, 1, o->n, o->f);
        o->n = 0;
    }
    fflush(o->f);
}

void out_bytes(struct out *o, const char *s, size_t n)
{
    if (n > sizeof(o->buf) - o->n) {
        fwrite(o->buf, 1, o->n, o->f);
        o->n = 0;
        if (n > sizeof(o->buf)) {
            fwrite(s, 1, n, o->f);
            return;
        }
    }
    memcpy(o->buf + o->n, s, n);
    o->n += n;
}

void out_str(struct out *o, const char *s)
{
    out_bytes(o, s, strlen(s));
}

void out_u64(struct out *o, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    out_bytes(o, tmp + i, sizeof(tmp) - i);
}

void out_i64(struct out *o, int64_t v)
{
    if (v < 0) {
        out_bytes(o, "-", 1);
        out_u64(o, (uint64_t)(-(v + 1)) + 1);
    } else {
        out_u64(o, (uint64_t)v);
    }
}

static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);

void out_json_strn(struct out *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;
    size_t run = 0;
    out_bytes(o, "\"", 1);
    for (i = 0; i < n; i++) {
        const unsigned char ch = (unsigned char)s[i];
        char esc[6];
        const char *e = NULL;
        size_t elen = 2;
        if (ch >= 0x80) {
            /* Well-formed UTF-8 passes, but for the C1 controls, escaped as
             * JSON escapes controls; a byte that is not UTF-8 becomes U+FFFD,
             * so that the document stays valid JSON (RFC 8259, section 8.1). */
            uint32_t cp = 0;
            const size_t k = utf8_seq((const unsigned char *)s + i, n - i, &cp);
            if (k > 0 && cp > 0x9f) {
                i += k - 1;
                continue;
            }
            out_bytes(o, s + run, i - run);
            if (k == 0) {
                out_bytes(o, "\\ufffd", 6);
                run = i + 1;
            } else {
                esc[0] = '\\';
                esc[1] = 'u';
                esc[2] = '0';
                esc[3] = '0';
                esc[4] = hex[cp >> 4];
                esc[5] = hex[cp & 15];
                out_bytes(o, esc, 6);
                i += k - 1;
                run = i + 1;
            }
            continue;
        }
        if (ch >= 0x20 && ch != '"' && ch != '\\' && ch != 0x7f) {
            continue;
        }
        out_bytes(o, s + run, i - run);
        run = i + 1;
        switch (ch) {
        case '"':
            e = "\\\"";
            break;
        case '\\':
            e = "\\\\";
            break;
        case '\n':
            e = "\\n";
            break;
        case '\r':
            e = "\\r";
            break;
        case '\t':
            e = "\\t";
            break;
        default:
            esc[0] = '\\';
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[ch >> 4];
            esc[5] = hex[ch & 15];
            e = esc;
            elen = 6;
            break;
        }
        out_bytes(o, e, elen);
    }
    out_bytes(o, s + run, n - run);
    out_bytes(o, "\"", 1);
}

void out_json_str(struct out *o, const char *s)
{
    out_json_strn(o, s, strlen(s));
}

void out_json_member_u64(struct out *o, const char *key, uint64_t v, int has)
{
    out_str(o, ", ");
    out_json_str(o, key);
    out_str(o, has ? ": " : ": null");
    if (has) {
        out_u64(o, v);
    }
}

/* The length of the well-formed UTF-8 sequence at s (RFC 3629, Table 3:
 * no overlong forms, no surrogates, nothing past U+10FFFF) and its code
 * point; 0 when the bytes there are not one. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    const unsigned char b0 = s[0];
    size_t len;
    size_t i;
    uint32_t c;
    unsigned char lo = 0x80;
    unsigned char hi = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
        len = 2;
        c = b0 & 0x1fu;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
        len = 3;
        c = b0 & 0x0fu;
        lo = b0 == 0xe0 ? 0xa0 : 0x80;
        hi = b0 == 0xed ? 0x9f : 0xbf;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        len = 4;
        c = b0 & 0x07u;
        lo = b0 == 0xf0 ? 0x90 : 0x80;
        hi = b0 == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (len > n || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (s[i] & 0x3fu);
    }
    *cp = c;
    return len;
}

/* How out_textn shows the text at s[0..n): the bytes to copy as they are
 * (*len of them, esc left empty), or the escape that stands for the first
 * *len bytes (written into esc, NUL-terminated). */
static void text_piece(const unsigned char *s, size_t n, size_t *len, char esc[8])
{
    static const char hex[] = "0123456789abcdef";
    uint32_t cp = 0;
    size_t k;
    esc[0] = '\0';
    if (s[0] >= 0x20 && s[0] < 0x7f) {
        *len = 1;
        return;
    }
    k = s[0] < 0x80 ? 0 : utf8_seq(s, n, &cp);
    if (k == 0) {
        /* a C0 control, DEL, or a byte that is not well-formed UTF-8 */
        *len = 1;
        snprintf(esc, 8, "\\x%c%c", hex[s[0] >> 4], hex[s[0] & 15]);
    } else if (cp <= 0x9f) {
        /* a C1 control (U+0080-U+009F): CSI and OSC for many terminals */
        *len = k;
        snprintf(esc, 8, "\\u%04x", (unsigned)cp);
    } else {
        *len = k;
    }
}

void out_textn(struct out *o, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    size_t run = 0;
    while (i < n) {
        char esc[8];
        size_t len;
        if (u[i] >= 0x20 && u[i] < 0x7f) {
            i++; /* printable ASCII, the common case */
            continue;
        }
        text_piece(u + i, n - i, &len, esc);
        if (esc[0] != '\0') {
            out_bytes(o, s + run, i - run);
            out_str(o, esc);
            run = i + len;
        }
        i += len;
    }
    out_bytes(o, s + run, n - run);
}

void out_text(struct out *o, const char *s)
{
    out_textn(o, s, strlen(s));
}

size_t out_text_escape(char *out, size_t size, const char *s, bool keep_utf8)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    const size_t n = strlen(s);
    size_t i = 0;
    size_t o = 0;
    size_t cols = 0;
    if (size == 0) {
        return 0;
    }
    while (i < n) {
        char esc[8];
        size_t len;
        const char *piece;
        size_t plen;
        text_piece(u + i, n - i, &len, esc);
        if (esc[0] == '\0' && len > 1 && !keep_utf8) {
            /* a terminal that does not take UTF-8: each byte shown */
            snprintf(esc, sizeof(esc), "\\x%c%c", hex[u[i] >> 4], hex[u[i] & 15]);
            len = 1;
        }
        piece = esc[0] != '\0' ? esc : s + i;
        plen = esc[0] != '\0' ? strlen(esc) : len;
        if (o + plen >= size) {
            break;
        }
        memcpy(out + o, piece, plen);
        o += plen;
        cols += esc[0] != '\0' ? plen : 1;
        i += len;
    }
    out[o] = '\0';
    return cols;
}

size_t out_text_width(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    const size_t n = strlen(s);
    size_t i = 0;
    size_t w = 0;
    while (i < n) {
        char esc[8];
        size_t len;
        if (u[i] >= 0x20 && u[i] < 0x7f) {
            i++;
            w++;
            continue;
        }
        text_piece(u + i, n - i, &len, esc);
        w += esc[0] != '\0' ? strlen(esc) : 1;
        i += len;
    }
    return w;
}

/* Columns and bytes of the piece out_textn shows first for s[0..n). */
static size_t piece_cols(const unsigned char *u, size_t n, size_t *len)
{
    char esc[8];
    if (u[0] >= 0x20 && u[0] < 0x7f) {
        *len = 1;
        return 1;
    }
    text_piece(u, n, len, esc);
    return esc[0] != '\0' ? strlen(esc) : 1;
}

size_t out_text_fit(const char *s, size_t n, size_t cols, size_t *used)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    size_t w = 0;
    while (i < n) {
        size_t len;
        const size_t c = piece_cols(u + i, n - i, &len);
        if (c > cols - w) {
            break;
        }
        w += c;
        i += len;
    }
    if (used != NULL) {
        *used = w;
    }
    return i;
}

void out_text_cut(struct out *o, const char *s, size_t cols)
{
    const unsigned char *u = (const unsigned char *)s;
    const size_t n = strlen(s);
    const size_t w = out_text_width(s);
    size_t keep;
    size_t head;
    size_t used;
    size_t i;
    size_t tail;
    if (w <= cols) {
        out_textn(o, s, n);
        return;
    }
    keep = cols > 3 ? cols - 3 : 0;
    head = out_text_fit(s, n, (keep + 1) / 2, &used);
    /* the tail: from the first piece after which no more than the
     * columns the head left remain */
    tail = keep - used;
    i = head;
    while (i < n && w - used > tail) {
        size_t len;
        used += piece_cols(u + i, n - i, &len);
        i += len;
    }
    out_textn(o, s, head);
    out_str(o, "...");
    out_textn(o, s + i, n - i);
}

void out_fmt(struct out *o, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    out_bytes(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void fmt_thousands(char *buf, size_t size, uint64_t v)
{
    char tmp[32];
    size_t i = sizeof(tmp) - 1;
    unsigned digits = 0;
    tmp[i] = '\0';
    do {
        if (digits > 0 && digits % 3 == 0) {
            tmp[--i] = ',';
        }
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
        digits++;
    } while (v != 0);
    snprintf(buf, size, "%s", tmp + i);
}

void fmt_size(char *buf, size_t size, uint64_t bytes)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    unsigned u = 0;
    if (bytes < 1024) {
        snprintf(buf, size, "%llu bytes", (unsigned long long)bytes);
        return;
    }
    v /= 1024.0;
    while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, size, "%.2f %s", v, units[u]);
}

void out_json_by_dtype(struct out *o, const uint64_t *counts)
{
    int first = 1;
    unsigned d;
    out_str(o, "{");
    for (d = 1; d < MM_DTYPE_COUNT_; d++) {
        if (counts[d] == 0) {
            continue;
        }
        out_str(o, first ? "" : ", ");
        first = 0;
        out_json_str(o, mm_dtype_name((enum mm_dtype)d));
        out_str(o, ": ");
        out_u64(o, counts[d]);
    }
    out_str(o, "}");
}
