/*
 * download.h - what a Hugging Face download leaves behind: where a model
 * came from (a cache snapshot, a --local-dir folder), the .incomplete
 * files of downloads that did not finish, and the line of remedy verify
 * prints for each problem a download can cause.
 */
#ifndef MM_DOWNLOAD_H
#define MM_DOWNLOAD_H

#include "core/internal.h"
#include "formats/safetensors_extent.h"
#include "model/hfnames.h"

struct mm_download_site {
    char *model_dir; /* the model's folder */
    char *repo_dir;  /* in the cache: models--ORG--NAME; else NULL */
    char repo_id[200]; /* in the cache: ORG/NAME; else "" */
    int local_dir;   /* model_dir/.cache/huggingface is there (hf download --local-dir) */
    /* in a local-dir folder: config.json's _name_or_path where it is a
     * repository id (mm_hf_repo_id_ok); else "" */
    char config_id[MM_HF_REPO_ID_MAX + 1];
};

/* Where TARGET (a resolved path: a file, an index or a folder) came from;
 * in a local-dir folder, config.json is read for the repository id.
 * MM_ERR_NOMEM or MM_OK. */
enum mm_status mm_download_site(struct mm_download_site *out, const char *target,
                                struct mm_error *err);
void mm_download_site_free(struct mm_download_site *site);

/* A file a download left unfinished. */
struct mm_leftover {
    char *path;        /* as found */
    char *name_hint;   /* older local-dir naming FILE.<etag>.incomplete: FILE; else NULL */
    uint64_t have;     /* its bytes so far */
    struct mm_st_extent ext; /* what its header says, as far as it is there */
};

/* The .incomplete files of the site: in the cache, models--ORG--NAME/
 * blobs/<etag>.incomplete; in a local-dir download,
 * .cache/huggingface/download/ (and its sub-folders) *.incomplete. A
 * link there is not followed. At most MM_LIMIT_FILES. */
enum mm_status mm_download_leftovers(struct mm_leftover **out, size_t *n,
                                     const struct mm_download_site *site,
                                     struct mm_error *err);
void mm_download_leftovers_free(struct mm_leftover *lo, size_t n);

/* The remedy for a problem of kind `code` at the site in *out (owned),
 * NULL where there is none; MM_ERR_NOMEM or MM_OK. */
enum mm_status mm_download_remedy(char **out, enum mm_errcode code,
                                  const struct mm_download_site *site);

/* "1.63 GiB", "512 bytes": sizes in messages, as the program prints them. */
void mm_download_fmt_size(char *out, size_t size, uint64_t bytes);

/* True for the codes a truncated file gives. */
bool mm_download_truncation(enum mm_errcode code);

#endif
