/*
 * verify.c - a downloaded model checked against itself. Each weight file is
 * read on its own first, so every broken file is reported; then the model
 * as a whole (index against shards, names unique across files); then the
 * index's metadata.total_size against the bytes the tensors occupy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/checked.h"
#include "core/internal.h"
#include "core/sha256.h"
#include "model/download.h"
#include "model/target.h"

struct mm_verify_report {
    char *base; /* the target's folder with a trailing '/': stripped from paths */
    struct mm_problem *problems;
    size_t n;
    size_t cap;
    size_t nfiles;
    size_t nerrors;
    size_t nchecksums;
    int truncated;
    struct mm_download_site site; /* where the model came from: for remedies */
};

static char *dup_or_empty(const char *s)
{
    return strdup(s != NULL ? s : "");
}

static void problem_free(struct mm_problem *p)
{
    free((void *)(uintptr_t)p->file);
    free((void *)(uintptr_t)p->tensor);
    free((void *)(uintptr_t)p->message);
    free((void *)(uintptr_t)p->remedy);
}

/* Appends a problem to the list. */
static enum mm_status push_problem(struct mm_verify_report *rep, enum mm_severity sev,
                                   enum mm_errcode code, const char *file, const char *tensor,
                                   int64_t offset, const char *message)
{
    struct mm_problem *p;
    if (!mm_grow((void **)&rep->problems, &rep->cap, rep->n + 1, sizeof(*rep->problems))) {
        return MM_ERR_NOMEM;
    }
    p = &rep->problems[rep->n];
    p->severity = sev;
    p->code = code;
    p->offset = offset;
    p->remedy = NULL;
    p->expected_bytes = -1;
    p->actual_bytes = -1;
    if (file != NULL && rep->base != NULL && strncmp(file, rep->base, strlen(rep->base)) == 0) {
        file += strlen(rep->base);
    }
    p->file = dup_or_empty(file);
    p->tensor = dup_or_empty(tensor);
    p->message = dup_or_empty(message);
    if (p->file == NULL || p->tensor == NULL || p->message == NULL) {
        problem_free(p);
        return MM_ERR_NOMEM;
    }
    rep->n++;
    return MM_OK;
}

/* Adds a problem; past MM_LIMIT_PROBLEMS only counts it, and the list ends
 * with one limit-problems entry that says so. */
static enum mm_status add_problem(struct mm_verify_report *rep, enum mm_severity sev,
                                  enum mm_errcode code, const char *file, const char *tensor,
                                  int64_t offset, const char *message)
{
    char msg[MM_ERROR_MESSAGE_MAX];
    if (sev == MM_SEVERITY_ERROR) {
        rep->nerrors++;
    }
    if (rep->n < MM_LIMIT_PROBLEMS) {
        return push_problem(rep, sev, code, file, tensor, offset, message);
    }
    if (rep->truncated) {
        return MM_OK;
    }
    rep->truncated = 1;
    snprintf(msg, sizeof(msg), "more than %u problems: the rest are counted, not listed",
             MM_LIMIT_PROBLEMS);
    return push_problem(rep, MM_SEVERITY_WARNING, MM_E_LIMIT_PROBLEMS, NULL, NULL, -1, msg);
}

static enum mm_status add_error(struct mm_verify_report *rep, const struct mm_error *e)
{
    return add_problem(rep, MM_SEVERITY_ERROR, e->code, e->file, e->tensor, e->offset,
                       e->message);
}

void mm_verify_free(struct mm_verify_report *rep)
{
    size_t i;
    if (rep == NULL) {
        return;
    }
    for (i = 0; i < rep->n; i++) {
        problem_free(&rep->problems[i]);
    }
    free(rep->problems);
    free(rep->base);
    mm_download_site_free(&rep->site);
    free(rep);
}

/* Paths in problems are shown relative to the target's folder, as inspect
 * shows them. */
static enum mm_status set_base(struct mm_verify_report *rep, const char *target)
{
    struct stat sb;
    const size_t len = strlen(target);
    size_t keep = len;
    if (stat(target, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        const char *slash = strrchr(target, '/');
        if (slash == NULL) {
            return MM_OK;
        }
        keep = (size_t)(slash - target);
    }
    while (keep > 1 && target[keep - 1] == '/') {
        keep--;
    }
    rep->base = malloc(keep + 2);
    if (rep->base == NULL) {
        return MM_ERR_NOMEM;
    }
    memcpy(rep->base, target, keep);
    rep->base[keep] = '/';
    rep->base[keep + 1] = '\0';
    return MM_OK;
}

/* A file's warnings as problems: a pickle global that can run code is an
 * error whatever --allow-unsafe-pickle says, any other one a warning.
 * *unsafe is set when there was such an error. */
static enum mm_status add_warnings(struct mm_verify_report *rep, const struct mm_inventory *inv,
                                   const char *path, bool *unsafe)
{
    const size_t n = mm_inventory_warning_count(inv);
    size_t i;
    *unsafe = false;
    for (i = 0; i < n; i++) {
        const struct mm_warning *w = mm_inventory_warning(inv, i);
        const bool is_unsafe = w->code == MM_E_UNSAFE_GLOBAL;
        const enum mm_status st =
            add_problem(rep, is_unsafe ? MM_SEVERITY_ERROR : MM_SEVERITY_WARNING, w->code, path,
                        NULL, w->offset, w->message);
        if (st != MM_OK) {
            return st;
        }
        *unsafe = *unsafe || is_unsafe;
    }
    return MM_OK;
}

/* The problem's message, replaced by a copy of `msg` (the old one is kept
 * when there is no memory for the new). */
static enum mm_status replace_message(struct mm_problem *p, const char *msg)
{
    char *m = strdup(msg);
    if (m == NULL) {
        return MM_ERR_NOMEM;
    }
    free((void *)(uintptr_t)p->message);
    p->message = m;
    return MM_OK;
}

/* "1.63 GiB of 3.26 GiB; " before a truncated file's message, and the two
 * sizes in the problem: expected from its header (8 + N + the last byte of
 * data), else, for the one shard of an index whose header is cut short,
 * from 8 + N + the index's metadata.total_size. */
static enum mm_status size_truncated(struct mm_problem *p, const struct mm_target_files *tf,
                                     size_t i)
{
    struct mm_source src;
    struct mm_st_extent ext;
    char have[32];
    char want[32];
    char msg[MM_ERROR_MESSAGE_MAX];
    uint64_t expected = 0;
    bool known = false;
    enum mm_status st;
    if (mm_source_open(&src, tf->reals[i] != NULL ? tf->reals[i] : tf->paths[i], tf->paths[i],
                       NULL) != MM_OK) {
        return MM_OK;
    }
    st = mm_safetensors_extent(&ext, &src, NULL);
    if (st == MM_ERR_NOMEM) {
        mm_source_close(&src);
        return st;
    }
    if (st == MM_OK) {
        if (ext.has_size) {
            expected = ext.size;
            known = true;
        } else if (ext.has_header_len && tf->has_index && tf->index.nshards == 1 &&
                   tf->has_total_size && mm_add_u64(&expected, 8 + ext.header_len,
                                                    tf->total_size)) {
            known = true;
        }
    }
    p->actual_bytes = (int64_t)src.size;
    mm_source_close(&src);
    if (!known || expected <= src.size || expected > INT64_MAX) {
        return MM_OK;
    }
    p->expected_bytes = (int64_t)expected;
    mm_download_fmt_size(have, sizeof(have), src.size);
    mm_download_fmt_size(want, sizeof(want), expected);
    snprintf(msg, sizeof(msg), "truncated: %s of %s; %s", have, want, p->message);
    return replace_message(p, msg);
}

/* File i of `tf` alone, opened by the real path the plan checked (a link
 * swapped since then is not followed); errors name the path as given. */
static enum mm_status load_one(struct mm_inventory **out, const struct mm_target_files *tf,
                               size_t i, const struct mm_load_options *opts,
                               struct mm_error *e)
{
    struct mm_plan pl;
    enum mm_status st;
    mm_error_clear(e);
    *out = NULL;
    st = mm_plan_file(&pl, tf->paths[i], tf->reals[i], e);
    if (st != MM_OK) {
        return st;
    }
    st = mm_plan_execute(out, &pl, opts, e);
    mm_plan_free(&pl);
    return st;
}

/* Each file alone: its own header and layout. Pickles are read with
 * unsafe globals allowed, so that every one of them is reported. */
static enum mm_status check_files(struct mm_verify_report *rep, const struct mm_target_files *tf,
                                  const struct mm_load_options *lopts, size_t *bad)
{
    struct mm_load_options o = MM_LOAD_OPTIONS_INIT;
    const struct mm_load_options *opts = &o;
    size_t i;
    if (lopts != NULL) {
        o.threads = lopts->threads;
    }
    o.allow_unsafe_pickle = 1;
    *bad = 0;
    for (i = 0; i < tf->n; i++) {
        struct mm_inventory *inv = NULL;
        struct mm_error e;
        bool unsafe = false;
        enum mm_status st = load_one(&inv, tf, i, opts, &e);
        if (st == MM_OK) {
            st = add_warnings(rep, inv, tf->paths[i], &unsafe);
            *bad += unsafe ? 1 : 0;
        }
        if (st == MM_ERR_NOMEM) {
            mm_inventory_free(inv);
            return st;
        }
        if (st != MM_OK) {
            const size_t before = rep->n;
            (*bad)++;
            if (e.code == MM_E_NOT_FOUND && tf->index_path != NULL) {
                e.code = MM_E_SHARD_MISSING;
                snprintf(e.message, sizeof(e.message), "shard named by the index is missing");
            }
            st = add_error(rep, &e);
            if (st == MM_OK && rep->n > before && mm_download_truncation(e.code)) {
                st = size_truncated(&rep->problems[rep->n - 1], tf, i);
            }
        }
        mm_inventory_free(inv);
        if (st != MM_OK) {
            return st;
        }
    }
    return MM_OK;
}

/* The 64 lowercase hex digits of a cache blob's name, or NULL. */
static const char *blob_digest(const char *real)
{
    const char *base = strrchr(real, '/');
    size_t i;
    if (base == NULL || base - real < 6 || strncmp(base - 6, "/blobs", 6) != 0) {
        return NULL;
    }
    base++;
    for (i = 0; i < 64; i++) {
        const char ch = base[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
            return NULL;
        }
    }
    return base[64] == '\0' ? base : NULL;
}

#define HASH_CHUNK (1u << 20)

/* SHA-256 of a whole file, in hex: opens `real`, errors name `path`;
 * tells vo's progress callback, if any, how far it got. */
static enum mm_status hash_file(const char *real, const char *path, char hex[65],
                                const struct mm_verify_options *vo, struct mm_error *e)
{
    struct mm_source src;
    struct mm_sha256 h;
    uint8_t digest[32];
    uint8_t *buf;
    uint64_t off = 0;
    unsigned i;
    enum mm_status st = mm_source_open(&src, real, path, e);
    if (st != MM_OK) {
        return st;
    }
    buf = malloc(HASH_CHUNK);
    if (buf == NULL) {
        mm_source_close(&src);
        return mm_fail_nomem(e, path);
    }
    mm_sha256_init(&h);
    if (vo->progress != NULL) {
        vo->progress(vo->progress_ctx, path, 0, src.size);
    }
    while (off < src.size) {
        size_t got = 0;
        st = mm_source_read_some(&src, off, buf, HASH_CHUNK, &got, e);
        if (st != MM_OK) {
            break;
        }
        if (got == 0) {
            st = mm_fail(e, MM_ERR_IO, MM_E_IO, path, NULL, (int64_t)off,
                         "file shrank while being read");
            break;
        }
        mm_sha256_update(&h, buf, got);
        off += got;
        if (vo->progress != NULL) {
            vo->progress(vo->progress_ctx, path, off, src.size);
        }
    }
    free(buf);
    mm_source_close(&src);
    if (st != MM_OK) {
        return st;
    }
    mm_sha256_final(&h, digest);
    for (i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    return MM_OK;
}

static enum mm_status check_checksums(struct mm_verify_report *rep,
                                      const struct mm_target_files *tf,
                                      const struct mm_verify_options *vo)
{
    size_t i;
    for (i = 0; i < tf->n; i++) {
        /* the real path the plan checked to lie in the model folder (the
         * repository folder in the cache), so that a link swapped since
         * then is not followed; a single file named as TARGET has none */
        char *fresh = tf->reals[i] == NULL ? realpath(tf->paths[i], NULL) : NULL;
        const char *real = tf->reals[i] != NULL ? tf->reals[i] : fresh;
        const char *want = real != NULL ? blob_digest(real) : NULL;
        char got[65];
        struct mm_error e;
        enum mm_status st = MM_OK;
        if (want != NULL) {
            st = hash_file(real, tf->paths[i], got, vo, &e);
            if (st == MM_OK) {
                rep->nchecksums++;
                if (strcmp(got, want) != 0) {
                    char msg[MM_ERROR_MESSAGE_MAX];
                    snprintf(msg, sizeof(msg), "SHA-256 is %.16s..., the cache names it %.16s...",
                             got, want);
                    st = add_problem(rep, MM_SEVERITY_ERROR, MM_E_CHECKSUM, tf->paths[i], NULL,
                                     -1, msg);
                }
            } else if (st != MM_ERR_NOMEM) {
                st = add_error(rep, &e);
            }
        }
        free(fresh);
        if (st != MM_OK) {
            return st;
        }
    }
    return MM_OK;
}

/* The shard a leftover was going to be: the index's shard of the first
 * tensor its header names, else the file name in its own name; NULL. */
static const char *leftover_shard(const struct mm_leftover *lo, const struct mm_target_files *tf)
{
    if (tf->has_index && lo->ext.first_tensor[0] != '\0') {
        const long e = mm_index_find(&tf->index, lo->ext.first_tensor);
        if (e >= 0) {
            return tf->index.shards[tf->index.shard_of[e]];
        }
    }
    return lo->name_hint;
}

/* "1.63 GiB of 3.26 GiB" or "1.63 GiB so far": what a leftover holds. */
static void leftover_sizes(char *out, size_t size, const struct mm_leftover *lo)
{
    char have[32];
    char want[32];
    mm_download_fmt_size(have, sizeof(have), lo->have);
    if (lo->ext.has_size && lo->ext.size > lo->have) {
        mm_download_fmt_size(want, sizeof(want), lo->ext.size);
        snprintf(out, size, "%s of %s", have, want);
    } else {
        snprintf(out, size, "%s so far", have);
    }
}

/* The problem a shard already has (shard-missing), or NULL. */
static struct mm_problem *shard_problem(struct mm_verify_report *rep, const char *shard,
                                        enum mm_errcode code)
{
    size_t i;
    for (i = 0; i < rep->n; i++) {
        const char *slash = strrchr(rep->problems[i].file, '/');
        const char *base = slash != NULL ? slash + 1 : rep->problems[i].file;
        if (rep->problems[i].code == code && strcmp(base, shard) == 0) {
            return &rep->problems[i];
        }
    }
    return NULL;
}

/*
 * The .incomplete files the download left (download.c): a missing shard
 * whose download did not finish becomes download-incomplete, with the
 * sizes; a leftover of a shard that is there in full is a warning (a
 * download that was started again and finished); any other is an error.
 */
static enum mm_status check_leftovers(struct mm_verify_report *rep,
                                      const struct mm_target_files *tf)
{
    struct mm_leftover *lo = NULL;
    size_t n = 0;
    size_t i;
    struct mm_error e;
    enum mm_status st = mm_download_leftovers(&lo, &n, &rep->site, &e);
    for (i = 0; st == MM_OK && i < n; i++) {
        const char *shard = leftover_shard(&lo[i], tf);
        const char *shown = lo[i].path;
        struct mm_problem *p = shard != NULL ? shard_problem(rep, shard, MM_E_SHARD_MISSING)
                                             : NULL;
        char sizes[80];
        char msg[MM_ERROR_MESSAGE_MAX];
        enum mm_severity sev = MM_SEVERITY_ERROR;
        if (rep->base != NULL && strncmp(shown, rep->base, strlen(rep->base)) == 0) {
            shown += strlen(rep->base);
        } else if (rep->site.repo_dir != NULL) {
            /* in the cache: models--ORG--NAME/blobs/ETAG.incomplete */
            const char *slash = strrchr(rep->site.repo_dir, '/');
            const size_t keep = slash != NULL ? (size_t)(slash - rep->site.repo_dir) + 1 : 0;
            if (strncmp(shown, rep->site.repo_dir, keep) == 0) {
                shown += keep;
            }
        }
        leftover_sizes(sizes, sizeof(sizes), &lo[i]);
        snprintf(msg, sizeof(msg), "download did not finish: %s in %s", sizes, shown);
        if (p != NULL) {
            st = replace_message(p, msg);
            p->code = MM_E_DOWNLOAD_INCOMPLETE;
            p->actual_bytes = lo[i].have <= INT64_MAX ? (int64_t)lo[i].have : -1;
            p->expected_bytes = lo[i].ext.has_size && lo[i].ext.size <= INT64_MAX
                                    ? (int64_t)lo[i].ext.size
                                    : -1;
            continue;
        }
        if (shard != NULL && shard_problem(rep, shard, MM_E_DOWNLOAD_INCOMPLETE) == NULL) {
            size_t k;
            for (k = 0; k < tf->n; k++) {
                if (strcmp(mm_base_name(tf->paths[k]), shard) == 0) {
                    sev = MM_SEVERITY_WARNING; /* the shard is there */
                }
            }
        }
        st = add_problem(rep, sev, MM_E_DOWNLOAD_INCOMPLETE, shard != NULL ? shard : lo[i].path,
                         NULL, -1, msg);
        if (st == MM_OK && rep->n > 0 &&
            rep->problems[rep->n - 1].code == MM_E_DOWNLOAD_INCOMPLETE) {
            struct mm_problem *q = &rep->problems[rep->n - 1];
            q->actual_bytes = lo[i].have <= INT64_MAX ? (int64_t)lo[i].have : -1;
            q->expected_bytes = lo[i].ext.has_size && lo[i].ext.size <= INT64_MAX
                                    ? (int64_t)lo[i].ext.size
                                    : -1;
        }
    }
    mm_download_leftovers_free(lo, n);
    return st;
}

/* One line of remedy for each problem a download explains. */
static enum mm_status add_remedies(struct mm_verify_report *rep)
{
    size_t i;
    for (i = 0; i < rep->n; i++) {
        struct mm_problem *p = &rep->problems[i];
        char *remedy = NULL;
        if (mm_download_remedy(&remedy, p->code, &rep->site) != MM_OK) {
            return MM_ERR_NOMEM;
        }
        p->remedy = remedy;
    }
    return MM_OK;
}

enum mm_status mm_verify(struct mm_verify_report **out, const char *target,
                         const struct mm_verify_options *vopts, struct mm_error *err)
{
    const struct mm_load_options *opts = vopts != NULL ? &vopts->load : NULL;
    struct mm_verify_report *rep;
    struct mm_target_files tf;
    struct mm_error e;
    struct mm_inventory *inv = NULL;
    size_t bad = 0;
    enum mm_status st;
    mm_error_clear(err);
    *out = NULL;
    if (target == NULL) {
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_INVALID_ARG, NULL, NULL, -1, "no target");
    }
    rep = calloc(1, sizeof(*rep));
    if (rep == NULL || set_base(rep, target) != MM_OK ||
        mm_download_site(&rep->site, target, &e) != MM_OK) {
        mm_verify_free(rep);
        return mm_fail_nomem(err, target);
    }
    st = mm_target_files(&tf, target, &e);
    if (st == MM_ERR_NOMEM) {
        mm_verify_free(rep);
        return mm_fail_nomem(err, target);
    }
    if (st != MM_OK) {
        /* The target itself (folder, index) is unusable: that is the finding;
         * a download that did not finish may be why. */
        st = add_error(rep, &e);
        if (st == MM_OK) {
            st = check_leftovers(rep, &tf);
        }
        goto out;
    }
    rep->nfiles = tf.n;
    st = check_files(rep, &tf, opts, &bad);
    if (st == MM_OK && vopts != NULL && vopts->checksums) {
        st = check_checksums(rep, &tf, vopts);
    }
    if (st == MM_OK && bad == 0) {
        /* The whole model: index against shards, names across files. */
        st = mm_inventory_load(&inv, target, opts, &e);
        if (st == MM_ERR_NOMEM) {
            goto done;
        }
        if (st != MM_OK) {
            st = add_error(rep, &e);
        } else if (tf.has_total_size && tf.total_size != mm_inventory_totals(inv)->bytes) {
            char msg[MM_ERROR_MESSAGE_MAX];
            snprintf(msg, sizeof(msg),
                     "metadata.total_size is %llu but the tensors occupy %llu bytes",
                     (unsigned long long)tf.total_size,
                     (unsigned long long)mm_inventory_totals(inv)->bytes);
            st = add_problem(rep, MM_SEVERITY_WARNING, MM_E_INDEX_TOTAL_SIZE, tf.index_path,
                             NULL, -1, msg);
        }
    }
    if (st == MM_OK) {
        st = check_leftovers(rep, &tf);
    }
done:
    mm_inventory_free(inv);
    mm_target_files_free(&tf);
out:
    if (st == MM_OK) {
        st = add_remedies(rep);
    }
    if (st != MM_OK) {
        mm_verify_free(rep);
        return mm_fail_nomem(err, target);
    }
    *out = rep;
    return MM_OK;
}

size_t mm_verify_problem_count(const struct mm_verify_report *rep)
{
    return rep == NULL ? 0 : rep->n;
}

const struct mm_problem *mm_verify_problem(const struct mm_verify_report *rep, size_t i)
{
    return (rep == NULL || i >= rep->n) ? NULL : &rep->problems[i];
}

size_t mm_verify_file_count(const struct mm_verify_report *rep)
{
    return rep == NULL ? 0 : rep->nfiles;
}

size_t mm_verify_error_count(const struct mm_verify_report *rep)
{
    return rep == NULL ? 0 : rep->nerrors;
}

size_t mm_verify_checksum_count(const struct mm_verify_report *rep)
{
    return rep == NULL ? 0 : rep->nchecksums;
}
