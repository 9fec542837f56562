/*
 * path_safety.h - keeping the files a model names inside its folder.
 */
#ifndef MM_PATH_SAFETY_H
#define MM_PATH_SAFETY_H

#include "core/internal.h"

/* The real path of a folder, kept while files of that folder are checked:
 * an index of 10^5 shards in one folder resolves it once. */
struct mm_real_dir {
    char *dir;  /* as written, with its trailing '/'; "" for the current one */
    char *real;
};
#define MM_REAL_DIR_INIT {NULL, NULL}
void mm_real_dir_free(struct mm_real_dir *rd);

/* True when the real path `real` is the real path `root` or lies below it
 * (a whole-component prefix: /a/bc is not below /a/b). */
bool mm_path_under(const char *real, const char *root);

/* The root files of the model folder `dir` must lie in: its real path, or
 * for a Hugging Face cache snapshot (models--ORG--NAME/snapshots/REV) the
 * repository folder models--ORG--NAME. *out is owned by the caller. */
enum mm_status mm_model_root(char **out, const char *dir, struct mm_error *err);

/*
 * The real path of `path` in *out (owned) when it lies in `root`. A file
 * whose real path leaves it - through an absolute link or a link that
 * climbs out - is refused with MM_E_SHARD_OUTSIDE_FOLDER, so that an index
 * or a folder from elsewhere cannot make modelmem read other files. *out
 * is NULL, and MM_OK returned, when the file cannot be resolved (absent:
 * opening it says so).
 */
enum mm_status mm_path_inside(char **out, const char *root, struct mm_real_dir *rd,
                              const char *path, struct mm_error *err);

#endif
