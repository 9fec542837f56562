/*
 * pickle_objects.c - the pickle interpreter's objects (pickle_vm.h):
 * globals (classified through the caller's callback before anything else),
 * call records of REDUCE, NEWOBJ, NEWOBJ_EX, INST and OBJ with what BUILD,
 * SETITEM(S) and APPEND(S) attach to them, the memo, and the container
 * opcodes' work. Nothing is ever imported or called.
 */
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "formats/torch/pickle_vm.h"

/* ---- Globals, calls, memo --------------------------------------------------- */

enum mm_status mm_pkvm_push_global(struct mm_pkvm *m, const uint8_t *mod, size_t mlen,
                                   const uint8_t *name, size_t nlen)
{
    uint32_t id = 0;
    char *full;
    enum mm_status st;
    if (m->on_global != NULL) {
        st = m->on_global(m->ctx, (const char *)mod, mlen, (const char *)name, nlen, m->proto,
                          m->op_at, m->err);
        if (st != MM_OK) {
            return st;
        }
    }
    full = malloc(mlen + nlen + 2);
    if (full == NULL) {
        return mm_pkvm_nomem(m);
    }
    memcpy(full, mod, mlen);
    full[mlen] = '.';
    memcpy(full + mlen + 1, name, nlen);
    st = mm_pkvm_node_new(m, MM_PK_GLOBAL, &id);
    if (st == MM_OK) {
        st = mm_pkvm_pool_add(m, id, full, mlen + nlen + 1);
    }
    free(full);
    if (st == MM_OK) {
        m->p->nodes[id].n = (uint32_t)mlen;
        st = mm_pkvm_push(m, id);
    }
    return st;
}

/* A call record fn(args); pushed. */
static enum mm_status push_call(struct mm_pkvm *m, uint32_t fn, uint32_t args)
{
    const uint32_t slots[MM_PK_CALL_SLOTS_] = {fn, args, MM_PK_NO_NODE, MM_PK_NO_NODE,
                                               MM_PK_NO_NODE};
    uint32_t id = 0;
    enum mm_status st = mm_pkvm_node_new(m, MM_PK_CALL, &id);
    if (st == MM_OK) {
        st = mm_pkvm_kids_fixed(m, id, slots, MM_PK_CALL_SLOTS_);
    }
    return st == MM_OK ? mm_pkvm_push(m, id) : st;
}

/* The dict or list items of a call record (obj[k] = v, obj.append(x)):
 * made on first use. */
static enum mm_status call_slot(struct mm_pkvm *m, uint32_t call, unsigned slot, uint8_t kind,
                                uint32_t *out)
{
    uint32_t id = m->p->nodes[call].v.kids[slot];
    enum mm_status st;
    if (id == MM_PK_NO_NODE) {
        st = mm_pkvm_node_new(m, kind, &id);
        if (st != MM_OK) {
            return st;
        }
        m->p->nodes[call].v.kids[slot] = id;
    }
    *out = id;
    return MM_OK;
}

static size_t memo_find(const struct mm_pkvm *m, uint32_t idx)
{
    size_t k = (size_t)(((uint64_t)idx * 0x9e3779b97f4a7c15ull) >> 32) & (m->memo_cap - 1);
    while (m->memo[k].node != MM_PK_NO_NODE && m->memo[k].idx != idx) {
        k = (k + 1) & (m->memo_cap - 1);
    }
    return k;
}

static enum mm_status memo_grow(struct mm_pkvm *m)
{
    const size_t old_cap = m->memo_cap;
    struct mm_pkvm_memo_slot *old = m->memo;
    const size_t cap = old_cap == 0 ? 64 : old_cap * 2;
    size_t i;
    m->memo = mm_reallocarray(NULL, cap, sizeof(*m->memo));
    if (m->memo == NULL) {
        m->memo = old;
        return mm_pkvm_nomem(m);
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

enum mm_status mm_pkvm_memo_put(struct mm_pkvm *m, uint64_t idx)
{
    uint32_t id = 0;
    size_t k;
    enum mm_status st = mm_pkvm_top(m, &id);
    if (st != MM_OK) {
        return st;
    }
    if (idx >= MM_LIMIT_PICKLE_MEMO) {
        return mm_pkvm_vfail(m, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_MEMO, "memo index %llu (limit %u)",
                             (unsigned long long)idx, MM_LIMIT_PICKLE_MEMO);
    }
    if (idx < m->dense_max) {
        if (idx >= m->dense_cap) {
            const size_t old = m->dense_cap;
            if (!mm_grow((void **)&m->dense, &m->dense_cap, (size_t)idx + 1, sizeof(*m->dense))) {
                return mm_pkvm_nomem(m);
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

enum mm_status mm_pkvm_memo_get(struct mm_pkvm *m, uint64_t idx)
{
    size_t k = 0;
    if (idx < m->dense_cap && m->dense[idx] != MM_PK_NO_NODE) {
        return mm_pkvm_push(m, m->dense[idx]);
    }
    if (idx < MM_LIMIT_PICKLE_MEMO && m->memo_cap > 0) {
        k = memo_find(m, (uint32_t)idx);
    }
    if (m->memo_cap == 0 || idx >= MM_LIMIT_PICKLE_MEMO || m->memo[k].node == MM_PK_NO_NODE) {
        return mm_pkvm_vfail(m, MM_ERR_MALFORMED, MM_E_PICKLE_INVALID,
                             "memo index %llu was never stored", (unsigned long long)idx);
    }
    return mm_pkvm_push(m, m->memo[k].node);
}

/* ---- Container opcodes -------------------------------------------------------- */

/* SETITEM / SETITEMS: pairs stack[from..sp) into the dict (or the dict
 * items of a call record) below them. */
enum mm_status mm_pkvm_set_items(struct mm_pkvm *m, size_t from)
{
    uint32_t target = 0;
    uint32_t dict = 0;
    size_t i = 0;
    enum mm_status st;
    if ((m->sp - from) % 2 != 0) {
        return mm_pkvm_invalid(m, "odd number of items for a dict");
    }
    if (from == 0 || from <= mm_pkvm_mark_floor(m)) {
        return mm_pkvm_invalid(m, "stack underflow");
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
        return mm_pkvm_invalid(m, "items set on something that is not a dict");
    }
    for (i = from; i < m->sp; i++) {
        st = mm_pkvm_kid_add(m, dict, m->stack[i]);
        if (st != MM_OK) {
            return st;
        }
    }
    m->sp = from;
    return MM_OK;
}

/* APPEND(S) / ADDITEMS: items stack[from..sp) into the list, set or call
 * record below them. */
enum mm_status mm_pkvm_append_items(struct mm_pkvm *m, size_t from, uint8_t want)
{
    uint32_t target = 0;
    uint32_t list = 0;
    size_t i = 0;
    enum mm_status st;
    if (from == 0 || from <= mm_pkvm_mark_floor(m)) {
        return mm_pkvm_invalid(m, "stack underflow");
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
        return mm_pkvm_invalid(m, want == MM_PK_SET ? "items added to something that is not a set"
                                            : "items appended to something that is not a list");
    }
    for (i = from; i < m->sp; i++) {
        st = mm_pkvm_kid_add(m, list, m->stack[i]);
        if (st != MM_OK) {
            return st;
        }
    }
    m->sp = from;
    return MM_OK;
}

/* TUPLE, LIST, DICT, FROZENSET: a new container of the marked items. */
enum mm_status mm_pkvm_from_mark(struct mm_pkvm *m, uint8_t kind)
{
    size_t from = 0;
    enum mm_status st = mm_pkvm_pop_mark(m, &from);
    if (st != MM_OK) {
        return st;
    }
    if (kind == MM_PK_DICT && (m->sp - from) % 2 != 0) {
        return mm_pkvm_invalid(m, "odd number of items for a dict");
    }
    st = mm_pkvm_push_seq(m, kind, from, m->sp - from);
    if (st == MM_OK) {
        /* the new container is on top: move it down to `from` */
        m->stack[from] = m->stack[m->sp - 1];
        m->sp = from + 1;
    }
    return st;
}

enum mm_status mm_pkvm_tuple_n(struct mm_pkvm *m, size_t n)
{
    if (m->sp - mm_pkvm_mark_floor(m) < n) {
        return mm_pkvm_invalid(m, "stack underflow");
    }
    {
        const size_t from = m->sp - n;
        enum mm_status st = mm_pkvm_push_seq(m, MM_PK_TUPLE, from, n);
        if (st == MM_OK) {
            m->stack[from] = m->stack[m->sp - 1];
            m->sp = from + 1;
        }
        return st;
    }
}

/* INST and OBJ: a call of the class with the marked arguments. */
enum mm_status mm_pkvm_inst(struct mm_pkvm *m, bool named)
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
        st = mm_pkvm_arg_line(m, &mod, &mlen);
        if (st == MM_OK) {
            st = mm_pkvm_arg_line(m, &name, &nlen);
        }
        if (st == MM_OK) {
            st = mm_pkvm_push_global(m, mod, mlen, name, nlen);
        }
        if (st != MM_OK) {
            return st;
        }
        st = mm_pkvm_pop(m, &cls);
        if (st != MM_OK) {
            return st;
        }
        st = mm_pkvm_pop_mark(m, &from);
    } else {
        st = mm_pkvm_pop_mark(m, &from);
        if (st == MM_OK && m->sp == from) {
            st = mm_pkvm_invalid(m, "OBJ without a class");
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
    st = mm_pkvm_push_seq(m, MM_PK_TUPLE, from, m->sp - from);
    if (st == MM_OK) {
        args = m->stack[m->sp - 1];
        m->sp = named ? from : from - 1;
        st = push_call(m, cls, args);
    }
    return st;
}

enum mm_status mm_pkvm_reduce(struct mm_pkvm *m, unsigned nargs)
{
    uint32_t fn = 0;
    uint32_t args = 0;
    uint32_t kwargs = MM_PK_NO_NODE;
    enum mm_status st = MM_OK;
    if (nargs == 3) {
        st = mm_pkvm_pop(m, &kwargs);
    }
    if (st == MM_OK) {
        st = mm_pkvm_pop(m, &args);
    }
    if (st == MM_OK) {
        st = mm_pkvm_pop(m, &fn);
    }
    if (st == MM_OK) {
        st = push_call(m, fn, args);
    }
    if (st == MM_OK && kwargs != MM_PK_NO_NODE) {
        m->p->nodes[m->stack[m->sp - 1]].v.kids[MM_PK_CALL_STATE] = kwargs;
    }
    return st;
}

enum mm_status mm_pkvm_build(struct mm_pkvm *m)
{
    uint32_t state = 0;
    uint32_t obj = 0;
    enum mm_status st = mm_pkvm_pop(m, &state);
    if (st == MM_OK) {
        st = mm_pkvm_top(m, &obj);
    }
    if (st == MM_OK && m->p->nodes[obj].kind == MM_PK_CALL) {
        m->p->nodes[obj].v.kids[MM_PK_CALL_STATE] = state;
    }
    return st;
}

enum mm_status mm_pkvm_persid(struct mm_pkvm *m, uint32_t pid)
{
    uint32_t id = 0;
    enum mm_status st = mm_pkvm_node_new(m, MM_PK_PERSID, &id);
    if (st == MM_OK) {
        st = mm_pkvm_kids_fixed(m, id, &pid, 1);
    }
    return st == MM_OK ? mm_pkvm_push(m, id) : st;
}

