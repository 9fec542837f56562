/*
 * pickle_vm.h - the pickle interpreter's machine, shared by its files, each
 * calling only those listed before it: pickle_vm.c (the machine: values,
 * stack, marks, arguments), pickle_objects.c (globals, calls, the memo,
 * containers), pickle_ops.c (the opcodes, by kind) and pickle_run.c (the run
 * loop). Private to them.
 */
#ifndef MM_PICKLE_VM_H
#define MM_PICKLE_VM_H

#include <stdbool.h>

#include "core/cursor.h"
#include "formats/torch/pickle.h"

struct mm_pkvm_memo_slot {
    uint32_t idx;
    uint32_t node; /* MM_PK_NO_NODE: free */
};

struct mm_pkvm {
    struct mm_pickle *p;
    struct mm_cursor c;
    const char *file;
    mm_pickle_global_fn on_global;
    void *ctx;
    struct mm_error *err;
    uint64_t op_at; /* offset of the opcode being run */
    uint8_t op;
    /* the protocol 4 frame being read (Lib/pickle.py _Unframer): its bytes
     * end at cursor position frame_end */
    bool in_frame;
    size_t frame_end;
    /* The protocol of the last PROTO opcode, 0 before any: CPython's
     * Unpickler starts at 0 and each PROTO sets it, wherever it comes
     * (Lib/pickle.py load_proto); find_class reads it for every global. */
    uint8_t proto;
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
    struct mm_pkvm_memo_slot *memo;
    size_t memo_cap;
    size_t memo_used; /* entries in the hash table */
    size_t memo_len;  /* distinct entries, for MEMOIZE */
};

/* pickle_vm.c */
enum mm_status mm_pkvm_vfail(struct mm_pkvm *m, enum mm_status st, enum mm_errcode code,
                            const char *fmt, ...)
    MM_PRINTF(4, 5);
enum mm_status mm_pkvm_invalid(struct mm_pkvm *m, const char *what);
enum mm_status mm_pkvm_truncated(struct mm_pkvm *m);
enum mm_status mm_pkvm_nomem(struct mm_pkvm *m);
enum mm_status mm_pkvm_node_new(struct mm_pkvm *m, uint8_t kind, uint32_t *id);
enum mm_status mm_pkvm_kids_fixed(struct mm_pkvm *m, uint32_t id, const uint32_t *items, size_t n);
enum mm_status mm_pkvm_kid_add(struct mm_pkvm *m, uint32_t id, uint32_t kid);
enum mm_status mm_pkvm_pool_add(struct mm_pkvm *m, uint32_t id, const void *s, size_t len);
enum mm_status mm_pkvm_push(struct mm_pkvm *m, uint32_t id);
size_t mm_pkvm_mark_floor(const struct mm_pkvm *m);
enum mm_status mm_pkvm_pop(struct mm_pkvm *m, uint32_t *out);
enum mm_status mm_pkvm_top(struct mm_pkvm *m, uint32_t *out);
enum mm_status mm_pkvm_pop_mark(struct mm_pkvm *m, size_t *from);
/* A new container of the n stack items from index `from` (none for n 0:
 * the stack may not be allocated yet), pushed. */
enum mm_status mm_pkvm_push_seq(struct mm_pkvm *m, uint8_t kind, size_t from, size_t n);
enum mm_status mm_pkvm_push_scalar(struct mm_pkvm *m, uint8_t kind, int64_t i, double f);
enum mm_status mm_pkvm_push_string(struct mm_pkvm *m, uint8_t kind, const void *s, size_t len);
/* Every read of the opcode stream (the opcode, then each argument) goes
 * through the current frame: one that finds it used up leaves it, one that
 * would cross its end fails (pickle-frame-length). */
enum mm_status mm_pkvm_frame_read(struct mm_pkvm *m, size_t n);
/* FRAME: the next n bytes are a frame. */
enum mm_status mm_pkvm_frame_begin(struct mm_pkvm *m, uint64_t n);
enum mm_status mm_pkvm_arg_bytes(struct mm_pkvm *m, uint64_t n, const uint8_t **out);
enum mm_status mm_pkvm_arg_fixed(struct mm_pkvm *m, size_t n, const uint8_t **out);
enum mm_status mm_pkvm_arg_line(struct mm_pkvm *m, const uint8_t **out, size_t *len);
enum mm_status mm_pkvm_decimal(struct mm_pkvm *m, const uint8_t *s, size_t len, int64_t *out,
                              bool *big);
enum mm_status mm_pkvm_arg_decimal(struct mm_pkvm *m, int64_t *out, bool *big);
enum mm_status mm_pkvm_push_long_bytes(struct mm_pkvm *m, const uint8_t *b, uint64_t n);
enum mm_status mm_pkvm_push_text(struct mm_pkvm *m, const uint8_t *s, size_t len, bool literal);
/* A BINUNICODE string, which must be UTF-8 (surrogates pass). */
enum mm_status mm_pkvm_push_utf8(struct mm_pkvm *m, const uint8_t *s, size_t len);

/* pickle_objects.c */
enum mm_status mm_pkvm_push_global(struct mm_pkvm *m, const uint8_t *mod, size_t mlen,
                                  const uint8_t *name, size_t nlen);
enum mm_status mm_pkvm_memo_put(struct mm_pkvm *m, uint64_t idx);
enum mm_status mm_pkvm_memo_get(struct mm_pkvm *m, uint64_t idx);
enum mm_status mm_pkvm_set_items(struct mm_pkvm *m, size_t from);
enum mm_status mm_pkvm_append_items(struct mm_pkvm *m, size_t from, uint8_t want);
enum mm_status mm_pkvm_from_mark(struct mm_pkvm *m, uint8_t kind);
enum mm_status mm_pkvm_tuple_n(struct mm_pkvm *m, size_t n);
enum mm_status mm_pkvm_inst(struct mm_pkvm *m, bool named);
enum mm_status mm_pkvm_reduce(struct mm_pkvm *m, unsigned nargs);
enum mm_status mm_pkvm_build(struct mm_pkvm *m);
enum mm_status mm_pkvm_persid(struct mm_pkvm *m, uint32_t pid);

/* pickle_ops.c: each runs the opcode m->op if it is of its kind (*done) */
enum mm_status mm_pkvm_op_strings(struct mm_pkvm *m, bool *done);
enum mm_status mm_pkvm_op_numbers(struct mm_pkvm *m, bool *done);
enum mm_status mm_pkvm_op_memo(struct mm_pkvm *m, bool *done);
enum mm_status mm_pkvm_op_stack(struct mm_pkvm *m, bool *done);
enum mm_status mm_pkvm_op_objects(struct mm_pkvm *m, bool *done);

#endif
