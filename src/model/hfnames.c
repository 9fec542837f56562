/*
 * hfnames.c - names in a Hugging Face cache as people type them. The Hub
 * treats repository ids without regard to case (meta-llama/llama-3-8b is
 * meta-llama/Meta-Llama-3-8B's page), while the cache folder keeps the case
 * the id was downloaded with: an id is looked up ignoring case, and a near
 * miss is named in the error. A commit may be given by a unique prefix of
 * its hash, as git accepts one. Only names read from the cache folder and
 * the snapshots/ folder are compared; opening what they name is left to
 * hfcache.c, which checks that it stays in the repository folder.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/json_scan.h"
#include "model/hfnames.h"

bool mm_hf_name_ok(const char *s, size_t n)
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

/* One part of a repository id: a Hub name that does not end with '-' or
 * '.' and holds no "--". */
static bool repo_part_ok(const char *s, size_t n)
{
    size_t i;
    if (!mm_hf_name_ok(s, n) || s[n - 1] == '-' || s[n - 1] == '.') {
        return false;
    }
    for (i = 0; i + 1 < n; i++) {
        if (s[i] == '-' && s[i + 1] == '-') {
            return false;
        }
    }
    return true;
}

bool mm_hf_repo_id_ok(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    size_t org;
    if (n > MM_HF_REPO_ID_MAX || slash == NULL) {
        return false;
    }
    org = (size_t)(slash - s);
    return repo_part_ok(s, org) && repo_part_ok(slash + 1, n - org - 1) &&
           !(n >= 4 && memcmp(s + n - 4, ".git", 4) == 0);
}

static char lower(char ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

static bool same_ci(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i;
    if (an != bn) {
        return false;
    }
    for (i = 0; i < an; i++) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

#define ID_MAX 200u

/*
 * Edit distance between two ids, ignoring case: insertions, deletions,
 * substitutions and transpositions of neighbours each count one (optimal
 * string alignment, the distance a typo makes). Ids longer than ID_MAX
 * count as far apart.
 */
static size_t distance(const char *a, size_t an, const char *b, size_t bn)
{
    size_t rows[3][ID_MAX + 1];
    size_t i;
    size_t j;
    if (an > ID_MAX || bn > ID_MAX) {
        return (size_t)-1;
    }
    for (j = 0; j <= bn; j++) {
        rows[0][j] = j;
    }
    for (i = 1; i <= an; i++) {
        size_t *cur = rows[i % 3];
        const size_t *prev = rows[(i - 1) % 3];
        const size_t *prev2 = rows[(i + 1) % 3];
        cur[0] = i;
        for (j = 1; j <= bn; j++) {
            const size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            size_t d = prev[j] + 1;
            if (cur[j - 1] + 1 < d) {
                d = cur[j - 1] + 1;
            }
            if (prev[j - 1] + cost < d) {
                d = prev[j - 1] + cost;
            }
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1]) && prev2[j - 2] + 1 < d) {
                d = prev2[j - 2] + 1;
            }
            cur[j] = d;
        }
    }
    return rows[an % 3][bn];
}

/* Splits "models--ORG--NAME" into ORG and NAME (Hub names hold no "--");
 * false for any other entry. */
static bool split_folder(const char *entry, const char **org, size_t *org_len,
                         const char **name, size_t *name_len)
{
    const char *sep;
    if (strncmp(entry, "models--", 8) != 0) {
        return false;
    }
    *org = entry + 8;
    sep = strstr(*org, "--");
    if (sep == NULL) {
        return false;
    }
    *org_len = (size_t)(sep - *org);
    *name = sep + 2;
    *name_len = strlen(*name);
    return mm_hf_name_ok(*org, *org_len) && mm_hf_name_ok(*name, *name_len);
}

/* The best suggestion so far: lower is closer. */
struct near {
    size_t score;
    char id[ID_MAX + 2];
};

/* Scores one cache repository against the id typed: the same NAME under
 * another ORG scores 1, an id within edit distance 2 scores its distance
 * (a near miss must also change at most a quarter of the id). */
static void consider(struct near *best, const char *org, size_t org_len, const char *name,
                     size_t name_len, const char *want_org, size_t want_org_len,
                     const char *want_name, size_t want_name_len)
{
    char id[ID_MAX + 2];
    char want[ID_MAX + 2];
    size_t d;
    const int n = snprintf(id, sizeof(id), "%.*s/%.*s", (int)org_len, org, (int)name_len, name);
    const int wn = snprintf(want, sizeof(want), "%.*s/%.*s", (int)want_org_len, want_org,
                            (int)want_name_len, want_name);
    if (n < 0 || (size_t)n > ID_MAX || wn < 0 || (size_t)wn > ID_MAX) {
        return;
    }
    if (same_ci(name, name_len, want_name, want_name_len)) {
        d = 1;
    } else {
        d = distance(id, (size_t)n, want, (size_t)wn);
        if (d > 2 || d * 4 > (size_t)wn) {
            return;
        }
    }
    if (d < best->score) {
        best->score = d;
        memcpy(best->id, id, (size_t)n + 1);
    }
}

enum mm_status mm_hf_match_repo(char *out, size_t out_size, bool *found, char *suggest,
                                size_t suggest_size, const char *cache_dir, const char *org,
                                size_t org_len, const char *name, size_t name_len,
                                struct mm_error *err)
{
    DIR *d = opendir(cache_dir);
    struct dirent *e;
    struct near best;
    size_t matches = 0;
    enum mm_status st = MM_OK;
    *found = false;
    best.score = (size_t)-1;
    best.id[0] = '\0';
    if (suggest_size > 0) {
        suggest[0] = '\0';
    }
    if (d == NULL) {
        return MM_OK;
    }
    while ((e = readdir(d)) != NULL) {
        const char *o;
        const char *nm;
        size_t ol;
        size_t nl;
        if (!split_folder(e->d_name, &o, &ol, &nm, &nl)) {
            continue;
        }
        if (same_ci(o, ol, org, org_len) && same_ci(nm, nl, name, name_len)) {
            if (matches++ == 0) {
                const int n = snprintf(out, out_size, "%s", e->d_name);
                if (n < 0 || (size_t)n >= out_size) {
                    st = mm_fail(err, MM_ERR_LIMIT, MM_E_INVALID_ARG, cache_dir, NULL, -1,
                                 "cache path too long");
                    break;
                }
            } else {
                st = mm_fail(err, MM_ERR_INVALID_ARG, MM_E_AMBIGUOUS_TARGET, cache_dir, NULL,
                             -1, "%s and %s differ only in case: name the folder as TARGET",
                             out, e->d_name);
                break;
            }
            continue;
        }
        consider(&best, o, ol, nm, nl, org, org_len, name, name_len);
    }
    closedir(d);
    if (st != MM_OK) {
        return st;
    }
    *found = matches == 1;
    if (!*found && suggest_size > 0) {
        snprintf(suggest, suggest_size, "%s", best.id);
    }
    return MM_OK;
}

static bool is_hex(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (mm_hex_digit((uint8_t)s[i]) < 0) {
            return false;
        }
    }
    return true;
}

enum mm_status mm_hf_match_commit(char out[130], bool *found, const char *repo,
                                  const char *label, const char *prefix,
                                  struct mm_error *err)
{
    char path[MM_ERROR_FILE_MAX + 16];
    char list[MM_ERROR_MESSAGE_MAX];
    size_t used = 0;
    const size_t plen = strlen(prefix);
    size_t matches = 0;
    DIR *d;
    struct dirent *e;
    int n;
    *found = false;
    if (plen < MM_HF_SHORT_HASH_MIN || plen >= 40 || !is_hex(prefix, plen)) {
        return MM_OK;
    }
    n = snprintf(path, sizeof(path), "%s/snapshots", repo);
    if (n < 0 || (size_t)n >= sizeof(path) || (d = opendir(path)) == NULL) {
        return MM_OK;
    }
    list[0] = '\0';
    while ((e = readdir(d)) != NULL) {
        const size_t len = strlen(e->d_name);
        if (len <= plen || len >= 130 || e->d_name[0] == '.' || !same_ci(e->d_name, plen,
                                                                         prefix, plen)) {
            continue;
        }
        if (matches++ == 0) {
            memcpy(out, e->d_name, len + 1);
        }
        if (used < sizeof(list)) {
            n = snprintf(list + used, sizeof(list) - used, "%s%s", used == 0 ? "" : ", ",
                         e->d_name);
            used += n > 0 ? (size_t)n : 0;
        }
    }
    closedir(d);
    if (matches > 1) {
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_AMBIGUOUS_TARGET, label, NULL, -1,
                       "short commit %s matches %zu snapshots: %s", prefix, matches, list);
    }
    *found = matches == 1;
    return MM_OK;
}
