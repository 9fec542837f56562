/*
 * fmt_pickle.c - the pickle interpreter (pickle.h). Opcodes and argument
 * encodings follow CPython Lib/pickletools.py; the stack, the mark stack
 * and the memo behave as Lib/pickle.py's _Unpickler does, except that no
 * callable is ever looked up or called: calls become inert records.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "cursor.h"
#include "json_scan.h"
#include "pickle.h"

struct memo_slot {
    uint32_t idx;
    uint32_t node; /* MM_PK_NO_NODE: free */
};

struct vm {
    struct mm_pickle *p;
    struct mm_cursor c;
    const char *file;
    mm_pickle_global_fn on_global;
    void *ctx;
    struct mm_error *err;
    uint64_t op_at; /* offset of the opcode being run */
    uint8_t op;
    uint32_t *stack;
    size_t sp;
    size_t stack_cap;
    size_t *marks;
    size_t nmarks;
    size_t marks_cap;
    /* The memo. Picklers number entries 0, 1, 2...: an index below the
     * pickle's length (a PUT takes 2 bytes at least) goes in an array,
     * which therefore stays proportional to the input; any other index in
     * a hash table (open addressing), sized by the entries stored. */
    uint32_t *dense;
    size_t dense_cap;
    size_t dense_max;
    struct memo_slot *memo;
    size_t memo_cap;
    size_t memo_used; /* entries in the hash table */
    size_t memo_len;  /* distinct entries, for MEMOIZE */
};

static enum mm_status vfail(struct vm *m, enum mm_status st, enum mm_errcode code,
                            const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum mm_status vfail(struct vm *m, enum mm_status st, enum mm_errcode code,
                            const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return mm_fail(m->err, st, code, m->file, NULL, (int64_t)m->op_at,
                   "pickle opcode 0x%02x: %s", m->op, msg);
}

static enum mm_status invalid(struct vm *m, const char *what)
{
    return vfail(m, MM_ERR_MALFORMED, MM_E_PICKLE_INVALID, "%s", what);
}

static enum mm_status truncated(struct vm *m)
{
    m->p->ran_out = 1;
    return vfail(m, MM_ERR_MALFORMED, MM_E_TRUNCATED, "the pickle ends inside its argument");
}

static enum mm_status nomem(struct vm *m)
{
    return mm_fail_nomem(m->err, m->file);
}

/* A new node; *id receives its index. */
static enum mm_status node_new(struct vm *m, uint8_t kind, uint32_t *id)
{
    struct mm_pickle *p = m->p;
    struct mm_pk_node *nd = NULL;
    if (p->n >= UINT32_MAX - 1) {
        return vfail(m, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_OPS, "too many values");
    }
    if (!mm_grow((void **)&p->nodes, &p->cap, p->n + 1, sizeof(*p->nodes))) {
        return nomem(m);
    }
    nd = &p->nodes[p->n];
    memset(nd, 0, sizeof(*nd));
    nd->kind = kind;
    nd->at = (uint32_t)(m->op_at - p->base);
    *id = (uint32_t)p->n++;
    return MM_OK;
}

#define KID_CHUNK (1u << 16)

/* The kids of a container that never grows, packed into the chunks. */
static enum mm_status kids_fixed(struct vm *m, uint32_t id, const uint32_t *items, size_t n)
{
    struct mm_pickle *p = m->p;
    uint32_t *dst = NULL;
    if (n == 0) {
        return MM_OK;
    }
    if (p->nchunks == 0 || p->chunk_size - p->chunk_used < n) {
        const size_t size = n > KID_CHUNK ? n : KID_CHUNK;
        uint32_t *chunk = NULL;
        if (!mm_grow((void **)&p->chunks, &p->chunks_cap, p->nchunks + 1, sizeof(*p->chunks))) {
            return nomem(m);
        }
        chunk = mm_reallocarray(NULL, size, sizeof(*chunk));
        if (chunk == NULL) {
            return nomem(m);
        }
        p->chunks[p->nchunks++] = chunk;
        p->chunk_used = 0;
        p->chunk_size = size;
    }
    dst = p->chunks[p->nchunks - 1] + p->chunk_used;
    p->chunk_used += n;
    memcpy(dst, items, n * sizeof(*dst));
    p->nodes[id].v.kids = dst;
    p->nodes[id].n = (uint32_t)n;
    p->nodes[id].cap = 0;
    return MM_OK;
}

/* Appends to a list, dict or set (or the packed kids of anything else,
 * which are then copied out first). */
static enum mm_status kid_add(struct vm *m, uint32_t id, uint32_t kid)
{
    struct mm_pk_node *nd = &m->p->nodes[id];
    if (nd->n == nd->cap || nd->cap == 0) {
        const bool packed = nd->cap == 0 && nd->n > 0;
        const size_t ncap = nd->n == 0 ? 4 : (size_t)nd->n * 2;
        uint32_t *k = mm_reallocarray(packed ? NULL : nd->v.kids, ncap, sizeof(*k));
        if (k == NULL) {
            return nomem(m);
        }
        if (packed) {
            memcpy(k, nd->v.kids, nd->n * sizeof(*k));
        }
        nd->v.kids = k;
        nd->cap = (uint32_t)ncap;
    }
    nd->v.kids[nd->n++] = kid;
    return MM_OK;
}

/* Copies a string into the pool; fills the node's v.s. */
static enum mm_status pool_add(struct vm *m, uint32_t id, const void *s, size_t len)
{
    struct mm_pickle *p = m->p;
    if (p->pool_len + len + 1 > UINT32_MAX) {
        return vfail(m, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_BYTES, "strings exceed 4 GiB");
    }
    if (!mm_grow((void **)&p->pool, &p->pool_cap, p->pool_len + len + 1, 1)) {
        return nomem(m);
    }
    if (len > 0) {
        memcpy(p->pool + p->pool_len, s, len);
    }
    p->pool[p->pool_len + len] = '\0';
    p->nodes[id].v.s.off = (uint32_t)p->pool_len;
    p->nodes[id].v.s.len = (uint32_t)len;
    p->pool_len += len + 1;
    return MM_OK;
}

static enum mm_status push(struct vm *m, uint32_t id)
{
    if (m->sp + m->nmarks >= MM_LIMIT_PICKLE_STACK) {
        return vfail(m, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_STACK, "more than %u stack items",
                     MM_LIMIT_PICKLE_STACK);
    }
    if (!mm_grow((void **)&m->stack, &m->stack_cap, m->sp + 1, sizeof(*m->stack))) {
        return nomem(m);
    }
    m->stack[m->sp++] = id;
    return MM_OK;
}

static size_t mark_floor(const struct vm *m)
{
    return m->nmarks > 0 ? m->marks[m->nmarks - 1] : 0;
}

static enum mm_status pop(struct vm *m, uint32_t *out)
{
    if (m->sp <= mark_floor(m)) {
        return invalid(m, "stack underflow");
    }
    *out = m->stack[--m->sp];
    return MM_OK;
}

static enum mm_status top(struct vm *m, uint32_t *out)
{
    if (m->sp <= mark_floor(m)) {
        return invalid(m, "stack underflow");
    }
    *out = m->stack[m->sp - 1];
    return MM_OK;
}

/* The items since the last mark: stack[*from .. sp). The mark is popped;
 * the caller truncates the stack to *from when done with them. */
static enum mm_status pop_mark(struct vm *m, size_t *from)
{
    if (m->nmarks == 0) {
        return invalid(m, "no mark on the stack");
    }
    *from = m->marks[--m->nmarks];
    return MM_OK;
}

/* Push a new node of `kind` holding the given items as kids: packed for a
 * tuple or frozenset, allocated to size for what may grow. */
static enum mm_status push_seq(struct vm *m, uint8_t kind, const uint32_t *items, size_t n)
{
    uint32_t id = 0;
    enum mm_status st = node_new(m, kind, &id);
    if (st == MM_OK && n > 0) {
        if (kind == MM_PK_TUPLE || m->op == 0x91) {
            st = kids_fixed(m, id, items, n);
        } else {
            uint32_t *k = mm_reallocarray(NULL, n, sizeof(*k));
            if (k == NULL) {
                return nomem(m);
            }
            memcpy(k, items, n * sizeof(*k));
            m->p->nodes[id].v.kids = k;
            m->p->nodes[id].n = (uint32_t)n;
            m->p->nodes[id].cap = (uint32_t)n;
        }
    }
    return st == MM_OK ? push(m, id) : st;
}

static enum mm_status push_scalar(struct vm *m, uint8_t kind, int64_t i, double f)
{
    uint32_t id = 0;
    enum mm_status st = node_new(m, kind, &id);
    if (st != MM_OK) {
        return st;
    }
    if (kind == MM_PK_FLOAT) {
        m->p->nodes[id].v.f = f;
    } else {
        m->p->nodes[id].v.i = i;
    }
    return push(m, id);
}

static enum mm_status push_string(struct vm *m, uint8_t kind, const void *s, size_t len)
{
    uint32_t id = 0;
    enum mm_status st = node_new(m, kind, &id);
    if (st == MM_OK) {
        st = pool_add(m, id, s, len);
    }
    return st == MM_OK ? push(m, id) : st;
}

/* ---- Arguments ------------------------------------------------------------ */

static enum mm_status arg_bytes(struct vm *m, uint64_t n, const uint8_t **out)
{
    if (n > MM_LIMIT_PICKLE_STRING) {
        return vfail(m, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_STRING,
                     "argument of %llu bytes (limit %u)", (unsigned long long)n,
                     MM_LIMIT_PICKLE_STRING);
    }
    if (!mm_cursor_take(&m->c, (size_t)n, out)) {
        return truncated(m);
    }
    return MM_OK;
}

static enum mm_status arg_fixed(struct vm *m, size_t n, const uint8_t **out)
{
    return mm_cursor_take(&m->c, n, out) ? MM_OK : truncated(m);
}

/* A newline-terminated line (the newline not included). */
static enum mm_status arg_line(struct vm *m, const uint8_t **out, size_t *len)
{
    const size_t rem = mm_cursor_remain(&m->c);
    const uint8_t *start = m->c.p + m->c.pos;
    const uint8_t *nl = memchr(start, '\n', rem > MM_LIMIT_PICKLE_STRING + 1
                                                 ? MM_LIMIT_PICKLE_STRING + 1
                                                 : rem);
    if (nl == NULL) {
        if (rem > MM_LIMIT_PICKLE_STRING) {
            return vfail(m, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_STRING, "line longer than %u bytes",
                         MM_LIMIT_PICKLE_STRING);
        }
        return truncated(m);
    }
    *out = start;
    *len = (size_t)(nl - start);
    m->c.pos += *len + 1;
    return MM_OK;
}

/* A decimal integer line: INT, LONG, GET, PUT. *big is set when it does not
 * fit 64 bits. A trailing 'L' (LONG) is accepted. */
static enum mm_status arg_decimal(struct vm *m, int64_t *out, bool *big)
{
    const uint8_t *s = NULL;
    size_t len = 0;
    size_t i = 0;
    bool neg = false;
    uint64_t v = 0;
    enum mm_status st = arg_line(m, &s, &len);
    if (st != MM_OK) {
        return st;
    }
    *big = false;
    if (len > 0 && s[len - 1] == 'L') {
        len--;
    }
    if (i < len && (s[i] == '-' || s[i] == '+')) {
        neg = s[i] == '-';
        i++;
    }
    if (i == len) {
        return invalid(m, "empty decimal number");
    }
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return invalid(m, "bad decimal number");
        }
        if (!mm_mul_u64(&v, v, 10) || !mm_add_u64(&v, v, (uint64_t)(s[i] - '0'))) {
            *big = true;
        }
    }
    if (v > (uint64_t)INT64_MAX + (neg ? 1u : 0u)) {
        *big = true;
    }
    if (*big) {
        *out = 0;
    } else if (neg) {
        *out = v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v;
    } else {
        *out = (int64_t)v;
    }
    return MM_OK;
}

/* A little-endian two's complement integer of n bytes (LONG1, LONG4). */
static enum mm_status push_long_bytes(struct vm *m, const uint8_t *b, uint64_t n)
{
    uint64_t v = 0;
    size_t i = 0;
    if (n > 8) {
        return push_scalar(m, MM_PK_BIGINT, 0, 0);
    }
    for (i = 0; i < n; i++) {
        v |= (uint64_t)b[i] << (8 * i);
    }
    if (n > 0 && n < 8 && (b[n - 1] & 0x80u) != 0) {
        v |= ~(uint64_t)0 << (8 * n);
    }
    return push_scalar(m, MM_PK_INT, (int64_t)v, 0);
}

/* Reads `digits` hex digits at s[*i]; -1 when they are not there. */
static long hex_run(const uint8_t *s, size_t len, size_t *i, unsigned digits)
{
    long v = 0;
    unsigned k;
    if (len - *i < digits) {
        return -1;
    }
    for (k = 0; k < digits; k++) {
        const int h = mm_hex_digit(s[*i + k]);
        if (h < 0) {
            return -1;
        }
        v = v * 16 + h;
    }
    *i += digits;
    return v;
}

/*
 * Decodes protocol 0 text: UNICODE's raw-unicode-escape (only \uXXXX and
 * \UXXXXXXXX are escapes) or STRING's Python literal without its quotes
 * (\\, \', \", \n, \r, \t, \xHH, octal). Latin-1 bytes become UTF-8.
 */
static enum mm_status push_text(struct vm *m, const uint8_t *s, size_t len, bool literal)
{
    char *out;
    size_t o = 0;
    size_t i = 0;
    enum mm_status st;
    out = malloc(len * 4 + 1);
    if (out == NULL) {
        return nomem(m);
    }
    while (i < len) {
        const uint8_t ch = s[i++];
        long cp = -1;
        if (ch != '\\' || i == len) {
            o += mm_utf8_put(out + o, ch);
            continue;
        }
        if (s[i] == 'u' || s[i] == 'U') {
            const unsigned digits = s[i] == 'u' ? 4u : 8u;
            size_t j = i + 1;
            cp = hex_run(s, len, &j, digits);
            if (cp >= 0 && cp <= 0x10ffff) {
                i = j;
                o += mm_utf8_put(out + o, (uint32_t)cp);
                continue;
            }
        }
        if (!literal) {
            o += mm_utf8_put(out + o, ch);
            continue;
        }
        switch (s[i]) {
        case 'n':
            cp = '\n';
            i++;
            break;
        case 'r':
            cp = '\r';
            i++;
            break;
        case 't':
            cp = '\t';
            i++;
            break;
        case 'x': {
            size_t j = i + 1;
            cp = hex_run(s, len, &j, 2);
            if (cp >= 0) {
                i = j;
            }
            break;
        }
        default:
            if (s[i] >= '0' && s[i] <= '7') {
                cp = 0;
                while (i < len && s[i] >= '0' && s[i] <= '7' && cp < 64) {
                    cp = cp * 8 + (s[i++] - '0');
                }
            } else {
                cp = s[i++];
            }
            break;
        }
        o += mm_utf8_put(out + o, cp < 0 ? '\\' : (uint32_t)cp);
    }
    st = push_string(m, MM_PK_STR, out, o);
    free(out);
    return st;
}

/* ---- Globals, calls, memo --------------------------------------------------- */

static enum mm_status push_global(struct vm *m, const uint8_t *mod, size_t mlen,
                                  const uint8_t *name, size_t nlen)
{
    uint32_t id = 0;
    char *full;
    enum mm_status st;
    if (m->on_global != NULL) {
        st = m->on_global(m->ctx, (const char *)mod, mlen, (const char *)name, nlen, m->op_at,
                          m->err);
        if (st != MM_OK) {
            return st;
        }
    }
    full = malloc(mlen + nlen + 2);
    if (full == NULL) {
        return nomem(m);
    }
    memcpy(full, mod, mlen);
    full[mlen] = '.';
    memcpy(full + mlen + 1, name, nlen);
    st = node_new(m, MM_PK_GLOBAL, &id);
    if (st == MM_OK) {
        st = pool_add(m, id, full, mlen + nlen + 1);
    }
    free(full);
    if (st == MM_OK) {
        m->p->nodes[id].n = (uint32_t)mlen;
        st = push(m, id);
    }
    return st;
}

/* A call record fn(args); pushed. */
static enum mm_status push_call(struct vm *m, uint32_t fn, uint32_t args)
{
    const uint32_t slots[MM_PK_CALL_SLOTS_] = {fn, args, MM_PK_NO_NODE, MM_PK_NO_NODE,
                                               MM_PK_NO_NODE};
    uint32_t id = 0;
    enum mm_status st = node_new(m, MM_PK_CALL, &id);
    if (st == MM_OK) {
        st = kids_fixed(m, id, slots, MM_PK_CALL_SLOTS_);
    }
    return st == MM_OK ? push(m, id) : st;
}

/* The dict or list items of a call record (obj[k] = v, obj.append(x)):
 * made on first use. */
static enum mm_status call_slot(struct vm *m, uint32_t call, unsigned slot, uint8_t kind,
                                uint32_t *out)
{
    uint32_t id = m->p->nodes[call].v.kids[slot];
    enum mm_status st;
    if (id == MM_PK_NO_NODE) {
        st = node_new(m, kind, &id);
        if (st != MM_OK) {
            return st;
        }
        m->p->nodes[call].v.kids[slot] = id;
    }
    *out = id;
    return MM_OK;
}

static size_t memo_find(const struct vm *m, uint32_t idx)
{
    size_t k = (size_t)(((uint64_t)idx * 0x9e3779b97f4a7c15ull) >> 32) & (m->memo_cap - 1);
    while (m->memo[k].node != MM_PK_NO_NODE && m->memo[k].idx != idx) {
        k = (k + 1) & (m->memo_cap - 1);
    }
    return k;
}

static enum mm_status memo_grow(struct vm *m)
{
    const size_t old_cap = m->memo_cap;
    struct memo_slot *old = m->memo;
    const size_t cap = old_cap == 0 ? 64 : old_cap * 2;
    size_t i;
    m->memo = mm_reallocarray(NULL, cap, sizeof(*m->memo));
    if (m->memo == NULL) {
        m->memo = old;
        return nomem(m);
    }
    m->memo_cap = cap;
    for (i = 0; i < cap; i++) {
        m->memo[i].node = MM_PK_NO_NODE;
    }
    for (i = 0; i < old_cap; i++) {
        if (old[i].node != MM_PK_NO_NODE) {
            m->memo[memo_find(m, old[i].idx)] = old[i];
        }
    }
    free(old);
    return MM_OK;
}

static enum mm_status memo_put(struct vm *m, uint64_t idx)
{
    uint32_t id = 0;
    size_t k;
    enum mm_status st = top(m, &id);
    if (st != MM_OK) {
        return st;
    }
    if (idx >= MM_LIMIT_PICKLE_MEMO) {
        return vfail(m, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_MEMO, "memo index %llu (limit %u)",
                     (unsigned long long)idx, MM_LIMIT_PICKLE_MEMO);
    }
    if (idx < m->dense_max) {
        if (idx >= m->dense_cap) {
            const size_t old = m->dense_cap;
            if (!mm_grow((void **)&m->dense, &m->dense_cap, (size_t)idx + 1, sizeof(*m->dense))) {
                return nomem(m);
            }
            for (k = old; k < m->dense_cap; k++) {
                m->dense[k] = MM_PK_NO_NODE;
            }
        }
        if (m->dense[idx] == MM_PK_NO_NODE) {
            m->memo_len++;
        }
        m->dense[idx] = id;
        return MM_OK;
    }
    if ((m->memo_used + 1) * 2 > m->memo_cap) {
        st = memo_grow(m);
        if (st != MM_OK) {
            return st;
        }
    }
    k = memo_find(m, (uint32_t)idx);
    if (m->memo[k].node == MM_PK_NO_NODE) {
        m->memo_len++;
        m->memo_used++;
    }
    m->memo[k].idx = (uint32_t)idx;
    m->memo[k].node = id;
    return MM_OK;
}

static enum mm_status memo_get(struct vm *m, uint64_t idx)
{
    size_t k = 0;
    if (idx < m->dense_cap && m->dense[idx] != MM_PK_NO_NODE) {
        return push(m, m->dense[idx]);
    }
    if (idx < MM_LIMIT_PICKLE_MEMO && m->memo_cap > 0) {
        k = memo_find(m, (uint32_t)idx);
    }
    if (m->memo_cap == 0 || idx >= MM_LIMIT_PICKLE_MEMO || m->memo[k].node == MM_PK_NO_NODE) {
        return vfail(m, MM_ERR_MALFORMED, MM_E_PICKLE_INVALID,
                     "memo index %llu was never stored", (unsigned long long)idx);
    }
    return push(m, m->memo[k].node);
}

/* ---- Container opcodes -------------------------------------------------------- */

/* SETITEM / SETITEMS: pairs stack[from..sp) into the dict (or the dict
 * items of a call record) below them. */
static enum mm_status set_items(struct vm *m, size_t from)
{
    uint32_t target = 0;
    uint32_t dict = 0;
    size_t i = 0;
    enum mm_status st;
    if ((m->sp - from) % 2 != 0) {
        return invalid(m, "odd number of items for a dict");
    }
    if (from == 0 || from <= mark_floor(m)) {
        return invalid(m, "stack underflow");
    }
    target = m->stack[from - 1];
    if (m->p->nodes[target].kind == MM_PK_CALL) {
        st = call_slot(m, target, MM_PK_CALL_DICT, MM_PK_DICT, &dict);
        if (st != MM_OK) {
            return st;
        }
    } else if (m->p->nodes[target].kind == MM_PK_DICT) {
        dict = target;
    } else {
        return invalid(m, "items set on something that is not a dict");
    }
    for (i = from; i < m->sp; i++) {
        st = kid_add(m, dict, m->stack[i]);
        if (st != MM_OK) {
            return st;
        }
    }
    m->sp = from;
    return MM_OK;
}

/* APPEND(S) / ADDITEMS: items stack[from..sp) into the list, set or call
 * record below them. */
static enum mm_status append_items(struct vm *m, size_t from, uint8_t want)
{
    uint32_t target = 0;
    uint32_t list = 0;
    size_t i = 0;
    enum mm_status st;
    if (from == 0 || from <= mark_floor(m)) {
        return invalid(m, "stack underflow");
    }
    target = m->stack[from - 1];
    if (m->p->nodes[target].kind == MM_PK_CALL) {
        st = call_slot(m, target, MM_PK_CALL_LIST, MM_PK_LIST, &list);
        if (st != MM_OK) {
            return st;
        }
    } else if (m->p->nodes[target].kind == want) {
        list = target;
    } else {
        return invalid(m, want == MM_PK_SET ? "items added to something that is not a set"
                                            : "items appended to something that is not a list");
    }
    for (i = from; i < m->sp; i++) {
        st = kid_add(m, list, m->stack[i]);
        if (st != MM_OK) {
            return st;
        }
    }
    m->sp = from;
    return MM_OK;
}

/* TUPLE, LIST, DICT, FROZENSET: a new container of the marked items. */
static enum mm_status from_mark(struct vm *m, uint8_t kind)
{
    size_t from = 0;
    enum mm_status st = pop_mark(m, &from);
    if (st != MM_OK) {
        return st;
    }
    if (kind == MM_PK_DICT && (m->sp - from) % 2 != 0) {
        return invalid(m, "odd number of items for a dict");
    }
    st = push_seq(m, kind, m->stack + from, m->sp - from);
    if (st == MM_OK) {
        /* the new container is on top: move it down to `from` */
        m->stack[from] = m->stack[m->sp - 1];
        m->sp = from + 1;
    }
    return st;
}

static enum mm_status tuple_n(struct vm *m, size_t n)
{
    if (m->sp - mark_floor(m) < n) {
        return invalid(m, "stack underflow");
    }
    {
        const size_t from = m->sp - n;
        enum mm_status st = push_seq(m, MM_PK_TUPLE, m->stack + from, n);
        if (st == MM_OK) {
            m->stack[from] = m->stack[m->sp - 1];
            m->sp = from + 1;
        }
        return st;
    }
}

/* INST and OBJ: a call of the class with the marked arguments. */
static enum mm_status inst(struct vm *m, bool named)
{
    size_t from = 0;
    uint32_t cls = 0;
    uint32_t args = 0;
    enum mm_status st;
    if (named) {
        const uint8_t *mod = NULL;
        const uint8_t *name = NULL;
        size_t mlen = 0;
        size_t nlen = 0;
        st = arg_line(m, &mod, &mlen);
        if (st == MM_OK) {
            st = arg_line(m, &name, &nlen);
        }
        if (st == MM_OK) {
            st = push_global(m, mod, mlen, name, nlen);
        }
        if (st != MM_OK) {
            return st;
        }
        st = pop(m, &cls);
        if (st != MM_OK) {
            return st;
        }
        st = pop_mark(m, &from);
    } else {
        st = pop_mark(m, &from);
        if (st == MM_OK && m->sp == from) {
            st = invalid(m, "OBJ without a class");
        }
        if (st != MM_OK) {
            return st;
        }
        cls = m->stack[from];
        from++;
    }
    if (st != MM_OK) {
        return st;
    }
    st = push_seq(m, MM_PK_TUPLE, m->stack + from, m->sp - from);
    if (st == MM_OK) {
        args = m->stack[m->sp - 1];
        m->sp = named ? from : from - 1;
        st = push_call(m, cls, args);
    }
    return st;
}

static enum mm_status reduce(struct vm *m, unsigned nargs)
{
    uint32_t fn = 0;
    uint32_t args = 0;
    uint32_t kwargs = MM_PK_NO_NODE;
    enum mm_status st = MM_OK;
    if (nargs == 3) {
        st = pop(m, &kwargs);
    }
    if (st == MM_OK) {
        st = pop(m, &args);
    }
    if (st == MM_OK) {
        st = pop(m, &fn);
    }
    if (st == MM_OK) {
        st = push_call(m, fn, args);
    }
    if (st == MM_OK && kwargs != MM_PK_NO_NODE) {
        m->p->nodes[m->stack[m->sp - 1]].v.kids[MM_PK_CALL_STATE] = kwargs;
    }
    return st;
}

static enum mm_status build(struct vm *m)
{
    uint32_t state = 0;
    uint32_t obj = 0;
    enum mm_status st = pop(m, &state);
    if (st == MM_OK) {
        st = top(m, &obj);
    }
    if (st == MM_OK && m->p->nodes[obj].kind == MM_PK_CALL) {
        m->p->nodes[obj].v.kids[MM_PK_CALL_STATE] = state;
    }
    return st;
}

static enum mm_status persid(struct vm *m, uint32_t pid)
{
    uint32_t id = 0;
    enum mm_status st = node_new(m, MM_PK_PERSID, &id);
    if (st == MM_OK) {
        st = kids_fixed(m, id, &pid, 1);
    }
    return st == MM_OK ? push(m, id) : st;
}

/* ---- The opcodes ------------------------------------------------------------- */

static enum mm_status op_strings(struct vm *m, bool *done)
{
    const uint8_t *b = NULL;
    const uint8_t *s = NULL;
    size_t len = 0;
    enum mm_status st;
    *done = true;
    switch (m->op) {
    case 'S': /* STRING: a quoted Python literal */
        st = arg_line(m, &s, &len);
        if (st != MM_OK) {
            return st;
        }
        if (len < 2 || (s[0] != '\'' && s[0] != '"') || s[len - 1] != s[0]) {
            return invalid(m, "STRING argument is not quoted");
        }
        return push_text(m, s + 1, len - 2, true);
    case 'V': /* UNICODE: raw-unicode-escape */
        st = arg_line(m, &s, &len);
        return st == MM_OK ? push_text(m, s, len, false) : st;
    case 'T': /* BINSTRING */
    case 'X': /* BINUNICODE */
    case 'B': /* BINBYTES */
        st = arg_fixed(m, 4, &b);
        if (st == MM_OK && m->op == 'T' && (mm_le32(b) & 0x80000000u) != 0) {
            return invalid(m, "negative string length");
        }
        if (st == MM_OK) {
            st = arg_bytes(m, mm_le32(b), &s);
        }
        return st == MM_OK ? push_string(m, m->op == 'B' ? MM_PK_BYTES : MM_PK_STR, s,
                                         mm_le32(b))
                           : st;
    case 'U':    /* SHORT_BINSTRING */
    case 'C':    /* SHORT_BINBYTES */
    case 0x8c: /* SHORT_BINUNICODE */
        st = arg_fixed(m, 1, &b);
        if (st == MM_OK) {
            st = arg_bytes(m, b[0], &s);
        }
        return st == MM_OK ? push_string(m, m->op == 'C' ? MM_PK_BYTES : MM_PK_STR, s, b[0])
                           : st;
    case 0x8d: /* BINUNICODE8 */
    case 0x8e: /* BINBYTES8 */
    case 0x96: /* BYTEARRAY8 */
        st = arg_fixed(m, 8, &b);
        if (st == MM_OK) {
            st = arg_bytes(m, mm_le64(b), &s);
        }
        return st == MM_OK ? push_string(m, m->op == 0x8d ? MM_PK_STR : MM_PK_BYTES, s,
                                         (size_t)mm_le64(b))
                           : st;
    default:
        *done = false;
        return MM_OK;
    }
}

static enum mm_status op_numbers(struct vm *m, bool *done)
{
    const uint8_t *b = NULL;
    const uint8_t *s = NULL;
    size_t len = 0;
    int64_t v = 0;
    bool big = false;
    enum mm_status st;
    *done = true;
    switch (m->op) {
    case 'I': /* INT (I00/I01 are False/True) */
        if (mm_cursor_remain(&m->c) >= 3 && m->c.p[m->c.pos] == '0' &&
            (m->c.p[m->c.pos + 1] == '0' || m->c.p[m->c.pos + 1] == '1') &&
            m->c.p[m->c.pos + 2] == '\n') {
            v = m->c.p[m->c.pos + 1] - '0';
            m->c.pos += 3;
            return push_scalar(m, MM_PK_BOOL, v, 0);
        }
        /* fall through */
    case 'L': /* LONG */
        st = arg_decimal(m, &v, &big);
        return st == MM_OK ? push_scalar(m, big ? MM_PK_BIGINT : MM_PK_INT, v, 0) : st;
    case 'J': /* BININT */
        st = arg_fixed(m, 4, &b);
        return st == MM_OK ? push_scalar(m, MM_PK_INT, (int32_t)mm_le32(b), 0) : st;
    case 'K': /* BININT1 */
        st = arg_fixed(m, 1, &b);
        return st == MM_OK ? push_scalar(m, MM_PK_INT, b[0], 0) : st;
    case 'M': /* BININT2 */
        st = arg_fixed(m, 2, &b);
        return st == MM_OK ? push_scalar(m, MM_PK_INT, mm_le16(b), 0) : st;
    case 0x8a: /* LONG1 */
        st = arg_fixed(m, 1, &b);
        if (st == MM_OK) {
            st = arg_bytes(m, b[0], &s);
        }
        return st == MM_OK ? push_long_bytes(m, s, b[0]) : st;
    case 0x8b: /* LONG4 */
        st = arg_fixed(m, 4, &b);
        if (st == MM_OK && (mm_le32(b) & 0x80000000u) != 0) {
            return invalid(m, "negative LONG4 length");
        }
        if (st == MM_OK) {
            st = arg_bytes(m, mm_le32(b), &s);
        }
        return st == MM_OK ? push_long_bytes(m, s, mm_le32(b)) : st;
    case 'F': { /* FLOAT */
        char tmp[64];
        char *end = NULL;
        double f;
        st = arg_line(m, &s, &len);
        if (st != MM_OK) {
            return st;
        }
        if (len == 0 || len >= sizeof(tmp)) {
            return invalid(m, "bad FLOAT argument");
        }
        memcpy(tmp, s, len);
        tmp[len] = '\0';
        errno = 0;
        f = strtod(tmp, &end);
        if (end != tmp + len) {
            return invalid(m, "bad FLOAT argument");
        }
        return push_scalar(m, MM_PK_FLOAT, 0, f);
    }
    case 'G': { /* BINFLOAT: big-endian IEEE 754 double */
        union {
            uint64_t u;
            double f;
        } u;
        unsigned k;
        st = arg_fixed(m, 8, &b);
        if (st != MM_OK) {
            return st;
        }
        u.u = 0;
        for (k = 0; k < 8; k++) {
            u.u = (u.u << 8) | b[k];
        }
        return push_scalar(m, MM_PK_FLOAT, 0, u.f);
    }
    case 'N': /* NONE */
        return push_scalar(m, MM_PK_NONE, 0, 0);
    case 0x88: /* NEWTRUE */
    case 0x89: /* NEWFALSE */
        return push_scalar(m, MM_PK_BOOL, m->op == 0x88, 0);
    default:
        *done = false;
        return MM_OK;
    }
}

static enum mm_status op_memo(struct vm *m, bool *done)
{
    const uint8_t *b = NULL;
    int64_t v = 0;
    bool big = false;
    enum mm_status st;
    *done = true;
    switch (m->op) {
    case 'g': /* GET */
    case 'p': /* PUT */
        st = arg_decimal(m, &v, &big);
        if (st == MM_OK && (big || v < 0)) {
            return invalid(m, "bad memo index");
        }
        if (st != MM_OK) {
            return st;
        }
        return m->op == 'g' ? memo_get(m, (uint64_t)v) : memo_put(m, (uint64_t)v);
    case 'h': /* BINGET */
    case 'q': /* BINPUT */
        st = arg_fixed(m, 1, &b);
        if (st != MM_OK) {
            return st;
        }
        return m->op == 'h' ? memo_get(m, b[0]) : memo_put(m, b[0]);
    case 'j': /* LONG_BINGET */
    case 'r': /* LONG_BINPUT */
        st = arg_fixed(m, 4, &b);
        if (st != MM_OK) {
            return st;
        }
        return m->op == 'j' ? memo_get(m, mm_le32(b)) : memo_put(m, mm_le32(b));
    case 0x94: /* MEMOIZE */
        return memo_put(m, m->memo_len);
    default:
        *done = false;
        return MM_OK;
    }
}

static enum mm_status op_stack(struct vm *m, bool *done)
{
    uint32_t a = 0;
    uint32_t b2 = 0;
    size_t from = 0;
    enum mm_status st;
    *done = true;
    switch (m->op) {
    case '(': /* MARK */
        if (m->sp + m->nmarks >= MM_LIMIT_PICKLE_STACK) {
            return vfail(m, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_STACK, "more than %u stack items",
                         MM_LIMIT_PICKLE_STACK);
        }
        if (!mm_grow((void **)&m->marks, &m->marks_cap, m->nmarks + 1, sizeof(*m->marks))) {
            return nomem(m);
        }
        m->marks[m->nmarks++] = m->sp;
        return MM_OK;
    case '0': /* POP: an empty frame pops its mark instead */
        if (m->sp > mark_floor(m)) {
            m->sp--;
            return MM_OK;
        }
        /* fall through */
    case '1': /* POP_MARK */
        st = pop_mark(m, &from);
        if (st == MM_OK) {
            m->sp = from;
        }
        return st;
    case '2': /* DUP */
        st = top(m, &a);
        return st == MM_OK ? push(m, a) : st;
    case ']': /* EMPTY_LIST */
        return push_seq(m, MM_PK_LIST, NULL, 0);
    case ')': /* EMPTY_TUPLE */
        return push_seq(m, MM_PK_TUPLE, NULL, 0);
    case '}': /* EMPTY_DICT */
        return push_seq(m, MM_PK_DICT, NULL, 0);
    case 0x8f: /* EMPTY_SET */
        return push_seq(m, MM_PK_SET, NULL, 0);
    case 'l': /* LIST */
        return from_mark(m, MM_PK_LIST);
    case 't': /* TUPLE */
        return from_mark(m, MM_PK_TUPLE);
    case 'd': /* DICT */
        return from_mark(m, MM_PK_DICT);
    case 0x91: /* FROZENSET */
        return from_mark(m, MM_PK_SET);
    case 0x85: /* TUPLE1 */
    case 0x86: /* TUPLE2 */
    case 0x87: /* TUPLE3 */
        return tuple_n(m, (size_t)(m->op - 0x84));
    case 'a': /* APPEND */
        if (m->sp - mark_floor(m) < 2) {
            return invalid(m, "stack underflow");
        }
        return append_items(m, m->sp - 1, MM_PK_LIST);
    case 'e': /* APPENDS */
    case 0x90: /* ADDITEMS */
        st = pop_mark(m, &from);
        return st == MM_OK ? append_items(m, from, m->op == 'e' ? MM_PK_LIST : MM_PK_SET) : st;
    case 's': /* SETITEM */
        if (m->sp - mark_floor(m) < 3) {
            return invalid(m, "stack underflow");
        }
        return set_items(m, m->sp - 2);
    case 'u': /* SETITEMS */
        st = pop_mark(m, &from);
        return st == MM_OK ? set_items(m, from) : st;
    case 0x93: /* STACK_GLOBAL */
        st = pop(m, &b2);
        if (st == MM_OK) {
            st = pop(m, &a);
        }
        if (st != MM_OK) {
            return st;
        }
        if (m->p->nodes[a].kind != MM_PK_STR || m->p->nodes[b2].kind != MM_PK_STR) {
            return invalid(m, "STACK_GLOBAL needs two strings");
        }
        return push_global(m, (const uint8_t *)mm_pk_str(m->p, &m->p->nodes[a]),
                           m->p->nodes[a].v.s.len,
                           (const uint8_t *)mm_pk_str(m->p, &m->p->nodes[b2]),
                           m->p->nodes[b2].v.s.len);
    default:
        *done = false;
        return MM_OK;
    }
}

static enum mm_status op_objects(struct vm *m, bool *done)
{
    const uint8_t *b = NULL;
    const uint8_t *mod = NULL;
    const uint8_t *name = NULL;
    size_t mlen = 0;
    size_t nlen = 0;
    uint32_t a = 0;
    enum mm_status st;
    *done = true;
    switch (m->op) {
    case 'c': /* GLOBAL */
        st = arg_line(m, &mod, &mlen);
        if (st == MM_OK) {
            st = arg_line(m, &name, &nlen);
        }
        return st == MM_OK ? push_global(m, mod, mlen, name, nlen) : st;
    case 'R': /* REDUCE */
    case 0x81: /* NEWOBJ */
        return reduce(m, 2);
    case 0x92: /* NEWOBJ_EX */
        return reduce(m, 3);
    case 'i': /* INST */
        return inst(m, true);
    case 'o': /* OBJ */
        return inst(m, false);
    case 'b': /* BUILD */
        return build(m);
    case 'P': /* PERSID */
        st = arg_line(m, &mod, &mlen);
        if (st == MM_OK) {
            st = push_string(m, MM_PK_STR, mod, mlen);
        }
        if (st == MM_OK) {
            st = pop(m, &a);
        }
        return st == MM_OK ? persid(m, a) : st;
    case 'Q': /* BINPERSID */
        st = pop(m, &a);
        return st == MM_OK ? persid(m, a) : st;
    case 0x82: /* EXT1 */
    case 0x83: /* EXT2 */
    case 0x84: /* EXT4 */
        st = arg_fixed(m, m->op == 0x82 ? 1u : (m->op == 0x83 ? 2u : 4u), &b);
        return st == MM_OK ? vfail(m, MM_ERR_UNSUPPORTED, MM_E_PICKLE_INVALID,
                                   "copyreg extension codes are not in a standard Python")
                           : st;
    case 0x97: /* NEXT_BUFFER */
        return push_scalar(m, MM_PK_BUFFER, 0, 0);
    case 0x98: /* READONLY_BUFFER */
        return top(m, &a);
    case 0x95: /* FRAME: framing is transparent */
        return arg_fixed(m, 8, &b);
    case 0x80: /* PROTO */
        st = arg_fixed(m, 1, &b);
        if (st == MM_OK && b[0] > 5) {
            return vfail(m, MM_ERR_UNSUPPORTED, MM_E_BAD_VERSION, "pickle protocol %u (0 to 5 "
                         "are read)", b[0]);
        }
        return st;
    default:
        *done = false;
        return MM_OK;
    }
}

static enum mm_status run(struct vm *m)
{
    uint64_t ops = 0;
    for (;;) {
        bool done = false;
        enum mm_status st;
        m->op_at = mm_cursor_offset(&m->c);
        if (!mm_cursor_u8(&m->c, &m->op)) {
            m->p->ran_out = 1;
            return mm_fail(m->err, MM_ERR_MALFORMED, MM_E_TRUNCATED, m->file, NULL,
                           (int64_t)m->op_at, "pickle ends without a STOP opcode");
        }
        if (++ops > MM_LIMIT_PICKLE_OPS) {
            return vfail(m, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_OPS, "more than %u opcodes",
                         MM_LIMIT_PICKLE_OPS);
        }
        if (m->op == '.') { /* STOP */
            st = pop(m, &m->p->root);
            if (st == MM_OK) {
                m->p->consumed = m->c.pos;
            }
            return st;
        }
        st = op_strings(m, &done);
        if (st == MM_OK && !done) {
            st = op_numbers(m, &done);
        }
        if (st == MM_OK && !done) {
            st = op_memo(m, &done);
        }
        if (st == MM_OK && !done) {
            st = op_stack(m, &done);
        }
        if (st == MM_OK && !done) {
            st = op_objects(m, &done);
        }
        if (st != MM_OK) {
            return st;
        }
        if (!done) {
            return mm_fail(m->err, MM_ERR_MALFORMED, MM_E_PICKLE_OPCODE, m->file, NULL,
                           (int64_t)m->op_at, "unknown pickle opcode 0x%02x", m->op);
        }
    }
}

enum mm_status mm_pickle_run(struct mm_pickle *p, const uint8_t *data, size_t len,
                             uint64_t base, const char *file, mm_pickle_global_fn on_global,
                             void *ctx, struct mm_error *err)
{
    struct vm m;
    enum mm_status st;
    memset(p, 0, sizeof(*p));
    memset(&m, 0, sizeof(m));
    m.p = p;
    p->base = base;
    m.file = file;
    m.on_global = on_global;
    m.ctx = ctx;
    m.err = err;
    p->root = MM_PK_NO_NODE;
    if (len > MM_LIMIT_PICKLE_BYTES) {
        return mm_fail(err, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_BYTES, file, NULL, (int64_t)base,
                       "pickle of %zu bytes (limit %u)", len, MM_LIMIT_PICKLE_BYTES);
    }
    mm_cursor_init(&m.c, data, len, base);
    m.dense_max = len;
    st = run(&m);
    free(m.stack);
    free(m.marks);
    free(m.memo);
    free(m.dense);
    if (st != MM_OK) {
        const int ran_out = p->ran_out;
        mm_pickle_free(p);
        p->ran_out = ran_out;
    }
    return st;
}

void mm_pickle_free(struct mm_pickle *p)
{
    size_t i = 0;
    for (i = 0; i < p->n; i++) {
        if (p->nodes[i].cap > 0) {
            free(p->nodes[i].v.kids);
        }
    }
    for (i = 0; i < p->nchunks; i++) {
        free(p->chunks[i]);
    }
    free(p->chunks);
    free(p->nodes);
    free(p->pool);
    memset(p, 0, sizeof(*p));
    p->root = MM_PK_NO_NODE;
}
