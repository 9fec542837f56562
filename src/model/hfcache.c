/*
 * hfcache.c - a repository id (ORG/NAME[@REVISION]) already present in the
 * local Hugging Face cache, resolved to its snapshot folder. The cache's
 * layout (huggingface_hub file_download.py): <cache>/models--ORG--NAME/
 * refs/<revision> holds a commit hash; snapshots/<commit>/ holds the files,
 * as links into ../../blobs/. Nothing is ever downloaded; the caller picks
 * the cache folder (the library reads no environment variable).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/internal.h"

/* Hub names: letters, digits, '-', '_', '.'; no "..", not starting '.'. */
static bool hub_name_ok(const char *s, size_t n)
{
    size_t i;
    if (n == 0 || n > 96 || s[0] == '.' || s[0] == '-') {
        return false;
    }
    for (i = 0; i < n; i++) {
        const char ch = s[i];
        const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                        (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
        if (!ok || (ch == '.' && i + 1 < n && s[i + 1] == '.')) {
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
    return hub_name_ok(id, (size_t)(slash - id)) && hub_name_ok(slash + 1, name_len) &&
           (at == NULL || revision_ok(at + 1, strlen(at + 1)));
}

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

enum mm_status mm_hf_cache_resolve(char *out, size_t out_size, const char *cache_dir,
                                   const char *repo_id, struct mm_error *err)
{
    char repo[MM_ERROR_FILE_MAX];
    char path[MM_ERROR_FILE_MAX + 160];
    char commit[130];
    const char *slash;
    const char *at;
    const char *rev = "main";
    size_t org_len;
    size_t name_len;
    int n;
    mm_error_clear(err);
    if (out == NULL || out_size == 0 || cache_dir == NULL || repo_id == NULL ||
        !mm_hf_repo_id_syntax(repo_id)) {
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_INVALID_ARG, repo_id, NULL, -1,
                       "not a repository id of the form ORG/NAME[@REVISION]");
    }
    slash = strchr(repo_id, '/');
    at = strchr(slash + 1, '@');
    org_len = (size_t)(slash - repo_id);
    name_len = at != NULL ? (size_t)(at - slash - 1) : strlen(slash + 1);
    if (at != NULL) {
        rev = at + 1;
    }
    n = snprintf(repo, sizeof(repo), "%s/models--%.*s--%.*s", cache_dir, (int)org_len, repo_id,
                 (int)name_len, slash + 1);
    if (n < 0 || (size_t)n >= sizeof(repo)) {
        return mm_fail(err, MM_ERR_LIMIT, MM_E_INVALID_ARG, repo_id, NULL, -1,
                       "cache path too long");
    }
    if (!is_dir(repo)) {
        return mm_fail(err, MM_ERR_NOT_FOUND, MM_E_NOT_FOUND, repo_id, NULL, -1,
                       "not a local path, and not in the Hugging Face cache %s (nothing is "
                       "downloaded)",
                       cache_dir);
    }
    /* refs/<rev> names the commit; a revision that is itself a snapshot
     * folder (a commit hash) is used as it is. */
    n = snprintf(path, sizeof(path), "%s/refs/%s", repo, rev);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        return mm_fail(err, MM_ERR_LIMIT, MM_E_INVALID_ARG, repo_id, NULL, -1,
                       "cache path too long");
    }
    {
        struct mm_source src;
        size_t got = 0;
        if (mm_source_open(&src, path, path, NULL) == MM_OK) {
            enum mm_status st = mm_source_read_some(&src, 0, commit, sizeof(commit) - 1, &got,
                                                    err);
            mm_source_close(&src);
            if (st != MM_OK) {
                return st;
            }
            while (got > 0 && (commit[got - 1] == '\n' || commit[got - 1] == '\r' ||
                               commit[got - 1] == ' ')) {
                got--;
            }
            commit[got] = '\0';
            if (!revision_ok(commit, got)) {
                return mm_fail(err, MM_ERR_MALFORMED, MM_E_INVALID_ARG, path, NULL, -1,
                               "ref does not hold a commit hash");
            }
        } else {
            snprintf(commit, sizeof(commit), "%s", rev);
        }
    }
    n = snprintf(out, out_size, "%s/snapshots/%s", repo, commit);
    if (n < 0 || (size_t)n >= out_size) {
        return mm_fail(err, MM_ERR_LIMIT, MM_E_INVALID_ARG, repo_id, NULL, -1,
                       "cache path too long");
    }
    if (!is_dir(out)) {
        return mm_fail(err, MM_ERR_NOT_FOUND, MM_E_NOT_FOUND, repo_id, NULL, -1,
                       "revision %s is not in the Hugging Face cache (%s)", rev, repo);
    }
    return MM_OK;
}
