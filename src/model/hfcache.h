/*
 * hfcache.h - the steps of resolving inside one Hugging Face cache
 * repository folder (models--ORG--NAME), kept in hfcache.c and shared by
 * mm_hf_cache_resolve and the scan, so that both read a cache the same
 * way: nothing a ref or a snapshot link names outside the folder is read.
 */
#ifndef MM_HFCACHE_H
#define MM_HFCACHE_H

#include "core/internal.h"

/* Bytes of a commit buffer: a revision of at most 128 bytes and a NUL. */
#define MM_HF_COMMIT_BYTES 130u

/*
 * The real path of a ref file or snapshot folder of the repository whose
 * real path is `repo_real`, in *out (owned), when it lies inside it; one
 * that leads out (through a link, or a linked refs/ or snapshots/) is
 * MM_E_SHARD_OUTSIDE_FOLDER naming `path` and `what`. *out is NULL, and
 * MM_OK returned, when `path` cannot be resolved (absent, a link loop).
 */
enum mm_status mm_hf_entry_inside(char **out, const char *repo_real, const char *path,
                                  const char *what, struct mm_error *err);

/*
 * The commit the ref file `path` names, in `commit`, read from its checked
 * real path (mm_hf_entry_inside) and at most 129 bytes of it; *found is
 * false, and MM_OK returned, when there is no such ref to read. A ref
 * holding a path that climbs out is MM_E_SHARD_OUTSIDE_FOLDER, one that
 * holds no revision MM_E_INVALID_ARG ("ref does not hold a commit hash").
 */
enum mm_status mm_hf_read_ref(char commit[MM_HF_COMMIT_BYTES], bool *found,
                              const char *repo_real, const char *path, struct mm_error *err);

#endif
