/*
 * hfnames.h - names in a Hugging Face cache as people type them: a
 * repository id in another case, a near miss, a short commit hash.
 */
#ifndef MM_HFNAMES_H
#define MM_HFNAMES_H

#include "core/internal.h"

/* Shortest short commit hash looked up among snapshots/ (git rev-parse's
 * minimum); a full hash has 40 hex digits. */
#define MM_HF_SHORT_HASH_MIN 4u

/* Hub names: letters, digits, '-', '_', '.'; no "..", not starting '.'. */
bool mm_hf_name_ok(const char *s, size_t n);

/* Longest repository id huggingface_hub accepts (validators.py). */
#define MM_HF_REPO_ID_MAX 96u

/* ORG/NAME as huggingface_hub's validate_repo_id accepts it, and stricter:
 * exactly one '/'; each part letters, digits, '-', '_', '.', neither
 * starting nor ending with '-' or '.'; no "--" or ".."; not ending
 * ".git"; at most MM_HF_REPO_ID_MAX bytes. For an id read from a file: a
 * path ("/home/...", "./ckpt", "../x") is never one. */
bool mm_hf_repo_id_ok(const char *s, size_t n);

/*
 * ORG/NAME looked up among the models--ORG--NAME folders of `cache_dir`,
 * ignoring case: the folder's name ("models--Org--Name") in `out` and
 * *found set when exactly one matches; several that differ only in case
 * are MM_E_AMBIGUOUS_TARGET. When none matches, `suggest` receives the
 * closest "ORG/NAME" (the same NAME under another ORG, or within edit
 * distance 2), "" when none is close. A cache folder that cannot be
 * listed matches nothing.
 */
enum mm_status mm_hf_match_repo(char *out, size_t out_size, bool *found, char *suggest,
                                size_t suggest_size, const char *cache_dir, const char *org,
                                size_t org_len, const char *name, size_t name_len,
                                struct mm_error *err);

/*
 * A short commit hash (MM_HF_SHORT_HASH_MIN to 39 hex digits, any case)
 * looked up among the folders of repo/snapshots: the one folder whose name
 * begins with it, in `out` (130 bytes), and *found set. Several are
 * MM_E_AMBIGUOUS_TARGET naming them; none leaves *found clear.
 */
enum mm_status mm_hf_match_commit(char out[130], bool *found, const char *repo,
                                  const char *label, const char *prefix,
                                  struct mm_error *err);

#endif
