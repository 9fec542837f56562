/*
 * hfcache.c - a repository id (ORG/NAME[@REVISION]) already present in the
 * local Hugging Face cache, resolved to its snapshot folder. The cache's
 * layout (huggingface_hub file_download.py): <cache>/models--ORG--NAME/
 * refs/<revision> holds a commit hash; snapshots/<commit>/ holds the files,
 * as links into ../../blobs/. Nothing is ever downloaded; the caller picks
 * the cache folder (the library reads no environment variable). The cache
 * stays the cache: a ref, the commit it names or a snapshot folder that
 * leads out of models--ORG--NAME is refused (shard-outside-folder).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/internal.h"
#include "model/hfcache.h"
#include "model/hfnames.h"
#include "model/path_safety.h"

/* What huggingface_hub writes in refs/: a commit hash, or any name of
 * letters, digits, '-', '_' and '.' not starting with '.' (a revision a
 * user types may hold more: revision_ok). */
static bool commit_ok(const char *s, size_t n)
{
    size_t i;
    if (n == 0 || n > 128 || s[0] == '.') {
        return false;
    }
    for (i = 0; i < n; i++) {
        const char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.')) {
            return false;
        }
    }
    return true;
}

/* A revision or commit: a branch/tag name without '/' escapes or "..". */
static bool revision_ok(const char *s, size_t n)
{
    size_t i;
    if (n == 0 || n > 128 || s[0] == '.') {
        return false;
    }
    for (i = 0; i < n; i++) {
        const unsigned char ch = (unsigned char)s[i];
        if (ch <= 0x20 || ch == 0x7f || ch == '\\' || ch == '/' ||
            (ch == '.' && i + 1 < n && s[i + 1] == '.')) {
            return false;
        }
    }
    return true;
}

int mm_hf_repo_id_syntax(const char *id)
{
    const char *slash = strchr(id, '/');
    const char *at;
    size_t name_len;
    if (slash == NULL || strchr(slash + 1, '/') != NULL) {
        return 0;
    }
    at = strchr(slash + 1, '@');
    name_len = at != NULL ? (size_t)(at - slash - 1) : strlen(slash + 1);
    return mm_hf_name_ok(id, (size_t)(slash - id)) && mm_hf_name_ok(slash + 1, name_len) &&
           (at == NULL || revision_ok(at + 1, strlen(at + 1)));
}

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* A ref holds a commit hash, the name of a folder of snapshots/: a ref
 * that is absolute or has a ".." component names a path that leaves it. */
static bool ref_climbs(const char *s)
{
    const char *p = s;
    if (s[0] == '/') {
        return true;
    }
    while (*p != '\0') {
        const char *end = strchr(p, '/');
        const size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            return true;
        }
        p += n + (end != NULL ? 1 : 0);
    }
    return false;
}

/* hfcache.h */
enum mm_status mm_hf_entry_inside(char **out, const char *repo_real, const char *path,
                                  const char *what, struct mm_error *err)
{
    enum mm_status st;
    *out = realpath(path, NULL);
    if (*out == NULL) {
        return errno == ENOMEM ? mm_fail_nomem(err, path) : MM_OK;
    }
    if (mm_path_under(*out, repo_real)) {
        return MM_OK;
    }
    st = mm_fail(err, MM_ERR_UNSAFE, MM_E_SHARD_OUTSIDE_FOLDER, path, NULL, -1,
                 "refusing a %s outside the repository folder %s: its real path is %s", what,
                 repo_real, *out);
    free(*out);
    *out = NULL;
    return st;
}

/* hfcache.h; for mm_hf_cache_resolve, no ref may mean the revision is a
 * commit itself. */
enum mm_status mm_hf_read_ref(char commit[MM_HF_COMMIT_BYTES], bool *found,
                              const char *repo_real, const char *path, struct mm_error *err)
{
    struct mm_source src;
    char *real = NULL;
    size_t got = 0;
    enum mm_status st = mm_hf_entry_inside(&real, repo_real, path, "ref", err);
    *found = false;
    if (st != MM_OK || real == NULL) {
        return st;
    }
    /* the checked real path is what gets opened */
    if (mm_source_open(&src, real, path, NULL) != MM_OK) {
        free(real);
        return MM_OK;
    }
    free(real);
    *found = true;
    st = mm_source_read_some(&src, 0, commit, 129, &got, err);
    mm_source_close(&src);
    if (st != MM_OK) {
        return st;
    }
    while (got > 0 &&
           (commit[got - 1] == '\n' || commit[got - 1] == '\r' || commit[got - 1] == ' ')) {
        got--;
    }
    commit[got] = '\0';
    if (strlen(commit) == got && ref_climbs(commit)) {
        return mm_fail(err, MM_ERR_UNSAFE, MM_E_SHARD_OUTSIDE_FOLDER, path, NULL, -1,
                       "the ref names a path out of the snapshots folder, not a commit hash");
    }
    if (!commit_ok(commit, got)) {
        return mm_fail(err, MM_ERR_MALFORMED, MM_E_INVALID_ARG, path, NULL, -1,
                       "ref does not hold a commit hash");
    }
    return MM_OK;
}

/* The snapshot folder repo/snapshots/<commit>, checked to lie in the
 * repository folder: its real path, in `out`. */
static enum mm_status resolve_snapshot(char *out, size_t out_size, const char *repo,
                                       const char *repo_real, const char *commit,
                                       const char *repo_id, const char *rev,
                                       struct mm_error *err)
{
    char path[MM_ERROR_FILE_MAX + 160];
    char *real = NULL;
    enum mm_status st;
    int n = snprintf(path, sizeof(path), "%s/snapshots/%s", repo, commit);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        return mm_fail(err, MM_ERR_LIMIT, MM_E_INVALID_ARG, repo_id, NULL, -1,
                       "cache path too long");
    }
    st = mm_hf_entry_inside(&real, repo_real, path, "snapshot folder", err);
    if (st != MM_OK) {
        return st;
    }
    if (real == NULL || !is_dir(real)) {
        free(real);
        return mm_fail(err, MM_ERR_NOT_FOUND, MM_E_NOT_FOUND, repo_id, NULL, -1,
                       "revision %s is not in the Hugging Face cache (%s)", rev, repo);
    }
    n = snprintf(out, out_size, "%s", real);
    free(real);
    if (n < 0 || (size_t)n >= out_size) {
        return mm_fail(err, MM_ERR_LIMIT, MM_E_INVALID_ARG, repo_id, NULL, -1,
                       "cache path too long");
    }
    return MM_OK;
}

/*
 * Every step is checked to stay in models--ORG--NAME (its real path: the
 * repository folder may itself be a link, as the cache folder may): the
 * ref file, the commit it names, the snapshot folder. The files of the
 * snapshot are then checked by the loader, as for any folder (their links
 * into ../../blobs/ stay in the repository folder). `label` names the
 * target in errors.
 */
static enum mm_status resolve_in_repo(char *out, size_t out_size, const char *repo,
                                      const char *rev, const char *label,
                                      struct mm_error *err)
{
    char path[MM_ERROR_FILE_MAX + 160];
    char commit[MM_HF_COMMIT_BYTES];
    char *repo_real = realpath(repo, NULL);
    bool found = false;
    enum mm_status st;
    int n;
    if (repo_real == NULL) {
        return errno == ENOMEM ? mm_fail_nomem(err, repo)
                               : mm_fail(err, MM_ERR_IO, MM_E_IO, repo, NULL, -1,
                                         "cannot resolve the folder: %s", strerror(errno));
    }
    /* refs/<rev> names the commit; a revision that is itself a snapshot
     * folder (a commit hash) is used as it is, and a unique prefix of one
     * (a short hash) stands for it. */
    n = snprintf(path, sizeof(path), "%s/refs/%s", repo, rev);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        st = mm_fail(err, MM_ERR_LIMIT, MM_E_INVALID_ARG, label, NULL, -1,
                     "cache path too long");
        goto out;
    }
    st = mm_hf_read_ref(commit, &found, repo_real, path, err);
    if (st == MM_OK && !found) {
        snprintf(commit, sizeof(commit), "%s", rev);
        n = snprintf(path, sizeof(path), "%s/snapshots/%s", repo, rev);
        if (n > 0 && (size_t)n < sizeof(path) && !is_dir(path)) {
            st = mm_hf_match_commit(commit, &found, repo, label, rev, err);
        }
    }
    if (st == MM_OK) {
        st = resolve_snapshot(out, out_size, repo, repo_real, commit, label, rev, err);
    }
out:
    free(repo_real);
    return st;
}

/* The models--ORG--NAME folder of `cache_dir` for ORG/NAME, written to
 * `repo`: the exact name, else the one folder that differs only in case;
 * not found, the error names the closest id in the cache. */
static enum mm_status find_repo(char *repo, size_t size, const char *cache_dir,
                                const char *repo_id, size_t org_len, const char *name,
                                size_t name_len, struct mm_error *err)
{
    char folder[256];
    char suggest[256];
    bool found = false;
    enum mm_status st;
    int n = snprintf(repo, size, "%s/models--%.*s--%.*s", cache_dir, (int)org_len, repo_id,
                     (int)name_len, name);
    if (n < 0 || (size_t)n >= size) {
        return mm_fail(err, MM_ERR_LIMIT, MM_E_INVALID_ARG, repo_id, NULL, -1,
                       "cache path too long");
    }
    if (is_dir(repo)) {
        return MM_OK;
    }
    st = mm_hf_match_repo(folder, sizeof(folder), &found, suggest, sizeof(suggest), cache_dir,
                          repo_id, org_len, name, name_len, err);
    if (st != MM_OK) {
        return st;
    }
    if (found) {
        n = snprintf(repo, size, "%s/%s", cache_dir, folder);
        if (n < 0 || (size_t)n >= size) {
            return mm_fail(err, MM_ERR_LIMIT, MM_E_INVALID_ARG, repo_id, NULL, -1,
                           "cache path too long");
        }
        if (is_dir(repo)) {
            return MM_OK;
        }
    }
    if (suggest[0] != '\0') {
        return mm_fail(err, MM_ERR_NOT_FOUND, MM_E_NOT_FOUND, repo_id, NULL, -1,
                       "not a local path, and not in the Hugging Face cache: did you mean "
                       "%s? (cache %s; nothing is downloaded)",
                       suggest, cache_dir);
    }
    return mm_fail(err, MM_ERR_NOT_FOUND, MM_E_NOT_FOUND, repo_id, NULL, -1,
                   "not a local path, and not in the Hugging Face cache %s (nothing is "
                   "downloaded)",
                   cache_dir);
}

enum mm_status mm_hf_cache_resolve(char *out, size_t out_size, const char *cache_dir,
                                   const char *repo_id, struct mm_error *err)
{
    char repo[MM_ERROR_FILE_MAX];
    const char *slash;
    const char *at;
    const char *rev = "main";
    size_t name_len;
    enum mm_status st;
    mm_error_clear(err);
    if (out == NULL || out_size == 0 || cache_dir == NULL || repo_id == NULL ||
        !mm_hf_repo_id_syntax(repo_id)) {
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_INVALID_ARG, repo_id, NULL, -1,
                       "not a repository id of the form ORG/NAME[@REVISION]");
    }
    slash = strchr(repo_id, '/');
    at = strchr(slash + 1, '@');
    name_len = at != NULL ? (size_t)(at - slash - 1) : strlen(slash + 1);
    if (at != NULL) {
        rev = at + 1;
    }
    st = find_repo(repo, sizeof(repo), cache_dir, repo_id, (size_t)(slash - repo_id),
                   slash + 1, name_len, err);
    if (st == MM_OK) {
        st = resolve_in_repo(out, out_size, repo, rev, repo_id, err);
    }
    return st;
}

/* `path` less a trailing "@REVISION" when `path` itself is not there:
 * the folder in `dir`, the revision (or "main") in *rev. */
static bool split_repo_dir(char *dir, size_t size, const char **rev, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *at = strrchr(path, '@');
    size_t len = strlen(path);
    struct stat sb;
    *rev = "main";
    if (stat(path, &sb) != 0 && at != NULL && (slash == NULL || at > slash) &&
        revision_ok(at + 1, strlen(at + 1))) {
        len = (size_t)(at - path);
        *rev = at + 1;
    }
    while (len > 1 && path[len - 1] == '/') {
        len--;
    }
    if (len == 0 || len >= size) {
        return false;
    }
    memcpy(dir, path, len);
    dir[len] = '\0';
    return true;
}

/*
 * The repository folder `path` names (less any "@REVISION"), in `dir`:
 * models--ORG--NAME holding snapshots/. Where that folder is not there, the
 * one beside it that differs only in case (models--meta-llama--llama-3-8b
 * typed for models--meta-llama--Llama-3-8B), as for a repository id.
 */
static bool repo_dir_of(char *dir, size_t size, const char **rev, const char *path)
{
    char snaps[MM_ERROR_FILE_MAX + 16];
    char folder[256];
    char suggest[8];
    const char *base;
    const char *sep;
    bool found = false;
    size_t keep;
    int n;
    if (path == NULL || !split_repo_dir(dir, size, rev, path)) {
        return false;
    }
    base = strrchr(dir, '/');
    base = base != NULL ? base + 1 : dir;
    if (strncmp(base, "models--", 8) != 0 || (sep = strstr(base + 8, "--")) == NULL ||
        !mm_hf_name_ok(base + 8, (size_t)(sep - base - 8)) ||
        !mm_hf_name_ok(sep + 2, strlen(sep + 2))) {
        return false;
    }
    keep = (size_t)(base - dir);
    if (!is_dir(dir)) {
        char parent[MM_ERROR_FILE_MAX];
        if (keep == 0) {
            snprintf(parent, sizeof(parent), ".");
        } else {
            snprintf(parent, sizeof(parent), "%.*s", keep > 1 ? (int)(keep - 1) : 1, dir);
        }
        if (mm_hf_match_repo(folder, sizeof(folder), &found, suggest, sizeof(suggest), parent,
                             base + 8, (size_t)(sep - base - 8), sep + 2, strlen(sep + 2),
                             NULL) != MM_OK ||
            !found || keep + strlen(folder) >= size) {
            return false;
        }
        memcpy(dir + keep, folder, strlen(folder) + 1);
    }
    n = snprintf(snaps, sizeof(snaps), "%s/snapshots", dir);
    return n > 0 && (size_t)n < sizeof(snaps) && is_dir(snaps);
}

int mm_hf_repo_dir(const char *path)
{
    char dir[MM_ERROR_FILE_MAX];
    const char *rev;
    return repo_dir_of(dir, sizeof(dir), &rev, path);
}

enum mm_status mm_hf_repo_dir_resolve(char *out, size_t out_size, const char *path,
                                      struct mm_error *err)
{
    char dir[MM_ERROR_FILE_MAX];
    const char *rev;
    mm_error_clear(err);
    if (out == NULL || out_size == 0 || !repo_dir_of(dir, sizeof(dir), &rev, path)) {
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_INVALID_ARG, path, NULL, -1,
                       "not a Hugging Face cache repository folder (models--ORG--NAME)");
    }
    return resolve_in_repo(out, out_size, dir, rev, path, err);
}
