/* serve_models.c - the models under the server's ROOTs and the scan
 * document of them, for GET /api/models.
 *
 * A minimal listing, kept apart so that the scan library (mm_scan_find and
 * the scan command's renderer) can replace it: serve_catalog_build and
 * serve_models_json are its only entry points. It finds model folders
 * (weight files, an index, model_index.json or modules.json in them),
 * weight files given as ROOT, and Hugging Face cache repositories
 * (models--ORG--NAME, one model per snapshot a ref names), skips hidden
 * names and never follows a link out of its ROOT. */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/serve.h"

/* Folder levels walked below a ROOT, and models listed. */
#define WALK_DEPTH 8u
#define MAX_MODELS 10000u
#define NAMES_PER_MODEL (SERVE_MODEL_ALIASES + 2u)

struct walk {
    struct serve_catalog *cat;
    size_t cap;
    const char *root;   /* as given */
    char root_real[PATH_MAX];
    size_t root_index;
    int failed;
};

static bool ends_with(const char *s, const char *suffix)
{
    const size_t n = strlen(s);
    const size_t k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static bool weight_name(const char *name)
{
    static const char *const ext[] = {".safetensors", ".gguf", ".bin", ".pt", ".pth",
                                      ".ckpt", ".index.json", NULL};
    size_t i;
    if (strcmp(name, "model_index.json") == 0 || strcmp(name, "modules.json") == 0) {
        return true;
    }
    for (i = 0; ext[i] != NULL; i++) {
        if (ends_with(name, ext[i])) {
            return true;
        }
    }
    return false;
}

/* Whether `path` (a folder or file) stays inside the ROOT once its links
 * are followed. */
static bool inside(const struct walk *w, const char *path)
{
    char real[PATH_MAX];
    const size_t n = strlen(w->root_real);
    if (realpath(path, real) == NULL) {
        return false;
    }
    return strncmp(real, w->root_real, n) == 0 &&
           (real[n] == '\0' || real[n] == '/' || strcmp(w->root_real, "/") == 0);
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

/* Adds a model: `path` to load, `rel` below the ROOT; for a cache
 * snapshot its repository id and commit. NULL when nothing was added. */
static struct serve_model *add(struct walk *w, const char *path, const char *rel,
                               const char *id, const char *rev)
{
    struct serve_catalog *c = w->cat;
    struct serve_model *m;
    if (w->failed || c->count >= MAX_MODELS) {
        return NULL;
    }
    if (c->count == w->cap) {
        const size_t cap = w->cap == 0 ? 16 : w->cap * 2;
        struct serve_model *p = realloc(c->models, cap * sizeof(*p));
        if (p == NULL) {
            w->failed = 1;
            return NULL;
        }
        c->models = p;
        w->cap = cap;
    }
    m = &c->models[c->count++];
    memset(m, 0, sizeof(*m));
    m->root = w->root_index;
    m->path = strdup(path);
    m->rel = strdup(rel);
    m->id = dup_or_null(id);
    m->revision = dup_or_null(rev);
    if (m->path == NULL || m->rel == NULL || (id != NULL && m->id == NULL) ||
        (rev != NULL && m->revision == NULL)) {
        w->failed = 1;
        return NULL;
    }
    return m;
}

/* Gives m one more name a request may use: "ID" (name NULL) or "ID@name". */
static void alias(struct walk *w, struct serve_model *m, const char *name)
{
    char buf[1024];
    size_t k;
    for (k = 0; k < SERVE_MODEL_ALIASES && m->alias[k] != NULL; k++) {
    }
    if (k == SERVE_MODEL_ALIASES) {
        return; /* more refs than names kept: the commit still names it */
    }
    if (name == NULL) {
        m->alias[k] = strdup(m->id);
    } else if (snprintf(buf, sizeof(buf), "%s@%s", m->id, name) < (int)sizeof(buf)) {
        m->alias[k] = strdup(buf);
    } else {
        return;
    }
    w->failed |= m->alias[k] == NULL;
}

static int join(char *out, size_t size, const char *a, const char *b)
{
    const int n = a[0] == '\0' ? snprintf(out, size, "%s", b)
                               : snprintf(out, size, "%s/%s", a, b);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names in folder `dir` that are not hidden, sorted; NULL-terminated,
 * owned by the caller (free each, then the array). NULL on failure. */
static char **list_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    size_t cap = 0;
    if (d == NULL) {
        return NULL;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        if (n + 1 >= cap) {
            const size_t more = cap == 0 ? 32 : cap * 2;
            char **p = realloc(names, more * sizeof(*p));
            if (p == NULL) {
                break;
            }
            names = p;
            cap = more;
        }
        names[n] = strdup(e->d_name);
        if (names[n] == NULL) {
            break;
        }
        n++;
    }
    closedir(d);
    if (names != NULL) {
        names[n] = NULL;
        qsort(names, n, sizeof(*names), by_name);
    }
    *count = n;
    return names;
}

static void free_list(char **names)
{
    size_t i;
    for (i = 0; names != NULL && names[i] != NULL; i++) {
        free(names[i]);
    }
    free(names);
}

/* The commit a ref file names, when it is a plain name; 0 or -1. */
static int read_ref(char *commit, size_t size, const struct walk *w, const char *ref)
{
    FILE *f;
    size_t n;
    if (!inside(w, ref)) {
        return -1;
    }
    f = fopen(ref, "r");
    if (f == NULL) {
        return -1;
    }
    n = fread(commit, 1, size - 1, f);
    fclose(f);
    commit[n] = '\0';
    commit[strcspn(commit, "\r\n")] = '\0';
    return commit[0] == '\0' || commit[0] == '.' || strchr(commit, '/') != NULL ? -1 : 0;
}

/* A cache repository models--ORG--NAME: one model per snapshot its refs
 * name, named ORG/NAME@COMMIT and ORG/NAME@REF; ORG/NAME alone names the
 * snapshot of main (or the only one). */
static void cache_repo(struct walk *w, const char *dir, const char *rel, const char *name)
{
    char id[512];
    char refs[PATH_MAX];
    const char *sep = strstr(name + 8, "--");
    const size_t first = w->cat->count;
    size_t nrefs = 0;
    char **list;
    size_t i;
    if (sep == NULL || join(refs, sizeof(refs), dir, "refs") != 0) {
        return;
    }
    snprintf(id, sizeof(id), "%.*s/%s", (int)(sep - (name + 8)), name + 8, sep + 2);
    list = list_dir(refs, &nrefs);
    for (i = 0; i < nrefs && !w->failed; i++) {
        char ref[PATH_MAX];
        char commit[128];
        char snap[PATH_MAX];
        char snaprel[PATH_MAX];
        struct serve_model *m = NULL;
        size_t k;
        if (join(ref, sizeof(ref), refs, list[i]) != 0 ||
            read_ref(commit, sizeof(commit), w, ref) != 0 ||
            snprintf(snap, sizeof(snap), "%s/snapshots/%s", dir, commit) >= (int)sizeof(snap) ||
            snprintf(snaprel, sizeof(snaprel), "%s%ssnapshots/%s", rel, rel[0] ? "/" : "",
                     commit) >= (int)sizeof(snaprel) ||
            !inside(w, snap)) {
            continue;
        }
        for (k = first; k < w->cat->count && m == NULL; k++) {
            if (strcmp(w->cat->models[k].revision, commit) == 0) {
                m = &w->cat->models[k];
            }
        }
        if (m == NULL) {
            m = add(w, snap, snaprel, id, commit);
            if (m != NULL) {
                alias(w, m, commit);
            }
        }
        if (m != NULL) {
            alias(w, m, list[i]);
            if (strcmp(list[i], "main") == 0) {
                alias(w, m, NULL);
            }
        }
    }
    if (w->cat->count == first + 1 && !w->failed && w->cat->models[first].alias[0] != NULL) {
        struct serve_model *m = &w->cat->models[first];
        size_t k;
        bool named = false;
        for (k = 0; k < SERVE_MODEL_ALIASES && m->alias[k] != NULL; k++) {
            named = named || strcmp(m->alias[k], id) == 0;
        }
        if (!named) {
            alias(w, m, NULL); /* the only snapshot, though no ref is main */
        }
    }
    free_list(list);
}

/* Whether the folder holds a weight file or a pipeline's description. */
static bool is_model_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    bool yes = false;
    if (d == NULL) {
        return false;
    }
    while (!yes && (e = readdir(d)) != NULL) {
        yes = e->d_name[0] != '.' && weight_name(e->d_name);
    }
    closedir(d);
    return yes;
}

static void walk_dir(struct walk *w, const char *dir, const char *rel, unsigned depth);

/* The entries of `dir`, visited in name order. */
static void walk_entries(struct walk *w, const char *dir, const char *rel, unsigned depth)
{
    size_t n = 0;
    char **names = list_dir(dir, &n);
    size_t i;
    for (i = 0; i < n && !w->failed; i++) {
        char path[PATH_MAX];
        char sub[PATH_MAX];
        struct stat sb;
        if (join(path, sizeof(path), dir, names[i]) == 0 &&
            join(sub, sizeof(sub), rel, names[i]) == 0 && lstat(path, &sb) == 0 &&
            S_ISDIR(sb.st_mode)) {
            /* links to folders are not followed: one that stays inside the
             * ROOT leads where the walk goes anyway */
            if (strncmp(names[i], "models--", 8) == 0) {
                cache_repo(w, path, sub, names[i]);
            } else if (strncmp(names[i], "datasets--", 10) != 0 &&
                       strncmp(names[i], "spaces--", 8) != 0) {
                walk_dir(w, path, sub, depth + 1);
            }
        }
    }
    free_list(names);
}

static void walk_dir(struct walk *w, const char *dir, const char *rel, unsigned depth)
{
    if (depth > WALK_DEPTH || w->failed) {
        return;
    }
    if (is_model_dir(dir)) {
        if (inside(w, dir)) {
            add(w, dir, rel, NULL, NULL);
        }
        return;
    }
    walk_entries(w, dir, rel, depth);
}

/* The names a request may use for each model, NAMES_PER_MODEL each:
 * its aliases, its path below its ROOT, its path as listed. */
static int make_names(struct serve_catalog *c)
{
    size_t i;
    size_t k;
    c->names = calloc(c->count * NAMES_PER_MODEL + 1, sizeof(*c->names));
    if (c->names == NULL) {
        return -1;
    }
    for (i = 0; i < c->count; i++) {
        const struct serve_model *m = &c->models[i];
        const char **n = c->names + i * NAMES_PER_MODEL;
        for (k = 0; k < SERVE_MODEL_ALIASES; k++) {
            n[k] = m->alias[k];
        }
        n[k] = m->rel[0] != '\0' ? m->rel : NULL;
        n[k + 1] = m->path;
    }
    return 0;
}

int serve_catalog_build(struct serve_catalog **out, const char *const *roots, size_t nroots)
{
    struct walk w;
    size_t r;
    memset(&w, 0, sizeof(w));
    *out = NULL;
    w.cat = calloc(1, sizeof(*w.cat));
    if (w.cat == NULL) {
        return -1;
    }
    for (r = 0; r < nroots && !w.failed; r++) {
        struct stat sb;
        w.root = roots[r];
        w.root_index = r;
        if (realpath(roots[r], w.root_real) == NULL || stat(roots[r], &sb) != 0) {
            continue;
        }
        if (S_ISREG(sb.st_mode)) {
            add(&w, roots[r], "", NULL, NULL);
        } else if (S_ISDIR(sb.st_mode)) {
            walk_dir(&w, roots[r], "", 0);
        }
    }
    if (w.failed || make_names(w.cat) != 0) {
        serve_catalog_free(w.cat);
        return -1;
    }
    *out = w.cat;
    return 0;
}

void serve_catalog_free(struct serve_catalog *c)
{
    size_t i;
    if (c == NULL) {
        return;
    }
    for (i = 0; i < c->count; i++) {
        free(c->models[i].path);
        free(c->models[i].rel);
        size_t k;
        free(c->models[i].id);
        free(c->models[i].revision);
        for (k = 0; k < SERVE_MODEL_ALIASES; k++) {
            free(c->models[i].alias[k]);
        }
    }
    free(c->models);
    free(c->names);
    free(c);
}

const struct serve_model *serve_catalog_find(const struct serve_catalog *c, const char *req)
{
    const long k = serve_model_lookup(c->names, c->count * NAMES_PER_MODEL, req, strlen(req));
    return k < 0 ? NULL : &c->models[(size_t)k / NAMES_PER_MODEL];
}

static void json_or_null(struct out *o, const char *s)
{
    if (s != NULL) {
        out_json_str(o, s);
    } else {
        out_str(o, "null");
    }
}

/* One row: what the model's headers say, or why they cannot be read. */
static void row(struct out *o, const struct serve_model *m)
{
    struct mm_load_options opts = MM_LOAD_OPTIONS_INIT;
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    opts.threads = 1;
    out_str(o, "{\"id\": ");
    json_or_null(o, m->id);
    out_str(o, ", \"revision\": ");
    json_or_null(o, m->revision);
    out_str(o, ", \"path\": ");
    out_json_str(o, m->path);
    if (mm_inventory_load(&inv, m->path, &opts, &err) == MM_OK) {
        const struct mm_totals *t = mm_inventory_totals(inv);
        const size_t nf = mm_inventory_file_count(inv);
        uint64_t disk = 0;
        size_t i;
        for (i = 0; i < nf; i++) {
            disk += mm_inventory_file(inv, i)->bytes;
        }
        out_str(o, ", \"format\": ");
        out_json_str(o, nf > 0 ? mm_inventory_file(inv, 0)->format : "");
        out_str(o, ", \"files\": ");
        out_u64(o, nf);
        out_str(o, ", \"parameters\": ");
        out_u64(o, t->parameters);
        out_str(o, ", \"stored_bytes\": ");
        out_u64(o, t->bytes);
        out_str(o, ", \"disk_bytes\": ");
        out_u64(o, disk);
        out_str(o, ", \"estimate\": null, \"error\": null}");
    } else {
        char line[MM_ERROR_FILE_MAX + MM_ERROR_TENSOR_MAX + MM_ERROR_MESSAGE_MAX + 64];
        mm_error_format(line, sizeof(line), &err);
        out_str(o, ", \"format\": null, \"files\": null, \"parameters\": null, "
                   "\"stored_bytes\": null, \"disk_bytes\": null, \"estimate\": null, "
                   "\"error\": {\"code\": ");
        out_json_str(o, mm_errcode_name(err.code));
        out_str(o, ", \"message\": ");
        out_json_str(o, line);
        out_str(o, "}}");
    }
    mm_inventory_free(inv);
}

void serve_models_json(FILE *f, const struct serve_catalog *c)
{
    struct out *o = malloc(sizeof(*o));
    size_t i;
    if (o == NULL) {
        return;
    }
    out_init(o, f);
    out_str(o, "{\n  \"schema\": \"modelmem.scan/1\",\n  \"models\": [");
    for (i = 0; i < c->count; i++) {
        out_str(o, i == 0 ? "\n    " : ",\n    ");
        row(o, &c->models[i]);
    }
    out_str(o, c->count > 0 ? "\n  ]\n}\n" : "]\n}\n");
    out_flush(o);
    free(o);
}
