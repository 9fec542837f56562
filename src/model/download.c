/*
 * download.c - what a Hugging Face download leaves behind.
 *
 * huggingface_hub (file_download.py) writes a file to a temporary name and
 * renames it when the last byte is in: in the cache, models--ORG--NAME/
 * blobs/<etag>.incomplete becomes blobs/<etag>, and only then does the
 * snapshot get its link; with --local-dir (_local_folder.py), the file is
 * written as .cache/huggingface/download/<name>.<etag>.incomplete (older
 * releases) or <short hash of name>.<etag>.incomplete (newer ones) and
 * then moved into place. An interrupted download leaves the .incomplete
 * file and no file under the real name. Such a file is never opened as a
 * model; only the safetensors header at its start is read, to learn
 * which file it was going to be and how large.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/checked.h"
#include "model/config_internal.h"
#include "model/download.h"

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Length of the last component of p[0..n) and where it starts. */
static const char *last_component(const char *p, size_t n, size_t *len)
{
    size_t i = n;
    while (i > 0 && p[i - 1] != '/') {
        i--;
    }
    *len = n - i;
    return p + i;
}

/* In the cache, a snapshot folder is models--ORG--NAME/snapshots/COMMIT:
 * the repository folder and its id. */
static enum mm_status find_repo(struct mm_download_site *out, struct mm_error *err)
{
    const char *dir = out->model_dir;
    size_t n = strlen(dir);
    size_t len;
    const char *c;
    const char *sep;
    while (n > 1 && dir[n - 1] == '/') {
        n--;
    }
    last_component(dir, n, &len); /* the commit */
    if (len == 0 || len >= n) {
        return MM_OK;
    }
    n -= len + 1;
    c = last_component(dir, n, &len);
    if (len != 9 || memcmp(c, "snapshots", 9) != 0 || len >= n) {
        return MM_OK;
    }
    n -= len + 1;
    c = last_component(dir, n, &len);
    if (len < 8 || memcmp(c, "models--", 8) != 0) {
        return MM_OK;
    }
    sep = strstr(c + 8, "--");
    if (sep == NULL || sep >= c + len || !mm_hf_name_ok(c + 8, (size_t)(sep - c - 8)) ||
        !mm_hf_name_ok(sep + 2, (size_t)(c + len - sep - 2))) {
        return MM_OK;
    }
    snprintf(out->repo_id, sizeof(out->repo_id), "%.*s/%.*s", (int)(sep - c - 8), c + 8,
             (int)(c + len - sep - 2), sep + 2);
    out->repo_dir = dup_n(dir, n);
    return out->repo_dir == NULL ? mm_fail_nomem(err, dir) : MM_OK;
}

/* A --local-dir folder records the commit and etag of each file
 * (_local_folder.py), not the repository it came from; config.json's
 * _name_or_path, which save_pretrained writes, often names it. Kept only
 * when it is a repository id: a local path there ("/home/...", "./out")
 * is not one, and the text is the file's, not ours to print unchecked. */
static enum mm_status config_id(struct mm_download_site *out, struct mm_error *err)
{
    struct mm_config *cfg = NULL;
    struct mm_error ignored;
    const cJSON *v;
    if (mm_config_load_for(&cfg, out->model_dir, &ignored) == MM_ERR_NOMEM) {
        return mm_fail_nomem(err, out->model_dir);
    }
    v = cfg != NULL ? cJSON_GetObjectItemCaseSensitive(mm_config_root(cfg), "_name_or_path")
                    : NULL;
    if (cJSON_IsString(v) && mm_hf_repo_id_ok(v->valuestring, strlen(v->valuestring))) {
        snprintf(out->config_id, sizeof(out->config_id), "%s", v->valuestring);
    }
    mm_config_free(cfg);
    return MM_OK;
}

enum mm_status mm_download_site(struct mm_download_site *out, const char *target,
                                struct mm_error *err)
{
    char probe[4096];
    int k;
    memset(out, 0, sizeof(*out));
    if (is_dir(target)) {
        out->model_dir = strdup(target);
    } else {
        const char *slash = strrchr(target, '/');
        out->model_dir = slash == NULL ? strdup(".")
                                       : dup_n(target, slash == target ? 1
                                                                       : (size_t)(slash - target));
    }
    if (out->model_dir == NULL) {
        return mm_fail_nomem(err, target);
    }
    k = snprintf(probe, sizeof(probe), "%s/.cache/huggingface", out->model_dir);
    out->local_dir = k > 0 && (size_t)k < sizeof(probe) && is_dir(probe);
    if (out->local_dir && config_id(out, err) != MM_OK) {
        return MM_ERR_NOMEM;
    }
    return find_repo(out, err);
}

void mm_download_site_free(struct mm_download_site *site)
{
    free(site->model_dir);
    free(site->repo_dir);
    memset(site, 0, sizeof(*site));
}

void mm_download_leftovers_free(struct mm_leftover *lo, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        free(lo[i].path);
        free(lo[i].name_hint);
    }
    free(lo);
}

struct list {
    struct mm_leftover *items;
    size_t n;
    size_t cap;
};

static bool ends_with(const char *s, const char *suffix)
{
    const size_t a = strlen(s);
    const size_t b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* FILE.<etag>.incomplete (the older local-dir naming): FILE, when what is
 * before the etag has a dot, as a weight file's name has; the newer
 * naming's short hash (URL-safe base64) has none. */
static bool name_hint(char **out, const char *base)
{
    const size_t n = strlen(base) - strlen(".incomplete");
    size_t i = n;
    *out = NULL;
    while (i > 0 && base[i - 1] != '.') {
        i--;
    }
    if (i < 2 || memchr(base, '.', i - 1) == NULL) {
        return true;
    }
    *out = dup_n(base, i - 1);
    return *out != NULL;
}

/* One .incomplete file: its size and what its header says. */
static enum mm_status add_leftover(struct list *l, const char *path, const char *base,
                                   bool local, struct mm_error *err)
{
    struct mm_leftover *lo;
    struct mm_source src;
    enum mm_status st;
    if (l->n >= MM_LIMIT_FILES) {
        return MM_OK;
    }
    if (!mm_grow((void **)&l->items, &l->cap, l->n + 1, sizeof(*l->items))) {
        return mm_fail_nomem(err, path);
    }
    lo = &l->items[l->n];
    memset(lo, 0, sizeof(*lo));
    lo->path = strdup(path);
    l->n++;
    if (lo->path == NULL || (local && !name_hint(&lo->name_hint, base))) {
        return mm_fail_nomem(err, path);
    }
    if (mm_source_open(&src, path, path, NULL) != MM_OK) {
        return MM_OK; /* gone since it was listed, or unreadable: size unknown */
    }
    lo->have = src.size;
    st = mm_safetensors_extent(&lo->ext, &src, err);
    mm_source_close(&src);
    return st == MM_ERR_NOMEM ? st : MM_OK;
}

/* The *.incomplete regular files of `dir` (not followed through links),
 * and those of its sub-folders down to `depth`. */
static enum mm_status scan(struct list *l, const char *dir, bool local, unsigned depth,
                           struct mm_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    enum mm_status st = MM_OK;
    if (d == NULL) {
        return errno == ENOMEM ? mm_fail_nomem(err, dir) : MM_OK;
    }
    while (st == MM_OK && (e = readdir(d)) != NULL) {
        char path[4096];
        struct stat sb;
        const int k = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (e->d_name[0] == '.' || k < 0 || (size_t)k >= sizeof(path) ||
            lstat(path, &sb) != 0) {
            continue;
        }
        if (S_ISDIR(sb.st_mode) && depth > 0) {
            st = scan(l, path, local, depth - 1, err);
        } else if (S_ISREG(sb.st_mode) && ends_with(e->d_name, ".incomplete")) {
            st = add_leftover(l, path, e->d_name, local, err);
        }
    }
    closedir(d);
    return st;
}

enum mm_status mm_download_leftovers(struct mm_leftover **out, size_t *n,
                                     const struct mm_download_site *site,
                                     struct mm_error *err)
{
    struct list l = {NULL, 0, 0};
    char dir[4096];
    enum mm_status st = MM_OK;
    int k;
    *out = NULL;
    *n = 0;
    if (site->repo_dir != NULL) {
        k = snprintf(dir, sizeof(dir), "%s/blobs", site->repo_dir);
        if (k > 0 && (size_t)k < sizeof(dir)) {
            st = scan(&l, dir, false, 0, err);
        }
    }
    if (st == MM_OK && site->local_dir) {
        k = snprintf(dir, sizeof(dir), "%s/.cache/huggingface/download", site->model_dir);
        if (k > 0 && (size_t)k < sizeof(dir)) {
            st = scan(&l, dir, true, 8, err);
        }
    }
    if (st != MM_OK) {
        mm_download_leftovers_free(l.items, l.n);
        return st;
    }
    *out = l.items;
    *n = l.n;
    return MM_OK;
}

bool mm_download_truncation(enum mm_errcode code)
{
    return code == MM_E_DATA_BEYOND_FILE || code == MM_E_HEADER_LENGTH ||
           code == MM_E_HEADER_TOO_SMALL || code == MM_E_TRUNCATED;
}

/* The line `fmt` makes, allocated whatever its length (a folder's path
 * may be long); NULL when out of memory. */
static char *line_of(const char *fmt, ...) MM_PRINTF(1, 2);

static char *line_of(const char *fmt, ...)
{
    va_list ap;
    char *line;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    line = n < 0 ? NULL : malloc((size_t)n + 1);
    if (line == NULL) {
        return NULL;
    }
    va_start(ap, fmt);
    vsnprintf(line, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return line;
}

enum mm_status mm_download_remedy(char **out, enum mm_errcode code,
                                  const struct mm_download_site *site)
{
    const bool cache = site != NULL && site->repo_id[0] != '\0';
    const bool local = site != NULL && site->local_dir;
    const bool lost = code == MM_E_DOWNLOAD_INCOMPLETE || code == MM_E_SHARD_MISSING;
    const bool damaged = mm_download_truncation(code) || code == MM_E_CHECKSUM;
    /* a file whose blob is there in full is not fetched again unless forced */
    const char *force = damaged ? " --force-download" : "";
    *out = NULL;
    if (!lost && !damaged) {
        return MM_OK;
    }
    if (cache) {
        *out = line_of("re-run the download: huggingface-cli download %s%s", site->repo_id, force);
    } else if (local && site->config_id[0] != '\0') {
        *out = line_of("re-run the download into this folder (id from config.json's "
                       "_name_or_path): huggingface-cli download %s --local-dir %s%s",
                       site->config_id, site->model_dir, force);
    } else if (local) {
        /* no record of the repository: the user knows which one it was */
        *out = line_of("re-run the huggingface-cli download of this model with --local-dir %s%s",
                       site->model_dir, force);
    } else if (code == MM_E_SHARD_MISSING) {
        *out = line_of("the shard is missing: download it again");
    } else if (code == MM_E_CHECKSUM) {
        *out = line_of("the file is corrupt: download it again");
    } else if (code == MM_E_DOWNLOAD_INCOMPLETE) {
        *out = line_of("the download did not finish: download it again");
    } else {
        *out = line_of("the file is truncated: download it again");
    }
    return *out == NULL ? MM_ERR_NOMEM : MM_OK;
}

void mm_download_fmt_size(char *out, size_t size, uint64_t bytes)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    unsigned u = 0;
    if (bytes < 1024) {
        snprintf(out, size, "%llu bytes", (unsigned long long)bytes);
        return;
    }
    v /= 1024.0;
    while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024.0;
        u++;
    }
    snprintf(out, size, "%.2f %s", v, units[u]);
}
