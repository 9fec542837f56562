/*
 * names.c - the names and numbers people type for option values: a value
 * as the option's row lists it (options.c: other tools' spellings of
 * dtypes, optimizers, precisions and KV cache types among them), token
 * counts with k/M suffixes, decimal sizes, and "did you mean" for a name
 * not known (edit distance). Only strings: what a value means is decided
 * by the option's own handler.
 */
#include <string.h>
#include <strings.h>

#include "cli/cli.h"

static char lower(char c)
{
    return (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

static bool same_ci(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        if (lower(*a) != lower(*b)) {
            return false;
        }
    }
    return *a == *b;
}

const struct cli_value *cli_value_find(const struct cli_option *opt, const char *v)
{
    const struct cli_value *c;
    for (c = opt->values; c != NULL && c->name != NULL; c++) {
        if ((opt->flags & CLI_LENIENT) != 0 ? same_ci(v, c->name) : strcmp(v, c->name) == 0) {
            return c;
        }
    }
    return NULL;
}

#define DIST_MAX 64

size_t cli_edit_distance(const char *a, const char *b)
{
    /* optimal string alignment: insertions, deletions, substitutions and
     * swaps of two neighbours ("inspcet") count one each */
    size_t rows[3][DIST_MAX + 1];
    const size_t la = strlen(a);
    const size_t lb = strlen(b);
    size_t i;
    size_t j;
    if (la > DIST_MAX || lb > DIST_MAX) {
        return SIZE_MAX;
    }
    for (j = 0; j <= lb; j++) {
        rows[0][j] = j;
    }
    for (i = 1; i <= la; i++) {
        size_t *cur = rows[i % 3];
        const size_t *up = rows[(i - 1) % 3];
        const size_t *up2 = rows[(i + 1) % 3]; /* row i - 2 */
        cur[0] = i;
        for (j = 1; j <= lb; j++) {
            size_t best = up[j - 1] + (lower(a[i - 1]) != lower(b[j - 1]));
            best = up[j] + 1 < best ? up[j] + 1 : best;
            best = cur[j - 1] + 1 < best ? cur[j - 1] + 1 : best;
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1]) && up2[j - 2] + 1 < best) {
                best = up2[j - 2] + 1;
            }
            cur[j] = best;
        }
    }
    return rows[la % 3][lb];
}

/* Close enough to suggest: one edit in four of what was typed (at least
 * one), or what was typed (four characters or more) begins the name; not a
 * name that what was typed begins with and goes on from. */
static bool close_enough(const char *typed, const char *name, size_t d)
{
    const size_t lt = strlen(typed);
    const size_t ln = strlen(name);
    const size_t most = lt / 4 > 1 ? lt / 4 : 1;
    if (ln < lt && strncasecmp(typed, name, ln) == 0) {
        return false; /* "float8" is no "float" with a typo */
    }
    return (d <= most && d < lt) || (lt >= 4 && strncasecmp(typed, name, lt) == 0);
}

void cli_nearest_init(struct cli_nearest *n, const char *typed)
{
    n->typed = typed;
    n->best = NULL;
    n->dist = SIZE_MAX;
}

void cli_nearest_offer(struct cli_nearest *n, const char *name)
{
    const size_t d = cli_edit_distance(n->typed, name);
    if (d < n->dist && close_enough(n->typed, name, d)) {
        n->best = name;
        n->dist = d;
    }
}

void cli_value_hint(char *buf, size_t size, const struct cli_option *opt, const char *typed)
{
    struct cli_nearest n;
    const struct cli_value *c;
    cli_nearest_init(&n, typed);
    for (c = opt->values; c != NULL && c->name != NULL; c++) {
        if (c->use != CLI_HIDDEN) {
            cli_nearest_offer(&n, c->name);
        }
    }
    cli_nearest_hint(buf, size, &n);
}

void cli_nearest_hint(char *buf, size_t size, const struct cli_nearest *n)
{
    if (n->best != NULL) {
        snprintf(buf, size, "; did you mean '%s'?", n->best);
    } else if (size > 0) {
        buf[0] = '\0';
    }
}

void cli_option_hint(char *buf, size_t size, const char *typed)
{
    /* the options of the table (options.c), as --help lists them */
    char want[64];
    struct cli_nearest n;
    const char *eq = strchr(typed, '=');
    const size_t tl = eq != NULL ? (size_t)(eq - typed) : strlen(typed);
    size_t i;
    if (size > 0) {
        buf[0] = '\0';
    }
    if (tl >= sizeof(want)) {
        return;
    }
    memcpy(want, typed, tl);
    want[tl] = '\0';
    cli_nearest_init(&n, want);
    for (i = 0; i < cli_option_count; i++) {
        cli_nearest_offer(&n, cli_options[i].name);
    }
    cli_nearest_hint(buf, size, &n);
}

/* digits[.digits]: the number times 10^frac_digits, and frac_digits
 * (at most 9); the end of the number in *end. -1 when no number. */
static int decimal(const char *s, uint64_t *scaled, unsigned *frac, const char **end)
{
    uint64_t v = 0;
    unsigned fd = 0;
    if (*s < '0' || *s > '9') {
        return -1;
    }
    for (; *s >= '0' && *s <= '9'; s++) {
        if (!mm_mul_u64(&v, v, 10) || !mm_add_u64(&v, v, (uint64_t)(*s - '0'))) {
            return -1;
        }
    }
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9') {
            return -1;
        }
        for (; *s >= '0' && *s <= '9'; s++) {
            if (fd == 9 || !mm_mul_u64(&v, v, 10) ||
                !mm_add_u64(&v, v, (uint64_t)(*s - '0'))) {
                return -1;
            }
            fd++;
        }
    }
    *scaled = v;
    *frac = fd;
    *end = s;
    return 0;
}

static uint64_t pow10u(unsigned n)
{
    uint64_t p = 1;
    while (n-- > 0) {
        p *= 10;
    }
    return p;
}

int cli_parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v;
    uint64_t mult = 1;
    uint64_t x;
    unsigned fd;
    const char *end;
    uint64_t div;
    if (decimal(s, &v, &fd, &end) != 0) {
        return -1;
    }
    if (*end == 'k' || *end == 'K') {
        mult = 1024;
        end++;
    } else if (*end == 'm' || *end == 'M') {
        mult = 1048576;
        end++;
    }
    div = pow10u(fd);
    if (*end != '\0' || !mm_mul_u64(&x, v, mult) || x % div != 0) {
        return -1;
    }
    x /= div;
    if (x < min || x > max) {
        return -1;
    }
    *out = x;
    return 0;
}

int cli_parse_size(const char *s, bool need_unit, uint64_t *out, bool *decimal_unit)
{
    static const struct {
        const char *unit;
        uint64_t mult;
        bool dec;
    } units[] = {{"KiB", 1024ull, false}, {"MiB", 1048576ull, false},
                 {"GiB", 1073741824ull, false}, {"TiB", 1099511627776ull, false},
                 {"KB", 1000ull, true}, {"MB", 1000000ull, true},
                 {"GB", 1000000000ull, true}, {"TB", 1000000000000ull, true},
                 {"K", 1024ull, false}, {"M", 1048576ull, false},
                 {"G", 1073741824ull, false}, {"T", 1099511627776ull, false},
                 {"", 1ull, false}};
    uint64_t v;
    unsigned fd;
    const char *end;
    size_t i;
    if (decimal(s, &v, &fd, &end) != 0) {
        return -1;
    }
    if (*end == ' ') {
        end++;
    }
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        uint64_t x;
        uint64_t div = pow10u(fd);
        if (strcasecmp(end, units[i].unit) != 0) {
            continue;
        }
        if ((need_unit && units[i].unit[0] == '\0') || !mm_mul_u64(&x, v, units[i].mult)) {
            return -1;
        }
        /* to the nearest byte */
        x = x / div + (x % div >= (div + 1) / 2);
        *out = x;
        if (decimal_unit != NULL) {
            *decimal_unit = units[i].dec;
        }
        return 0;
    }
    return -1;
}
