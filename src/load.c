/*
 * load.c - from TARGET to inventory: resolve a file, an index or a folder
 * into a list of weight files, read them (in parallel, one part inventory
 * each), merge the parts in file order and cross-check an index.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checked.h"
#include "index.h"
#include "internal.h"

#define MAX_THREADS 8u

struct job {
    char *path;    /* as opened and shown in errors */
    char *rel;     /* relative to the target's folder */
    struct mm_inventory *part;
    struct mm_error err;
    enum mm_status status;
    int missing_is_shard; /* named by an index: say so when absent */
    /* The index cross-check of this file's tensors, done by the worker
     * that read it (see check_part); reported after the merge. */
    enum mm_status ix_status;
    struct mm_error ix_err;
    size_t ix_found;
};

struct plan {
    struct job *jobs;
    size_t njobs;
    size_t cap;
    char *index_path; /* when sharded */
    struct mm_index index;
    int has_index;
    char *ix_seen; /* per index entry: found in its shard (NULL: check serially) */
};

static char *join(const char *dir, const char *name)
{
    const size_t a = strlen(dir);
    const size_t b = strlen(name);
    char *p;
    size_t n;
    if (!mm_add_size(&n, a, b) || !mm_add_size(&n, n, 2)) {
        return NULL;
    }
    p = malloc(n);
    if (p == NULL) {
        return NULL;
    }
    if (a == 0) {
        memcpy(p, name, b + 1);
    } else {
        snprintf(p, n, "%s%s%s", dir, dir[a - 1] == '/' ? "" : "/", name);
    }
    return p;
}

static enum mm_status plan_add(struct plan *pl, const char *dir, const char *rel,
                               int is_shard, struct mm_error *err)
{
    struct job *jb;
    if (pl->njobs >= MM_LIMIT_FILES) {
        return mm_fail(err, MM_ERR_LIMIT, MM_E_LIMIT_FILES, dir, NULL, -1,
                       "more than %u weight files", MM_LIMIT_FILES);
    }
    if (!mm_grow((void **)&pl->jobs, &pl->cap, pl->njobs + 1, sizeof(*pl->jobs))) {
        return mm_fail_nomem(err, dir);
    }
    jb = &pl->jobs[pl->njobs];
    memset(jb, 0, sizeof(*jb));
    jb->path = join(dir, rel);
    jb->rel = strdup(rel);
    jb->missing_is_shard = is_shard;
    if (jb->path == NULL || jb->rel == NULL) {
        free(jb->path);
        free(jb->rel);
        return mm_fail_nomem(err, dir);
    }
    pl->njobs++;
    return MM_OK;
}

static void plan_free(struct plan *pl)
{
    size_t i;
    for (i = 0; i < pl->njobs; i++) {
        free(pl->jobs[i].path);
        free(pl->jobs[i].rel);
        mm_inventory_free(pl->jobs[i].part);
    }
    free(pl->jobs);
    free(pl->index_path);
    free(pl->ix_seen);
    mm_index_free(&pl->index);
    memset(pl, 0, sizeof(*pl));
}

static bool ends_with(const char *s, const char *suffix)
{
    const size_t a = strlen(s);
    const size_t b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Reads a whole small file (an index) into memory. */
static enum mm_status slurp(const char *path, uint8_t **out, size_t *len,
                            struct mm_error *err)
{
    struct mm_source src;
    uint8_t *buf;
    enum mm_status st = mm_source_open(&src, path, path, err);
    *out = NULL;
    *len = 0;
    if (st != MM_OK) {
        return st;
    }
    if (src.size > MM_LIMIT_INDEX_BYTES) {
        mm_source_close(&src);
        return mm_fail(err, MM_ERR_LIMIT, MM_E_HEADER_TOO_LARGE, path, NULL, -1,
                       "index file larger than %u bytes", MM_LIMIT_INDEX_BYTES);
    }
    buf = malloc(src.size == 0 ? 1 : (size_t)src.size);
    if (buf == NULL) {
        mm_source_close(&src);
        return mm_fail_nomem(err, path);
    }
    st = mm_source_read(&src, 0, buf, (size_t)src.size, MM_E_IO, err);
    mm_source_close(&src);
    if (st != MM_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    *len = (size_t)src.size;
    return MM_OK;
}

/* The folder part of a path ("." for a bare name). */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *d;
    if (slash == NULL) {
        return strdup(".");
    }
    if (slash == path) {
        return strdup("/");
    }
    d = malloc((size_t)(slash - path) + 1);
    if (d != NULL) {
        memcpy(d, path, (size_t)(slash - path));
        d[slash - path] = '\0';
    }
    return d;
}

static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash == NULL ? path : slash + 1;
}

static enum mm_status plan_index(struct plan *pl, const char *index_path, struct mm_error *err)
{
    uint8_t *data;
    size_t len;
    size_t i;
    char *dir;
    enum mm_status st = slurp(index_path, &data, &len, err);
    if (st != MM_OK) {
        return st;
    }
    st = mm_index_parse(&pl->index, data, len, index_path, err);
    free(data);
    if (st != MM_OK) {
        return st;
    }
    pl->has_index = 1;
    pl->index_path = strdup(index_path);
    dir = dir_of(index_path);
    if (pl->index_path == NULL || dir == NULL) {
        free(dir);
        return mm_fail_nomem(err, index_path);
    }
    for (i = 0; i < pl->index.nshards && st == MM_OK; i++) {
        st = plan_add(pl, strcmp(dir, ".") == 0 && index_path[0] != '.' ? "" : dir,
                      pl->index.shards[i], 1, err);
    }
    free(dir);
    return st;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the regular files of a folder whose names end with `suffix`. */
static enum mm_status list_dir(const char *dir, const char *suffix, char ***out, size_t *n,
                               struct mm_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t cap = 0;
    enum mm_status st = MM_OK;
    *out = NULL;
    *n = 0;
    if (d == NULL) {
        return mm_fail(err, MM_ERR_IO, MM_E_IO, dir, NULL, -1, "cannot list folder: %s",
                       strerror(errno));
    }
    while ((e = readdir(d)) != NULL) {
        char *full;
        struct stat sb;
        if (e->d_name[0] == '.' || !ends_with(e->d_name, suffix)) {
            continue;
        }
        full = join(dir, e->d_name);
        if (full == NULL) {
            st = mm_fail_nomem(err, dir);
            break;
        }
        if (stat(full, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            free(full);
            continue;
        }
        free(full);
        if (*n >= MM_LIMIT_FILES) {
            st = mm_fail(err, MM_ERR_LIMIT, MM_E_LIMIT_FILES, dir, NULL, -1,
                         "more than %u weight files", MM_LIMIT_FILES);
            break;
        }
        if (!mm_grow((void **)&names, &cap, *n + 1, sizeof(char *)) ||
            (names[*n] = strdup(e->d_name)) == NULL) {
            st = mm_fail_nomem(err, dir);
            break;
        }
        (*n)++;
    }
    closedir(d);
    if (st != MM_OK) {
        while (*n > 0) {
            free(names[--*n]);
        }
        free(names);
        return st;
    }
    qsort(names, *n, sizeof(char *), cmp_name);
    *out = names;
    return MM_OK;
}

static void free_names(char **names, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
}

/*
 * A model folder: an index (model.safetensors.index.json first, else the
 * only *.safetensors.index.json), else model.safetensors alone (what
 * transformers loads), else every *.safetensors file.
 */
static enum mm_status plan_dir(struct plan *pl, const char *dir, struct mm_error *err)
{
    char **names;
    size_t n;
    size_t i;
    enum mm_status st = list_dir(dir, ".safetensors.index.json", &names, &n, err);
    if (st != MM_OK) {
        return st;
    }
    if (n > 0) {
        const char *pick = NULL;
        char *path;
        for (i = 0; i < n; i++) {
            if (strcmp(names[i], "model.safetensors.index.json") == 0) {
                pick = names[i];
            }
        }
        if (pick == NULL && n > 1) {
            st = mm_fail(err, MM_ERR_INVALID_ARG, MM_E_AMBIGUOUS_TARGET, dir, NULL, -1,
                         "%zu index files and none is model.safetensors.index.json: name "
                         "one as TARGET",
                         n);
            free_names(names, n);
            return st;
        }
        path = join(dir, pick != NULL ? pick : names[0]);
        free_names(names, n);
        if (path == NULL) {
            return mm_fail_nomem(err, dir);
        }
        st = plan_index(pl, path, err);
        free(path);
        return st;
    }
    free_names(names, n);
    st = list_dir(dir, ".safetensors", &names, &n, err);
    if (st != MM_OK) {
        return st;
    }
    for (i = 0; i < n; i++) {
        if (strcmp(names[i], "model.safetensors") == 0) {
            st = plan_add(pl, dir, names[i], 0, err);
            free_names(names, n);
            return st;
        }
    }
    for (i = 0; i < n && st == MM_OK; i++) {
        st = plan_add(pl, dir, names[i], 0, err);
    }
    free_names(names, n);
    if (st == MM_OK && pl->njobs == 0) {
        st = mm_fail(err, MM_ERR_NOT_FOUND, MM_E_NO_WEIGHTS, dir, NULL, -1,
                     "no weight files found (looked for *.safetensors.index.json and "
                     "*.safetensors)");
    }
    return st;
}

/* An index is a JSON object; a weight file never begins with '{' (a
 * safetensors file begins with its 8-byte header length). */
static enum mm_status looks_like_index(const char *path, bool *yes, struct mm_error *err)
{
    struct mm_source src;
    uint8_t head[MM_PROBE_BYTES];
    size_t got;
    size_t i;
    enum mm_status st = mm_source_open(&src, path, path, err);
    *yes = false;
    if (st != MM_OK) {
        return st;
    }
    st = mm_source_read_some(&src, 0, head, sizeof(head), &got, err);
    mm_source_close(&src);
    if (st != MM_OK) {
        return st;
    }
    if (mm_safetensors_probe(head, got, src.size) > 0) {
        return MM_OK;
    }
    for (i = 0; i < got; i++) {
        if (head[i] == '{') {
            *yes = true;
            break;
        }
        if (head[i] != ' ' && head[i] != '\t' && head[i] != '\n' && head[i] != '\r') {
            break;
        }
    }
    return MM_OK;
}

/* Reads one file into its own part inventory. */
static void run_job(struct job *jb)
{
    struct mm_source src;
    const struct mm_reader *reader;
    uint32_t f;
    mm_error_clear(&jb->err);
    jb->part = mm_inv_new();
    if (jb->part == NULL) {
        jb->status = mm_fail_nomem(&jb->err, jb->path);
        return;
    }
    jb->status = mm_source_open(&src, jb->path, jb->path, &jb->err);
    if (jb->status == MM_ERR_NOT_FOUND && jb->missing_is_shard) {
        jb->status = mm_fail(&jb->err, MM_ERR_NOT_FOUND, MM_E_SHARD_MISSING, jb->path, NULL, -1,
                             "shard named by the index is missing");
    }
    if (jb->status != MM_OK) {
        return;
    }
    jb->status = mm_inv_add_file(jb->part, jb->rel, "unknown", src.size, 0, &f);
    if (jb->status != MM_OK) {
        jb->status = mm_fail_nomem(&jb->err, jb->path);
    } else {
        jb->status = mm_reader_detect(&reader, &src, &jb->err);
    }
    if (jb->status == MM_OK) {
        jb->status = reader->read(&src, jb->part, f, &jb->err);
    }
    mm_source_close(&src);
}

/*
 * The index check of one file, run by the worker that read it, so that the
 * ~10^5 lookups of a large model use every core: every tensor of file i is
 * in the map, placed in shard i. Entry e is marked in ix_seen only by the
 * job of shard_of[e], so no byte is shared between threads. The first
 * failure is kept; check_index_parts reports the first one in file order,
 * the error check_index would have found.
 */
static void check_part(const struct plan *pl, size_t i)
{
    struct job *jb = &pl->jobs[i];
    const struct mm_index *ix = &pl->index;
    const size_t n = mm_inventory_tensor_count(jb->part);
    size_t k;
    jb->ix_status = MM_OK;
    jb->ix_found = 0;
    for (k = 0; k < n; k++) {
        const struct mm_tensor *t = mm_inventory_tensor(jb->part, k);
        const long e = mm_index_find(ix, t->name);
        if (e < 0) {
            jb->ix_status = mm_fail(&jb->ix_err, MM_ERR_MALFORMED, MM_E_INDEX_UNLISTED_TENSOR,
                                    jb->path, t->name, (int64_t)t->offset,
                                    "tensor is not listed in the index %s",
                                    base_of(pl->index_path));
            return;
        }
        if (ix->shard_of[e] != i) {
            jb->ix_status = mm_fail(&jb->ix_err, MM_ERR_MALFORMED, MM_E_INDEX_WRONG_SHARD,
                                    jb->path, t->name, (int64_t)t->offset,
                                    "the index places this tensor in %s",
                                    ix->shards[ix->shard_of[e]]);
            return;
        }
        if (!pl->ix_seen[e]) {
            pl->ix_seen[e] = 1;
            jb->ix_found++;
        }
    }
}

struct pool {
    struct plan *pl;
    atomic_size_t next;
};

static void *worker(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        const size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->pl->njobs) {
            return NULL;
        }
        run_job(&p->pl->jobs[i]);
        if (p->pl->jobs[i].status == MM_OK && p->pl->ix_seen != NULL) {
            check_part(p->pl, i);
        }
    }
}

static void run_jobs(struct plan *pl, unsigned threads)
{
    pthread_t tids[MAX_THREADS];
    struct pool p;
    unsigned started = 0;
    unsigned i;
    p.pl = pl;
    atomic_init(&p.next, 0);
    if (threads == 0) {
        const long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    if (threads > MAX_THREADS) {
        threads = MAX_THREADS;
    }
    if (threads > pl->njobs) {
        threads = (unsigned)pl->njobs;
    }
    for (i = 1; i < threads; i++) {
        if (pthread_create(&tids[started], NULL, worker, &p) != 0) {
            break; /* fewer threads: the work still gets done below */
        }
        started++;
    }
    worker(&p);
    for (i = 0; i < started; i++) {
        pthread_join(tids[i], NULL);
    }
}

/* Every weight_map entry is in the shard it names; every shard tensor is
 * in the map. */
static enum mm_status check_index(const struct plan *pl, const struct mm_inventory *inv,
                                  struct mm_error *err)
{
    const struct mm_index *ix = &pl->index;
    const size_t n = mm_inventory_tensor_count(inv);
    size_t found = 0;
    size_t i;
    char *seen;
    enum mm_status st = MM_OK;
    seen = calloc(ix->nentries + 1, 1);
    if (seen == NULL) {
        return mm_fail_nomem(err, pl->index_path);
    }
    for (i = 0; i < n && st == MM_OK; i++) {
        const struct mm_tensor *t = mm_inventory_tensor(inv, i);
        const long e = mm_index_find(ix, t->name);
        if (e < 0) {
            st = mm_fail(err, MM_ERR_MALFORMED, MM_E_INDEX_UNLISTED_TENSOR, pl->jobs[t->file].path,
                         t->name, (int64_t)t->offset, "tensor is not listed in the index %s",
                         base_of(pl->index_path));
        } else if (ix->shard_of[e] != t->file) {
            st = mm_fail(err, MM_ERR_MALFORMED, MM_E_INDEX_WRONG_SHARD, pl->jobs[t->file].path,
                         t->name, (int64_t)t->offset, "the index places this tensor in %s",
                         ix->shards[ix->shard_of[e]]);
        } else if (!seen[e]) {
            seen[e] = 1;
            found++;
        }
    }
    if (st == MM_OK && found != ix->nentries) {
        for (i = 0; i < ix->nentries; i++) {
            if (!seen[i]) {
                st = mm_fail(err, MM_ERR_MALFORMED, MM_E_INDEX_MISSING_TENSOR, pl->index_path,
                             ix->names + ix->name_at[i], -1, "listed for shard %s, which lacks it",
                             ix->shards[ix->shard_of[i]]);
                break;
            }
        }
    }
    free(seen);
    return st;
}

/* The result of check_part over every file: the first file's failure in
 * file order, else the first index entry no shard held. */
static enum mm_status check_index_parts(const struct plan *pl, struct mm_error *err)
{
    const struct mm_index *ix = &pl->index;
    size_t found = 0;
    size_t i;
    for (i = 0; i < pl->njobs; i++) {
        if (pl->jobs[i].ix_status != MM_OK) {
            if (err != NULL) {
                *err = pl->jobs[i].ix_err;
            }
            return pl->jobs[i].ix_status;
        }
        found += pl->jobs[i].ix_found;
    }
    if (found != ix->nentries) {
        for (i = 0; i < ix->nentries; i++) {
            if (!pl->ix_seen[i]) {
                return mm_fail(err, MM_ERR_MALFORMED, MM_E_INDEX_MISSING_TENSOR, pl->index_path,
                               ix->names + ix->name_at[i], -1,
                               "listed for shard %s, which lacks it",
                               ix->shards[ix->shard_of[i]]);
            }
        }
    }
    return MM_OK;
}

static enum mm_status execute(struct mm_inventory **out, struct plan *pl, unsigned threads,
                              struct mm_error *err)
{
    struct mm_inventory *inv = mm_inv_new();
    size_t i;
    enum mm_status st = MM_OK;
    if (inv == NULL) {
        return mm_fail_nomem(err, NULL);
    }
    if (pl->has_index) {
        /* on failure, check_index does the check after the merge instead */
        pl->ix_seen = calloc(pl->index.nentries + 1, 1);
    }
    run_jobs(pl, threads);
    for (i = 0; i < pl->njobs && st == MM_OK; i++) {
        struct job *jb = &pl->jobs[i];
        uint32_t f;
        if (jb->status != MM_OK) {
            if (err != NULL) {
                *err = jb->err;
            }
            st = jb->status;
            break;
        }
        st = mm_inv_add_file(inv, jb->rel, "unknown", mm_inventory_file(jb->part, 0)->bytes, 0,
                             &f);
        if (st == MM_OK) {
            st = mm_inv_absorb(inv, jb->part, f);
        }
        if (st == MM_ERR_LIMIT) {
            st = mm_fail(err, st, MM_E_LIMIT_TENSORS, jb->path, NULL, -1, "more than %u tensors",
                         MM_LIMIT_TENSORS);
        } else if (st != MM_OK) {
            st = mm_fail_nomem(err, jb->path);
        }
        mm_inventory_free(jb->part);
        jb->part = NULL;
    }
    if (st == MM_OK) {
        st = mm_inv_check_unique(inv, err);
        /* name the file as the user knows it, not as stored (relative) */
        if (st != MM_OK && err != NULL) {
            for (i = 0; i < pl->njobs; i++) {
                if (strcmp(err->file, pl->jobs[i].rel) == 0) {
                    snprintf(err->file, sizeof(err->file), "%s", pl->jobs[i].path);
                    break;
                }
            }
        }
    }
    if (st == MM_OK && pl->has_index) {
        st = pl->ix_seen != NULL ? check_index_parts(pl, err) : check_index(pl, inv, err);
    }
    if (st == MM_OK && mm_inv_finish(inv) != MM_OK) {
        st = mm_fail_nomem(err, NULL);
    }
    if (st != MM_OK) {
        mm_inventory_free(inv);
        return st;
    }
    *out = inv;
    return MM_OK;
}

enum mm_status mm_inventory_load(struct mm_inventory **out, const char *target,
                                 const struct mm_load_options *opts, struct mm_error *err)
{
    struct plan pl;
    struct stat sb;
    enum mm_status st;
    unsigned threads = opts != NULL ? opts->threads : 0;
    mm_error_clear(err);
    *out = NULL;
    memset(&pl, 0, sizeof(pl));
    if (target == NULL || target[0] == '\0') {
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_INVALID_ARG, NULL, NULL, -1,
                       "empty target");
    }
    if (stat(target, &sb) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            return mm_fail(err, MM_ERR_NOT_FOUND, MM_E_NOT_FOUND, target, NULL, -1,
                           "no such file or folder");
        }
        return mm_fail(err, MM_ERR_IO, MM_E_IO, target, NULL, -1, "cannot stat: %s",
                       strerror(errno));
    }
    if (S_ISDIR(sb.st_mode)) {
        st = plan_dir(&pl, target, err);
    } else if (S_ISREG(sb.st_mode)) {
        bool is_index = false;
        st = looks_like_index(target, &is_index, err);
        if (st == MM_OK && is_index) {
            st = plan_index(&pl, target, err);
        } else if (st == MM_OK) {
            char *dir = dir_of(target);
            if (dir == NULL) {
                st = mm_fail_nomem(err, target);
            } else {
                st = plan_add(&pl, "", target, 0, err);
                if (st == MM_OK) {
                    free(pl.jobs[0].rel);
                    pl.jobs[0].rel = strdup(base_of(target));
                    if (pl.jobs[0].rel == NULL) {
                        st = mm_fail_nomem(err, target);
                    }
                }
                free(dir);
            }
        }
    } else {
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_NOT_REGULAR, target, NULL, -1,
                       "not a regular file or folder");
    }
    if (st == MM_OK) {
        st = execute(out, &pl, threads, err);
    }
    plan_free(&pl);
    return st;
}

enum mm_status mm_inventory_load_memory(struct mm_inventory **out, const void *data,
                                        size_t size, const char *name,
                                        struct mm_error *err)
{
    struct mm_source src;
    const struct mm_reader *reader;
    struct mm_inventory *inv;
    uint32_t f;
    enum mm_status st;
    mm_error_clear(err);
    *out = NULL;
    if (data == NULL && size > 0) {
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_INVALID_ARG, name, NULL, -1, "no data");
    }
    mm_source_memory(&src, size == 0 ? (const void *)"" : data, size,
                     name != NULL ? name : "<memory>");
    inv = mm_inv_new();
    if (inv == NULL) {
        return mm_fail_nomem(err, src.name);
    }
    st = mm_inv_add_file(inv, src.name, "unknown", size, 0, &f);
    if (st != MM_OK) {
        st = mm_fail_nomem(err, src.name);
    }
    if (st == MM_OK) {
        st = mm_reader_detect(&reader, &src, err);
    }
    if (st == MM_OK) {
        st = reader->read(&src, inv, f, err);
    }
    if (st == MM_OK) {
        st = mm_inv_check_unique(inv, err);
    }
    if (st == MM_OK && mm_inv_finish(inv) != MM_OK) {
        st = mm_fail_nomem(err, src.name);
    }
    if (st != MM_OK) {
        mm_inventory_free(inv);
        return st;
    }
    *out = inv;
    return MM_OK;
}
