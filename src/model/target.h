/*
 * target.h - TARGET resolved into the weight files to read: a file, an
 * index file, a model folder, or a pipeline folder whose components
 * (diffusers model_index.json, sentence-transformers modules.json) sit in
 * sub-folders. Reading the files is load.c's job.
 */
#ifndef MM_TARGET_H
#define MM_TARGET_H

#include "model/index.h"
#include "core/internal.h"
#include "formats/readers.h"

/* ---- Targets ------------------------------------------------------------- */

/* The weight files a TARGET resolves to, as the loader would open them. */
struct mm_target_files {
    char **paths;
    char **reals; /* per path: its real path, checked to lie in the model
                   * folder; NULL for a single file named as TARGET or an
                   * absent file */
    size_t n;
    char *index_path; /* NULL without an index */
    int has_total_size;
    uint64_t total_size; /* the index's metadata.total_size */
    int has_index;
    struct mm_index index; /* the first index, when has_index */
};

enum mm_status mm_target_files(struct mm_target_files *out, const char *target,
                               struct mm_error *err);
void mm_target_files_free(struct mm_target_files *tf);

/* One weight file to read, and what reading it gave. */
struct mm_job {
    char *path;     /* as shown in errors */
    char *real;     /* its real path, checked to lie in the model folder; NULL
                     * when the target is one file, or the file is absent */
    char *rel;      /* relative to the target's folder */
    const char *prefix; /* component prefix for tensor names ("unet/"), borrowed */
    long index_id;  /* the index that names it, or -1 */
    int is_shard;   /* named by an index: say so when absent */
    int allow_unsafe_pickle; /* the load option, for the reader */
    int allow_missing; /* the load option allow_missing_shards (2: keep the error) */
    int missing;    /* a shard absent or cut short, left out (allow_missing) */
    uint64_t missing_bytes; /* what there is of it */
    struct mm_inventory *part;
    /* Errors are kept only for jobs that failed (one struct mm_error is
     * 1.5 KiB; an index may name MM_LIMIT_FILES shards). */
    struct mm_error *err;
    enum mm_status status;
    /* The index cross-check of this file's tensors, done by the worker
     * that read it; reported after the merge. */
    enum mm_status ix_status;
    struct mm_error *ix_err;
    size_t ix_found;
    /* Every tensor name of `part` points at its index entry's name (no
     * component prefix): the merge copies no name, and the index's names
     * go to the inventory. */
    int names_shared;
};

struct mm_plan_index {
    char *path;
    const char *prefix; /* names of the tensors it maps get this prefix (borrowed) */
    struct mm_index index;
    size_t first_job; /* shard i of the index is job first_job + i */
    char *seen;       /* per entry: found in its shard (set by the workers) */
};

struct mm_plan {
    struct mm_job *jobs;
    size_t njobs;
    size_t cap;
    struct mm_plan_index *indexes;
    size_t nindexes;
    size_t icap;
    /* The real path of the model folder every file must lie in (the Hugging
     * Face cache repository folder for a snapshot); NULL for a single weight
     * file named as TARGET, which is opened as the user named it. */
    char *root;
    char **prefixes; /* owned component prefixes */
    size_t nprefixes;
    size_t pcap;
    /* The largest index's text once parsed, kept for the merged records
     * (mm_inv_reserve_in): owned; NULL when none. */
    void *spare;
    size_t spare_bytes;
};

enum mm_status mm_plan_target(struct mm_plan *pl, const char *target, struct mm_error *err);
void mm_plan_free(struct mm_plan *pl);
/* The one weight file `path` (a file of mm_target_files), opened as
 * `real` (its checked real path) when not NULL; errors name `path`. */
enum mm_status mm_plan_file(struct mm_plan *pl, const char *path, const char *real,
                            struct mm_error *err);
/* Reads every planned file and builds the inventory (load.c). */
enum mm_status mm_plan_execute(struct mm_inventory **out, struct mm_plan *pl,
                               const struct mm_load_options *opts, struct mm_error *err);

/* A file found beside the weights (config.json) lies in `folder` (the
 * repository folder for a Hugging Face cache snapshot), as every planned
 * file must: MM_E_SHARD_OUTSIDE_FOLDER otherwise; MM_OK for a file that
 * is not there (opening it says so). */
enum mm_status mm_path_check_inside(const char *folder, const char *path,
                                    struct mm_error *err);

/* With allow_missing_shards: the tensors of index `id`'s missing shards,
 * estimated and added to `inv` (file = the shard's job), each marked seen
 * (partial.c). */
enum mm_status mm_partial_fill(struct mm_inventory *inv, struct mm_plan *pl, size_t id,
                               struct mm_error *err);

/* Small helpers shared with load.c and the scan (scan_*.c). */
const char *mm_base_name(const char *path);
/* dir/name (no slash doubled; name alone when dir is ""), allocated; NULL
 * when out of memory. */
char *mm_path_join(const char *dir, const char *name);

#endif
