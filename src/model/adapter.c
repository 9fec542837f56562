/*
 * adapter.c - PEFT adapters: a folder holding adapter_config.json beside
 * adapter_model.safetensors (or adapter_model.bin), as peft's
 * save_pretrained writes it. The adapter's weights are small; the memory
 * that matters is the base model's plus the adapter's, so the base
 * model named by base_model_name_or_path, when the caller finds it, is
 * loaded with the adapter as one inventory: the base's files first, then
 * the adapter's, every file checked to lie in its own model's folder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/json_scan.h"
#include "model/path_safety.h"
#include "model/target.h"

static bool has_file(const char *dir, const char *name)
{
    struct stat sb;
    char p[4096];
    const int n = snprintf(p, sizeof(p), "%s/%s", dir, name);
    return n > 0 && (size_t)n < sizeof(p) && stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The folder TARGET names, or the one its file is in. */
static int folder_of(char *out, size_t size, const char *target)
{
    struct stat sb;
    const char *slash;
    int n;
    if (stat(target, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        n = snprintf(out, size, "%s", target);
    } else if ((slash = strrchr(target, '/')) == NULL) {
        n = snprintf(out, size, ".");
    } else {
        n = snprintf(out, size, "%.*s", slash == target ? 1 : (int)(slash - target), target);
    }
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

/* A top-level string member of adapter_config.json, copied into out. */
static void keep_string(char *out, size_t size, const char *s, size_t len)
{
    if (len < size) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
}

static enum mm_status parse_config(struct mm_adapter *out, const uint8_t *data, size_t len,
                                   const char *path, struct mm_error *err)
{
    struct mm_json j;
    bool first = true;
    bool more = true;
    enum mm_status st;
    mm_json_init(&j, data, len, 0, path, err);
    st = mm_json_expect(&j, '{', "expected a JSON object");
    while (st == MM_OK) {
        const char *k;
        size_t klen;
        st = mm_json_member(&j, &first, &more, &k, &klen, NULL);
        if (st != MM_OK || !more) {
            break;
        }
        if (klen == 23 && memcmp(k, "base_model_name_or_path", 23) == 0 &&
            mm_json_peek(&j) == '"') {
            const char *v;
            size_t vlen;
            st = mm_json_string(&j, &v, &vlen);
            if (st == MM_OK && memchr(v, '\0', vlen) == NULL) {
                keep_string(out->base_model, sizeof(out->base_model), v, vlen);
            }
        } else if (klen == 9 && memcmp(k, "peft_type", 9) == 0 && mm_json_peek(&j) == '"') {
            const char *v;
            size_t vlen;
            st = mm_json_string(&j, &v, &vlen);
            if (st == MM_OK && memchr(v, '\0', vlen) == NULL) {
                keep_string(out->peft_type, sizeof(out->peft_type), v, vlen);
            }
        } else if (klen == 1 && k[0] == 'r' && mm_json_peek(&j) != '"') {
            struct mm_jnum num;
            st = mm_json_number(&j, &num);
            if (st == MM_OK && num.is_int && !num.negative && !num.overflow) {
                out->rank = num.u;
            }
        } else {
            st = mm_json_skip(&j, 1);
        }
    }
    if (st == MM_OK && mm_json_peek(&j) != -1) {
        st = mm_json_syntax(&j, "trailing characters");
    }
    mm_json_fini(&j);
    return st;
}

enum mm_status mm_adapter_probe(struct mm_adapter *out, const char *target,
                                struct mm_error *err)
{
    char dir[4096];
    char path[4200];
    char *root = NULL;
    char *real = NULL;
    struct mm_real_dir rd = MM_REAL_DIR_INIT;
    struct mm_source src;
    uint8_t *data = NULL;
    enum mm_status st;
    mm_error_clear(err);
    memset(out, 0, sizeof(*out));
    if (target == NULL || folder_of(dir, sizeof(dir), target) != 0 ||
        !has_file(dir, "adapter_config.json") ||
        !(has_file(dir, "adapter_model.safetensors") || has_file(dir, "adapter_model.bin"))) {
        return mm_fail(err, MM_ERR_NOT_FOUND, MM_E_NOT_FOUND, target, NULL, -1,
                       "not a PEFT adapter folder");
    }
    snprintf(path, sizeof(path), "%s/adapter_config.json", dir);
    /* like every file of a model, it lies in the model's folder */
    st = mm_model_root(&root, dir, err);
    if (st == MM_OK) {
        st = mm_path_inside(&real, root, &rd, path, err);
    }
    if (st == MM_OK) {
        st = mm_source_open(&src, real != NULL ? real : path, path, err);
    }
    if (st == MM_OK) {
        if (src.size > MM_LIMIT_CONFIG_BYTES) {
            st = mm_fail(err, MM_ERR_LIMIT, MM_E_LIMIT_CONFIG_BYTES, path, NULL, -1,
                         "larger than %u bytes", MM_LIMIT_CONFIG_BYTES);
        } else if ((data = malloc(src.size == 0 ? 1 : (size_t)src.size)) == NULL) {
            st = mm_fail_nomem(err, path);
        } else {
            st = mm_source_read(&src, 0, data, (size_t)src.size, MM_E_IO, err);
        }
        if (st == MM_OK) {
            st = parse_config(out, data, (size_t)src.size, path, err);
        }
        mm_source_close(&src);
    }
    free(data);
    free(real);
    free(root);
    mm_real_dir_free(&rd);
    return st;
}

/* Moves the adapter plan `b` onto the end of the base plan `a`: its jobs,
 * indexes and component prefixes; `b` is left empty but for its root. */
static enum mm_status plan_append(struct mm_plan *a, struct mm_plan *b, struct mm_error *err)
{
    const size_t jobs = a->njobs;
    const size_t ixs = a->nindexes;
    size_t i;
    if (a->njobs + b->njobs > MM_LIMIT_FILES) {
        return mm_fail(err, MM_ERR_LIMIT, MM_E_LIMIT_FILES, NULL, NULL, -1,
                       "more than %u weight files", MM_LIMIT_FILES);
    }
    if (!mm_grow((void **)&a->jobs, &a->cap, a->njobs + b->njobs, sizeof(*a->jobs)) ||
        !mm_grow((void **)&a->indexes, &a->icap, a->nindexes + b->nindexes,
                 sizeof(*a->indexes)) ||
        !mm_grow((void **)&a->prefixes, &a->pcap, a->nprefixes + b->nprefixes,
                 sizeof(*a->prefixes))) {
        return mm_fail_nomem(err, NULL);
    }
    for (i = 0; i < b->njobs; i++) {
        a->jobs[a->njobs] = b->jobs[i];
        if (a->jobs[a->njobs].index_id >= 0) {
            a->jobs[a->njobs].index_id += (long)ixs;
        }
        a->njobs++;
    }
    for (i = 0; i < b->nindexes; i++) {
        a->indexes[a->nindexes] = b->indexes[i];
        a->indexes[a->nindexes].first_job += jobs;
        a->nindexes++;
    }
    for (i = 0; i < b->nprefixes; i++) {
        a->prefixes[a->nprefixes++] = b->prefixes[i];
    }
    b->njobs = 0;
    b->nindexes = 0;
    b->nprefixes = 0;
    return MM_OK;
}

/* The base model's files are shown with its folder ("BASE/model.safetensors"):
 * the adapter's folder is the target's. */
static enum mm_status show_base_paths(struct mm_plan *pl)
{
    size_t i;
    for (i = 0; i < pl->njobs; i++) {
        char *rel = strdup(pl->jobs[i].path);
        if (rel == NULL) {
            return MM_ERR_NOMEM;
        }
        free(pl->jobs[i].rel);
        pl->jobs[i].rel = rel;
    }
    return MM_OK;
}

enum mm_status mm_inventory_load_with_base(struct mm_inventory **out, const char *target,
                                           const char *base,
                                           const struct mm_load_options *opts,
                                           struct mm_error *err)
{
    struct mm_plan pa;
    struct mm_plan pb;
    enum mm_status st;
    mm_error_clear(err);
    *out = NULL;
    if (base == NULL) {
        return mm_fail(err, MM_ERR_INVALID_ARG, MM_E_INVALID_ARG, target, NULL, -1,
                       "no base model");
    }
    st = mm_plan_target(&pa, base, err);
    if (st != MM_OK) {
        return st;
    }
    if (show_base_paths(&pa) != MM_OK) {
        mm_plan_free(&pa);
        return mm_fail_nomem(err, base);
    }
    st = mm_plan_target(&pb, target, err);
    if (st != MM_OK) {
        mm_plan_free(&pa);
        return st;
    }
    st = plan_append(&pa, &pb, err);
    mm_plan_free(&pb);
    if (st == MM_OK) {
        st = mm_plan_execute(out, &pa, opts, err);
    }
    mm_plan_free(&pa);
    return st;
}
