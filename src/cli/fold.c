/* fold.c - estimate's text output within 80 columns: a line wider than
 * the terminal is broken at a space (between two items, where two spaces
 * part them, or before a parenthesis, when there is such a place), its
 * continuation indented two columns past the line's own indent (a list of
 * items at the same indent); a word wider than the line is cut.
 * Widths count code points; the colour escapes the renderers write take
 * none. Tables and bars are drawn within the width already and pass
 * through as they are. */
#include <string.h>

#include "cli/cli.h"

/* Bytes of an escape sequence ESC [ ... final at s (0 when none). */
static size_t escape_len(const char *s, size_t n)
{
    size_t i = 2;
    if (n < 2 || s[0] != '\033' || s[1] != '[') {
        return 0;
    }
    while (i < n && !((unsigned char)s[i] >= 0x40 && (unsigned char)s[i] <= 0x7e)) {
        i++;
    }
    return i < n ? i + 1 : n;
}

/* Columns of s[0..n). */
static size_t width_of(const char *s, size_t n)
{
    size_t cols = 0;
    size_t i = 0;
    while (i < n) {
        const size_t e = escape_len(s + i, n - i);
        if (e > 0) {
            i += e;
            continue;
        }
        cols += ((unsigned char)s[i] & 0xc0) != 0x80;
        i++;
    }
    return cols;
}

/* Where to break s[0..n) so that the part before fits `cols`, in the
 * line's second half when it can: after the last double space (between
 * items: *items set), else before a parenthesis, else at the last space;
 * else at the column limit. Returns the length of the part kept. */
static size_t break_at(const char *s, size_t n, size_t cols, bool *items)
{
    size_t used = 0;
    size_t i = 0;
    size_t last_space = 0;
    size_t last_gap = 0;
    size_t last_paren = 0;
    *items = false;
    while (i < n) {
        const size_t e = escape_len(s + i, n - i);
        size_t step = 1;
        if (e > 0) {
            i += e;
            continue;
        }
        if (used == cols) {
            break;
        }
        while (i + step < n && ((unsigned char)s[i + step] & 0xc0) == 0x80) {
            step++;
        }
        if (s[i] == ' ' && i > 0 && s[i - 1] != ' ') {
            last_space = i;
            if (i + 1 < n && s[i + 1] == ' ') {
                last_gap = i;
            } else if (i + 1 < n && s[i + 1] == '(') {
                last_paren = i;
            }
        }
        used++;
        i += step;
    }
    if (i >= n) {
        return n;
    }
    if (s[i] == ' ' && i + 1 < n && s[i + 1] == ' ') {
        *items = true;
        return i;
    }
    if (last_gap > 0 && width_of(s, last_gap) > cols / 2) {
        *items = true;
        return last_gap;
    }
    if (last_paren > 0 && width_of(s, last_paren) > cols / 2) {
        return last_paren;
    }
    if (s[i] == ' ') {
        return i;
    }
    if (last_space > 0 && width_of(s, last_space) > cols / 2) {
        return last_space;
    }
    return i;
}

static void fold_line(struct out *o, const char *s, size_t n, size_t width)
{
    size_t indent = 0;
    size_t more;
    bool first = true;
    if (width_of(s, n) <= width) {
        out_bytes(o, s, n);
        out_str(o, "\n");
        return;
    }
    while (indent < n && s[indent] == ' ') {
        indent++;
    }
    more = indent + 2 < width / 2 ? indent + 2 : 2;
    while (n > 0) {
        const size_t room = first ? width : width - more;
        bool items;
        size_t k = break_at(s, n, room, &items);
        size_t keep = k;
        if (k == 0) {
            k = keep = n; /* cannot happen: a column always fits */
        }
        while (keep > 0 && s[keep - 1] == ' ') {
            keep--;
        }
        if (!first) {
            size_t i;
            for (i = 0; i < more; i++) {
                out_str(o, " ");
            }
        }
        out_bytes(o, s, keep);
        out_str(o, "\n");
        while (k < n && s[k] == ' ') {
            k++;
        }
        s += k;
        n -= k;
        /* a list of items goes on under its first item */
        if (first && items && indent < width / 2) {
            more = indent;
        }
        first = false;
    }
}

void cli_fold(struct out *o, const char *text, size_t n, size_t width)
{
    while (n > 0) {
        const char *nl = memchr(text, '\n', n);
        const size_t len = nl != NULL ? (size_t)(nl - text) : n;
        fold_line(o, text, len, width);
        if (nl == NULL) {
            break;
        }
        text += len + 1;
        n -= len + 1;
    }
}
