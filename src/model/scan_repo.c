/*
 * scan_repo.c - one Hugging Face cache repository for the scan, as
 * huggingface_hub lays it out (file_download.py): refs/<ref> holds a
 * commit hash (refs/pr/N for pull requests), snapshots/<commit>/ the
 * files as links into ../../blobs/. One entry per commit a ref names, in
 * ref-name order, with every ref naming it; a ref naming a missing
 * snapshot (an interrupted download) is an entry with not-found. Refs and
 * snapshot folders are read as mm_hf_cache_resolve reads them (hfcache.h):
 * one whose real path leaves models--ORG--NAME is an entry with
 * shard-outside-folder, and nothing outside is read. At most
 * MM_LIMIT_SCAN_REFS refs are read per repository.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"
#include "model/hfcache.h"
#include "model/scan_walk.h"
#include "model/target.h"

/* Levels of refs/ walked: refs/main, refs/pr/1. */
#define REF_DEPTH 3

/* One ref: its name (relative to refs/) and the commit it holds ("" when
 * it holds none; `bad` says why, owned). */
struct ref {
    char *name;
    char commit[MM_HF_COMMIT_BYTES];
    struct mm_error *bad;
};

struct refs {
    struct ref *v;
    size_t n;
    size_t cap;
    size_t tried; /* files met in refs/, kept or not (a link loop is not) */
    bool over;    /* more than MM_LIMIT_SCAN_REFS tried: the rest are not read */
};

static int cmp_ref(const void *a, const void *b)
{
    return strcmp(((const struct ref *)a)->name, ((const struct ref *)b)->name);
}

/* The ref file `full` (named `name`, taken) as r->v[r->n], read by
 * mm_hf_read_ref; a ref that cannot be resolved (a link loop, gone) is
 * skipped, as mm_hf_cache_resolve finds no such ref. */
static enum mm_status add_ref(struct refs *r, const char *repo_real, const char *full,
                              char *name, struct mm_error *err)
{
    struct ref *x;
    struct mm_error *e = malloc(sizeof(*e));
    bool found = false;
    enum mm_status st;
    if (e == NULL || !mm_grow((void **)&r->v, &r->cap, r->n + 1, sizeof(*r->v))) {
        free(e);
        free(name);
        return mm_fail_nomem(err, full);
    }
    x = &r->v[r->n];
    x->commit[0] = '\0';
    st = mm_hf_read_ref(x->commit, &found, repo_real, full, e);
    if (st == MM_ERR_NOMEM) {
        *err = *e;
    }
    if (st == MM_ERR_NOMEM || (st == MM_OK && !found)) {
        free(e);
        free(name);
        return st;
    }
    x->name = name;
    x->bad = NULL;
    if (st != MM_OK) {
        x->commit[0] = '\0';
        x->bad = e;
        e = NULL;
    }
    free(e);
    r->n++;
    return MM_OK;
}

/* Reads the ref files under `dir` (name prefix `rel`) into `r`. */
static enum mm_status read_refs(struct refs *r, const char *repo_real, const char *dir,
                                const char *rel, int depth, struct mm_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    enum mm_status st = MM_OK;
    if (d == NULL) {
        return MM_OK; /* no refs/: a repository downloaded by commit only */
    }
    while (st == MM_OK && !r->over && (de = readdir(d)) != NULL) {
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
        } else if (lstat(full, &sb) != 0) {
            /* gone since it was listed */
        } else if (S_ISDIR(sb.st_mode)) {
            if (depth < REF_DEPTH) {
                st = read_refs(r, repo_real, full, name, depth + 1, err);
            }
        } else if (r->tried++ >= MM_LIMIT_SCAN_REFS) {
            /* counted whether kept or not: 10^6 looping links cost no more */
            r->over = true;
        } else {
            st = add_ref(r, repo_real, full, name, err);
            name = NULL;
        }
        free(full);
        free(name);
    }
    closedir(d);
    return st;
}

/* snapshots/<commit> as an entry with the refs `names` (taken), checked as
 * mm_hf_cache_resolve checks it: a folder whose real path leaves the
 * repository is an entry with shard-outside-folder; one that is not there
 * is an entry with not-found naming `ref` (the first ref naming it). */
static enum mm_status add_snapshot(struct scan_walk *w, const char *repo, const char *repo_real,
                                   const char *id, const char *commit, const char *ref,
                                   char **names, size_t nn, struct mm_error *err)
{
    char *snapshots = mm_path_join(repo, "snapshots");
    /* a commit from a ref, or a folder's name as listed (up to 255 bytes) */
    char *path = snapshots != NULL ? mm_path_join(snapshots, commit) : NULL;
    char *real = NULL;
    struct stat sb;
    struct mm_error *e = malloc(sizeof(*e));
    enum mm_status st;
    free(snapshots);
    if (e == NULL || path == NULL) {
        mm_scan_free_list(names, nn);
        free(e);
        free(path);
        return mm_fail_nomem(err, repo);
    }
    st = mm_hf_entry_inside(&real, repo_real, path, "snapshot folder", e);
    if (st == MM_ERR_NOMEM) {
        *err = *e;
        mm_scan_free_list(names, nn);
        free(e);
        free(path);
        return st;
    }
    if (st == MM_OK && (real == NULL || stat(real, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
        if (ref != NULL) {
            mm_fail(e, MM_ERR_NOT_FOUND, MM_E_NOT_FOUND, path, NULL, -1,
                    "refs/%.60s names commit %.60s, which is not in snapshots/ (an "
                    "interrupted or partial download?)",
                    ref, commit);
        } else {
            mm_fail(e, MM_ERR_NOT_FOUND, MM_E_NOT_FOUND, path, NULL, -1,
                    "snapshots/%.60s is not a folder (an interrupted or partial download?)",
                    commit);
        }
    } else if (st == MM_OK) {
        free(e);
        e = NULL;
    }
    free(real);
    st = mm_scan_add(w, path, id, commit, names, nn, e, err);
    free(path);
    return st;
}

/* The entries of commits the refs name, in ref-name order; marks the
 * snapshots used in `used`. */
static enum mm_status add_refs(struct scan_walk *w, const char *repo, const char *repo_real,
                               const char *id, struct refs *r, char **snaps, size_t nsnaps,
                               char *used, struct mm_error *err)
{
    enum mm_status st = MM_OK;
    size_t i;
    size_t j;
    for (i = 0; st == MM_OK && i < r->n; i++) {
        struct ref *x = &r->v[i];
        char **names = NULL;
        size_t nn = 0;
        size_t cap = 0;
        char **hit;
        const char *key = x->commit;
        bool seen = false;
        for (j = 0; j < i && !seen; j++) {
            seen = x->commit[0] != '\0' && strcmp(r->v[j].commit, x->commit) == 0;
        }
        if (seen) {
            continue;
        }
        if (x->commit[0] == '\0') {
            /* the ref's whole name: two bad refs are two rows */
            char *refs = mm_path_join(repo, "refs");
            char *path = refs != NULL ? mm_path_join(refs, x->name) : NULL;
            free(refs);
            st = path == NULL ? mm_fail_nomem(err, repo)
                              : mm_scan_add(w, path, id, NULL, NULL, 0, x->bad, err);
            x->bad = NULL;
            free(path);
            continue;
        }
        for (j = i; st == MM_OK && j < r->n; j++) {
            if (strcmp(r->v[j].commit, x->commit) == 0) {
                st = mm_scan_push(&names, &nn, &cap, r->v[j].name, err);
            }
        }
        if (st != MM_OK) {
            mm_scan_free_list(names, nn);
            return st;
        }
        hit = nsnaps == 0 ? NULL : bsearch(&key, snaps, nsnaps, sizeof(char *), mm_scan_cmp_str);
        if (hit != NULL) {
            used[hit - snaps] = 1;
        }
        st = add_snapshot(w, repo, repo_real, id, x->commit, x->name, names, nn, err);
    }
    return st;
}

/* models--ORG--NAME: the commits its refs name (every snapshot with
 * all_revisions, or when no ref exists). */
enum mm_status mm_scan_repo(struct scan_walk *w, const char *repo, const char *base,
                            struct mm_error *err)
{
    struct refs r = {NULL, 0, 0, 0, false};
    char **snaps = NULL;
    size_t nsnaps = 0;
    char *used = NULL;
    char id[512];
    const char *dash = strstr(base + 8, "--");
    char *repo_real;
    char *p;
    size_t i;
    enum mm_status st;
    if (dash != NULL) {
        snprintf(id, sizeof(id), "%.*s/%s", (int)(dash - (base + 8)), base + 8, dash + 2);
    } else {
        snprintf(id, sizeof(id), "%s", base + 8);
    }
    repo_real = realpath(repo, NULL);
    if (repo_real == NULL) {
        return errno == ENOMEM ? mm_fail_nomem(err, repo)
                               : mm_scan_add_error(w, repo, id, MM_ERR_IO, MM_E_IO,
                                                   "cannot resolve the folder", err);
    }
    p = mm_path_join(repo, "refs");
    st = p == NULL ? mm_fail_nomem(err, repo) : read_refs(&r, repo_real, p, "", 1, err);
    if (st == MM_OK && r.over) {
        char msg[MM_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof(msg), "more than %u refs: the rest are not read",
                 MM_LIMIT_SCAN_REFS);
        st = mm_scan_add_error(w, p, id, MM_ERR_LIMIT, MM_E_LIMIT_SCAN_REFS, msg, err);
    }
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
        st = add_refs(w, repo, repo_real, id, &r, snaps, nsnaps, used, err);
    }
    for (i = 0; st == MM_OK && i < nsnaps; i++) {
        if (!used[i] && (w->all_revisions || r.n == 0)) {
            st = add_snapshot(w, repo, repo_real, id, snaps[i], NULL, NULL, 0, err);
        }
    }
    if (st == MM_OK && r.n == 0 && nsnaps == 0) {
        st = mm_scan_add_error(w, repo, id, MM_ERR_NOT_FOUND, MM_E_NOT_FOUND,
                               "no ref and no snapshot in this cache repository", err);
    }
    for (i = 0; i < r.n; i++) {
        free(r.v[i].name);
        free(r.v[i].bad);
    }
    free(r.v);
    mm_scan_free_list(snaps, nsnaps);
    free(used);
    free(repo_real);
    return st;
}
