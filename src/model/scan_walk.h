/*
 * scan_walk.h - what the parts of the scan share, each calling only those
 * listed before it: scan_seen.c tells what the scan has met already,
 * scan_list.c keeps the entries and lists folders, scan_repo.c reads one
 * Hugging Face cache repository (refs and snapshots), scan.c walks the
 * folders of each ROOT.
 */
#ifndef MM_SCAN_WALK_H
#define MM_SCAN_WALK_H

#include <stdbool.h>

#include "model/path_safety.h"

struct scan_entry {
    struct mm_scan_model pub;
    char *path;
    char *id;
    char *revision;
    char **refs;
    struct mm_error *err;
    bool lone; /* a weight file given as a ROOT */
};

/* Identities met (scan_seen.c): a hash set. */
struct scan_key;
struct scan_seen {
    struct scan_key *v;
    size_t cap;
    size_t n;
    uint64_t seed; /* of the hash (mm_hash_seed) */
};

struct mm_scan {
    struct scan_entry *v;
    size_t n;
    size_t cap;
    size_t models; /* entries counted against MM_LIMIT_SCAN_MODELS */
    int full;      /* the limit entry was added */
    size_t too_deep;
    size_t links_out;
    int all_revisions;
    struct scan_seen models_seen;  /* what the entries name: listed once */
    struct scan_seen skipped_seen; /* folders and links not walked: counted once */
};

/* What one ROOT's walk needs. */
struct scan_walk {
    struct mm_scan *scan;
    size_t root;
    const char *root_real; /* realpath of ROOT */
    struct mm_real_dir rd;
    int all_revisions;
};

/* Adds the identity of `path` (links followed when `follow`) to `seen`:
 * *fresh is set when it was not there, so that ROOTs that overlap list a
 * model, and count a folder not walked, once. MM_ERR_NOMEM or MM_OK. */
enum mm_status mm_scan_seen_add(struct scan_seen *seen, bool *fresh, const char *path, bool follow,
                                struct mm_error *err);
/* True when the identity of `path` (links followed when `follow`) is in
 * `seen`; false when it is not or cannot be worked out. */
bool mm_scan_seen_has(const struct scan_seen *seen, const char *path, bool follow);
void mm_scan_seen_free(struct scan_seen *seen);
/* Removes the weight files given as ROOTs whose folder is listed as a
 * model (by any ROOT, before or after): that row covers them. */
enum mm_status mm_scan_drop_covered(struct mm_scan *scan, struct mm_error *err);
bool mm_scan_starts_with(const char *s, const char *prefix);
bool mm_scan_ends_with(const char *s, const char *suffix);
/* The last component of `path`, copied into buf. */
const char *mm_scan_last_name(char *buf, size_t size, const char *path);
/* Appends an entry; takes `refs` (nrefs strings) and `e` (may be NULL)
 * whatever happens. A path met before by identity (an earlier ROOT
 * reached it, or it is a link to a file listed already) is not added.
 * Past MM_LIMIT_SCAN_MODELS, one MM_E_LIMIT_SCAN_MODELS entry stands for
 * the rest. */
enum mm_status mm_scan_add(struct scan_walk *w, const char *path, const char *id, const char *rev,
                           char **refs, size_t nrefs, struct mm_error *e, struct mm_error *err);
/* An entry that is only an error, with the message `msg`. */
enum mm_status mm_scan_add_error(struct scan_walk *w, const char *path, const char *id,
                                 enum mm_status status, enum mm_errcode code, const char *msg,
                                 struct mm_error *err);
/* strcmp over char * elements, for qsort and bsearch. */
int mm_scan_cmp_str(const void *a, const void *b);
void mm_scan_free_list(char **v, size_t n);
/* Appends a copy of `s` to a growing list. */
enum mm_status mm_scan_push(char ***v, size_t *n, size_t *cap, const char *s, struct mm_error *err);
/* Counts `path`, a folder or link the walk does not enter, in *count
 * unless an earlier ROOT's walk counted it already. */
enum mm_status mm_scan_skip(struct scan_walk *w, size_t *count, const char *path,
                            struct mm_error *err);
/* The sub-folders of `dir` the walk enters, sorted: not hidden, not links.
 * A link to a folder outside ROOT is counted in links_out. `files`, when
 * not NULL, receives the regular files (links followed) likewise. */
enum mm_status mm_scan_list(struct scan_walk *w, const char *dir, char ***out, size_t *n, char ***files,
                            size_t *nfiles, struct mm_error *err);
/* models--ORG--NAME (`base`) at `repo`: the commits its refs name (every
 * snapshot with all_revisions, or when no ref exists). */
enum mm_status mm_scan_repo(struct scan_walk *w, const char *repo, const char *base,
                            struct mm_error *err);

#endif
