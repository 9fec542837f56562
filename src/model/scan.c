/*
 * scan.c - every model under a set of folders, found without reading a
 * weight: Hugging Face cache repositories (huggingface_hub's layout,
 * file_download.py: models--ORG--NAME/{refs/REF, snapshots/COMMIT/,
 * blobs/}), model folders as the TARGET resolver accepts them (target.c),
 * and weight files named as ROOTs. The entries are what `modelmem scan`
 * loads, one by one; reading them is load.c's job. A cache repository's
 * refs and snapshots are scan_repo.c's.
 *
 * Links to folders are never followed: one that stays inside ROOT leads to
 * a folder the walk reaches by its own path, one that leaves it must not be
 * followed (path_safety.c tells which, for the count the caller reports).
 * Without followed links there is no loop; MM_LIMIT_SCAN_DEPTH bounds the
 * walk and MM_LIMIT_SCAN_MODELS the entries.
 *
 * ROOTs may overlap (one given twice, one inside another, two links to one
 * folder): each is walked, but an entry whose path another ROOT reached
 * first, by device and inode, is not listed again (scan_seen.c).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/scan_walk.h"
#include "model/target.h"

/* A folder the resolver calls ambiguous (several alternative indexes or
 * GGUF files): each alternative is a model of its own. A split GGUF
 * (NAME-0000K-of-0000N.gguf) is listed by its first shard. */
static enum mm_status split(struct scan_walk *w, const char *dir, struct mm_error *err)
{
    char **dirs = NULL;
    char **files = NULL;
    size_t nd = 0;
    size_t nf = 0;
    size_t i;
    size_t nindex = 0;
    enum mm_status st = mm_scan_list(w, dir, &dirs, &nd, &files, &nf, err);
    for (i = 0; st == MM_OK && i < nf; i++) {
        nindex += mm_scan_ends_with(files[i], ".safetensors.index.json");
    }
    for (i = 0; st == MM_OK && i < nf; i++) {
        const char *f = files[i];
        const char *of = strstr(f, "-of-");
        bool take = nindex > 0
                        ? mm_scan_ends_with(f, ".safetensors.index.json")
                        : mm_scan_ends_with(f, ".gguf") &&
                              (of == NULL || (of - f >= 6 && strncmp(of - 6, "-00001", 6) == 0));
        if (take) {
            char *p = mm_path_join(dir, f);
            st = p == NULL ? mm_fail_nomem(err, dir)
                           : mm_scan_add(w, p, NULL, NULL, NULL, 0, NULL, err);
            free(p);
        }
    }
    mm_scan_free_list(dirs, nd);
    mm_scan_free_list(files, nf);
    return st;
}

static enum mm_status walk_dir(struct scan_walk *w, const char *dir, unsigned depth,
                               struct mm_error *err)
{
    struct mm_target_files tf;
    struct mm_error e;
    char base[256];
    char **subs = NULL;
    size_t nsubs = 0;
    size_t i;
    enum mm_status st;
    if (w->scan->full) {
        return MM_OK; /* MM_LIMIT_SCAN_MODELS reached: nothing more is listed */
    }
    mm_scan_last_name(base, sizeof(base), dir);
    if (mm_scan_starts_with(base, "models--") && base[8] != '\0') {
        return mm_scan_repo(w, dir, base, err);
    }
    if (mm_scan_starts_with(base, "datasets--") || mm_scan_starts_with(base, "spaces--")) {
        return MM_OK;
    }
    st = mm_target_files(&tf, dir, &e);
    if (st == MM_OK) {
        mm_target_files_free(&tf);
        return mm_scan_add(w, dir, NULL, NULL, NULL, 0, NULL, err);
    }
    if (st == MM_ERR_NOMEM) {
        return mm_fail_nomem(err, dir);
    }
    if (e.code == MM_E_AMBIGUOUS_TARGET) {
        return split(w, dir, err);
    }
    if (e.code != MM_E_NO_WEIGHTS) {
        /* a model that cannot be read (a broken index, a link out of the
         * folder...): listed with its error */
        struct mm_error *copy = malloc(sizeof(*copy));
        if (copy == NULL) {
            return mm_fail_nomem(err, dir);
        }
        *copy = e;
        return mm_scan_add(w, dir, NULL, NULL, NULL, 0, copy, err);
    }
    st = mm_scan_list(w, dir, &subs, &nsubs, NULL, NULL, err);
    for (i = 0; st == MM_OK && i < nsubs; i++) {
        char *p = mm_path_join(dir, subs[i]);
        if (p == NULL) {
            st = mm_fail_nomem(err, dir);
        } else if (depth >= MM_LIMIT_SCAN_DEPTH) {
            st = mm_scan_skip(w, &w->scan->too_deep, p, err);
        } else {
            st = walk_dir(w, p, depth + 1, err);
        }
        free(p);
    }
    mm_scan_free_list(subs, nsubs);
    return st;
}

static enum mm_status scan_root(struct mm_scan *scan, size_t root, const char *path,
                                struct mm_error *err)
{
    struct scan_walk w = {scan, root, NULL, MM_REAL_DIR_INIT, scan->all_revisions};
    struct stat sb;
    char *real;
    enum mm_status st;
    if (stat(path, &sb) != 0) {
        const int no = errno;
        const bool absent = no == ENOENT || no == ENOTDIR;
        return mm_scan_add_error(&w, path, NULL, absent ? MM_ERR_NOT_FOUND : MM_ERR_IO,
                                 absent ? MM_E_NOT_FOUND : MM_E_IO,
                                 absent ? "no such file or folder" : strerror(no), err);
    }
    if (S_ISREG(sb.st_mode)) {
        const size_t before = scan->n;
        st = mm_scan_add(&w, path, NULL, NULL, NULL, 0, NULL, err);
        if (scan->n > before && !scan->full) {
            scan->v[before].lone = true; /* not the MM_LIMIT_SCAN_MODELS row */
        }
        return st;
    }
    if (!S_ISDIR(sb.st_mode)) {
        return mm_scan_add_error(&w, path, NULL, MM_ERR_INVALID_ARG, MM_E_NOT_REGULAR,
                                 "not a regular file or folder", err);
    }
    real = realpath(path, NULL);
    if (real == NULL) {
        return errno == ENOMEM
                   ? mm_fail_nomem(err, path)
                   : mm_scan_add_error(&w, path, NULL, MM_ERR_IO, MM_E_IO, strerror(errno), err);
    }
    w.root_real = real;
    st = walk_dir(&w, path, 0, err);
    mm_real_dir_free(&w.rd);
    free(real);
    return st;
}

enum mm_status mm_scan_find(struct mm_scan **out, const char *const *roots, size_t nroots,
                            const struct mm_scan_options *opts, struct mm_error *err)
{
    struct mm_scan *scan;
    size_t i;
    enum mm_status st = MM_OK;
    mm_error_clear(err);
    if (out == NULL || (roots == NULL && nroots > 0)) {
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_INVALID_ARG, NULL, NULL, -1,
                       "no output or no roots");
    }
    *out = NULL;
    scan = calloc(1, sizeof(*scan));
    if (scan == NULL) {
        return mm_fail_nomem(err, NULL);
    }
    scan->all_revisions = opts != NULL && opts->all_revisions;
    for (i = 0; st == MM_OK && i < nroots; i++) {
        st = roots[i] == NULL || roots[i][0] == '\0'
                 ? mm_fail(err, MM_ERR_INVALID_ARG, MM_E_INVALID_ARG, NULL, NULL, -1, "empty ROOT")
                 : scan_root(scan, i, roots[i], err);
    }
    if (st == MM_OK) {
        st = mm_scan_drop_covered(scan, err);
    }
    /* what was met is needed no more */
    mm_scan_seen_free(&scan->models_seen);
    mm_scan_seen_free(&scan->skipped_seen);
    if (st != MM_OK) {
        mm_scan_free(scan);
        return st;
    }
    *out = scan;
    return MM_OK;
}
