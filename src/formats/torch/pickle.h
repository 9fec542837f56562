/*
 * pickle.h - a pickle interpreter that never executes anything.
 *
 * Runs the opcodes of protocols 0 to 5 (CPython Lib/pickletools.py lists
 * them all) over bytes in memory and builds a tree of inert values: GLOBAL
 * and STACK_GLOBAL give a name reference, REDUCE, NEWOBJ, NEWOBJ_EX, INST,
 * OBJ give a call record (callable, arguments) to which BUILD adds a state
 * and SETITEM(S)/APPEND(S) add items, persistent ids are kept as they are.
 * Every global named is passed to the caller's callback first, with its
 * byte offset, so that it can be classified before anything else happens.
 * Each limit (MM_LIMIT_PICKLE_*) fails with its own error code. What
 * CPython's unpickler refuses without buffers is refused too: frames whose
 * length is not where their opcodes end, unicode strings that are not UTF-8
 * (surrogates pass), NEXT_BUFFER. Bytes after STOP are the caller's concern
 * (p->consumed).
 */
#ifndef MM_PICKLE_H
#define MM_PICKLE_H

#include "core/internal.h"

#define MM_PK_NO_NODE UINT32_MAX

enum mm_pk_kind {
    MM_PK_NONE = 0,
    MM_PK_BOOL,
    MM_PK_INT,    /* v.i */
    MM_PK_BIGINT, /* beyond 64 bits: value not kept */
    MM_PK_FLOAT,  /* v.f */
    MM_PK_STR,    /* v.s into the string pool, UTF-8 */
    MM_PK_BYTES,  /* v.s */
    MM_PK_TUPLE,  /* kids */
    MM_PK_LIST,   /* kids */
    MM_PK_DICT,   /* kids: key, value, key, value, ... */
    MM_PK_SET,    /* kids (set and frozenset) */
    MM_PK_GLOBAL, /* v.s "module.name"; `n` = length of the module part */
    MM_PK_CALL,   /* kids: MM_PK_CALL_* slots, MM_PK_NO_NODE where absent */
    MM_PK_PERSID  /* kids[0]: the persistent id */
};

/* Slots of a call record's kids. */
enum { MM_PK_CALL_FN = 0, MM_PK_CALL_ARGS, MM_PK_CALL_STATE, MM_PK_CALL_DICT,
       MM_PK_CALL_LIST, MM_PK_CALL_SLOTS_ };

/* 24 bytes: a checkpoint of 10^5 tensors makes millions of these. */
struct mm_pk_node {
    uint8_t kind;
    uint32_t n;   /* kids, or for a global the module length */
    uint32_t cap; /* kids allocated on their own; 0 when packed or none */
    uint32_t at;  /* offset of the opcode that made it in the pickle: mm_pk_at() */
    union {
        int64_t i;
        double f;
        struct {
            uint32_t off;
            uint32_t len;
        } s;
        uint32_t *kids; /* containers, calls, persistent ids */
    } v;
};

/* Called for every global a pickle names, before it is used, with the
 * protocol the pickle's last PROTO opcode gave (0 before any), which decides
 * how Python resolves the name. A status other than MM_OK stops the run with
 * err as the callback filled it. */
typedef enum mm_status (*mm_pickle_global_fn)(void *ctx, const char *module, size_t module_len,
                                              const char *name, size_t name_len,
                                              unsigned proto, uint64_t at,
                                              struct mm_error *err);

struct mm_pickle {
    struct mm_pk_node *nodes;
    size_t n;
    size_t cap;
    char *pool; /* string bytes; each string is followed by a NUL */
    size_t pool_len;
    size_t pool_cap;
    /* kids of tuples, calls and persistent ids, which never grow: packed in
     * chunks that never move (a node's `cap` is 0 for these) */
    uint32_t **chunks;
    size_t nchunks;
    size_t chunks_cap;
    size_t chunk_used;
    size_t chunk_size;
    uint32_t root;
    uint64_t base;    /* file offset of the pickle's first byte */
    size_t consumed;  /* bytes up to and including STOP */
    int ran_out;      /* the input ended before STOP (more bytes may help) */
};

/*
 * Runs one pickle held in data[0..len). `base` is the file offset of
 * data[0], `file` labels errors. On success p->root is the value STOP
 * returned and p->consumed the pickle's length.
 */
enum mm_status mm_pickle_run(struct mm_pickle *p, const uint8_t *data, size_t len,
                             uint64_t base, const char *file, mm_pickle_global_fn on_global,
                             void *ctx, struct mm_error *err);
void mm_pickle_free(struct mm_pickle *p);

/* What a global is (pickle_globals.c), named in a pickle of protocol
 * `proto`: on the allow-list of what tensor checkpoints and Trainer
 * RNG-state files reference; a known way to run code (os.system,
 * builtins.eval, subprocess.*, ..., any name part with a dot, which Python
 * resolves attribute by attribute, and below protocol 3 any Python 2 name
 * that Python maps to one of these: __builtin__.eval, cPickle.loads,
 * commands.getoutput); or neither. */
enum mm_global_class { MM_GLOBAL_SAFE = 0, MM_GLOBAL_UNKNOWN, MM_GLOBAL_UNSAFE };

enum mm_global_class mm_pickle_classify(const char *module, size_t module_len, const char *name,
                                        size_t name_len, unsigned proto);

/* The global CPython's Unpickler imports for the one a pickle of protocol
 * `proto` names: below protocol 3, a Python 2 name is mapped to its Python 3
 * one (fix_imports, on by default and in torch.load; Lib/_compat_pickle.py).
 * When it maps, *module and *name are set to static strings, their lengths
 * too, and true is returned; otherwise nothing changes. */
bool mm_pickle_fix_import(const char **module, size_t *module_len, const char **name,
                          size_t *name_len, unsigned proto);

static inline const struct mm_pk_node *mm_pk_node(const struct mm_pickle *p, uint32_t id)
{
    return id < p->n ? &p->nodes[id] : NULL;
}

/* The file offset of the opcode that made a node. */
static inline uint64_t mm_pk_at(const struct mm_pickle *p, const struct mm_pk_node *nd)
{
    return p->base + nd->at;
}

static inline const char *mm_pk_str(const struct mm_pickle *p, const struct mm_pk_node *nd)
{
    return p->pool + nd->v.s.off;
}

#endif
