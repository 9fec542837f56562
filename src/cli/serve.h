/* serve.h - what the files of `modelmem serve` share: the embedded page,
 * the pure request checks (serve_path.c), the model catalog
 * (serve_models.c) and the API handlers (serve_api.c). The server uses
 * the rest of the front end as the command line does, through cli.h. */
#ifndef MM_SERVE_H
#define MM_SERVE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Limits of one request (modelmem(1), serve). */
#define SERVE_MAX_URL 1024u       /* bytes of the path */
#define SERVE_MAX_QUERY 2048u     /* bytes of the query arguments, names and values */
#define SERVE_MAX_ARGS 32u        /* query arguments */
#define SERVE_MAX_HEADERS 64u     /* request header lines */
#define SERVE_MAX_MODEL_NAME 1024u

/* A file of web/, compiled in (web_assets.c, generated at build time). */
struct serve_asset {
    const char *path; /* "/index.html", "/views/models.js", ... */
    const char *type; /* the Content-Type */
    const unsigned char *data;
    size_t size;
};
extern const struct serve_asset serve_assets[];
extern const size_t serve_asset_count;

/* What a request's path asks for. */
enum serve_route {
    ROUTE_NONE = 0, /* 404 */
    ROUTE_ASSET,    /* *asset is set */
    ROUTE_MODELS,   /* /api/models */
    ROUTE_ESTIMATE, /* /api/estimate */
    ROUTE_INSPECT   /* /api/inspect */
};

/* ---- serve_path.c: pure functions of the request, no I/O --------------- */

/* The route of `path` (the URL path, already percent-decoded by the HTTP
 * layer, `len` bytes); "/" is /index.html. Anything but an exact asset or
 * API path is ROUTE_NONE: no file name is ever made from a request. */
enum serve_route serve_route_of(const char *path, size_t len, const struct serve_asset *assets,
                                size_t nassets, size_t *asset);

/*
 * The index in `names` (n of them, NULL entries skipped; names[i] belongs
 * to model names_model[i]) of the name exactly equal to the `len` bytes of
 * `req`, or -1. A request with a NUL or control byte, or longer than
 * SERVE_MAX_MODEL_NAME, matches nothing. Only a name the catalog holds
 * matches: "..", absolute paths and names of files outside the ROOTs are
 * not names, so nothing is opened for them.
 */
long serve_model_lookup(const char *const *names, size_t n, const char *req, size_t len);

/* Whether a query argument name is one of estimate's options the API
 * takes: those the option table marks CLI_WEB (options.c), without "--";
 * never --config, --threads, --json, --help, ... which name files or
 * change the document. */
bool serve_option_allowed(const char *name);

/*
 * argv[*argc] gets the option for the query argument name=value, as the
 * command line writes it: "--name=value", or "--name" for a flag (value
 * NULL or empty). The string is written into buf (size bytes). Returns 0,
 * or -1 when the name is not allowed or it does not fit.
 */
int serve_option_arg(char *buf, size_t size, const char *name, const char *value);

/* Whether the Authorization header `auth` (may be NULL) is "Bearer TOKEN";
 * the comparison takes the same time wherever the first difference is. */
bool serve_token_ok(const char *auth, const char *token, size_t token_len);

/* Percent-decodes s in place (RFC 3986, 2.1) and returns its new length;
 * "%00" is left as it is, so that no name or path gains a NUL that would
 * cut it short. */
size_t serve_unescape(char *s);

/* Whether the numeric address `addr` is a loopback one (127/8, ::1). */
bool serve_addr_loopback(const char *addr);

/* ---- serve_models.c: the models under the ROOTs ------------------------ */

/* Names of a cache snapshot kept: ORG/NAME, @COMMIT and @REF for its refs. */
#define SERVE_MODEL_ALIASES 6u

/* One model found under a ROOT. */
struct serve_model {
    char *path;     /* the TARGET to load: ROOT as given, then the path below it */
    char *rel;      /* the path below its ROOT ("" when ROOT is the model) */
    char *id;       /* ORG/NAME in a Hugging Face cache, else NULL */
    char *revision; /* the snapshot's commit, else NULL */
    /* cache: "ORG/NAME@COMMIT", "ORG/NAME@REF"..., and "ORG/NAME" for the
     * snapshot of main (or the only one); NULL after the last */
    char *alias[SERVE_MODEL_ALIASES];
    size_t root;
};

struct mm_scan;
struct serve_catalog {
    struct mm_scan *scan;      /* what mm_scan_find found under the ROOTs */
    const char *const *roots;  /* the ROOTs, as given (not owned) */
    size_t nroots;
    /* the scan's models that can be read (a row with a scan error is
     * none), in the scan's order */
    struct serve_model *models;
    size_t count;
    /* the names a request may give (4 per model: id, id@rev, rel, path;
     * NULL where none), for serve_model_lookup */
    const char **names;
};

/* The models mm_scan_find finds under the ROOTs (folders, Hugging Face
 * caches, weight files; links that leave their ROOT are not followed,
 * hidden names are skipped), and their names. `roots` must outlive the
 * catalog. 0 or -1 (out of memory). */
int serve_catalog_build(struct serve_catalog **out, const char *const *roots, size_t nroots);
void serve_catalog_free(struct serve_catalog *c);
/* The model a request names, or NULL. */
const struct serve_model *serve_catalog_find(const struct serve_catalog *c, const char *req);

/* The document `modelmem scan --json ROOT...` prints for the catalog's
 * ROOTs (CONTRACT.md, scan), written to f. 0, or -1 when out of memory. */
int serve_models_json(FILE *f, const struct serve_catalog *c);

/* ---- serve_api.c: the JSON answers ------------------------------------- */

/* An answer: status and a malloc'd body (free()). */
struct serve_reply {
    unsigned status;
    char *body;
    size_t size;
    const char *type;
};

/* A query argument of the request, in order. */
struct serve_arg {
    const char *name;
    const char *value; /* NULL for a name without '=' */
};

void serve_reply_error(struct serve_reply *r, unsigned status, const char *code,
                       const char *message);
/* /api/estimate and /api/inspect for the model at `path` (a catalog
 * model's path) with the query's options. */
void serve_api_estimate(struct serve_reply *r, const char *path, const struct serve_arg *args,
                        size_t nargs);
void serve_api_inspect(struct serve_reply *r, const char *path, const struct serve_arg *args,
                       size_t nargs);
void serve_api_models(struct serve_reply *r, const struct serve_catalog *c);

/* ---- serve_http.c: the server ------------------------------------------ */

struct serve_mhd;
struct serve_server {
    const struct serve_mhd *mhd; /* libmicrohttpd, loaded (serve_mhd.h) */
    const char *const *roots;
    size_t nroots;
    struct serve_catalog *catalog; /* swapped under `lock` by /api/models */
    pthread_rwlock_t lock;
    /* /api/models: one walk at a time, its document kept for a few seconds */
    pthread_mutex_t walk;
    char *models_doc;
    size_t models_size;
    long long models_time;
    const char *token;             /* NULL: no token asked */
    size_t token_len;
    bool quiet;
};

struct MHD_Daemon;
/* Starts serving on the listening socket fd; NULL on failure. */
struct MHD_Daemon *serve_http_start(struct serve_server *s, int fd);

#endif
