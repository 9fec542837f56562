/*
 * torch_walk.c - a checkpoint's object tree turned into named tensors.
 *
 * Nested dicts, OrderedDicts, lists and tuples flatten to dotted names
 * (model.layers.0.weight, optimizer.state.0.exp_avg); other objects are
 * entered through their pickled state. A tensor is a call of one of
 * torch/_utils.py's rebuild functions:
 *   _rebuild_tensor(storage, storage_offset, size, stride)
 *   _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
 *                      backward_hooks[, metadata])
 *   _rebuild_tensor_v3(... as v2 ..., dtype[, metadata])
 *   _rebuild_parameter(data, requires_grad, backward_hooks)
 *   _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state)
 *   torch._tensor._rebuild_from_type_v2(func, new_type, args, state)
 *   _rebuild_meta_tensor_no_storage(dtype, size, stride, requires_grad)
 * Its bytes are numel x element size at storage data start + storage_offset
 * x element size; the elements it spans must lie inside its storage.
 * Tensors that share a storage are listed each, with the storage counted
 * once in the totals. Plain values (numbers, strings, None) become
 * metadata under their dotted names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "formats/torch/torch.h"

#define META_VALUE_MAX 1024u
/* A list or tuple of more plain values than this is summarised. */
#define META_SEQ_MAX 16u

/* The walk's bounds (see mm_torch_walk), documented with
 * MM_LIMIT_PICKLE_OPS in modelmem(1). */
#define MM_PICKLE_VISITS_PER_VALUE 4u
#define MM_PICKLE_VISITS_BASE 65536u
#define MM_PICKLE_OUTPUT_PER_BYTE 4u
#define MM_PICKLE_OUTPUT_BASE (64u * 1024u * 1024u)

struct walk;
static enum mm_status spend_output(struct walk *w, size_t n, uint64_t at);

struct walk {
    struct mm_tctx *x;
    char name[MM_LIMIT_NAME + 2];
    uint8_t *active; /* nodes on the current path: cycles are not followed */
};

struct tview {
    uint32_t pid;        /* persistent id node, or MM_PK_NO_NODE (meta) */
    uint64_t offset;     /* storage offset in elements */
    uint32_t rank;
    uint64_t shape[MM_LIMIT_RANK];
    uint64_t stride[MM_LIMIT_RANK];
    enum mm_dtype dtype; /* explicit (v3, meta) or MM_DTYPE_UNKNOWN */
};

static const struct mm_pk_node *node(const struct walk *w, uint32_t id)
{
    return mm_pk_node(&w->x->pk, id);
}

static enum mm_status bad(struct walk *w, uint64_t at, const char *fmt, ...)
    MM_PRINTF(3, 4);

static enum mm_status bad(struct walk *w, uint64_t at, const char *fmt, ...)
{
    va_list ap;
    enum mm_status st;
    va_start(ap, fmt);
    st = mm_vfailn(w->x->err, MM_ERR_MALFORMED, MM_E_TORCH_INVALID, w->x->src->name, w->name,
                   strlen(w->name), (int64_t)at, fmt, ap);
    va_end(ap);
    return st;
}

/* The function name of a global in module `module`, or NULL. */
static const char *global_in(const struct walk *w, const struct mm_pk_node *g, const char *module)
{
    const char *full;
    if (g == NULL || g->kind != MM_PK_GLOBAL) {
        return NULL;
    }
    full = mm_pk_str(&w->x->pk, g);
    if (strlen(module) != g->n || memcmp(full, module, g->n) != 0) {
        return NULL;
    }
    return full + g->n + 1;
}

/* The call's arguments tuple, with at least `min` items. */
static enum mm_status call_args(struct walk *w, const struct mm_pk_node *call, uint32_t min,
                                const struct mm_pk_node **out)
{
    const struct mm_pk_node *a = node(w, call->v.kids[MM_PK_CALL_ARGS]);
    if (a == NULL || a->kind != MM_PK_TUPLE || a->n < min) {
        return bad(w, mm_pk_at(&w->x->pk, call), "%s needs %u arguments",
                   mm_pk_str(&w->x->pk, node(w, call->v.kids[MM_PK_CALL_FN])), min);
    }
    *out = a;
    return MM_OK;
}

static enum mm_status int_tuple(struct walk *w, uint32_t id, uint64_t *out, uint32_t *n,
                                const char *what)
{
    const struct mm_pk_node *t = node(w, id);
    uint32_t i = 0;
    if (t != NULL && t->kind == MM_PK_CALL) {
        /* torch.Size((...)) */
        const struct mm_pk_node *a = node(w, t->v.kids[MM_PK_CALL_ARGS]);
        if (a != NULL && a->kind == MM_PK_TUPLE && a->n == 1) {
            t = node(w, a->v.kids[0]);
        }
    }
    if (t == NULL || (t->kind != MM_PK_TUPLE && t->kind != MM_PK_LIST)) {
        return bad(w, t == NULL ? 0 : mm_pk_at(&w->x->pk, t), "%s is not a tuple", what);
    }
    if (t->n > MM_LIMIT_RANK) {
        return mm_fail(w->x->err, MM_ERR_LIMIT, MM_E_LIMIT_RANK, w->x->src->name, w->name,
                       (int64_t)mm_pk_at(&w->x->pk, t), "%u dimensions (limit %u)", t->n,
                       MM_LIMIT_RANK);
    }
    for (i = 0; i < t->n; i++) {
        const struct mm_pk_node *d = node(w, t->v.kids[i]);
        if (d->kind != MM_PK_INT || d->v.i < 0 || (uint64_t)d->v.i > MM_LIMIT_DIM) {
            return bad(w, mm_pk_at(&w->x->pk, d), "%s item %u is not a size", what, i);
        }
        out[i] = (uint64_t)d->v.i;
    }
    *n = t->n;
    return MM_OK;
}

static enum mm_status dtype_arg(struct walk *w, uint32_t id, enum mm_dtype *out)
{
    const struct mm_pk_node *g = node(w, id);
    const char *name = global_in(w, g, "torch");
    *out = name == NULL ? MM_DTYPE_UNKNOWN : mm_torch_dtype(name, strlen(name));
    if (*out == MM_DTYPE_UNKNOWN) {
        return mm_fail(w->x->err, MM_ERR_UNSUPPORTED, MM_E_TORCH_UNSUPPORTED, w->x->src->name,
                       w->name, g == NULL ? -1 : (int64_t)mm_pk_at(&w->x->pk, g),
                       "dtype %s is not supported",
                       g != NULL && g->kind == MM_PK_GLOBAL ? mm_pk_str(&w->x->pk, g) : "?");
    }
    return MM_OK;
}

/* storage, storage_offset, size, stride: the first four arguments. */
static enum mm_status view_args(struct walk *w, const struct mm_pk_node *a, struct tview *v)
{
    const struct mm_pk_node *off = node(w, a->v.kids[1]);
    uint32_t n2 = 0;
    enum mm_status st;
    v->pid = a->v.kids[0];
    if (off->kind != MM_PK_INT || off->v.i < 0) {
        return bad(w, mm_pk_at(&w->x->pk, off), "storage offset is not a non-negative integer");
    }
    v->offset = (uint64_t)off->v.i;
    st = int_tuple(w, a->v.kids[2], v->shape, &v->rank, "size");
    if (st == MM_OK) {
        st = int_tuple(w, a->v.kids[3], v->stride, &n2, "stride");
    }
    if (st == MM_OK && n2 != v->rank) {
        return bad(w, mm_pk_at(&w->x->pk, a), "size has %u dimensions, stride %u", v->rank, n2);
    }
    return st;
}

/* Is `call` a tensor? *is is set; when it is, v describes it. */
static enum mm_status tensor_of(struct walk *w, const struct mm_pk_node *call, struct tview *v,
                                bool *is, unsigned depth)
{
    const struct mm_pk_node *fn = node(w, call->v.kids[MM_PK_CALL_FN]);
    const char *f = global_in(w, fn, "torch._utils");
    const char *f2 = global_in(w, fn, "torch._tensor");
    const struct mm_pk_node *a = NULL;
    enum mm_status st;
    *is = false;
    if (depth > 8) {
        return bad(w, mm_pk_at(&w->x->pk, call), "tensor rebuild calls nested too deeply");
    }
    if (f2 != NULL && (strcmp(f2, "_rebuild_from_type_v2") == 0 ||
                       strcmp(f2, "_rebuild_from_type") == 0)) {
        const struct mm_pk_node *inner_fn = NULL;
        const struct mm_pk_node *inner_args = NULL;
        struct mm_pk_node tmp;
        st = call_args(w, call, 3, &a);
        if (st != MM_OK) {
            return st;
        }
        inner_fn = node(w, a->v.kids[0]);
        inner_args = node(w, a->v.kids[2]);
        if (inner_fn->kind != MM_PK_GLOBAL || inner_args->kind != MM_PK_TUPLE) {
            return bad(w, mm_pk_at(&w->x->pk, call),
                       "_rebuild_from_type_v2 without a function and arguments");
        }
        /* the inner call, as if it had been pickled on its own */
        tmp = *call;
        tmp.v.kids = (uint32_t[MM_PK_CALL_SLOTS_]){a->v.kids[0], a->v.kids[2], MM_PK_NO_NODE,
                                                 MM_PK_NO_NODE, MM_PK_NO_NODE};
        return tensor_of(w, &tmp, v, is, depth + 1);
    }
    if (f == NULL || strncmp(f, "_rebuild_", 9) != 0) {
        return MM_OK;
    }
    v->dtype = MM_DTYPE_UNKNOWN;
    if (strcmp(f, "_rebuild_parameter") == 0 || strcmp(f, "_rebuild_parameter_with_state") == 0) {
        const struct mm_pk_node *data = NULL;
        st = call_args(w, call, 1, &a);
        if (st != MM_OK) {
            return st;
        }
        data = node(w, a->v.kids[0]);
        if (data->kind != MM_PK_CALL) {
            return bad(w, mm_pk_at(&w->x->pk, call), "parameter data is not a tensor");
        }
        st = tensor_of(w, data, v, is, depth + 1);
        if (st == MM_OK && !*is) {
            return bad(w, mm_pk_at(&w->x->pk, call), "parameter data is not a tensor");
        }
        return st;
    }
    if (strcmp(f, "_rebuild_tensor") == 0 || strcmp(f, "_rebuild_tensor_v2") == 0 ||
        strcmp(f, "_rebuild_tensor_v3") == 0) {
        const bool v3 = f[17] == '3';
        st = call_args(w, call, v3 ? 7 : 4, &a);
        if (st == MM_OK) {
            st = view_args(w, a, v);
        }
        if (st == MM_OK && v3) {
            st = dtype_arg(w, a->v.kids[6], &v->dtype);
        }
        *is = st == MM_OK;
        return st;
    }
    if (strcmp(f, "_rebuild_meta_tensor_no_storage") == 0) {
        uint32_t n2 = 0;
        st = call_args(w, call, 3, &a);
        if (st == MM_OK) {
            st = dtype_arg(w, a->v.kids[0], &v->dtype);
        }
        if (st == MM_OK) {
            st = int_tuple(w, a->v.kids[1], v->shape, &v->rank, "size");
        }
        if (st == MM_OK) {
            st = int_tuple(w, a->v.kids[2], v->stride, &n2, "stride");
        }
        v->pid = MM_PK_NO_NODE;
        v->offset = 0;
        *is = st == MM_OK;
        return st;
    }
    return mm_fail(w->x->err, MM_ERR_UNSUPPORTED, MM_E_TORCH_UNSUPPORTED, w->x->src->name,
                   w->name, (int64_t)mm_pk_at(&w->x->pk, call),
                   "torch._utils.%s tensors (quantized, sparse, nested, subclass) are not "
                   "supported",
                   f);
}

/* Legacy persistent ids carry (view_key, offset, view_size) as a sixth item. */
static void legacy_view(struct walk *w, uint32_t pid, uint64_t *offset)
{
    const struct mm_pk_node *p = node(w, pid);
    const struct mm_pk_node *t = p == NULL ? NULL : node(w, p->v.kids[0]);
    const struct mm_pk_node *view = NULL;
    if (t == NULL || t->kind != MM_PK_TUPLE || t->n != 6) {
        return;
    }
    view = node(w, t->v.kids[5]);
    if (view->kind == MM_PK_TUPLE && view->n == 3 && node(w, view->v.kids[1])->kind == MM_PK_INT &&
        node(w, view->v.kids[1])->v.i >= 0) {
        (void)mm_add_u64(offset, *offset, (uint64_t)node(w, view->v.kids[1])->v.i);
    }
}

/* The tensor's numel, nbytes and extent checked against its storage. */
static enum mm_status add_tensor(struct walk *w, const struct mm_pk_node *call, struct tview *v)
{
    struct mm_tstorage *s = NULL;
    enum mm_dtype dtype = v->dtype;
    uint64_t numel = 1;
    uint64_t extent = 0;
    uint64_t elsize = 0;
    uint64_t nbytes = 0;
    uint64_t offset = 0;
    uint32_t i = 0;
    enum mm_status st;
    if (v->pid != MM_PK_NO_NODE) {
        st = mm_torch_storage(&s, w->x, v->pid, w->name);
        if (st != MM_OK) {
            return st;
        }
        if (dtype == MM_DTYPE_UNKNOWN) {
            dtype = s->dtype;
        }
        legacy_view(w, v->pid, &v->offset);
    }
    elsize = mm_dtype_bits(dtype) / 8;
    for (i = 0; i < v->rank; i++) {
        uint64_t span = 0;
        if (!mm_mul_u64(&numel, numel, v->shape[i])) {
            return mm_fail(w->x->err, MM_ERR_MALFORMED, MM_E_SHAPE_OVERFLOW, w->x->src->name,
                           w->name, (int64_t)mm_pk_at(&w->x->pk, call),
                           "element count overflows 64 bits");
        }
        if (v->shape[i] > 0 && (!mm_mul_u64(&span, v->shape[i] - 1, v->stride[i]) ||
                                !mm_add_u64(&extent, extent, span))) {
            return mm_fail(w->x->err, MM_ERR_MALFORMED, MM_E_SHAPE_OVERFLOW, w->x->src->name,
                           w->name, (int64_t)mm_pk_at(&w->x->pk, call), "strides overflow 64 bits");
        }
    }
    if (s == NULL) {
        elsize = 0; /* a meta tensor: no bytes are stored */
    }
    if (!mm_mul_u64(&nbytes, numel, elsize)) {
        return mm_fail(w->x->err, MM_ERR_MALFORMED, MM_E_SHAPE_OVERFLOW, w->x->src->name,
                       w->name, (int64_t)mm_pk_at(&w->x->pk, call), "byte count overflows 64 bits");
    }
    if (s != NULL) {
        uint64_t end = 0;
        if (numel > 0 && (!mm_add_u64(&end, v->offset, extent) || !mm_add_u64(&end, end, 1) ||
                          !mm_mul_u64(&end, end, elsize) || end > s->bytes)) {
            return mm_fail(w->x->err, MM_ERR_MALFORMED, MM_E_TENSOR_BEYOND_STORAGE,
                           w->x->src->name, w->name, (int64_t)mm_pk_at(&w->x->pk, call),
                           "tensor (offset %llu, %llu elements) extends past its storage %s "
                           "of %llu bytes",
                           (unsigned long long)v->offset, (unsigned long long)numel, s->key,
                           (unsigned long long)s->bytes);
        }
        /* An empty view holds no bytes and torch never looks at its storage
         * offset, which may point anywhere: it is placed at the storage's
         * start, inside the file. */
        if (numel == 0 || !mm_mul_u64(&offset, v->offset, elsize) ||
            !mm_add_u64(&offset, offset, s->data_start)) {
            offset = s->data_start; /* (the overflow is ruled out above) */
        }
    }
    st = spend_output(w, strlen(w->name) + 8u * v->rank, mm_pk_at(&w->x->pk, call));
    if (st != MM_OK) {
        return st;
    }
    st = mm_inv_add_tensor(w->x->inv, w->name, strlen(w->name), dtype, v->rank, v->shape, numel,
                           w->x->file, offset, nbytes);
    if (st == MM_ERR_LIMIT) {
        return mm_fail(w->x->err, st, MM_E_LIMIT_TENSORS, w->x->src->name, w->name, -1,
                       "more than %u tensors", MM_LIMIT_TENSORS);
    }
    if (st != MM_OK) {
        return mm_fail_nomem(w->x->err, w->x->src->name);
    }
    if (s != NULL && mm_inv_set_storage(w->x->inv, mm_inv_count(w->x->inv) - 1,
                                        (uint64_t)(s - w->x->st), s->bytes) != MM_OK) {
        return mm_fail_nomem(w->x->err, w->x->src->name);
    }
    return MM_OK;
}

/* ---- Names ------------------------------------------------------------------------------ */

/* Appends ".component" (no dot at the start); *len is the old length. */
static enum mm_status name_push(struct walk *w, const char *s, size_t n, size_t *len)
{
    const size_t at = strlen(w->name);
    const size_t dot = at > 0 ? 1 : 0;
    *len = at;
    if (at + dot + n > MM_LIMIT_NAME) {
        return mm_fail(w->x->err, MM_ERR_LIMIT, MM_E_LIMIT_NAME, w->x->src->name, NULL, -1,
                       "tensor name longer than %u bytes", MM_LIMIT_NAME);
    }
    if (dot) {
        w->name[at] = '.';
    }
    memcpy(w->name + at + dot, s, n);
    w->name[at + dot + n] = '\0';
    return MM_OK;
}

/* A plain value as text; false when it is not one. */
static bool plain_text(const struct walk *w, const struct mm_pk_node *nd, char *buf, size_t size)
{
    switch (nd->kind) {
    case MM_PK_NONE:
        snprintf(buf, size, "None");
        return true;
    case MM_PK_BOOL:
        snprintf(buf, size, "%s", nd->v.i ? "True" : "False");
        return true;
    case MM_PK_INT:
        snprintf(buf, size, "%lld", (long long)nd->v.i);
        return true;
    case MM_PK_BIGINT:
        snprintf(buf, size, "<integer beyond 64 bits>");
        return true;
    case MM_PK_FLOAT: {
        /* the shortest text that reads back the same double, as Python's
         * repr prints it */
        int prec;
        for (prec = 1; prec < 17; prec++) {
            char *end = NULL;
            snprintf(buf, size, "%.*g", prec, nd->v.f);
            if (strtod(buf, &end) == nd->v.f) {
                return true;
            }
        }
        snprintf(buf, size, "%.17g", nd->v.f);
        return true;
    }
    case MM_PK_STR:
        snprintf(buf, size, "%.*s", (int)(nd->v.s.len < size ? nd->v.s.len : size - 1),
                 mm_pk_str(&w->x->pk, nd));
        return true;
    case MM_PK_BYTES:
        snprintf(buf, size, "<%u bytes>", nd->v.s.len);
        return true;
    case MM_PK_GLOBAL:
        snprintf(buf, size, "%s", mm_pk_str(&w->x->pk, nd));
        return true;
    default:
        return false;
    }
}

/* Counts `n` more bytes of names and values put in the inventory. A value
 * the pickle references many times (DUP, memo gets) is named once per
 * reference: a few hundred bytes of pickle can name millions of values,
 * each under a long dotted name. */
static enum mm_status spend_output(struct walk *w, size_t n, uint64_t at)
{
    w->x->out_bytes += n;
    if (w->x->out_bytes > w->x->out_budget) {
        return mm_fail(w->x->err, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_OPS, w->x->src->name, NULL,
                       (int64_t)at,
                       "the names and values this pickle expands to exceed %llu bytes",
                       (unsigned long long)w->x->out_budget);
    }
    return MM_OK;
}

static enum mm_status add_meta(struct walk *w, const char *value, uint64_t at)
{
    const char *key = w->name[0] != '\0' ? w->name : "value";
    enum mm_status st = spend_output(w, strlen(key) + strlen(value), at);
    if (st != MM_OK) {
        return st;
    }
    if (mm_inv_add_meta(w->x->inv, key, strlen(key), value, strlen(value), w->x->file) !=
        MM_OK) {
        return mm_fail_nomem(w->x->err, w->x->src->name);
    }
    return MM_OK;
}

static enum mm_status walk(struct walk *w, uint32_t id, unsigned depth);

/* `id` under the name component `s`. */
static enum mm_status walk_named(struct walk *w, uint32_t id, const char *s, size_t n,
                                 unsigned depth)
{
    size_t len = 0;
    enum mm_status st = name_push(w, s, n, &len);
    if (st == MM_OK) {
        st = walk(w, id, depth + 1);
    }
    w->name[len] = '\0';
    return st;
}

static enum mm_status walk_pairs(struct walk *w, const struct mm_pk_node *d, unsigned depth)
{
    uint32_t i = 0;
    for (i = 0; i + 1 < d->n; i += 2) {
        const uint32_t kid = d->v.kids[i];
        const uint32_t vid = d->v.kids[i + 1];
        char key[META_VALUE_MAX];
        const struct mm_pk_node *k = node(w, kid);
        enum mm_status st;
        if (k->kind == MM_PK_STR) {
            st = walk_named(w, vid, mm_pk_str(&w->x->pk, k), k->v.s.len, depth);
        } else {
            if (!plain_text(w, k, key, sizeof(key))) {
                snprintf(key, sizeof(key), "%u", i / 2);
            }
            st = walk_named(w, vid, key, strlen(key), depth);
        }
        if (st != MM_OK) {
            return st;
        }
    }
    return MM_OK;
}

/* Whether a subtree holds anything but plain values. */
static bool all_plain(const struct walk *w, const struct mm_pk_node *seq)
{
    uint32_t i = 0;
    char tmp[8];
    for (i = 0; i < seq->n; i++) {
        if (!plain_text(w, node(w, seq->v.kids[i]), tmp, sizeof(tmp))) {
            return false;
        }
    }
    return true;
}

static enum mm_status walk_seq(struct walk *w, const struct mm_pk_node *seq, unsigned depth)
{
    uint32_t i = 0;
    if (seq->n > META_SEQ_MAX && all_plain(w, seq)) {
        char text[64];
        snprintf(text, sizeof(text), "<%s of %u values>", seq->kind == MM_PK_LIST ? "list"
                                                          : seq->kind == MM_PK_SET ? "set"
                                                                                   : "tuple",
                 seq->n);
        return add_meta(w, text, mm_pk_at(&w->x->pk, seq));
    }
    for (i = 0; i < seq->n; i++) {
        char idx[16];
        const enum mm_status st = walk_named(w, seq->v.kids[i], idx,
                                             (size_t)snprintf(idx, sizeof(idx), "%u", i), depth);
        if (st != MM_OK) {
            return st;
        }
    }
    return MM_OK;
}

/* A call that is not a tensor: OrderedDict items, an object's state. */
static enum mm_status walk_call(struct walk *w, const struct mm_pk_node *c, unsigned depth)
{
    const struct mm_pk_node *fn = node(w, c->v.kids[MM_PK_CALL_FN]);
    const char *od = global_in(w, fn, "collections");
    const uint32_t slots[] = {c->v.kids[MM_PK_CALL_DICT], c->v.kids[MM_PK_CALL_LIST]};
    unsigned k;
    enum mm_status st = MM_OK;
    if (fn != NULL && fn->kind == MM_PK_GLOBAL &&
        strncmp(mm_pk_str(&w->x->pk, fn), "numpy", 5) == 0) {
        /* a numpy array (an RNG state): its bytes are not a tensor's */
        return add_meta(w, "<numpy array>", mm_pk_at(&w->x->pk, c));
    }
    if (od != NULL && (strcmp(od, "OrderedDict") == 0 || strcmp(od, "defaultdict") == 0)) {
        /* OrderedDict([(k, v), ...]) as protocols 0 and 1 write it */
        const struct mm_pk_node *a = node(w, c->v.kids[MM_PK_CALL_ARGS]);
        if (a != NULL && a->kind == MM_PK_TUPLE && a->n == 1 && strcmp(od, "OrderedDict") == 0) {
            const struct mm_pk_node *l = node(w, a->v.kids[0]);
            uint32_t i = 0;
            for (i = 0; st == MM_OK && l->kind == MM_PK_LIST && i < l->n; i++) {
                const struct mm_pk_node *pair = node(w, l->v.kids[i]);
                if ((pair->kind == MM_PK_TUPLE || pair->kind == MM_PK_LIST) && pair->n == 2) {
                    st = walk_pairs(w, pair, depth);
                }
            }
        }
    } else if (c->v.kids[MM_PK_CALL_STATE] != MM_PK_NO_NODE) {
        /* an object: its attributes (a dict, or (dict, slots) as object.__reduce_ex__
         * gives them) */
        const struct mm_pk_node *s = node(w, c->v.kids[MM_PK_CALL_STATE]);
        if (s->kind == MM_PK_DICT) {
            st = walk_pairs(w, s, depth);
        } else if (s->kind == MM_PK_TUPLE) {
            st = walk_seq(w, s, depth);
        }
    }
    for (k = 0; st == MM_OK && k < 2; k++) {
        const struct mm_pk_node *d = slots[k] == MM_PK_NO_NODE ? NULL : node(w, slots[k]);
        if (d != NULL) {
            st = d->kind == MM_PK_DICT ? walk_pairs(w, d, depth) : walk_seq(w, d, depth);
        }
    }
    return st;
}

static enum mm_status walk(struct walk *w, uint32_t id, unsigned depth)
{
    const struct mm_pk_node *nd = node(w, id);
    char text[META_VALUE_MAX];
    enum mm_status st = MM_OK;
    if (nd == NULL || w->active[id]) {
        return MM_OK; /* a cycle: the value contains itself */
    }
    if (depth > MM_LIMIT_PICKLE_DEPTH) {
        return mm_fail(w->x->err, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_DEPTH, w->x->src->name, NULL,
                       (int64_t)mm_pk_at(&w->x->pk, nd), "containers nested more than %u deep",
                       MM_LIMIT_PICKLE_DEPTH);
    }
    if (++w->x->visits > w->x->visit_budget) {
        return mm_fail(w->x->err, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_OPS, w->x->src->name, NULL,
                       (int64_t)mm_pk_at(&w->x->pk, nd),
                       "the object tree expands to more than %llu values",
                       (unsigned long long)w->x->visit_budget);
    }
    if (plain_text(w, nd, text, sizeof(text))) {
        return add_meta(w, text, mm_pk_at(&w->x->pk, nd));
    }
    w->active[id] = 1;
    switch (nd->kind) {
    case MM_PK_DICT:
        st = walk_pairs(w, nd, depth);
        break;
    case MM_PK_LIST:
    case MM_PK_TUPLE:
    case MM_PK_SET:
        st = walk_seq(w, nd, depth);
        break;
    case MM_PK_CALL: {
        struct tview v;
        bool is = false;
        const bool root = w->name[0] == '\0';
        memset(&v, 0, sizeof(v));
        if (root) {
            /* a bare tensor at the top is called "tensor" */
            snprintf(w->name, sizeof(w->name), "tensor");
        }
        st = tensor_of(w, nd, &v, &is, 0);
        if (st == MM_OK && is) {
            st = add_tensor(w, nd, &v);
        } else if (st == MM_OK) {
            if (root) {
                w->name[0] = '\0';
            }
            st = walk_call(w, nd, depth);
        }
        break;
    }
    default:
        break; /* a bare persistent id or buffer: nothing to name */
    }
    w->active[id] = 0;
    return st;
}

enum mm_status mm_torch_walk(struct mm_tctx *x)
{
    struct walk w;
    enum mm_status st;
    memset(&w, 0, sizeof(w));
    w.x = x;
    /* A tree is walked once per node; tied weights and memoized leaves
     * (the location string, the storage type) are reached a few times
     * more. Far more means values referenced over and over to expand the
     * walk: bounded by the values the pickle built, and what is named by
     * the pickle's length, so that memory and time stay linear in it. */
    x->visit_budget = MM_PICKLE_VISITS_PER_VALUE * (uint64_t)x->pk.n + MM_PICKLE_VISITS_BASE;
    if (x->visit_budget > MM_LIMIT_PICKLE_OPS) {
        x->visit_budget = MM_LIMIT_PICKLE_OPS;
    }
    x->out_budget = MM_PICKLE_OUTPUT_PER_BYTE * (uint64_t)x->pk.consumed + MM_PICKLE_OUTPUT_BASE;
    w.active = calloc(x->pk.n == 0 ? 1 : x->pk.n, 1);
    if (w.active == NULL) {
        return mm_fail_nomem(x->err, x->src->name);
    }
    st = walk(&w, x->pk.root, 0);
    free(w.active);
    return st;
}
