/*
 * path_safety.c - files an index or a folder leads to must stay inside the
 * model folder. Names are vetted as written (index.c refuses absolute
 * names, "..", "\\", control bytes and URLs); here the real path, links
 * followed, is compared with the real path of the folder, so that a link
 * cannot lead out either. The Hugging Face cache is the one layout whose
 * links leave the folder by design: a snapshot's files link into the
 * repository's blobs/, and the repository folder is the root there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/path_safety.h"

void mm_real_dir_free(struct mm_real_dir *rd)
{
    free(rd->dir);
    free(rd->real);
    rd->dir = NULL;
    rd->real = NULL;
}

bool mm_path_under(const char *real, const char *root)
{
    const size_t n = strlen(root);
    if (n == 1 && root[0] == '/') {
        return true;
    }
    return strncmp(real, root, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

/* realpath(path), resolving its folder through the cache: the file itself
 * only needs an lstat unless it is a link. NULL with errno set on failure. */
static char *real_of(struct mm_real_dir *rd, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash == NULL ? path : slash + 1;
    const size_t dlen = (size_t)(base - path);
    struct stat sb;
    size_t rlen;
    char *out;
    if (lstat(path, &sb) != 0) {
        return NULL;
    }
    if (S_ISLNK(sb.st_mode) || base[0] == '\0' || strcmp(base, ".") == 0 ||
        strcmp(base, "..") == 0) {
        return realpath(path, NULL);
    }
    if (rd->dir == NULL || strlen(rd->dir) != dlen || strncmp(rd->dir, path, dlen) != 0) {
        free(rd->dir);
        free(rd->real);
        rd->real = NULL;
        rd->dir = malloc(dlen + 1);
        if (rd->dir == NULL) {
            errno = ENOMEM;
            return NULL;
        }
        memcpy(rd->dir, path, dlen);
        rd->dir[dlen] = '\0';
        rd->real = realpath(dlen == 0 ? "." : rd->dir, NULL);
    }
    if (rd->real == NULL) {
        free(rd->dir); /* resolve again next time: errno is this call's */
        rd->dir = NULL;
        return realpath(path, NULL);
    }
    rlen = strlen(rd->real);
    out = malloc(rlen + strlen(base) + 2);
    if (out == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    snprintf(out, rlen + strlen(base) + 2, "%s%s%s", rd->real,
             rd->real[rlen - 1] == '/' ? "" : "/", base);
    return out;
}

/* In the Hugging Face cache (huggingface_hub file_download.py) a snapshot
 * folder models--ORG--NAME/snapshots/REV/ holds links to ../../blobs/: the
 * repository folder is the root there. Cuts `real` to it in place. */
static void hf_repo_root(char *real)
{
    char *rev = strrchr(real, '/');
    char *snaps;
    char *repo;
    if (rev == NULL || rev == real) {
        return;
    }
    *rev = '\0';
    snaps = strrchr(real, '/');
    if (snaps != NULL && strcmp(snaps, "/snapshots") == 0 && snaps != real) {
        *snaps = '\0';
        repo = strrchr(real, '/');
        if (repo != NULL && strncmp(repo + 1, "models--", 8) == 0 && repo[9] != '\0') {
            return; /* real is now .../models--ORG--NAME */
        }
        *snaps = '/';
    }
    *rev = '/';
}

enum mm_status mm_model_root(char **out, const char *dir, struct mm_error *err)
{
    *out = realpath(dir[0] == '\0' ? "." : dir, NULL);
    if (*out == NULL) {
        if (errno == ENOMEM) {
            return mm_fail_nomem(err, dir);
        }
        return mm_fail(err, MM_ERR_IO, MM_E_IO, dir, NULL, -1, "cannot resolve the folder: %s",
                       strerror(errno));
    }
    hf_repo_root(*out);
    return MM_OK;
}

enum mm_status mm_path_inside(char **out, const char *root, struct mm_real_dir *rd,
                              const char *path, struct mm_error *err)
{
    char *real;
    enum mm_status st;
    *out = NULL;
    real = real_of(rd, path);
    if (real == NULL) {
        return errno == ENOMEM ? mm_fail_nomem(err, path) : MM_OK;
    }
    if (mm_path_under(real, root)) {
        *out = real;
        return MM_OK;
    }
    st = mm_fail(err, MM_ERR_UNSAFE, MM_E_SHARD_OUTSIDE_FOLDER, path, NULL, -1,
                 "refusing a file outside the model folder %s: its real path is %s", root,
                 real);
    free(real);
    return st;
}

