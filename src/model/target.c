/*
 * target.c - TARGET resolved into the weight files to read.
 *
 * A folder is resolved as transformers and diffusers would load it:
 *  - a diffusers pipeline (model_index.json): each component sub-folder
 *    that holds weights (unet/, text_encoder/, vae/ ...);
 *  - a sentence-transformers model (modules.json): the root module and
 *    each module sub-folder that holds weights (2_Dense/ ...);
 *  - else the folder's own weights: an index (model.safetensors.index.json
 *    or diffusion_pytorch_model.safetensors.index.json first, else the only
 *    *.safetensors.index.json), else model.safetensors or
 *    diffusion_pytorch_model.safetensors alone, else every *.safetensors
 *    (a variant such as X.fp16.safetensors only where X.safetensors is
 *    absent), else *.gguf (one model: several files must be the shards of
 *    one split model).
 * Tensors of a component get the component's folder as a name prefix
 * ("unet/conv_in.weight"), since components reuse names.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/checked.h"
#include "core/json_scan.h"
#include "model/path_safety.h"
#include "model/target.h"

char *mm_path_join(const char *dir, const char *name)
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

const char *mm_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash == NULL ? path : slash + 1;
}

static bool ends_with(const char *s, const char *suffix)
{
    const size_t a = strlen(s);
    const size_t b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

void mm_plan_free(struct mm_plan *pl)
{
    size_t i;
    free(pl->spare);
    pl->spare = NULL;
    for (i = 0; i < pl->njobs; i++) {
        free(pl->jobs[i].path);
        free(pl->jobs[i].real);
        free(pl->jobs[i].rel);
        free(pl->jobs[i].err);
        free(pl->jobs[i].ix_err);
        mm_inventory_free(pl->jobs[i].part);
    }
    free(pl->jobs);
    for (i = 0; i < pl->nindexes; i++) {
        free(pl->indexes[i].path);
        free(pl->indexes[i].seen);
        mm_index_free(&pl->indexes[i].index);
    }
    free(pl->indexes);
    for (i = 0; i < pl->nprefixes; i++) {
        free(pl->prefixes[i]);
    }
    free(pl->prefixes);
    free(pl->root);
    memset(pl, 0, sizeof(*pl));
}

/* Adds the file dir/name, shown as prefix + name. */
static enum mm_status plan_add(struct mm_plan *pl, const char *dir, const char *name,
                               const char *prefix, long index_id, struct mm_error *err)
{
    struct mm_job *jb;
    char *rel;
    if (pl->njobs >= MM_LIMIT_FILES) {
        return mm_fail(err, MM_ERR_LIMIT, MM_E_LIMIT_FILES, dir, NULL, -1,
                       "more than %u weight files", MM_LIMIT_FILES);
    }
    if (!mm_grow((void **)&pl->jobs, &pl->cap, pl->njobs + 1, sizeof(*pl->jobs))) {
        return mm_fail_nomem(err, dir);
    }
    jb = &pl->jobs[pl->njobs];
    memset(jb, 0, sizeof(*jb));
    jb->path = mm_path_join(dir, name);
    rel = mm_path_join("", name);
    if (rel != NULL && prefix[0] != '\0') {
        free(rel);
        rel = malloc(strlen(prefix) + strlen(name) + 1);
        if (rel != NULL) {
            memcpy(rel, prefix, strlen(prefix));
            memcpy(rel + strlen(prefix), name, strlen(name) + 1);
        }
    }
    jb->rel = rel;
    jb->prefix = prefix;
    jb->index_id = index_id;
    jb->is_shard = index_id >= 0;
    if (jb->path == NULL || jb->rel == NULL) {
        free(jb->path);
        free(jb->rel);
        return mm_fail_nomem(err, dir);
    }
    pl->njobs++;
    return MM_OK;
}

/* Keeps a component prefix ("unet/") for the plan's lifetime. */
static const char *own_prefix(struct mm_plan *pl, const char *component, size_t len)
{
    char *p;
    if (!mm_grow((void **)&pl->prefixes, &pl->pcap, pl->nprefixes + 1, sizeof(char *))) {
        return NULL;
    }
    p = malloc(len + 2);
    if (p == NULL) {
        return NULL;
    }
    memcpy(p, component, len);
    if (len > 0) {
        p[len++] = '/';
    }
    p[len] = '\0';
    pl->prefixes[pl->nprefixes++] = p;
    return p;
}

/* Sets the plan's root: the real path of folder `dir` (path_safety.c). */
static enum mm_status set_root(struct mm_plan *pl, const char *dir, struct mm_error *err)
{
    return mm_model_root(&pl->root, dir, err);
}

/* Every planned file lies in the model folder; keeps each real path, which
 * is what load.c opens. Nothing is checked for a single file (no root). */
static enum mm_status check_jobs(struct mm_plan *pl, struct mm_error *err)
{
    struct mm_real_dir rd = MM_REAL_DIR_INIT;
    enum mm_status st = MM_OK;
    size_t i;
    for (i = 0; pl->root != NULL && i < pl->njobs && st == MM_OK; i++) {
        st = mm_path_inside(&pl->jobs[i].real, pl->root, &rd, pl->jobs[i].path, err);
    }
    mm_real_dir_free(&rd);
    return st;
}

/* A JSON file found in the folder (an index, model_index.json) lies in it.
 * Its checked real path, the one to open, goes to *real (owned) when `real`
 * is not NULL; it stays NULL without a root or when the file is absent. */
static enum mm_status check_inside(const struct mm_plan *pl, const char *path, char **real,
                                   struct mm_error *err)
{
    struct mm_real_dir rd = MM_REAL_DIR_INIT;
    char *got = NULL;
    enum mm_status st = MM_OK;
    if (pl->root != NULL) {
        st = mm_path_inside(&got, pl->root, &rd, path, err);
    }
    if (real != NULL) {
        *real = got;
    } else {
        free(got);
    }
    mm_real_dir_free(&rd);
    return st;
}

enum mm_status mm_path_check_inside(const char *folder, const char *path,
                                    struct mm_error *err)
{
    struct mm_plan pl;
    enum mm_status st;
    memset(&pl, 0, sizeof(pl));
    st = set_root(&pl, folder, err);
    if (st == MM_OK) {
        st = check_inside(&pl, path, NULL, err);
    }
    free(pl.root);
    return st;
}

/* Reads a whole small file (an index, model_index.json) into memory: opens
 * `real` when not NULL (the real path checked to lie in the folder), else
 * `path`, which errors name. */
static enum mm_status slurp(const char *real, const char *path, uint8_t **out, size_t *len,
                            struct mm_error *err)
{
    struct mm_source src;
    uint8_t *buf;
    enum mm_status st = mm_source_open(&src, real != NULL ? real : path, path, err);
    *out = NULL;
    *len = 0;
    if (st != MM_OK) {
        return st;
    }
    if (src.size > MM_LIMIT_INDEX_BYTES) {
        mm_source_close(&src);
        return mm_fail(err, MM_ERR_LIMIT, MM_E_LIMIT_INDEX_BYTES, path, NULL, -1,
                       "JSON file larger than %u bytes", MM_LIMIT_INDEX_BYTES);
    }
    buf = src.size >= MM_BIG_BYTES ? mm_alloc_big((size_t)src.size)
                                   : malloc(src.size == 0 ? 1 : (size_t)src.size);
    if (buf == NULL) {
        mm_source_close(&src);
        return mm_fail_nomem(err, path);
    }
    st = mm_source_read_all(&src, buf, (size_t)src.size, MM_E_IO, err);
    mm_source_close(&src);
    if (st != MM_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    *len = (size_t)src.size;
    return MM_OK;
}

/* The folder part of a path ("" for a bare name). */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *d;
    if (slash == NULL) {
        return strdup("");
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

/* The index index_path (opened as `real` when not NULL, see slurp) and the
 * shards it names. */
static enum mm_status plan_index(struct mm_plan *pl, const char *index_path, const char *real,
                                 const char *prefix, struct mm_error *err)
{
    struct mm_plan_index *pi;
    uint8_t *data;
    size_t len;
    size_t i;
    char *dir;
    long id;
    enum mm_status st;
    if (!mm_grow((void **)&pl->indexes, &pl->icap, pl->nindexes + 1, sizeof(*pl->indexes))) {
        return mm_fail_nomem(err, index_path);
    }
    pi = &pl->indexes[pl->nindexes];
    memset(pi, 0, sizeof(*pi));
    st = slurp(real, index_path, &data, &len, err);
    if (st != MM_OK) {
        return st;
    }
    st = mm_index_parse(&pi->index, data, len, index_path, err);
    if (st == MM_OK && len >= MM_BIG_BYTES && len > pl->spare_bytes) {
        free(pl->spare);
        pl->spare = data;
        pl->spare_bytes = len;
    } else {
        free(data);
    }
    if (st != MM_OK) {
        return st;
    }
    pi->path = strdup(index_path);
    pi->prefix = prefix;
    dir = dir_of(index_path);
    if (pi->path == NULL || dir == NULL) {
        free(dir);
        free(pi->path);
        mm_index_free(&pi->index);
        return mm_fail_nomem(err, index_path);
    }
    pi->first_job = pl->njobs;
    id = (long)pl->nindexes++;
    for (i = 0; i < pi->index.nshards && st == MM_OK; i++) {
        st = plan_add(pl, dir, pl->indexes[id].index.shards[i], prefix, id, err);
    }
    free(dir);
    return st;
}

/* An index found in folder `dir`: like every file the folder leads to, it
 * must lie in the model folder before it is read (a link in a Hugging Face
 * cache snapshot, for one, must not lead out of the repository folder). */
static enum mm_status plan_found_index(struct mm_plan *pl, const char *dir, const char *name,
                                       const char *prefix, struct mm_error *err)
{
    char *path = mm_path_join(dir, name);
    char *real = NULL;
    enum mm_status st = path == NULL ? mm_fail_nomem(err, dir)
                                     : check_inside(pl, path, &real, err);
    if (st == MM_OK) {
        st = plan_index(pl, path, real, prefix, err);
    }
    free(real);
    free(path);
    return st;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
}

/* Lists the regular files of a folder whose names end with `suffix`,
 * sorted. */
static enum mm_status list_dir(const char *dir, const char *suffix, char ***out, size_t *n,
                               struct mm_error *err)
{
    DIR *d = opendir(dir[0] == '\0' ? "." : dir);
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
        full = mm_path_join(dir, e->d_name);
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
        free_names(names, *n);
        *n = 0;
        return st;
    }
    if (*n > 1) {
        qsort(names, *n, sizeof(char *), cmp_name);
    }
    *out = names;
    return MM_OK;
}

/* True when names (sorted by list_dir) holds `name`: a binary search, as a
 * folder may list MM_LIMIT_FILES names and each is looked up. */
static bool has_name(char *const *names, size_t n, const char *name)
{
    return n > 0 && bsearch(&name, names, n, sizeof(char *), cmp_name) != NULL;
}

/* "X.fp16.safetensors" is a variant of "X.safetensors": true when the plain
 * file is in the list too. `suffix` is ".safetensors" or an index suffix. */
static bool is_shadowed_variant(char *const *names, size_t n, const char *name,
                                const char *suffix)
{
    const size_t len = strlen(name) - strlen(suffix);
    const char *dot;
    char plain[512];
    size_t stem;
    if (len >= sizeof(plain)) {
        return false;
    }
    memcpy(plain, name, len);
    plain[len] = '\0';
    dot = strrchr(plain, '.');
    if (dot == NULL) {
        return false;
    }
    stem = (size_t)(dot - plain);
    snprintf(plain + stem, sizeof(plain) - stem, "%s", suffix);
    return has_name(names, n, plain);
}

static bool has_file(const char *dir, const char *name);

/* PyTorch weights, only where there are no safetensors ones (transformers
 * prefers safetensors too): pytorch_model.bin.index.json (or diffusers'
 * diffusion_pytorch_model.bin.index.json), else pytorch_model.bin (or
 * diffusion_pytorch_model.bin), else every *.bin, *.pt, *.pth, *.ckpt. */
static enum mm_status plan_torch(struct mm_plan *pl, const char *dir, const char *prefix,
                                 struct mm_error *err)
{
    static const char *const indexes[] = {"pytorch_model.bin.index.json",
                                          "diffusion_pytorch_model.bin.index.json"};
    static const char *const files[] = {"pytorch_model.bin", "diffusion_pytorch_model.bin"};
    static const char *const suffixes[] = {".bin", ".pt", ".pth", ".ckpt"};
    size_t i;
    size_t k;
    enum mm_status st = MM_OK;
    for (i = 0; i < sizeof(indexes) / sizeof(indexes[0]); i++) {
        if (has_file(dir, indexes[i])) {
            return plan_found_index(pl, dir, indexes[i], prefix, err);
        }
    }
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if (has_file(dir, files[i])) {
            return plan_add(pl, dir, files[i], prefix, -1, err);
        }
    }
    for (k = 0; st == MM_OK && k < sizeof(suffixes) / sizeof(suffixes[0]); k++) {
        char **names;
        size_t n;
        st = list_dir(dir, suffixes[k], &names, &n, err);
        for (i = 0; st == MM_OK && i < n; i++) {
            st = plan_add(pl, dir, names[i], prefix, -1, err);
        }
        free_names(names, n);
    }
    return st;
}

/* A folder's own weight files; *found is the number of files planned. */
static enum mm_status plan_weights(struct mm_plan *pl, const char *dir, const char *prefix,
                                   size_t *found, struct mm_error *err)
{
    static const char *const preferred_index[] = {"model.safetensors.index.json",
                                                  "diffusion_pytorch_model.safetensors.index.json"};
    static const char *const preferred_file[] = {"model.safetensors",
                                                 "diffusion_pytorch_model.safetensors"};
    const size_t before = pl->njobs;
    char **names;
    size_t n;
    size_t i;
    size_t kept = 0;
    const char *pick = NULL;
    enum mm_status st = list_dir(dir, ".safetensors.index.json", &names, &n, err);
    *found = 0;
    if (st != MM_OK) {
        return st;
    }
    for (i = 0; i < sizeof(preferred_index) / sizeof(preferred_index[0]) && pick == NULL; i++) {
        if (has_name(names, n, preferred_index[i])) {
            pick = preferred_index[i];
        }
    }
    for (i = 0; i < n && pick == NULL; i++) {
        if (!is_shadowed_variant(names, n, names[i], ".safetensors.index.json")) {
            kept++;
        }
    }
    if (pick == NULL && kept > 1) {
        st = mm_fail(err, MM_ERR_INVALID_ARG, MM_E_AMBIGUOUS_TARGET, dir, NULL, -1,
                     "%zu index files and none is model.safetensors.index.json: name one as "
                     "TARGET",
                     kept);
        free_names(names, n);
        return st;
    }
    for (i = 0; i < n && pick == NULL; i++) {
        if (!is_shadowed_variant(names, n, names[i], ".safetensors.index.json")) {
            pick = names[i];
        }
    }
    if (pick != NULL) {
        st = plan_found_index(pl, dir, pick, prefix, err);
        free_names(names, n);
        *found = pl->njobs - before;
        return st;
    }
    free_names(names, n);

    st = list_dir(dir, ".safetensors", &names, &n, err);
    for (i = 0; st == MM_OK && i < sizeof(preferred_file) / sizeof(preferred_file[0]); i++) {
        if (has_name(names, n, preferred_file[i])) {
            st = plan_add(pl, dir, preferred_file[i], prefix, -1, err);
            free_names(names, n);
            *found = pl->njobs - before;
            return st;
        }
    }
    for (i = 0; st == MM_OK && i < n; i++) {
        if (!is_shadowed_variant(names, n, names[i], ".safetensors")) {
            st = plan_add(pl, dir, names[i], prefix, -1, err);
        }
    }
    free_names(names, n);
    if (st != MM_OK || pl->njobs > before) {
        *found = pl->njobs - before;
        return st;
    }

    st = plan_torch(pl, dir, prefix, err);
    if (st != MM_OK || pl->njobs > before) {
        *found = pl->njobs - before;
        return st;
    }

    st = list_dir(dir, ".gguf", &names, &n, err);
    if (st == MM_OK && n > 1) {
        /* several GGUF files are one model only as the shards of a split
         * (NAME-00001-of-00003.gguf); otherwise they are alternatives */
        for (i = 0; i < n; i++) {
            const char *of = strstr(names[i], "-of-");
            if (of == NULL || !ends_with(names[i], ".gguf")) {
                st = mm_fail(err, MM_ERR_INVALID_ARG, MM_E_AMBIGUOUS_TARGET, dir, NULL, -1,
                             "%zu GGUF files that are not the shards of one split model: name "
                             "one as TARGET",
                             n);
                break;
            }
        }
    }
    for (i = 0; st == MM_OK && i < n; i++) {
        st = plan_add(pl, dir, names[i], prefix, -1, err);
    }
    free_names(names, n);
    *found = pl->njobs - before;
    return st;
}

/* Whether dir/name exists as a regular file (no allocation, so that a
 * failure cannot pass for "absent"). */
static bool has_file(const char *dir, const char *name)
{
    struct stat sb;
    char p[4096];
    const int n = snprintf(p, sizeof(p), "%s/%s", dir[0] == '\0' ? "." : dir, name);
    return n > 0 && (size_t)n < sizeof(p) && stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* A component sub-folder named in a pipeline description: a plain name. */
static bool component_ok(const char *s, size_t len)
{
    return len > 0 && len < 256 && s[0] != '.' && s[0] != '_' && memchr(s, '/', len) == NULL &&
           memchr(s, '\\', len) == NULL && mm_shard_name_safe(s, len);
}

static enum mm_status plan_component(struct mm_plan *pl, const char *dir, const char *name,
                                     size_t len, size_t *found, struct mm_error *err)
{
    const char *prefix = own_prefix(pl, name, len);
    char *sub;
    struct stat sb;
    size_t got = 0;
    enum mm_status st = MM_OK;
    if (prefix == NULL) {
        return mm_fail_nomem(err, dir);
    }
    if (len == 0) {
        st = plan_weights(pl, dir, prefix, &got, err);
        *found += got;
        return st;
    }
    sub = mm_path_join(dir, prefix);
    if (sub == NULL) {
        return mm_fail_nomem(err, dir);
    }
    sub[strlen(sub) - 1] = '\0';
    if (stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        st = plan_weights(pl, sub, prefix, &got, err);
        *found += got;
    }
    free(sub);
    return st;
}

/* diffusers model_index.json: {"unet": ["diffusers", "UNet2DConditionModel"],
 * "_class_name": ..., "scheduler": [...], "safety_checker": [null, null]}.
 * sentence-transformers modules.json: [{"path": "", ...}, {"path":
 * "1_Pooling", ...}]. Members that do not name a component are ignored. */
static enum mm_status plan_pipeline(struct mm_plan *pl, const char *dir, const char *file,
                                    bool is_modules, size_t *found, struct mm_error *err)
{
    char *path = mm_path_join(dir, file);
    char *real = NULL;
    uint8_t *data = NULL;
    size_t len;
    struct mm_json j;
    bool first = true;
    bool more;
    size_t bad;
    enum mm_status st;
    *found = 0;
    if (path == NULL) {
        return mm_fail_nomem(err, dir);
    }
    st = check_inside(pl, path, &real, err);
    if (st == MM_OK) {
        st = slurp(real, path, &data, &len, err);
    }
    free(real);
    if (st != MM_OK) {
        free(path);
        return st;
    }
    if (!mm_utf8_valid(data, len, &bad)) {
        st = mm_fail(err, MM_ERR_MALFORMED, MM_E_HEADER_UTF8, path, NULL, (int64_t)bad,
                     "not valid UTF-8");
        free(data);
        free(path);
        return st;
    }
    mm_json_init(&j, data, len, 0, path, err);
    st = mm_json_expect(&j, is_modules ? '[' : '{', is_modules ? "expected a JSON array"
                                                                : "expected a JSON object");
    while (st == MM_OK) {
        const char *k;
        size_t klen;
        st = mm_json_more(&j, is_modules ? ']' : '}', &first, &more);
        if (st != MM_OK || !more) {
            break;
        }
        if (is_modules) {
            /* one module: find its "path" */
            bool f2 = true;
            bool m2 = true;
            st = mm_json_expect(&j, '{', "expected a module object");
            while (st == MM_OK && m2) {
                st = mm_json_member(&j, &f2, &m2, &k, &klen, NULL);
                if (st != MM_OK || !m2) {
                    break;
                }
                if (klen == 4 && memcmp(k, "path", 4) == 0 && mm_json_peek(&j) == '"') {
                    const char *v;
                    size_t vlen;
                    st = mm_json_string(&j, &v, &vlen);
                    if (st == MM_OK && (vlen == 0 || component_ok(v, vlen))) {
                        st = plan_component(pl, dir, v, vlen, found, err);
                    }
                } else {
                    st = mm_json_skip(&j, 2);
                }
            }
            continue;
        }
        st = mm_json_string(&j, &k, &klen);
        if (st == MM_OK) {
            st = mm_json_expect(&j, ':', "expected ':'");
        }
        if (st == MM_OK && mm_json_peek(&j) == '[' && component_ok(k, klen)) {
            /* the key is overwritten by the next string read: keep it */
            char name[256];
            memcpy(name, k, klen);
            name[klen] = '\0';
            st = mm_json_skip(&j, 1);
            if (st == MM_OK) {
                st = plan_component(pl, dir, name, klen, found, err);
            }
        } else if (st == MM_OK) {
            st = mm_json_skip(&j, 1);
        }
    }
    if (st == MM_OK && mm_json_peek(&j) != -1) {
        st = mm_json_syntax(&j, "trailing characters");
    }
    mm_json_fini(&j);
    free(data);
    free(path);
    return st;
}

static enum mm_status plan_dir(struct mm_plan *pl, const char *dir, struct mm_error *err)
{
    size_t found = 0;
    enum mm_status st;
    const char *prefix = own_prefix(pl, "", 0);
    if (prefix == NULL) {
        return mm_fail_nomem(err, dir);
    }
    if (has_file(dir, "model_index.json")) {
        st = plan_pipeline(pl, dir, "model_index.json", false, &found, err);
    } else if (has_file(dir, "modules.json")) {
        st = plan_pipeline(pl, dir, "modules.json", true, &found, err);
    } else {
        st = plan_weights(pl, dir, prefix, &found, err);
    }
    if (st == MM_OK && found == 0) {
        st = mm_fail(err, MM_ERR_NOT_FOUND, MM_E_NO_WEIGHTS, dir, NULL, -1,
                     "no weight files found (looked for *.safetensors.index.json, "
                     "*.safetensors, pytorch_model.bin.index.json, *.bin, *.pt, *.pth, *.ckpt "
                     "and *.gguf)");
    }
    return st;
}

/* The one weight file `path`, a job of its own (no index names it). */
static enum mm_status plan_one_file(struct mm_plan *pl, const char *path, const char *prefix,
                                    struct mm_error *err)
{
    char *dir = dir_of(path);
    enum mm_status st = dir == NULL ? mm_fail_nomem(err, path)
                                    : plan_add(pl, dir, mm_base_name(path), prefix, -1, err);
    free(dir);
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

enum mm_status mm_plan_target(struct mm_plan *pl, const char *target, struct mm_error *err)
{
    struct stat sb;
    enum mm_status st;
    memset(pl, 0, sizeof(*pl));
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
        st = set_root(pl, target, err);
        if (st == MM_OK) {
            st = plan_dir(pl, target, err);
        }
    } else if (S_ISREG(sb.st_mode)) {
        bool is_index = false;
        const char *prefix = own_prefix(pl, "", 0);
        st = prefix == NULL ? mm_fail_nomem(err, target) : looks_like_index(target, &is_index, err);
        if (st == MM_OK && is_index) {
            /* the shards an index names lie in the index's folder */
            char *dir = dir_of(target);
            st = dir == NULL ? mm_fail_nomem(err, target) : set_root(pl, dir, err);
            free(dir);
            if (st == MM_OK) {
                st = plan_index(pl, target, NULL, prefix, err);
            }
        } else if (st == MM_OK) {
            st = plan_one_file(pl, target, prefix, err);
        }
    } else {
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_NOT_REGULAR, target, NULL, -1,
                       "not a regular file or folder");
    }
    if (st == MM_OK) {
        st = check_jobs(pl, err);
    }
    if (st != MM_OK) {
        mm_plan_free(pl);
    }
    return st;
}

/* A plan of the one weight file `path`, opened as `real`: verify reads
 * each file of a target alone, by the real path the target's plan
 * checked, so that a link swapped since then is not followed. Its errors
 * name `path` as mm_plan_target's do. `real` NULL: mm_plan_target. */
enum mm_status mm_plan_file(struct mm_plan *pl, const char *path, const char *real,
                            struct mm_error *err)
{
    const char *prefix;
    enum mm_status st;
    if (real == NULL) {
        return mm_plan_target(pl, path, err);
    }
    memset(pl, 0, sizeof(*pl));
    prefix = own_prefix(pl, "", 0);
    st = prefix == NULL ? mm_fail_nomem(err, path) : plan_one_file(pl, path, prefix, err);
    if (st == MM_OK) {
        pl->jobs[0].real = strdup(real);
        if (pl->jobs[0].real == NULL) {
            st = mm_fail_nomem(err, path);
        }
    }
    if (st != MM_OK) {
        mm_plan_free(pl);
    }
    return st;
}

enum mm_status mm_target_files(struct mm_target_files *out, const char *target,
                               struct mm_error *err)
{
    struct mm_plan pl;
    size_t i;
    enum mm_status st = mm_plan_target(&pl, target, err);
    memset(out, 0, sizeof(*out));
    if (st != MM_OK) {
        return st;
    }
    out->paths = calloc(pl.njobs + 1, sizeof(char *));
    out->reals = calloc(pl.njobs + 1, sizeof(char *));
    if (out->paths == NULL || out->reals == NULL) {
        free(out->paths);
        free(out->reals);
        memset(out, 0, sizeof(*out));
        mm_plan_free(&pl);
        return mm_fail_nomem(err, target);
    }
    for (i = 0; i < pl.njobs; i++) {
        out->paths[i] = pl.jobs[i].path;
        out->reals[i] = pl.jobs[i].real;
        pl.jobs[i].path = NULL;
        pl.jobs[i].real = NULL;
        out->n++;
    }
    /* verify reports one index's total size: the first one's */
    if (pl.nindexes > 0) {
        out->index_path = pl.indexes[0].path;
        pl.indexes[0].path = NULL;
        out->has_total_size = pl.indexes[0].index.has_total_size;
        out->total_size = pl.indexes[0].index.total_size;
        out->index = pl.indexes[0].index;
        out->has_index = 1;
        memset(&pl.indexes[0].index, 0, sizeof(pl.indexes[0].index));
    }
    mm_plan_free(&pl);
    return MM_OK;
}

void mm_target_files_free(struct mm_target_files *tf)
{
    size_t i;
    for (i = 0; i < tf->n; i++) {
        free(tf->paths[i]);
        free(tf->reals[i]);
    }
    free(tf->paths);
    free(tf->reals);
    free(tf->index_path);
    if (tf->has_index) {
        mm_index_free(&tf->index);
    }
    memset(tf, 0, sizeof(*tf));
}
