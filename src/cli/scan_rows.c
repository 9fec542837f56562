/* scan_rows.c - the figures of each model a scan found: its inventory
 * (read with the library's loader), the bytes its files take on disk, the
 * estimate and, with the memory options, the memory plan. Models are read
 * by a small pool of threads; a broken model is a row with its error. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/scan_rows.h"

/* Models read at once when --threads is 0 (one per CPU) at most. */
#define SCAN_MAX_WORKERS 8u

struct pool {
    struct scan_ctx *ctx;
    pthread_mutex_t lock;
    pthread_cond_t done_cv;
    size_t next;
    size_t done;
    int nomem;
};

/* What one worker keeps between rows. */
struct worker {
    struct out o;
    struct cli_memory mem;
    struct mm_estimate est;
};

void scan_row_free(struct scan_row *r)
{
    free(r->name);
    free(r->err);
    free(r->estimate_json);
    free(r->ids);
    memset(r, 0, sizeof(*r));
}

static int set_error(struct scan_row *r, const struct mm_error *e)
{
    if (r->err == NULL) {
        r->err = malloc(sizeof(*r->err));
        if (r->err == NULL) {
            return -1;
        }
    }
    *r->err = *e;
    return 0;
}

int scan_cmp_file_id(const void *a, const void *b)
{
    const struct scan_file_id *x = a;
    const struct scan_file_id *y = b;
    if (x->dev != y->dev) {
        return x->dev < y->dev ? -1 : 1;
    }
    return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* The formats of the files, joined with '+', and the real files' sizes,
 * each (device, inode) once. */
static int files_of(struct scan_row *r, const struct mm_inventory *inv, const char *path)
{
    const size_t nf = mm_inventory_file_count(inv);
    struct stat sb;
    const bool is_dir = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
    const char *slash = strrchr(path, '/');
    const size_t dlen = is_dir ? strlen(path) : slash != NULL ? (size_t)(slash - path) : 0;
    size_t i;
    size_t k;
    r->ids = calloc(nf > 0 ? nf : 1, sizeof(*r->ids));
    if (r->ids == NULL) {
        return -1;
    }
    for (i = 0; i < nf; i++) {
        const struct mm_file *f = mm_inventory_file(inv, i);
        char full[8192];
        const size_t flen = strlen(r->format);
        if (strstr(r->format, f->format) == NULL &&
            flen + strlen(f->format) + 2 < sizeof(r->format)) {
            snprintf(r->format + flen, sizeof(r->format) - flen, "%s%s", flen > 0 ? "+" : "",
                     f->format);
        }
        snprintf(full, sizeof(full), "%.*s%s%s", (int)dlen, path,
                 dlen > 0 || (!is_dir && slash != NULL) ? "/" : "", f->path);
        if (stat(full, &sb) == 0) {
            r->ids[r->nids].dev = (uint64_t)sb.st_dev;
            r->ids[r->nids].ino = (uint64_t)sb.st_ino;
            r->ids[r->nids].size = (uint64_t)sb.st_size;
            r->nids++;
        }
    }
    qsort(r->ids, r->nids, sizeof(*r->ids), scan_cmp_file_id);
    for (i = 0, k = 0; i < r->nids; i++) {
        if (k == 0 || scan_cmp_file_id(&r->ids[k - 1], &r->ids[i]) != 0) {
            r->ids[k++] = r->ids[i];
            r->disk_bytes += r->ids[i].size;
        }
    }
    r->nids = k;
    return 0;
}

/* The "estimate" object: accelerate's figures, then the members estimate
 * --json adds (render_memory_json), rendered into a string. */
static int render_estimate(struct scan_row *r, struct worker *w)
{
    const struct mm_estimate *e = &w->est;
    size_t len = 0;
    size_t i;
    FILE *f = open_memstream(&r->estimate_json, &len);
    if (f == NULL) {
        return -1;
    }
    out_init(&w->o, f);
    out_str(&w->o, "{\"largest_layer\": {\"name\": ");
    out_json_str(&w->o, e->largest_layer);
    out_str(&w->o, ", \"parameters\": ");
    out_u64(&w->o, e->largest_layer_parameters);
    out_str(&w->o, "}, \"estimates\": [");
    for (i = 0; i < e->nrows; i++) {
        const struct mm_estimate_row *x = &e->rows[i];
        out_str(&w->o, i == 0 ? "{\"dtype\": " : ", {\"dtype\": ");
        out_json_str(&w->o, mm_est_dtype_name(x->dtype));
        out_str(&w->o, ", \"largest_layer_bytes\": ");
        out_u64(&w->o, x->largest_layer_bytes);
        out_str(&w->o, ", \"total_bytes\": ");
        out_u64(&w->o, x->total_bytes);
        out_str(&w->o, ", \"training_adam_bytes\": ");
        if (x->has_training) {
            out_u64(&w->o, x->training_adam_bytes);
        } else {
            out_str(&w->o, "null");
        }
        out_str(&w->o, "}");
    }
    out_str(&w->o, "]");
    render_memory_json(&w->o, &w->mem);
    out_str(&w->o, "}");
    out_flush(&w->o);
    return fclose(f) == 0 ? 0 : -1;
}

/* The memory figures: config.json beside the weights, the logical
 * parameters, the plan when the options ask for one. A failure here
 * keeps the row's figures and records the error. */
static int memory_of(struct scan_row *r, struct worker *w, const struct scan_ctx *ctx,
                     const struct mm_inventory *inv)
{
    struct cli_memory *m = &w->mem;
    struct mm_error e;
    enum mm_status st = MM_ERR_NOT_FOUND;
    *m = *ctx->mem; /* the options; cfg and results are this row's */
    m->cfg = NULL;
    m->config_file[0] = '\0';
    m->params.inference = m->any;
    if (mm_config_path(m->config_file, sizeof(m->config_file), r->model->path) == 0) {
        st = mm_config_load_for(&m->cfg, r->model->path, &e);
    }
    if (st != MM_OK) {
        m->config_file[0] = '\0';
        if (st != MM_ERR_NOT_FOUND && m->any && set_error(r, &e) != 0) {
            return -1;
        }
        if (st != MM_ERR_NOT_FOUND && m->any) {
            return 0;
        }
    }
    memset(&m->result, 0, sizeof(m->result));
    m->stored_parameters = r->parameters;
    if (mm_logical_parameters(&m->result.logical_parameters, m->logical_by_dtype, inv, m->cfg) !=
        MM_OK) {
        return -1;
    }
    if (m->any) {
        if (mm_memory_run(&m->result, inv, m->cfg, &m->params, &e) != MM_OK) {
            /* the plan is the model's, not one file's: name the model */
            snprintf(e.file, sizeof(e.file), "%s", r->model->path);
            return set_error(r, &e);
        }
        r->has_memory = true;
        r->inference_bytes = m->result.device.inference_bytes;
        r->training_bytes = m->result.device.training_bytes;
        if (m->result.has_training) {
            r->fits = m->result.device.training_fits;
            r->min_gpus = m->result.device.training_min_gpus;
        } else {
            r->fits = m->result.device.inference_fits;
            r->min_gpus = m->result.device.inference_min_gpus;
        }
    }
    return 0;
}

/* One row; -1 only when out of memory. */
static int fill(struct scan_row *r, struct worker *w, const struct scan_ctx *ctx)
{
    struct mm_load_options lo = MM_LOAD_OPTIONS_INIT;
    struct mm_inventory *inv = NULL;
    struct mm_error e;
    const struct mm_totals *t;
    int rc;
    if (r->model->error != NULL) {
        return set_error(r, r->model->error);
    }
    lo.threads = 1; /* the pool reads models in parallel already */
    lo.allow_unsafe_pickle = ctx->c->allow_unsafe_pickle;
    if (mm_inventory_load(&inv, r->model->path, &lo, &e) != MM_OK) {
        return e.status == MM_ERR_NOMEM ? -1 : set_error(r, &e);
    }
    t = mm_inventory_totals(inv);
    r->loaded = true;
    r->files = mm_inventory_file_count(inv);
    r->tensors = t->tensors;
    r->parameters = t->parameters;
    r->stored_bytes = t->bytes;
    memcpy(r->by_dtype, t->parameters_by_dtype, sizeof(r->by_dtype));
    rc = files_of(r, inv, r->model->path);
    if (rc == 0 && !ctx->json && !ctx->mem->any) {
        /* the table shows none of the estimate's figures: config.json is
         * not even read */
    } else if (rc == 0 && mm_estimate_run(&w->est, inv, ctx->est, &e) != MM_OK) {
        rc = set_error(r, &e);
    } else if (rc == 0) {
        rc = memory_of(r, w, ctx, inv);
        if (rc == 0 && ctx->json && r->err == NULL) {
            rc = render_estimate(r, w);
        }
        mm_config_free(w->mem.cfg);
        w->mem.cfg = NULL;
    }
    mm_inventory_free(inv);
    return rc;
}

static void *work(void *arg)
{
    struct pool *p = arg;
    struct worker *w = malloc(sizeof(*w));
    pthread_mutex_lock(&p->lock);
    if (w == NULL) {
        p->nomem = 1;
    }
    for (;;) {
        size_t i;
        int rc;
        if (p->next >= p->ctx->n || p->nomem) {
            break;
        }
        i = p->next++;
        pthread_mutex_unlock(&p->lock);
        rc = fill(&p->ctx->rows[i], w, p->ctx);
        pthread_mutex_lock(&p->lock);
        p->nomem |= rc != 0;
        p->done++;
        if (p->done == p->ctx->n || (p->nomem && p->done == p->next)) {
            pthread_cond_broadcast(&p->done_cv); /* the waiter wakes once */
        }
    }
    pthread_mutex_unlock(&p->lock);
    free(w);
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits for the workers, showing "scanned N of M models" after a second. */
static void wait_all(struct pool *p, bool progress)
{
    const double start = now_s();
    bool shown = false;
    pthread_mutex_lock(&p->lock);
    while (p->done < p->ctx->n && !(p->nomem && p->next == p->done)) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 200000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->done_cv, &p->lock, &until);
        if (progress && now_s() - start > 1.0) {
            fprintf(stderr, "\rmodelmem: scanned %zu of %zu models", p->done, p->ctx->n);
            fflush(stderr);
            shown = true;
        }
    }
    pthread_mutex_unlock(&p->lock);
    if (shown) {
        fprintf(stderr, "\r%60s\r", "");
        fflush(stderr);
    }
}

int scan_rows_run(struct scan_ctx *ctx, bool progress)
{
    struct pool p;
    pthread_t tids[64];
    unsigned want = ctx->c->threads;
    unsigned started = 0;
    unsigned i;
    memset(&p, 0, sizeof(p));
    p.ctx = ctx;
    if (want == 0) {
        const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        want = cpus > 0 ? (unsigned)cpus : 1;
        want = want > SCAN_MAX_WORKERS ? SCAN_MAX_WORKERS : want;
    }
    if (want > ctx->n) {
        want = ctx->n > 0 ? (unsigned)ctx->n : 1;
    }
    if (want > sizeof(tids) / sizeof(tids[0])) {
        want = sizeof(tids) / sizeof(tids[0]);
    }
    if (pthread_mutex_init(&p.lock, NULL) != 0) {
        return -1;
    }
    if (pthread_cond_init(&p.done_cv, NULL) != 0) {
        pthread_mutex_destroy(&p.lock);
        return -1;
    }
    for (i = 0; i < want; i++) {
        if (pthread_create(&tids[started], NULL, work, &p) != 0) {
            break;
        }
        started++;
    }
    if (started == 0) {
        work(&p); /* no thread: the rows are still read, here */
    } else {
        wait_all(&p, progress);
    }
    for (i = 0; i < started; i++) {
        pthread_join(tids[i], NULL);
    }
    pthread_cond_destroy(&p.done_cv);
    pthread_mutex_destroy(&p.lock);
    return p.nomem ? -1 : 0;
}
