/* serve_models.c - the models under the server's ROOTs, for GET
 * /api/models and the names /api/estimate and /api/inspect take.
 *
 * The models are those `modelmem scan ROOT...` finds (mm_scan_find: model
 * folders, weight files given as ROOT, Hugging Face cache repositories;
 * hidden names skipped, no link followed out of its ROOT), and
 * /api/models is the document `modelmem scan --json ROOT...` prints for
 * them (scan_json_document, cmd_scan.c), rows' "estimate" included. The
 * names a request may give are made from that document's rows only: a
 * row's "path", that path below its ROOT, and for a cache snapshot its
 * "id" with "@REVISION" or "@REF" (one of its "refs"), and the bare "id"
 * for the snapshot of main (or the only one). A row the scan could not
 * resolve (a ref naming no snapshot: its "error" is set, its path is no
 * model) has no name. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/scan_rows.h"
#include "cli/serve.h"

#define NAMES_PER_MODEL (SERVE_MODEL_ALIASES + 2u)

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

/* Gives m one more name: "ID" (name NULL) or "ID@name". -1 when out of
 * memory; more names than SERVE_MODEL_ALIASES are not kept (the commit,
 * given first, still names the snapshot). */
static int alias(struct serve_model *m, const char *name)
{
    char buf[1024];
    size_t k;
    if (name == NULL) {
        snprintf(buf, sizeof(buf), "%s", m->id);
    } else if (snprintf(buf, sizeof(buf), "%s@%s", m->id, name) >= (int)sizeof(buf)) {
        return 0;
    }
    for (k = 0; k < SERVE_MODEL_ALIASES && m->alias[k] != NULL; k++) {
        if (strcmp(m->alias[k], buf) == 0) {
            return 0;
        }
    }
    if (k == SERVE_MODEL_ALIASES) {
        return 0;
    }
    m->alias[k] = strdup(buf);
    return m->alias[k] == NULL ? -1 : 0;
}

/* The path below its ROOT: `path` less "ROOT/" ("" when ROOT is it). */
static const char *below_root(const char *path, const char *root)
{
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/') {
        n--;
    }
    if (strncmp(path, root, n) != 0) {
        return NULL;
    }
    if (path[n] == '\0') {
        return "";
    }
    return path[n] == '/' ? path + n + 1 : NULL;
}

static int add(struct serve_catalog *c, const struct mm_scan *scan,
               const struct mm_scan_model *sm, const char *const *roots)
{
    struct serve_model *m = &c->models[c->count++];
    const char *rel = below_root(sm->path, roots[sm->root]);
    size_t i;
    size_t same = 0;
    bool main_ref = false;
    memset(m, 0, sizeof(*m));
    m->root = sm->root;
    m->path = strdup(sm->path);
    m->rel = strdup(rel != NULL ? rel : "");
    m->id = dup_or_null(sm->id);
    m->revision = dup_or_null(sm->revision);
    if (m->path == NULL || m->rel == NULL || (sm->id != NULL && m->id == NULL) ||
        (sm->revision != NULL && m->revision == NULL)) {
        return -1;
    }
    if (m->id == NULL) {
        return 0;
    }
    if (m->revision != NULL && alias(m, m->revision) != 0) {
        return -1;
    }
    for (i = 0; i < sm->nrefs; i++) {
        main_ref = main_ref || strcmp(sm->refs[i], "main") == 0;
        if (alias(m, sm->refs[i]) != 0) {
            return -1;
        }
    }
    for (i = 0; i < mm_scan_count(scan); i++) {
        const struct mm_scan_model *o = mm_scan_model(scan, i);
        same += o->error == NULL && o->id != NULL && strcmp(o->id, sm->id) == 0;
    }
    return (main_ref || same == 1) ? alias(m, NULL) : 0;
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
    struct mm_scan_options opts = MM_SCAN_OPTIONS_INIT;
    struct serve_catalog *c;
    struct mm_error err;
    size_t i;
    size_t n;
    *out = NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return -1;
    }
    c->roots = roots;
    c->nroots = nroots;
    if (mm_scan_find(&c->scan, roots, nroots, &opts, &err) != MM_OK) {
        serve_catalog_free(c);
        return -1;
    }
    n = mm_scan_count(c->scan);
    c->models = calloc(n > 0 ? n : 1, sizeof(*c->models));
    if (c->models == NULL) {
        serve_catalog_free(c);
        return -1;
    }
    for (i = 0; i < n; i++) {
        const struct mm_scan_model *sm = mm_scan_model(c->scan, i);
        if (sm->error == NULL && add(c, c->scan, sm, roots) != 0) {
            serve_catalog_free(c);
            return -1;
        }
    }
    if (make_names(c) != 0) {
        serve_catalog_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

void serve_catalog_free(struct serve_catalog *c)
{
    size_t i;
    if (c == NULL) {
        return;
    }
    for (i = 0; i < c->count; i++) {
        size_t k;
        free(c->models[i].path);
        free(c->models[i].rel);
        free(c->models[i].id);
        free(c->models[i].revision);
        for (k = 0; k < SERVE_MODEL_ALIASES; k++) {
            free(c->models[i].alias[k]);
        }
    }
    free(c->models);
    free(c->names);
    mm_scan_free(c->scan);
    free(c);
}

const struct serve_model *serve_catalog_find(const struct serve_catalog *c, const char *req)
{
    const long k = serve_model_lookup(c->names, c->count * NAMES_PER_MODEL, req, strlen(req));
    return k < 0 ? NULL : &c->models[(size_t)k / NAMES_PER_MODEL];
}

int serve_models_json(FILE *f, const struct serve_catalog *c)
{
    return scan_json_document(f, c->scan, c->roots, c->nroots);
}
