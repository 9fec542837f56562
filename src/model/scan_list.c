/*
 * scan_list.c - the scan's entries and the folder listing its walks use
 * (scan_walk.h): what scan_repo.c (one cache repository) and scan.c (the
 * walk over each ROOT) build on. It calls neither; scan_seen.c keeps an
 * entry reached again from another ROOT out.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/scan_walk.h"
#include "model/target.h"

bool mm_scan_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool mm_scan_ends_with(const char *s, const char *suffix)
{
    const size_t a = strlen(s);
    const size_t b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The last component of `path`, trailing slashes aside, in `buf`. */
const char *mm_scan_last_name(char *buf, size_t size, const char *path)
{
    size_t n = strlen(path);
    size_t b;
    while (n > 1 && path[n - 1] == '/') {
        n--;
    }
    b = n;
    while (b > 0 && path[b - 1] != '/') {
        b--;
    }
    snprintf(buf, size, "%.*s", (int)(n - b), path + b);
    return buf;
}

static void entry_free(struct scan_entry *e)
{
    size_t i;
    for (i = 0; i < e->pub.nrefs; i++) {
        free(e->refs[i]);
    }
    free(e->refs);
    free(e->path);
    free(e->id);
    free(e->revision);
    free(e->err);
}

void mm_scan_free(struct mm_scan *scan)
{
    size_t i;
    if (scan == NULL) {
        return;
    }
    for (i = 0; i < scan->n; i++) {
        entry_free(&scan->v[i]);
    }
    free(scan->v);
    mm_scan_seen_free(&scan->models_seen);
    mm_scan_seen_free(&scan->skipped_seen);
    free(scan);
}

size_t mm_scan_count(const struct mm_scan *scan)
{
    return scan->n;
}

const struct mm_scan_model *mm_scan_model(const struct mm_scan *scan, size_t i)
{
    return i < scan->n ? &scan->v[i].pub : NULL;
}

size_t mm_scan_too_deep(const struct mm_scan *scan)
{
    return scan->too_deep;
}

size_t mm_scan_links_out(const struct mm_scan *scan)
{
    return scan->links_out;
}

/* Appends an entry; takes `refs` (nrefs strings) and `e` (may be NULL)
 * whatever happens. A path met before by identity (an earlier ROOT
 * reached it, or it is a link to a file listed already) is not added.
 * Past the limit, one MM_E_LIMIT_SCAN_MODELS entry stands for the rest. */
enum mm_status mm_scan_add(struct scan_walk *w, const char *path, const char *id, const char *rev,
                           char **refs, size_t nrefs, struct mm_error *e, struct mm_error *err)
{
    struct mm_scan *s = w->scan;
    struct scan_entry *x;
    size_t i;
    bool fresh = false;
    enum mm_status st = MM_OK;
    if (s->full) {
        goto drop;
    }
    st = mm_scan_seen_add(&s->models_seen, &fresh, path, true, err);
    if (st != MM_OK || !fresh) {
        goto drop;
    }
    if (!mm_grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v))) {
        st = mm_fail_nomem(err, path);
        goto drop;
    }
    x = &s->v[s->n];
    memset(x, 0, sizeof(*x));
    if (s->models >= MM_LIMIT_SCAN_MODELS) {
        free(e);
        e = malloc(sizeof(*e));
        if (e == NULL) {
            st = mm_fail_nomem(err, path);
            goto drop;
        }
        mm_fail(e, MM_ERR_LIMIT, MM_E_LIMIT_SCAN_MODELS, path, NULL, -1,
                "more than %u models: this one and the rest are not listed", MM_LIMIT_SCAN_MODELS);
        s->full = 1;
        id = NULL;
        rev = NULL;
        for (i = 0; i < nrefs; i++) {
            free(refs[i]);
        }
        free(refs);
        refs = NULL;
        nrefs = 0;
    }
    x->path = strdup(path);
    x->id = id != NULL ? strdup(id) : NULL;
    x->revision = rev != NULL ? strdup(rev) : NULL;
    x->refs = refs;
    x->err = e;
    x->pub.nrefs = nrefs;
    x->pub.path = x->path;
    x->pub.id = x->id;
    x->pub.revision = x->revision;
    x->pub.refs = (const char *const *)refs;
    x->pub.root = w->root;
    x->pub.error = e;
    s->n++;
    s->models++;
    if (x->path == NULL || (id != NULL && x->id == NULL) || (rev != NULL && x->revision == NULL)) {
        return mm_fail_nomem(err, path);
    }
    return MM_OK;
drop:
    for (i = 0; i < nrefs; i++) {
        free(refs[i]);
    }
    free(refs);
    free(e);
    return st;
}

/* True when the folder of `path` (cut at its last '/'; "." for a bare
 * name) is a listed model; false when not, or out of memory. */
static bool folder_listed(const struct mm_scan *s, const char *path)
{
    const char *slash = strrchr(path, '/');
    const size_t n = slash == NULL ? 0 : slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(n + 2);
    bool listed = false;
    if (dir != NULL) {
        memcpy(dir, n == 0 ? "." : path, n == 0 ? 1 : n);
        dir[n == 0 ? 1 : n] = '\0';
        listed = mm_scan_seen_has(&s->models_seen, dir, true);
        free(dir);
    }
    return listed;
}

enum mm_status mm_scan_drop_covered(struct mm_scan *s, struct mm_error *err)
{
    size_t i;
    size_t kept = 0;
    for (i = 0; i < s->n; i++) {
        struct scan_entry *x = &s->v[i];
        bool covered = false;
        if (x->lone) {
            /* the folder it is named in (a cache snapshot's, whose files
             * are links into blobs/), else the one it really lies in (a
             * link to a model's file from elsewhere) */
            covered = folder_listed(s, x->path);
            if (!covered) {
                char *real = realpath(x->path, NULL);
                if (real == NULL && errno == ENOMEM) {
                    return mm_fail_nomem(err, x->path);
                }
                covered = real != NULL && folder_listed(s, real);
                free(real);
            }
        }
        if (covered) {
            entry_free(x);
            s->models--;
        } else {
            s->v[kept++] = *x;
        }
    }
    s->n = kept;
    return MM_OK;
}

/* An entry that is only an error. */
enum mm_status mm_scan_add_error(struct scan_walk *w, const char *path, const char *id,
                                 enum mm_status status, enum mm_errcode code, const char *msg,
                                 struct mm_error *err)
{
    struct mm_error *e = malloc(sizeof(*e));
    if (e == NULL) {
        return mm_fail_nomem(err, path);
    }
    mm_fail(e, status, code, path, NULL, -1, "%s", msg);
    return mm_scan_add(w, path, id, NULL, NULL, 0, e, err);
}

int mm_scan_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void mm_scan_free_list(char **v, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        free(v[i]);
    }
    free(v);
}

enum mm_status mm_scan_push(char ***v, size_t *n, size_t *cap, const char *s, struct mm_error *err)
{
    if (!mm_grow((void **)v, cap, *n + 1, sizeof(char *))) {
        return mm_fail_nomem(err, s);
    }
    (*v)[*n] = strdup(s);
    if ((*v)[*n] == NULL) {
        return mm_fail_nomem(err, s);
    }
    (*n)++;
    return MM_OK;
}

enum mm_status mm_scan_skip(struct scan_walk *w, size_t *count, const char *path,
                            struct mm_error *err)
{
    bool fresh = false;
    const enum mm_status st = mm_scan_seen_add(&w->scan->skipped_seen, &fresh, path, false, err);
    *count += fresh;
    return st;
}

/* The sub-folders of `dir` the walk enters, sorted: not hidden, not links.
 * A link to a folder outside ROOT is counted in links_out. `files`, when
 * not NULL, receives the regular files (links followed) likewise. */
enum mm_status mm_scan_list(struct scan_walk *w, const char *dir, char ***out, size_t *n, char ***files,
                            size_t *nfiles, struct mm_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t cap = 0;
    size_t fcap = 0;
    enum mm_status st = MM_OK;
    *out = NULL;
    *n = 0;
    if (d == NULL) {
        return mm_fail(err, MM_ERR_IO, MM_E_IO, dir, NULL, -1, "cannot list folder: %s",
                       strerror(errno));
    }
    while (st == MM_OK && (de = readdir(d)) != NULL) {
        struct stat sb;
        char *full;
        if (de->d_name[0] == '.') {
            continue;
        }
        full = mm_path_join(dir, de->d_name);
        if (full == NULL) {
            st = mm_fail_nomem(err, dir);
            break;
        }
        if (lstat(full, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            st = mm_scan_push(out, n, &cap, de->d_name, err);
        } else if (stat(full, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            char *real = NULL;
            struct mm_error ignored;
            if (mm_path_inside(&real, w->root_real, &w->rd, full, &ignored) == MM_ERR_UNSAFE) {
                st = mm_scan_skip(w, &w->scan->links_out, full, err);
            }
            free(real);
        } else if (files != NULL && S_ISREG(sb.st_mode)) {
            st = mm_scan_push(files, nfiles, &fcap, de->d_name, err);
        }
        free(full);
    }
    closedir(d);
    if (st == MM_OK) {
        if (*n > 1) {
            qsort(*out, *n, sizeof(char *), mm_scan_cmp_str);
        }
        if (files != NULL && *nfiles > 1) {
            qsort(*files, *nfiles, sizeof(char *), mm_scan_cmp_str);
        }
    }
    return st;
}
