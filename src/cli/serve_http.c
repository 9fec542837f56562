/* serve_http.c - the HTTP side of `modelmem serve`, on libmicrohttpd
 * (through the table of serve_mhd.h): limits, methods, the token, routes,
 * security headers, the log line.
 * Requests are answered whole on their first call: GET and HEAD have no
 * body to wait for. */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/serve.h"
#include "cli/serve_mhd.h"

/* libmicrohttpd's limits (modelmem(1), serve). */
#define POOL_THREADS 4u
#define MAX_CONNECTIONS 64u
#define MAX_PER_IP 32u
#define CONNECTION_MEMORY (32u * 1024u) /* request line and headers fit in it */
#define CONNECTION_TIMEOUT_S 10u        /* idle or slow connection, seconds */

/* The query arguments, in order, bounded. */
struct args {
    struct serve_arg a[SERVE_MAX_ARGS];
    size_t n;
    size_t bytes;
    bool over;
};

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    struct args *q = cls;
    (void)kind;
    q->bytes += strlen(key) + (value != NULL ? strlen(value) : 0) + 2;
    if (q->n >= SERVE_MAX_ARGS || q->bytes > SERVE_MAX_QUERY) {
        q->over = true;
        return MHD_NO;
    }
    q->a[q->n].name = key;
    q->a[q->n].value = value;
    q->n++;
    return MHD_YES;
}

static void log_line(const struct serve_server *s, const char *method, const char *url,
                     unsigned status, size_t size, const struct timespec *t0)
{
    char path[256];
    struct timespec t1;
    size_t i;
    long ms;
    if (s->quiet) {
        return;
    }
    /* the path as a terminal may show it: printable ASCII, the rest '?' */
    for (i = 0; url[i] != '\0' && i + 1 < sizeof(path); i++) {
        const unsigned char c = (unsigned char)url[i];
        path[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    path[i] = '\0';
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (long)(t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
    fprintf(stderr, "modelmem: %s %s %u %zu bytes %ld ms\n",
            strcmp(method, "GET") == 0 ? "GET" : strcmp(method, "HEAD") == 0 ? "HEAD" : "-",
            path, status, size, ms);
}

static enum MHD_Result queue(const struct serve_mhd *mhd, struct MHD_Connection *c,
                              unsigned status, struct MHD_Response *resp, const char *type,
                              bool cache)
{
    enum MHD_Result ok;
    if (resp == NULL) {
        return MHD_NO;
    }
    mhd->add_response_header(resp, "Content-Type", type);
    mhd->add_response_header(resp, "Content-Security-Policy", "default-src 'self'");
    mhd->add_response_header(resp, "X-Content-Type-Options", "nosniff");
    mhd->add_response_header(resp, "Referrer-Policy", "no-referrer");
    mhd->add_response_header(resp, "X-Frame-Options", "DENY");
    mhd->add_response_header(resp, "Cache-Control", cache ? "no-cache" : "no-store");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
        mhd->add_response_header(resp, "Allow", "GET, HEAD");
    }
    if (status == MHD_HTTP_UNAUTHORIZED) {
        mhd->add_response_header(resp, "WWW-Authenticate", "Bearer");
    }
    ok = mhd->queue_response(c, status, resp);
    mhd->destroy_response(resp);
    return ok;
}

/* The model a request names, its path copied out under the lock. */
static bool find_model(struct serve_server *s, const struct args *q, char *path, size_t size)
{
    const char *name = NULL;
    const struct serve_model *m;
    size_t i;
    bool found = false;
    for (i = 0; i < q->n; i++) {
        if (strcmp(q->a[i].name, "model") == 0) {
            name = q->a[i].value;
        }
    }
    if (name == NULL) {
        return false;
    }
    pthread_rwlock_rdlock(&s->lock);
    m = serve_catalog_find(s->catalog, name);
    if (m != NULL && strlen(m->path) < size) {
        memcpy(path, m->path, strlen(m->path) + 1);
        found = true;
    }
    pthread_rwlock_unlock(&s->lock);
    return found;
}

/* Seconds a model list stays fresh: a store's new models show after at
 * most this long, and no stream of requests walks the store more often. */
#define MODELS_FRESH_S 10

static long long now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec;
}

/* Walks the ROOTs again and keeps the new catalog and its document. */
static void refresh(struct serve_server *s)
{
    struct serve_catalog *fresh = NULL;
    struct serve_catalog *old;
    struct serve_reply doc = {0, NULL, 0, NULL};
    if (serve_catalog_build(&fresh, s->roots, s->nroots) != 0) {
        return;
    }
    serve_api_models(&doc, fresh);
    if (doc.body == NULL) {
        serve_catalog_free(fresh);
        return;
    }
    free(s->models_doc);
    s->models_doc = doc.body;
    s->models_size = doc.size;
    s->models_time = now_s();
    pthread_rwlock_wrlock(&s->lock);
    old = s->catalog;
    s->catalog = fresh;
    pthread_rwlock_unlock(&s->lock);
    serve_catalog_free(old);
}

/* /api/models: the list, walked again when older than MODELS_FRESH_S. */
static void models(struct serve_server *s, struct serve_reply *r)
{
    char *copy;
    pthread_mutex_lock(&s->walk);
    if (s->models_doc == NULL || now_s() - s->models_time >= MODELS_FRESH_S) {
        refresh(s);
    }
    copy = s->models_doc != NULL ? malloc(s->models_size + 1) : NULL;
    if (copy != NULL) {
        memcpy(copy, s->models_doc, s->models_size);
        r->status = 200;
        r->body = copy;
        r->size = s->models_size;
        r->type = "application/json";
    }
    pthread_mutex_unlock(&s->walk);
    if (copy == NULL) {
        serve_reply_error(r, 500, "out-of-memory", "out of memory");
    }
}

static void api(struct serve_server *s, struct serve_reply *r, enum serve_route route,
                const struct args *q)
{
    char path[4096];
    if (route == ROUTE_MODELS) {
        if (q->n > 0) {
            serve_reply_error(r, 400, "bad-option", "/api/models takes no arguments");
        } else {
            models(s, r);
        }
        return;
    }
    if (!find_model(s, q, path, sizeof(path))) {
        serve_reply_error(r, 404, "not-found",
                          "no such model under the served folders (see /api/models)");
    } else if (route == ROUTE_ESTIMATE) {
        serve_api_estimate(r, path, q->a, q->n);
    } else {
        serve_api_inspect(r, path, q->a, q->n);
    }
}

/* The checks every request passes before its route, in order; 0 when it
 * may go on, else the error reply is set. */
static int admit(struct serve_server *s, struct MHD_Connection *c, const char *method,
                 struct args *q, struct serve_reply *r)
{
    const struct serve_mhd *mhd = s->mhd;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        serve_reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method-not-allowed",
                          "only GET and HEAD");
        return -1;
    }
    if (mhd->get_connection_values(c, MHD_HEADER_KIND, NULL, NULL) > (int)SERVE_MAX_HEADERS) {
        serve_reply_error(r, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE, "too-many-headers",
                          "too many header lines");
        return -1;
    }
    if (s->token != NULL &&
        !serve_token_ok(mhd->lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
                        s->token, s->token_len)) {
        serve_reply_error(r, MHD_HTTP_UNAUTHORIZED, "unauthorized",
                          "this server asks for Authorization: Bearer TOKEN");
        return -1;
    }
    mhd->get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, q);
    if (q->over) {
        serve_reply_error(r, MHD_HTTP_URI_TOO_LONG, "query-too-long",
                          "too many or too long query arguments");
        return -1;
    }
    return 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size,
                              void **req_cls)
{
    struct serve_server *s = cls;
    const struct serve_mhd *mhd = s->mhd;
    struct serve_reply r = {0, NULL, 0, NULL};
    struct MHD_Response *resp;
    struct args q;
    struct timespec t0;
    enum serve_route route = ROUTE_NONE;
    size_t asset = 0;
    enum MHD_Result ok;
    static int seen;
    (void)version;
    (void)upload_data;
    const char *clen = mhd->lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    const bool body = (clen != NULL && strcmp(clen, "0") != 0) ||
                      mhd->lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding") != NULL;
    if (*req_cls == NULL && !body &&
        (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)) {
        /* answered on the next call, once the headers are all in: a
         * response queued now would close the connection */
        *req_cls = &seen;
        return MHD_YES;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(&q, 0, sizeof(q));
    if (*upload_data_size != 0 || (body && strcmp(method, "GET") == 0) ||
        (body && strcmp(method, "HEAD") == 0)) {
        /* answered before the body is read; the connection is closed */
        serve_reply_error(&r, MHD_HTTP_CONTENT_TOO_LARGE, "body-not-allowed",
                          "GET and HEAD take no body");
    } else if (admit(s, c, method, &q, &r) == 0) {
        route = serve_route_of(url, strlen(url), serve_assets, serve_asset_count, &asset);
        if (route == ROUTE_ASSET) {
            const struct serve_asset *a = &serve_assets[asset];
            resp = mhd->create_response_from_buffer(a->size, (void *)(uintptr_t)a->data,
                                                    MHD_RESPMEM_PERSISTENT);
            ok = queue(mhd, c, MHD_HTTP_OK, resp, a->type, true);
            log_line(s, method, url, MHD_HTTP_OK, a->size, &t0);
            return ok;
        }
        if (route == ROUTE_NONE) {
            serve_reply_error(&r, MHD_HTTP_NOT_FOUND, "not-found", "no such page");
        } else {
            api(s, &r, route, &q);
        }
    }
    if (r.body == NULL) {
        return MHD_NO; /* out of memory: close the connection */
    }
    resp = mhd->create_response_from_buffer(r.size, r.body, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(r.body);
        return MHD_NO;
    }
    ok = queue(mhd, c, r.status, resp, r.type, false);
    log_line(s, method, url, r.status, r.size, &t0);
    return ok;
}

static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return serve_unescape(s);
}

struct MHD_Daemon *serve_http_start(struct serve_server *s, int fd)
{
    const unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                           (s->quiet ? 0u : (unsigned)MHD_USE_ERROR_LOG);
    return s->mhd->start_daemon(flags, 0, NULL, NULL, handle, s,
                               MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
                               MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)POOL_THREADS,
                               MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
                               MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)MAX_PER_IP,
                               MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
                               MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT_S,
                               MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
                               MHD_OPTION_END);
}
