/*
 * load.c - from TARGET to inventory: resolve a file, an index or a folder
 * into a list of weight files, read them (in parallel, one part inventory
 * each), merge the parts in file order and cross-check an index.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/checked.h"
#include "core/internal.h"
#include "model/target.h"

#define MAX_THREADS 8u

/* A failed job's error, kept on the heap; NULL when even that fails (the
 * merge then reports running out of memory). */
static struct mm_error *keep_error(const struct mm_error *e)
{
    struct mm_error *copy = malloc(sizeof(*copy));
    if (copy != NULL) {
        *copy = *e;
    }
    return copy;
}

/* The failures of a file that ends too soon: a download that stopped. */
static bool cut_short(enum mm_errcode code)
{
    return code == MM_E_DATA_BEYOND_FILE || code == MM_E_HEADER_LENGTH ||
           code == MM_E_HEADER_TOO_SMALL || code == MM_E_TRUNCATED;
}

/* A missing or cut-short shard, with allow_missing_shards: an empty part
 * holding only its file, format "missing", whose tensors partial.c adds.
 * Its error is kept: with no shard of the index there, it is reported. */
static void leave_out(struct mm_job *jb, struct mm_error *e, uint64_t bytes)
{
    /* only the first shard's error can be reported (mm_partial_fill): an
     * index of 10^5 missing shards keeps one */
    if (jb->allow_missing > 1) {
        if (e->code == MM_E_NOT_FOUND) {
            mm_fail(e, MM_ERR_NOT_FOUND, MM_E_SHARD_MISSING, jb->path, NULL, -1,
                    "shard named by the index is missing");
        }
        jb->err = keep_error(e);
    }
    mm_inventory_free(jb->part);
    jb->part = NULL;
    jb->missing = 1;
    jb->missing_bytes = bytes;
    jb->status = MM_OK;
    if (jb->allow_missing > 1 && jb->err == NULL) {
        jb->status = mm_fail_nomem(e, jb->path);
    }
}

/* Reads one file into its own part inventory. */
static void run_job(struct mm_job *jb)
{
    struct mm_source src;
    const struct mm_reader *reader;
    struct mm_error e;
    uint32_t f;
    mm_error_clear(&e);
    if (jb->is_shard && jb->allow_missing && jb->real == NULL) {
        /* a shard lies in a model folder, so the plan resolved its real
         * path: it had none, the file is not there */
        e.code = MM_E_NOT_FOUND;
        leave_out(jb, &e, 0);
        return;
    }
    jb->part = mm_inv_new();
    if (jb->part == NULL) {
        jb->status = mm_fail_nomem(&e, jb->path);
        jb->err = keep_error(&e);
        return;
    }
    mm_inv_set_allow_unsafe_pickle(jb->part, jb->allow_unsafe_pickle);
    /* the real path checked by the plan, so that a link swapped since then
     * is not followed */
    jb->status = mm_source_open(&src, jb->real != NULL ? jb->real : jb->path, jb->path, &e);
    if (jb->status == MM_ERR_NOT_FOUND && jb->is_shard && jb->allow_missing) {
        leave_out(jb, &e, 0);
        return;
    }
    if (jb->status == MM_ERR_NOT_FOUND && jb->is_shard) {
        jb->status = mm_fail(&e, MM_ERR_NOT_FOUND, MM_E_SHARD_MISSING, jb->path, NULL, -1,
                             "shard named by the index is missing");
    }
    if (jb->status != MM_OK) {
        jb->err = keep_error(&e);
        return;
    }
    jb->status = mm_inv_add_file(jb->part, jb->rel, "unknown", src.size, 0, &f);
    if (jb->status != MM_OK) {
        jb->status = mm_fail_nomem(&e, jb->path);
    } else {
        jb->status = mm_reader_detect(&reader, &src, &e);
    }
    if (jb->status == MM_OK) {
        jb->status = reader->read(&src, jb->part, f, &e);
    }
    if (jb->status == MM_OK && jb->prefix[0] != '\0' &&
        mm_inv_prefix_names(jb->part, jb->prefix) != MM_OK) {
        jb->status = mm_fail_nomem(&e, jb->path);
    }
    if (jb->status != MM_OK && jb->is_shard && jb->allow_missing && cut_short(e.code)) {
        leave_out(jb, &e, src.size);
    } else if (jb->status != MM_OK) {
        jb->err = keep_error(&e);
    }
    mm_source_close(&src);
}

/*
 * The index check of one file, run by the worker that read it, so that the
 * ~10^5 lookups of a large model use every core: every tensor of file i is
 * in its index's map, placed in shard i. Entry e is marked in `seen` only
 * by the job of its own shard, so no byte is shared between threads. The
 * first failure is kept; check_index_parts reports the first one in file
 * order, the error a serial check would have found.
 */
static void check_part(const struct mm_plan *pl, size_t i)
{
    struct mm_job *jb = &pl->jobs[i];
    const struct mm_plan_index *pi = &pl->indexes[jb->index_id];
    const struct mm_index *ix = &pi->index;
    const size_t plen = strlen(pi->prefix);
    const size_t n = mm_inventory_tensor_count(jb->part);
    struct mm_error ie;
    size_t k;
    long e = -1;
    jb->ix_status = MM_OK;
    jb->ix_found = 0;
    for (k = 0; k < n; k++) {
        const struct mm_tensor *t = mm_inventory_tensor(jb->part, k);
        e = mm_index_find_near(ix, t->name + plen, e);
        if (e < 0) {
            jb->ix_status = mm_fail(&ie, MM_ERR_MALFORMED, MM_E_INDEX_UNLISTED_TENSOR,
                                    jb->path, t->name + plen, (int64_t)t->offset,
                                    "tensor is not listed in the index %s",
                                    mm_base_name(pi->path));
            jb->ix_err = keep_error(&ie);
            return;
        }
        if (pi->first_job + ix->shard_of[e] != i) {
            jb->ix_status = mm_fail(&ie, MM_ERR_MALFORMED, MM_E_INDEX_WRONG_SHARD,
                                    jb->path, t->name + plen, (int64_t)t->offset,
                                    "the index places this tensor in %s",
                                    ix->shards[ix->shard_of[e]]);
            jb->ix_err = keep_error(&ie);
            return;
        }
        if (pi->seen[e]) {
            /* only this file marks its own entries: a name it holds twice */
            jb->ix_status = mm_fail(&ie, MM_ERR_MALFORMED, MM_E_DUPLICATE_TENSOR,
                                    jb->path, t->name + plen, (int64_t)t->offset,
                                    "tensor name appears twice");
            jb->ix_err = keep_error(&ie);
            return;
        }
        pi->seen[e] = 1;
        jb->ix_found++;
        if (plen == 0) {
            /* the same string: the inventory keeps the index's copy */
            mm_inv_tensor_mut(jb->part, k)->name = ix->names + ix->name_at[e];
        }
    }
    jb->names_shared = plen == 0 && n > 0;
}

struct pool {
    struct mm_plan *pl;
    atomic_size_t next;
    /* The lowest job that failed to read (SIZE_MAX while none has). Only
     * the first failure in file order is reported, so later jobs are not
     * run: an index naming 10^5 missing shards costs one open, not 10^5. */
    atomic_size_t failed;
    /* The merge into `inv`, in file order, by whichever worker finishes the
     * job next in line (under `lock`), so that merging overlaps the
     * reading of later files instead of following all of it. */
    pthread_mutex_t lock;
    struct mm_inventory *inv;
    unsigned char *done; /* per job: read, checked, ready to merge */
    size_t merged;       /* jobs 0 .. merged-1 are in inv, their parts freed */
    /* The tensors the indexes name: the most reserved in inv as files
     * read are merged (reserve_room), so that its records are not copied
     * as they grow; 0 once reserved. */
    size_t reserve;
    enum mm_status merge_status; /* the first merge failure, at job `merged` */
};

/* Merges job i's part into the inventory: its file, then its tensors. */
static enum mm_status merge_part(struct mm_inventory *inv, struct mm_job *jb)
{
    uint32_t f;
    enum mm_status st;
    if (jb->missing) {
        /* left out: its file only, whose tensors partial.c estimates */
        return mm_inv_add_file(inv, jb->rel, "missing", jb->missing_bytes, 0, &f);
    }
    st = mm_inv_add_file(inv, jb->rel, "unknown", mm_inventory_file(jb->part, 0)->bytes, 0, &f);
    if (st == MM_OK) {
        st = jb->names_shared ? mm_inv_absorb_named(inv, jb->part, f)
                              : mm_inv_absorb(inv, jb->part, f);
    }
    if (st == MM_OK) {
        mm_inventory_free(jb->part);
        jb->part = NULL;
    }
    return st;
}

/*
 * The room for every tensor the indexes name, reserved before job
 * `merged`'s part (read, not missing) is merged, once the files merged so
 * far back the claim. The entry count is a claim of the index file, which a
 * hostile index makes for 10^7 entries naming two tiny shards: reserved at
 * once, 10^7 records and their dims (~800 MB asked of the system) before
 * the index check fails. A model's shards are cut to similar sizes, so the
 * claim is taken once twice the files' average (plus one) times the files
 * to merge reaches it: a real model after a file or two (DeepSeek V3's
 * first shard holds 136 tensors, the next 574, its index 91,991), an index
 * its files do not back never; until then the records grow by doubling.
 */
static enum mm_status reserve_room(struct pool *p, const struct mm_job *jb)
{
    const size_t have = mm_inventory_tensor_count(p->inv);
    const size_t files = p->merged + 1; /* the missing ones too: none read */
    size_t want;
    void *spare;
    if (mm_add_size(&want, have, mm_inventory_tensor_count(jb->part)) &&
        mm_mul_size(&want, want / files + 1, p->pl->njobs) && mm_mul_size(&want, want, 2) &&
        want < p->reserve) {
        return MM_OK; /* not backed yet */
    }
    want = p->reserve;
    p->reserve = 0;
    if (want <= have) {
        return MM_OK;
    }
    /* the index's text is read: its pages hold the records */
    spare = p->pl->spare;
    p->pl->spare = NULL;
    return mm_inv_reserve_in(p->inv, want - have, spare, p->pl->spare_bytes);
}

/* Marks job i done and merges every done job next in line. */
static void merge_ready(struct pool *p, size_t i)
{
    pthread_mutex_lock(&p->lock);
    p->done[i] = 1;
    while (p->merge_status == MM_OK && p->merged < p->pl->njobs && p->done[p->merged] &&
           p->pl->jobs[p->merged].status == MM_OK) {
        if (p->reserve > 0 && !p->pl->jobs[p->merged].missing) {
            p->merge_status = reserve_room(p, &p->pl->jobs[p->merged]);
            if (p->merge_status != MM_OK) {
                break;
            }
        }
        p->merge_status = merge_part(p->inv, &p->pl->jobs[p->merged]);
        if (p->merge_status == MM_OK) {
            p->merged++;
        }
    }
    pthread_mutex_unlock(&p->lock);
}

/* Lowers p->failed to i. */
static void note_failure(struct pool *p, size_t i)
{
    size_t cur = atomic_load(&p->failed);
    while (i < cur && !atomic_compare_exchange_weak(&p->failed, &cur, i)) {
    }
}

static void *worker(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        const size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->pl->njobs) {
            return NULL;
        }
        if (i > atomic_load(&p->failed)) {
            continue; /* an earlier file failed: this one's result is never used */
        }
        run_job(&p->pl->jobs[i]);
        if (p->pl->jobs[i].status != MM_OK) {
            note_failure(p, i);
        } else if (p->pl->jobs[i].index_id >= 0 && !p->pl->jobs[i].missing &&
            p->pl->indexes[p->pl->jobs[i].index_id].seen != NULL) {
            check_part(p->pl, i);
        }
        merge_ready(p, i);
    }
}

/* Reads every job, merging into `inv` as it goes; returns how many jobs
 * were merged and, in *merge_status, why the merge stopped early if it
 * failed (the jobs from there on are left for the caller). */
static size_t run_jobs(struct mm_plan *pl, unsigned threads, struct mm_inventory *inv,
                       enum mm_status *merge_status)
{
    pthread_t tids[MAX_THREADS];
    struct pool p;
    unsigned started = 0;
    unsigned i;
    p.pl = pl;
    atomic_init(&p.next, 0);
    atomic_init(&p.failed, SIZE_MAX);
    p.inv = inv;
    p.merged = 0;
    p.merge_status = MM_OK;
    p.reserve = 0;
    for (i = 0; i < pl->nindexes; i++) {
        p.reserve += pl->indexes[i].index.nentries; /* each <= MM_LIMIT_TENSORS */
    }
    if (p.reserve > MM_LIMIT_TENSORS) {
        p.reserve = 0;
    }
    if (p.reserve == 0) {
        /* no reservation to put in the index's text (reserve_room) */
        free(pl->spare);
        pl->spare = NULL;
    }
    p.done = calloc(pl->njobs + 1, 1);
    if (p.done == NULL || pthread_mutex_init(&p.lock, NULL) != 0) {
        free(p.done);
        *merge_status = MM_ERR_NOMEM;
        return 0;
    }
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
    pthread_mutex_destroy(&p.lock);
    free(p.done);
    *merge_status = p.merge_status;
    return p.merged;
}

/* Every weight_map entry is in the shard it names; every tensor of a shard
 * the index names is in the map (checked per file by check_part): the first
 * failing file's error in file order, else the first entry no shard held. */
static enum mm_status check_index_parts(const struct mm_plan *pl, long id,
                                        struct mm_error *err)
{
    const struct mm_plan_index *pi = &pl->indexes[id];
    const struct mm_index *ix = &pi->index;
    size_t found = 0;
    size_t i;
    for (i = 0; i < pl->njobs; i++) {
        const struct mm_job *jb = &pl->jobs[i];
        if (jb->index_id != id) {
            continue;
        }
        if (jb->ix_status != MM_OK) {
            if (jb->ix_err == NULL) {
                return mm_fail_nomem(err, jb->path);
            }
            if (err != NULL) {
                *err = *jb->ix_err;
            }
            return jb->ix_status;
        }
        found += jb->ix_found;
    }
    if (found != ix->nentries) {
        for (i = 0; i < ix->nentries; i++) {
            if (!pi->seen[i]) {
                return mm_fail(err, MM_ERR_MALFORMED, MM_E_INDEX_MISSING_TENSOR, pi->path,
                               ix->names + ix->name_at[i], (int64_t)ix->value_at[i],
                               "listed for shard %s, which lacks it",
                               ix->shards[ix->shard_of[i]]);
            }
        }
    }
    return MM_OK;
}

/* True when a merged part's names point into index `id`'s names. */
static bool index_names_used(const struct mm_plan *pl, long id)
{
    size_t i;
    for (i = 0; i < pl->njobs; i++) {
        if (pl->jobs[i].index_id == id && pl->jobs[i].names_shared) {
            return true;
        }
    }
    return false;
}

static bool all_indexed(const struct mm_plan *pl)
{
    size_t i;
    for (i = 0; i < pl->njobs; i++) {
        if (pl->jobs[i].index_id < 0) {
            return false;
        }
    }
    return true;
}

enum mm_status mm_plan_execute(struct mm_inventory **out, struct mm_plan *pl,
                               const struct mm_load_options *opts, struct mm_error *err)
{
    struct mm_inventory *inv = mm_inv_new();
    const unsigned threads = opts != NULL ? opts->threads : 0;
    const int allow = opts != NULL && opts->version >= 2 ? opts->allow_unsafe_pickle : 0;
    size_t i;
    enum mm_status st = MM_OK;
    if (inv == NULL) {
        return mm_fail_nomem(err, NULL);
    }
    for (i = 0; i < pl->njobs; i++) {
        pl->jobs[i].allow_unsafe_pickle = allow;
        pl->jobs[i].allow_missing =
            opts != NULL && opts->version >= 3 && opts->allow_missing_shards ? 1 : 0;
    }
    for (i = 0; i < pl->nindexes; i++) {
        /* 2: the first shard of an index, whose error is kept if missing */
        if (pl->indexes[i].first_job < pl->njobs &&
            pl->jobs[pl->indexes[i].first_job].allow_missing) {
            pl->jobs[pl->indexes[i].first_job].allow_missing = 2;
        }
    }
    for (i = 0; i < pl->nindexes; i++) {
        pl->indexes[i].seen = calloc(pl->indexes[i].index.nentries + 1, 1);
        if (pl->indexes[i].seen == NULL) {
            mm_inventory_free(inv);
            return mm_fail_nomem(err, pl->indexes[i].path);
        }
    }
    i = run_jobs(pl, threads, inv, &st);
    /* the index's text, when no reservation took it (a claim the shards
     * never backed) */
    free(pl->spare);
    pl->spare = NULL;
    if (st != MM_OK && i < pl->njobs) {
        /* the merge of job i failed: say so as the loop below would */
        st = st == MM_ERR_LIMIT ? mm_fail(err, st, MM_E_LIMIT_TENSORS, pl->jobs[i].path, NULL,
                                          -1, "more than %u tensors", MM_LIMIT_TENSORS)
                                : mm_fail_nomem(err, pl->jobs[i].path);
    } else if (st != MM_OK) {
        st = mm_fail_nomem(err, NULL);
    }
    /* Merging stops only at a merge failure (above) or at the first job,
     * in file order, that failed to read: its error is the one reported. */
    if (st == MM_OK && i < pl->njobs) {
        const struct mm_job *jb = &pl->jobs[i];
        st = jb->status != MM_OK ? jb->status : MM_ERR_NOMEM;
        if (jb->err == NULL) {
            st = mm_fail_nomem(err, jb->path);
        } else if (err != NULL) {
            *err = *jb->err;
        }
    }
    for (i = 0; st == MM_OK && i < pl->nindexes; i++) {
        st = mm_partial_fill(inv, pl, i, err);
    }
    for (i = 0; st == MM_OK && i < pl->nindexes; i++) {
        st = check_index_parts(pl, (long)i, err);
    }
    /* The indexes have served (mm_partial_fill and the checks above): free
     * them before the inventory's own last tables, which a model of 10^6
     * tensors would otherwise hold beside them. */
    for (i = 0; st == MM_OK && i < pl->nindexes; i++) {
        struct mm_index *ix = &pl->indexes[i].index;
        if (index_names_used(pl, (long)i)) {
            /* the tensors of its shards name its strings: keep them */
            if (mm_inv_adopt(inv, ix->names) != MM_OK) {
                st = mm_fail_nomem(err, pl->indexes[i].path);
                break;
            }
            ix->names = NULL;
        }
        mm_index_free(ix);
        free(pl->indexes[i].seen);
        pl->indexes[i].seen = NULL;
    }
    /* Names under an index are unique once every file passed its index
     * check (a name held twice is caught there, across shards as a wrong
     * shard); the other files need the full check. */
    if (st == MM_OK && !all_indexed(pl)) {
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
    struct mm_plan pl;
    enum mm_status st;
    mm_error_clear(err);
    *out = NULL;
    st = mm_plan_target(&pl, target, err);
    if (st != MM_OK) {
        return st;
    }
    st = mm_plan_execute(out, &pl, opts, err);
    mm_plan_free(&pl);
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
