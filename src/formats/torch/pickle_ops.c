/*
 * pickle_ops.c - every opcode of pickle protocols 0 to 5 (CPython
 * Lib/pickletools.py), by kind: strings, numbers, memo, stack and
 * containers, objects. Each handler runs m->op when it is one of its own
 * and says so in *done; pickle_run.c's run loop reports any other byte as
 * an unknown opcode.
 */
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "formats/torch/pickle_vm.h"

/* ---- The opcodes ------------------------------------------------------------- */

enum mm_status mm_pkvm_op_strings(struct mm_pkvm *m, bool *done)
{
    const uint8_t *b = NULL;
    const uint8_t *s = NULL;
    size_t len = 0;
    enum mm_status st;
    *done = true;
    switch (m->op) {
    case 'S': /* STRING: a quoted Python literal */
        st = mm_pkvm_arg_line(m, &s, &len);
        if (st != MM_OK) {
            return st;
        }
        if (len < 2 || (s[0] != '\'' && s[0] != '"') || s[len - 1] != s[0]) {
            return mm_pkvm_invalid(m, "STRING argument is not quoted");
        }
        return mm_pkvm_push_text(m, s + 1, len - 2, true);
    case 'V': /* UNICODE: raw-unicode-escape */
        st = mm_pkvm_arg_line(m, &s, &len);
        return st == MM_OK ? mm_pkvm_push_text(m, s, len, false) : st;
    case 'T': /* BINSTRING */
    case 'X': /* BINUNICODE */
    case 'B': /* BINBYTES */
        st = mm_pkvm_arg_fixed(m, 4, &b);
        if (st == MM_OK && m->op == 'T' && (mm_le32(b) & 0x80000000u) != 0) {
            return mm_pkvm_invalid(m, "negative string length");
        }
        if (st == MM_OK) {
            st = mm_pkvm_arg_bytes(m, mm_le32(b), &s);
        }
        if (st == MM_OK && m->op == 'X') {
            return mm_pkvm_push_utf8(m, s, mm_le32(b));
        }
        return st == MM_OK ? mm_pkvm_push_string(m, m->op == 'B' ? MM_PK_BYTES : MM_PK_STR, s,
                                                 mm_le32(b))
                           : st;
    case 'U':    /* SHORT_BINSTRING */
    case 'C':    /* SHORT_BINBYTES */
    case 0x8c: /* SHORT_BINUNICODE */
        st = mm_pkvm_arg_fixed(m, 1, &b);
        if (st == MM_OK) {
            st = mm_pkvm_arg_bytes(m, b[0], &s);
        }
        if (st == MM_OK && m->op == 0x8c) {
            return mm_pkvm_push_utf8(m, s, b[0]);
        }
        return st == MM_OK ? mm_pkvm_push_string(m, m->op == 'C' ? MM_PK_BYTES : MM_PK_STR, s, b[0])
                           : st;
    case 0x8d: /* BINUNICODE8 */
    case 0x8e: /* BINBYTES8 */
    case 0x96: /* BYTEARRAY8 */
        st = mm_pkvm_arg_fixed(m, 8, &b);
        if (st == MM_OK) {
            st = mm_pkvm_arg_bytes(m, mm_le64(b), &s);
        }
        if (st == MM_OK && m->op == 0x8d) {
            return mm_pkvm_push_utf8(m, s, (size_t)mm_le64(b));
        }
        return st == MM_OK ? mm_pkvm_push_string(m, MM_PK_BYTES, s, (size_t)mm_le64(b)) : st;
    default:
        *done = false;
        return MM_OK;
    }
}

enum mm_status mm_pkvm_op_numbers(struct mm_pkvm *m, bool *done)
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
    case 'L': /* LONG */
        st = mm_pkvm_arg_line(m, &s, &len);
        if (st != MM_OK) {
            return st;
        }
        if (m->op == 'I' && len == 2 && s[0] == '0' && (s[1] == '0' || s[1] == '1')) {
            return mm_pkvm_push_scalar(m, MM_PK_BOOL, s[1] - '0', 0);
        }
        st = mm_pkvm_decimal(m, s, len, &v, &big);
        return st == MM_OK ? mm_pkvm_push_scalar(m, big ? MM_PK_BIGINT : MM_PK_INT, v, 0) : st;
    case 'J': /* BININT */
        st = mm_pkvm_arg_fixed(m, 4, &b);
        return st == MM_OK ? mm_pkvm_push_scalar(m, MM_PK_INT, (int32_t)mm_le32(b), 0) : st;
    case 'K': /* BININT1 */
        st = mm_pkvm_arg_fixed(m, 1, &b);
        return st == MM_OK ? mm_pkvm_push_scalar(m, MM_PK_INT, b[0], 0) : st;
    case 'M': /* BININT2 */
        st = mm_pkvm_arg_fixed(m, 2, &b);
        return st == MM_OK ? mm_pkvm_push_scalar(m, MM_PK_INT, mm_le16(b), 0) : st;
    case 0x8a: /* LONG1 */
        st = mm_pkvm_arg_fixed(m, 1, &b);
        if (st == MM_OK) {
            st = mm_pkvm_arg_bytes(m, b[0], &s);
        }
        return st == MM_OK ? mm_pkvm_push_long_bytes(m, s, b[0]) : st;
    case 0x8b: /* LONG4 */
        st = mm_pkvm_arg_fixed(m, 4, &b);
        if (st == MM_OK && (mm_le32(b) & 0x80000000u) != 0) {
            return mm_pkvm_invalid(m, "negative LONG4 length");
        }
        if (st == MM_OK) {
            st = mm_pkvm_arg_bytes(m, mm_le32(b), &s);
        }
        return st == MM_OK ? mm_pkvm_push_long_bytes(m, s, mm_le32(b)) : st;
    case 'F': { /* FLOAT */
        char tmp[64];
        char *end = NULL;
        double f;
        st = mm_pkvm_arg_line(m, &s, &len);
        if (st != MM_OK) {
            return st;
        }
        if (len == 0 || len >= sizeof(tmp)) {
            return mm_pkvm_invalid(m, "bad FLOAT argument");
        }
        memcpy(tmp, s, len);
        tmp[len] = '\0';
        f = strtod(tmp, &end);
        if (end != tmp + len) {
            return mm_pkvm_invalid(m, "bad FLOAT argument");
        }
        return mm_pkvm_push_scalar(m, MM_PK_FLOAT, 0, f);
    }
    case 'G': { /* BINFLOAT: big-endian IEEE 754 double */
        union {
            uint64_t u;
            double f;
        } u;
        unsigned k;
        st = mm_pkvm_arg_fixed(m, 8, &b);
        if (st != MM_OK) {
            return st;
        }
        u.u = 0;
        for (k = 0; k < 8; k++) {
            u.u = (u.u << 8) | b[k];
        }
        return mm_pkvm_push_scalar(m, MM_PK_FLOAT, 0, u.f);
    }
    case 'N': /* NONE */
        return mm_pkvm_push_scalar(m, MM_PK_NONE, 0, 0);
    case 0x88: /* NEWTRUE */
    case 0x89: /* NEWFALSE */
        return mm_pkvm_push_scalar(m, MM_PK_BOOL, m->op == 0x88, 0);
    default:
        *done = false;
        return MM_OK;
    }
}

enum mm_status mm_pkvm_op_memo(struct mm_pkvm *m, bool *done)
{
    const uint8_t *b = NULL;
    int64_t v = 0;
    bool big = false;
    enum mm_status st;
    *done = true;
    switch (m->op) {
    case 'g': /* GET */
    case 'p': /* PUT */
        st = mm_pkvm_arg_decimal(m, &v, &big);
        if (st == MM_OK && (big || v < 0)) {
            return mm_pkvm_invalid(m, "bad memo index");
        }
        if (st != MM_OK) {
            return st;
        }
        return m->op == 'g' ? mm_pkvm_memo_get(m, (uint64_t)v) : mm_pkvm_memo_put(m, (uint64_t)v);
    case 'h': /* BINGET */
    case 'q': /* BINPUT */
        st = mm_pkvm_arg_fixed(m, 1, &b);
        if (st != MM_OK) {
            return st;
        }
        return m->op == 'h' ? mm_pkvm_memo_get(m, b[0]) : mm_pkvm_memo_put(m, b[0]);
    case 'j': /* LONG_BINGET */
    case 'r': /* LONG_BINPUT */
        st = mm_pkvm_arg_fixed(m, 4, &b);
        if (st != MM_OK) {
            return st;
        }
        return m->op == 'j' ? mm_pkvm_memo_get(m, mm_le32(b)) : mm_pkvm_memo_put(m, mm_le32(b));
    case 0x94: /* MEMOIZE */
        return mm_pkvm_memo_put(m, m->memo_len);
    default:
        *done = false;
        return MM_OK;
    }
}

enum mm_status mm_pkvm_op_stack(struct mm_pkvm *m, bool *done)
{
    uint32_t a = 0;
    uint32_t b2 = 0;
    size_t from = 0;
    enum mm_status st;
    *done = true;
    switch (m->op) {
    case '(': /* MARK */
        if (m->sp + m->nmarks >= MM_LIMIT_PICKLE_STACK) {
            return mm_pkvm_vfail(m, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_STACK,
                                 "more than %u stack items", MM_LIMIT_PICKLE_STACK);
        }
        if (!mm_grow((void **)&m->marks, &m->marks_cap, m->nmarks + 1, sizeof(*m->marks))) {
            return mm_pkvm_nomem(m);
        }
        m->marks[m->nmarks++] = m->sp;
        return MM_OK;
    case '0': /* POP: an empty frame pops its mark instead */
        if (m->sp > mm_pkvm_mark_floor(m)) {
            m->sp--;
            return MM_OK;
        }
        /* fall through */
    case '1': /* POP_MARK */
        st = mm_pkvm_pop_mark(m, &from);
        if (st == MM_OK) {
            m->sp = from;
        }
        return st;
    case '2': /* DUP */
        st = mm_pkvm_top(m, &a);
        return st == MM_OK ? mm_pkvm_push(m, a) : st;
    case ']': /* EMPTY_LIST */
        return mm_pkvm_push_seq(m, MM_PK_LIST, 0, 0);
    case ')': /* EMPTY_TUPLE */
        return mm_pkvm_push_seq(m, MM_PK_TUPLE, 0, 0);
    case '}': /* EMPTY_DICT */
        return mm_pkvm_push_seq(m, MM_PK_DICT, 0, 0);
    case 0x8f: /* EMPTY_SET */
        return mm_pkvm_push_seq(m, MM_PK_SET, 0, 0);
    case 'l': /* LIST */
        return mm_pkvm_from_mark(m, MM_PK_LIST);
    case 't': /* TUPLE */
        return mm_pkvm_from_mark(m, MM_PK_TUPLE);
    case 'd': /* DICT */
        return mm_pkvm_from_mark(m, MM_PK_DICT);
    case 0x91: /* FROZENSET */
        return mm_pkvm_from_mark(m, MM_PK_SET);
    case 0x85: /* TUPLE1 */
    case 0x86: /* TUPLE2 */
    case 0x87: /* TUPLE3 */
        return mm_pkvm_tuple_n(m, (size_t)(m->op - 0x84));
    case 'a': /* APPEND */
        if (m->sp - mm_pkvm_mark_floor(m) < 2) {
            return mm_pkvm_invalid(m, "stack underflow");
        }
        return mm_pkvm_append_items(m, m->sp - 1, MM_PK_LIST);
    case 'e': /* APPENDS */
    case 0x90: /* ADDITEMS */
        st = mm_pkvm_pop_mark(m, &from);
        if (st != MM_OK) {
            return st;
        }
        return mm_pkvm_append_items(m, from, m->op == 'e' ? MM_PK_LIST : MM_PK_SET);
    case 's': /* SETITEM */
        if (m->sp - mm_pkvm_mark_floor(m) < 3) {
            return mm_pkvm_invalid(m, "stack underflow");
        }
        return mm_pkvm_set_items(m, m->sp - 2);
    case 'u': /* SETITEMS */
        st = mm_pkvm_pop_mark(m, &from);
        return st == MM_OK ? mm_pkvm_set_items(m, from) : st;
    case 0x93: /* STACK_GLOBAL */
        st = mm_pkvm_pop(m, &b2);
        if (st == MM_OK) {
            st = mm_pkvm_pop(m, &a);
        }
        if (st != MM_OK) {
            return st;
        }
        if (m->p->nodes[a].kind != MM_PK_STR || m->p->nodes[b2].kind != MM_PK_STR) {
            return mm_pkvm_invalid(m, "STACK_GLOBAL needs two strings");
        }
        return mm_pkvm_push_global(m, (const uint8_t *)mm_pk_str(m->p, &m->p->nodes[a]),
                                   m->p->nodes[a].v.s.len,
                                   (const uint8_t *)mm_pk_str(m->p, &m->p->nodes[b2]),
                                   m->p->nodes[b2].v.s.len);
    default:
        *done = false;
        return MM_OK;
    }
}

enum mm_status mm_pkvm_op_objects(struct mm_pkvm *m, bool *done)
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
        st = mm_pkvm_arg_line(m, &mod, &mlen);
        if (st == MM_OK) {
            st = mm_pkvm_arg_line(m, &name, &nlen);
        }
        return st == MM_OK ? mm_pkvm_push_global(m, mod, mlen, name, nlen) : st;
    case 'R': /* REDUCE */
    case 0x81: /* NEWOBJ */
        return mm_pkvm_reduce(m, 2);
    case 0x92: /* NEWOBJ_EX */
        return mm_pkvm_reduce(m, 3);
    case 'i': /* INST */
        return mm_pkvm_inst(m, true);
    case 'o': /* OBJ */
        return mm_pkvm_inst(m, false);
    case 'b': /* BUILD */
        return mm_pkvm_build(m);
    case 'P': /* PERSID */
        st = mm_pkvm_arg_line(m, &mod, &mlen);
        if (st == MM_OK) {
            st = mm_pkvm_push_string(m, MM_PK_STR, mod, mlen);
        }
        if (st == MM_OK) {
            st = mm_pkvm_pop(m, &a);
        }
        return st == MM_OK ? mm_pkvm_persid(m, a) : st;
    case 'Q': /* BINPERSID */
        st = mm_pkvm_pop(m, &a);
        return st == MM_OK ? mm_pkvm_persid(m, a) : st;
    case 0x82: /* EXT1 */
    case 0x83: /* EXT2 */
    case 0x84: /* EXT4 */
        st = mm_pkvm_arg_fixed(m, m->op == 0x82 ? 1u : (m->op == 0x83 ? 2u : 4u), &b);
        return st == MM_OK ? mm_pkvm_vfail(m, MM_ERR_UNSUPPORTED, MM_E_PICKLE_INVALID,
                                           "copyreg extension codes are not in a standard Python")
                           : st;
    case 0x97: /* NEXT_BUFFER: torch.load passes no out-of-band buffers */
        return mm_pkvm_vfail(m, MM_ERR_MALFORMED, MM_E_PICKLE_BUFFER,
                             "pickle stream refers to out-of-band data but no buffers are "
                             "given (torch.load gives none)");
    case 0x98: /* READONLY_BUFFER: memoryview() of the top, a TypeError for
                * what is surely no buffer (not bytes, a call's result or a
                * global, which might be) */
        st = mm_pkvm_top(m, &a);
        if (st == MM_OK && m->p->nodes[a].kind != MM_PK_BYTES &&
            m->p->nodes[a].kind != MM_PK_CALL && m->p->nodes[a].kind != MM_PK_GLOBAL &&
            m->p->nodes[a].kind != MM_PK_PERSID) {
            return mm_pkvm_invalid(m, "READONLY_BUFFER on a value that is not a buffer");
        }
        return st;
    case 0x95: /* FRAME */
        st = mm_pkvm_arg_fixed(m, 8, &b);
        return st == MM_OK ? mm_pkvm_frame_begin(m, mm_le64(b)) : st;
    case 0x80: /* PROTO */
        st = mm_pkvm_arg_fixed(m, 1, &b);
        if (st == MM_OK && b[0] > 5) {
            return mm_pkvm_vfail(m, MM_ERR_UNSUPPORTED, MM_E_BAD_VERSION,
                                 "pickle protocol %u (0 to 5 are read)", b[0]);
        }
        if (st == MM_OK) {
            m->proto = b[0];
        }
        return st;
    default:
        *done = false;
        return MM_OK;
    }
}
