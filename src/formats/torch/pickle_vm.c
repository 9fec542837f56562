/*
 * pickle_vm.c - the pickle interpreter's machine (pickle_vm.h): values,
 * the stack, marks, failure helpers and the argument readers and string
 * decoders every opcode uses. Opcodes and argument encodings follow CPython
 * Lib/pickletools.py; the stack and the mark stack behave as Lib/pickle.py's
 * _Unpickler does. It calls nothing above it: pickle_objects.c and
 * pickle_ops.c build on it, pickle_run.c runs the loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/json_scan.h"
#include "formats/torch/pickle_vm.h"

enum mm_status mm_pkvm_vfail(struct mm_pkvm *m, enum mm_status st, enum mm_errcode code,
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

enum mm_status mm_pkvm_invalid(struct mm_pkvm *m, const char *what)
{
    return mm_pkvm_vfail(m, MM_ERR_MALFORMED, MM_E_PICKLE_INVALID, "%s", what);
}

enum mm_status mm_pkvm_truncated(struct mm_pkvm *m)
{
    m->p->ran_out = 1;
    return mm_pkvm_vfail(m, MM_ERR_MALFORMED, MM_E_TRUNCATED,
                         "the pickle ends inside its argument");
}

enum mm_status mm_pkvm_nomem(struct mm_pkvm *m)
{
    return mm_fail_nomem(m->err, m->file);
}

/* A new node; *id receives its index. */
enum mm_status mm_pkvm_node_new(struct mm_pkvm *m, uint8_t kind, uint32_t *id)
{
    struct mm_pickle *p = m->p;
    struct mm_pk_node *nd = NULL;
    if (p->n >= UINT32_MAX - 1) {
        return mm_pkvm_vfail(m, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_OPS, "too many values");
    }
    if (!mm_grow((void **)&p->nodes, &p->cap, p->n + 1, sizeof(*p->nodes))) {
        return mm_pkvm_nomem(m);
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
enum mm_status mm_pkvm_kids_fixed(struct mm_pkvm *m, uint32_t id, const uint32_t *items, size_t n)
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
            return mm_pkvm_nomem(m);
        }
        chunk = mm_reallocarray(NULL, size, sizeof(*chunk));
        if (chunk == NULL) {
            return mm_pkvm_nomem(m);
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
enum mm_status mm_pkvm_kid_add(struct mm_pkvm *m, uint32_t id, uint32_t kid)
{
    struct mm_pk_node *nd = &m->p->nodes[id];
    if (nd->n == nd->cap || nd->cap == 0) {
        const bool packed = nd->cap == 0 && nd->n > 0;
        const size_t ncap = nd->n == 0 ? 4 : (size_t)nd->n * 2;
        uint32_t *k = mm_reallocarray(packed ? NULL : nd->v.kids, ncap, sizeof(*k));
        if (k == NULL) {
            return mm_pkvm_nomem(m);
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
enum mm_status mm_pkvm_pool_add(struct mm_pkvm *m, uint32_t id, const void *s, size_t len)
{
    struct mm_pickle *p = m->p;
    if (p->pool_len + len + 1 > UINT32_MAX) {
        return mm_pkvm_vfail(m, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_BYTES, "strings exceed 4 GiB");
    }
    if (!mm_grow((void **)&p->pool, &p->pool_cap, p->pool_len + len + 1, 1)) {
        return mm_pkvm_nomem(m);
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

enum mm_status mm_pkvm_push(struct mm_pkvm *m, uint32_t id)
{
    if (m->sp + m->nmarks >= MM_LIMIT_PICKLE_STACK) {
        return mm_pkvm_vfail(m, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_STACK, "more than %u stack items",
                             MM_LIMIT_PICKLE_STACK);
    }
    if (!mm_grow((void **)&m->stack, &m->stack_cap, m->sp + 1, sizeof(*m->stack))) {
        return mm_pkvm_nomem(m);
    }
    m->stack[m->sp++] = id;
    return MM_OK;
}

size_t mm_pkvm_mark_floor(const struct mm_pkvm *m)
{
    return m->nmarks > 0 ? m->marks[m->nmarks - 1] : 0;
}

enum mm_status mm_pkvm_pop(struct mm_pkvm *m, uint32_t *out)
{
    if (m->sp <= mm_pkvm_mark_floor(m)) {
        return mm_pkvm_invalid(m, "stack underflow");
    }
    *out = m->stack[--m->sp];
    return MM_OK;
}

enum mm_status mm_pkvm_top(struct mm_pkvm *m, uint32_t *out)
{
    if (m->sp <= mm_pkvm_mark_floor(m)) {
        return mm_pkvm_invalid(m, "stack underflow");
    }
    *out = m->stack[m->sp - 1];
    return MM_OK;
}

/* The items since the last mark: stack[*from .. sp). The mark is popped;
 * the caller truncates the stack to *from when done with them. */
enum mm_status mm_pkvm_pop_mark(struct mm_pkvm *m, size_t *from)
{
    if (m->nmarks == 0) {
        return mm_pkvm_invalid(m, "no mark on the stack");
    }
    *from = m->marks[--m->nmarks];
    return MM_OK;
}

/* Push a new node of `kind` holding stack[from .. from + n) as kids: packed
 * for a tuple or frozenset, allocated to size for what may grow. The stack
 * is only addressed when n > 0 (it may not be allocated yet). */
enum mm_status mm_pkvm_push_seq(struct mm_pkvm *m, uint8_t kind, size_t from, size_t n)
{
    uint32_t id = 0;
    enum mm_status st = mm_pkvm_node_new(m, kind, &id);
    if (st == MM_OK && n > 0) {
        const uint32_t *items = m->stack + from;
        if (kind == MM_PK_TUPLE || m->op == 0x91) {
            st = mm_pkvm_kids_fixed(m, id, items, n);
        } else {
            uint32_t *k = mm_reallocarray(NULL, n, sizeof(*k));
            if (k == NULL) {
                return mm_pkvm_nomem(m);
            }
            memcpy(k, items, n * sizeof(*k));
            m->p->nodes[id].v.kids = k;
            m->p->nodes[id].n = (uint32_t)n;
            m->p->nodes[id].cap = (uint32_t)n;
        }
    }
    return st == MM_OK ? mm_pkvm_push(m, id) : st;
}

enum mm_status mm_pkvm_push_scalar(struct mm_pkvm *m, uint8_t kind, int64_t i, double f)
{
    uint32_t id = 0;
    enum mm_status st = mm_pkvm_node_new(m, kind, &id);
    if (st != MM_OK) {
        return st;
    }
    if (kind == MM_PK_FLOAT) {
        m->p->nodes[id].v.f = f;
    } else {
        m->p->nodes[id].v.i = i;
    }
    return mm_pkvm_push(m, id);
}

enum mm_status mm_pkvm_push_string(struct mm_pkvm *m, uint8_t kind, const void *s, size_t len)
{
    uint32_t id = 0;
    enum mm_status st = mm_pkvm_node_new(m, kind, &id);
    if (st == MM_OK) {
        st = mm_pkvm_pool_add(m, id, s, len);
    }
    return st == MM_OK ? mm_pkvm_push(m, id) : st;
}

/* ---- Frames ---------------------------------------------------------------- */

/*
 * Protocol 4 frames (PEP 3154): FRAME n says that the next n bytes hold
 * whole opcodes. Lib/pickle.py's _Unframer reads every opcode and argument
 * through the current frame: a read that finds the frame used up leaves it
 * and reads on outside; one that would cross the frame's end is "pickle
 * exhausted before end of frame"; a FRAME before the end of the current one
 * is "beginning of a new frame before end of current frame". A frame that
 * runs past the end of the data is refused when it begins, as _pickle.c's
 * load_frame (which reads the whole frame first) refuses it.
 */
static enum mm_status frame_fail(struct mm_pkvm *m, const char *what)
{
    return mm_pkvm_vfail(m, MM_ERR_MALFORMED, MM_E_PICKLE_FRAME,
                         "%s the frame ending at byte %llu (pickle exhausted before end of "
                         "frame)", what, (unsigned long long)(m->c.base + m->frame_end));
}

/* Leaves a frame that is used up; true while one is being read. */
static bool frame_on(struct mm_pkvm *m)
{
    if (m->in_frame && m->c.pos == m->frame_end) {
        m->in_frame = false;
    }
    return m->in_frame;
}

enum mm_status mm_pkvm_frame_read(struct mm_pkvm *m, size_t n)
{
    if (n == 0 || !frame_on(m)) {
        return MM_OK;
    }
    if (n > m->frame_end - m->c.pos) {
        return frame_fail(m, "an argument crosses");
    }
    return MM_OK;
}

enum mm_status mm_pkvm_frame_begin(struct mm_pkvm *m, uint64_t n)
{
    if (frame_on(m)) {
        return mm_pkvm_vfail(m, MM_ERR_MALFORMED, MM_E_PICKLE_FRAME,
                             "a new frame begins %zu bytes before the end of the current one "
                             "(beginning of a new frame before end of current frame)",
                             m->frame_end - m->c.pos);
    }
    if (n > mm_cursor_remain(&m->c)) {
        m->p->ran_out = 1; /* a legacy file's pickles are read in parts */
        return mm_pkvm_vfail(m, MM_ERR_MALFORMED, MM_E_PICKLE_FRAME,
                             "a frame of %llu bytes runs past the end of the pickle data "
                             "(%zu bytes left)", (unsigned long long)n, mm_cursor_remain(&m->c));
    }
    m->in_frame = true;
    m->frame_end = m->c.pos + (size_t)n;
    return MM_OK;
}

/* ---- Arguments ------------------------------------------------------------ */

enum mm_status mm_pkvm_arg_bytes(struct mm_pkvm *m, uint64_t n, const uint8_t **out)
{
    enum mm_status st;
    if (n > MM_LIMIT_PICKLE_STRING) {
        return mm_pkvm_vfail(m, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_STRING,
                             "argument of %llu bytes (limit %u)", (unsigned long long)n,
                             MM_LIMIT_PICKLE_STRING);
    }
    st = mm_pkvm_frame_read(m, (size_t)n);
    if (st != MM_OK) {
        return st;
    }
    if (!mm_cursor_take(&m->c, (size_t)n, out)) {
        return mm_pkvm_truncated(m);
    }
    return MM_OK;
}

enum mm_status mm_pkvm_arg_fixed(struct mm_pkvm *m, size_t n, const uint8_t **out)
{
    const enum mm_status st = mm_pkvm_frame_read(m, n);
    if (st != MM_OK) {
        return st;
    }
    return mm_cursor_take(&m->c, n, out) ? MM_OK : mm_pkvm_truncated(m);
}

/* A newline-terminated line (the newline not included); inside a frame the
 * newline must come before the frame's end (_Unframer.readline). */
enum mm_status mm_pkvm_arg_line(struct mm_pkvm *m, const uint8_t **out, size_t *len)
{
    const bool framed = frame_on(m);
    const size_t rem = framed ? m->frame_end - m->c.pos : mm_cursor_remain(&m->c);
    const uint8_t *start = m->c.p + m->c.pos;
    const uint8_t *nl = memchr(start, '\n', rem > MM_LIMIT_PICKLE_STRING + 1
                                                 ? MM_LIMIT_PICKLE_STRING + 1
                                                 : rem);
    if (nl == NULL) {
        if (rem > MM_LIMIT_PICKLE_STRING) {
            return mm_pkvm_vfail(m, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_STRING,
                                 "line longer than %u bytes", MM_LIMIT_PICKLE_STRING);
        }
        return framed ? frame_fail(m, "a line crosses") : mm_pkvm_truncated(m);
    }
    *out = start;
    *len = (size_t)(nl - start);
    m->c.pos += *len + 1;
    return MM_OK;
}

/* A decimal integer line's text: INT, LONG, GET, PUT. *big is set when it
 * does not fit 64 bits. A trailing 'L' (LONG) is accepted. */
enum mm_status mm_pkvm_decimal(struct mm_pkvm *m, const uint8_t *s, size_t len, int64_t *out,
                               bool *big)
{
    size_t i = 0;
    bool neg = false;
    uint64_t v = 0;
    *big = false;
    if (len > 0 && s[len - 1] == 'L') {
        len--;
    }
    if (i < len && (s[i] == '-' || s[i] == '+')) {
        neg = s[i] == '-';
        i++;
    }
    if (i == len) {
        return mm_pkvm_invalid(m, "empty decimal number");
    }
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return mm_pkvm_invalid(m, "bad decimal number");
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

enum mm_status mm_pkvm_arg_decimal(struct mm_pkvm *m, int64_t *out, bool *big)
{
    const uint8_t *s = NULL;
    size_t len = 0;
    const enum mm_status st = mm_pkvm_arg_line(m, &s, &len);
    return st == MM_OK ? mm_pkvm_decimal(m, s, len, out, big) : st;
}

/* A little-endian two's complement integer of n bytes (LONG1, LONG4). */
enum mm_status mm_pkvm_push_long_bytes(struct mm_pkvm *m, const uint8_t *b, uint64_t n)
{
    uint64_t v = 0;
    size_t i = 0;
    if (n > 8) {
        return mm_pkvm_push_scalar(m, MM_PK_BIGINT, 0, 0);
    }
    for (i = 0; i < n; i++) {
        v |= (uint64_t)b[i] << (8 * i);
    }
    if (n > 0 && n < 8 && (b[n - 1] & 0x80u) != 0) {
        v |= ~(uint64_t)0 << (8 * n);
    }
    return mm_pkvm_push_scalar(m, MM_PK_INT, (int64_t)v, 0);
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
enum mm_status mm_pkvm_push_text(struct mm_pkvm *m, const uint8_t *s, size_t len, bool literal)
{
    char *out;
    size_t o = 0;
    size_t i = 0;
    enum mm_status st;
    out = malloc(len * 4 + 1);
    if (out == NULL) {
        return mm_pkvm_nomem(m);
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
    st = mm_pkvm_push_string(m, MM_PK_STR, out, o);
    free(out);
    return st;
}

/* Lib/pickle.py load_binunicode and kin: str(data, 'utf-8', 'surrogatepass'),
 * which refuses any other invalid sequence (UnicodeDecodeError). */
enum mm_status mm_pkvm_push_utf8(struct mm_pkvm *m, const uint8_t *s, size_t len)
{
    size_t bad = 0;
    if (!mm_utf8_valid_surrogatepass(s, len, &bad)) {
        return mm_pkvm_vfail(m, MM_ERR_MALFORMED, MM_E_PICKLE_UTF8,
                             "string of %zu bytes is not UTF-8: 0x%02x at its byte %zu", len,
                             s[bad], bad);
    }
    return mm_pkvm_push_string(m, MM_PK_STR, s, len);
}
