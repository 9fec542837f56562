/*
 * scan_repo.c - one Hugging Face cache repository for the scan, as
 * huggingface_hub lays it out (file_download.py): refs/<ref> holds a
 * commit hash (refs/pr/N for pull requests), snapshots/<commit>/ the
 * files as links into ../../blobs/. One entry per commit a ref names, in
 * ref-name order, with every ref naming it; a ref naming a missing
 * snapshot (an interrupted download) is an entry with not-found.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"
#include "model/scan_walk.h"
#include "model/target.h"

/* Bytes of a ref file read: a commit hash and a newline. */
#define REF_BYTES 130u
/* Levels of refs/ walked: refs/main, refs/pr/1. */
#define REF_DEPTH 3

/* A revision as huggingface_hub writes one in refs/: a commit hash (any
 * name of letters, digits, '-', '_', '.' not starting with '.'). */
static bool commit_ok(const char *s)
{
    size_t i;
    if (s[0] == '\0' || s[0] == '.' || strlen(s) > 128) {
        return false;
    }
    for (i = 0; s[i] != '\0'; i++) {
        const char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.')) {
            return false;
        }
    }
    return true;
}

/* One ref: its name (relative to refs/) and the commit it holds ("" when
 * the file holds no valid commit). */
struct ref {
    char *name;
    char commit[REF_BYTES + 1];
};

struct refs {
    struct ref *v;
    size_t n;
    size_t cap;
};

static int cmp_ref(const void *a, const void *b)
{
    return strcmp(((const struct ref *)a)->name, ((const struct ref *)b)->name);
}

/* Reads the ref files under `dir` (name prefix `rel`) into `r`. */
static enum mm_status read_refs(struct refs *r, const char *dir, const char *rel, int depth,
                                struct mm_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    enum mm_status st = MM_OK;
    if (d == NULL) {
        return MM_OK; /* no refs/: a repository downloaded by commit only */
    }
    while (st == MM_OK && (de = readdir(d)) != NULL) {
        char *full;
        char *name;
        struct stat sb;
        if (de->d_name[0] == '.') {
            continue;
        }
        full = mm_path_join(dir, de->d_name);
        name = mm_path_join(rel, de->d_name);
        if (full == NULL || name == NULL) {
            st = mm_fail_nomem(err, dir);
        } else if (lstat(full, &sb) == 0 && S_ISDIR(sb.st_mode) && depth < REF_DEPTH) {
            st = read_refs(r, full, name, depth + 1, err);
        } else if (S_ISREG(sb.st_mode)) {
            struct mm_source src;
            size_t got = 0;
            struct mm_error ignored;
            struct ref *x;
            if (!mm_grow((void **)&r->v, &r->cap, r->n + 1, sizeof(*r->v))) {
                st = mm_fail_nomem(err, dir);
            } else {
                x = &r->v[r->n++];
                x->name = name;
                name = NULL;
                x->commit[0] = '\0';
                if (mm_source_open(&src, full, full, &ignored) == MM_OK) {
                    if (mm_source_read_some(&src, 0, x->commit, REF_BYTES, &got, &ignored) !=
                        MM_OK) {
                        got = 0;
                    }
                    mm_source_close(&src);
                }
                while (got > 0 && (x->commit[got - 1] == '\n' || x->commit[got - 1] == '\r' ||
                                   x->commit[got - 1] == ' ')) {
                    got--;
                }
                x->commit[got] = '\0';
                if (!commit_ok(x->commit)) {
                    x->commit[0] = '\0';
                }
            }
        }
        free(full);
        free(name);
    }
    closedir(d);
    return st;
}

static bool has_name(char *const *names, size_t n, const char *name)
{
    return n > 0 && bsearch(&name, names, n, sizeof(char *), mm_scan_cmp_str) != NULL;
}

/* The entries of commits the refs name, in ref-name order; marks the
 * snapshots used in `used`. */
static enum mm_status add_refs(struct scan_walk *w, const char *repo, const char *id,
                               const struct refs *r, char **snaps, size_t nsnaps, char *used,
                               struct mm_error *err)
{
    enum mm_status st = MM_OK;
    size_t i;
    size_t j;
    for (i = 0; st == MM_OK && i < r->n; i++) {
        const struct ref *x = &r->v[i];
        char **names = NULL;
        size_t nn = 0;
        size_t cap = 0;
        char sub[REF_BYTES + 16];
        char *path;
        bool seen = false;
        for (j = 0; j < i && !seen; j++) {
            seen = x->commit[0] != '\0' && strcmp(r->v[j].commit, x->commit) == 0;
        }
        if (seen) {
            continue;
        }
        if (x->commit[0] == '\0') {
            char msg[MM_ERROR_MESSAGE_MAX];
            snprintf(sub, sizeof(sub), "refs/%.100s", x->name);
            snprintf(msg, sizeof(msg), "the ref %.100s does not hold a commit hash", x->name);
            path = mm_path_join(repo, sub);
            st = path == NULL
                     ? mm_fail_nomem(err, repo)
                     : mm_scan_add_error(w, path, id, MM_ERR_MALFORMED, MM_E_INVALID_ARG, msg, err);
            free(path);
            continue;
        }
        for (j = i; st == MM_OK && j < r->n; j++) {
            if (strcmp(r->v[j].commit, x->commit) == 0) {
                st = mm_scan_push(&names, &nn, &cap, r->v[j].name, err);
            }
        }
        snprintf(sub, sizeof(sub), "snapshots/%s", x->commit);
        path = mm_path_join(repo, sub);
        if (st != MM_OK || path == NULL) {
            mm_scan_free_list(names, nn);
            free(path);
            return st != MM_OK ? st : mm_fail_nomem(err, repo);
        }
        if (has_name(snaps, nsnaps, x->commit)) {
            const char *key = x->commit;
            char **hit = bsearch(&key, snaps, nsnaps, sizeof(char *), mm_scan_cmp_str);
            used[hit - snaps] = 1;
            st = mm_scan_add(w, path, id, x->commit, names, nn, NULL, err);
        } else {
            struct mm_error *e = malloc(sizeof(*e));
            if (e == NULL) {
                mm_scan_free_list(names, nn);
                free(path);
                return mm_fail_nomem(err, repo);
            }
            mm_fail(e, MM_ERR_NOT_FOUND, MM_E_NOT_FOUND, path, NULL, -1,
                    "refs/%.60s names commit %.60s, which is not in snapshots/ (an "
                    "interrupted or partial download?)",
                    x->name, x->commit);
            st = mm_scan_add(w, path, id, x->commit, names, nn, e, err);
        }
        free(path);
    }
    return st;
}

/* models--ORG--NAME: the commits its refs name (every snapshot with
 * all_revisions, or when no ref exists). */
enum mm_status mm_scan_repo(struct scan_walk *w, const char *repo, const char *base,
                            struct mm_error *err)
{
    struct refs r = {NULL, 0, 0};
    char **snaps = NULL;
    size_t nsnaps = 0;
    char *used = NULL;
    char id[512];
    const char *dash = strstr(base + 8, "--");
    char *p;
    size_t i;
    enum mm_status st;
    if (dash != NULL) {
        snprintf(id, sizeof(id), "%.*s/%s", (int)(dash - (base + 8)), base + 8, dash + 2);
    } else {
        snprintf(id, sizeof(id), "%s", base + 8);
    }
    p = mm_path_join(repo, "refs");
    st = p == NULL ? mm_fail_nomem(err, repo) : read_refs(&r, p, "", 1, err);
    free(p);
    if (st == MM_OK) {
        if (r.n > 1) {
            qsort(r.v, r.n, sizeof(*r.v), cmp_ref);
        }
        p = mm_path_join(repo, "snapshots");
        if (p == NULL) {
            st = mm_fail_nomem(err, repo);
        } else if (access(p, F_OK) == 0) {
            st = mm_scan_list(w, p, &snaps, &nsnaps, NULL, NULL, err);
        }
        free(p);
    }
    if (st == MM_OK && nsnaps > 0 && (used = calloc(nsnaps, 1)) == NULL) {
        st = mm_fail_nomem(err, repo);
    }
    if (st == MM_OK) {
        st = add_refs(w, repo, id, &r, snaps, nsnaps, used, err);
    }
    for (i = 0; st == MM_OK && i < nsnaps; i++) {
        if (!used[i] && (w->all_revisions || r.n == 0)) {
            char *q;
            p = mm_path_join(repo, "snapshots");
            q = p == NULL ? NULL : mm_path_join(p, snaps[i]);
            st = q == NULL ? mm_fail_nomem(err, repo)
                           : mm_scan_add(w, q, id, snaps[i], NULL, 0, NULL, err);
            free(p);
            free(q);
        }
    }
    if (st == MM_OK && r.n == 0 && nsnaps == 0) {
        st = mm_scan_add_error(w, repo, id, MM_ERR_NOT_FOUND, MM_E_NOT_FOUND,
                               "no ref and no snapshot in this cache repository", err);
    }
    for (i = 0; i < r.n; i++) {
        free(r.v[i].name);
    }
    free(r.v);
    mm_scan_free_list(snaps, nsnaps);
    free(used);
    return st;
}
