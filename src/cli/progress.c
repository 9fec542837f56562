/* progress.c - verify --checksums' progress line: on a terminal only
 * (stderr a tty, NO_COLOR unset, not -q), one line rewritten in place with
 * \r, within 80 columns, cleared when done. Never when stderr is a file or
 * a pipe: logs get no carriage returns. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* Columns of the line, at most: the name is cut to fit. */
#define LINE_MAX_COLS 79
#define NAME_MAX_COLS 36

void cli_progress_init(struct cli_progress *p, bool quiet)
{
    const char *nc = getenv("NO_COLOR");
    memset(p, 0, sizeof(*p));
    p->on = !quiet && isatty(STDERR_FILENO) && (nc == NULL || nc[0] == '\0');
    p->pct = -1;
}

/* The file's last component, cut from the left at a character boundary to
 * NAME_MAX_COLS columns as out_text writes it. */
static const char *short_name(const char *file, bool *cut)
{
    const char *slash = strrchr(file, '/');
    const char *s = slash != NULL ? slash + 1 : file;
    *cut = false;
    while (out_text_width(s) > NAME_MAX_COLS - 3) {
        s++;
        while ((unsigned char)*s >= 0x80 && (unsigned char)*s < 0xc0) {
            s++;
        }
        *cut = true;
    }
    return s;
}

void cli_progress_update(void *ctx, const char *file, uint64_t done, uint64_t total)
{
    struct cli_progress *p = ctx;
    const int pct = total == 0 || done >= total ? 100 : (int)((double)done * 100.0 / (double)total);
    struct out *o;
    char a[32];
    char b[32];
    char tail[96];
    bool cut;
    const char *name;
    size_t cols;
    if (!p->on || (pct == p->pct && file == p->file)) {
        return;
    }
    p->pct = pct;
    p->file = file;
    o = malloc(sizeof(*o));
    if (o == NULL) {
        return;
    }
    name = short_name(file, &cut);
    fmt_size(a, sizeof(a), done);
    fmt_size(b, sizeof(b), total);
    snprintf(tail, sizeof(tail), " %3d%% (%s of %s)", pct, a, b);
    out_init(o, stderr);
    out_str(o, "\rmodelmem: hashing ");
    out_str(o, cut ? "..." : "");
    out_text(o, name);
    out_str(o, tail);
    cols = (size_t)(cut ? 21 : 18) + out_text_width(name) + strlen(tail);
    /* blank what a longer line before left */
    while (cols < p->cols && cols < LINE_MAX_COLS) {
        out_str(o, " ");
        cols++;
    }
    p->cols = cols;
    out_flush(o);
    free(o);
}

void cli_progress_end(struct cli_progress *p)
{
    size_t i;
    if (!p->on || p->cols == 0) {
        return;
    }
    fputc('\r', stderr);
    for (i = 0; i < p->cols; i++) {
        fputc(' ', stderr);
    }
    fputc('\r', stderr);
    fflush(stderr);
    p->cols = 0;
}
