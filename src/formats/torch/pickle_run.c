/*
 * pickle_run.c - the pickle interpreter (pickle.h): the run loop. Each opcode is
 * handed to the opcode files by kind (pickle_ops.c), which build on the
 * machine (pickle_vm.c) and on globals, calls, the memo and containers
 * (pickle_objects.c). Nothing is ever looked up or called: calls become
 * inert records.
 */
#include <stdlib.h>
#include <string.h>

#include "formats/torch/pickle_vm.h"

static enum mm_status run(struct mm_pkvm *m)
{
    uint64_t ops = 0;
    for (;;) {
        bool done = false;
        enum mm_status st;
        m->op_at = mm_cursor_offset(&m->c);
        st = mm_pkvm_frame_read(m, 1); /* leaves a used-up frame; cannot cross one */
        if (st != MM_OK) {
            return st;
        }
        if (!mm_cursor_u8(&m->c, &m->op)) {
            m->p->ran_out = 1;
            return mm_fail(m->err, MM_ERR_MALFORMED, MM_E_TRUNCATED, m->file, NULL,
                           (int64_t)m->op_at, "pickle ends without a STOP opcode");
        }
        if (++ops > MM_LIMIT_PICKLE_OPS) {
            return mm_pkvm_vfail(m, MM_ERR_LIMIT, MM_E_LIMIT_PICKLE_OPS, "more than %u opcodes",
                                 MM_LIMIT_PICKLE_OPS);
        }
        if (m->op == '.') { /* STOP */
            st = mm_pkvm_pop(m, &m->p->root);
            if (st == MM_OK) {
                m->p->consumed = m->c.pos;
            }
            return st;
        }
        st = mm_pkvm_op_strings(m, &done);
        if (st == MM_OK && !done) {
            st = mm_pkvm_op_numbers(m, &done);
        }
        if (st == MM_OK && !done) {
            st = mm_pkvm_op_memo(m, &done);
        }
        if (st == MM_OK && !done) {
            st = mm_pkvm_op_stack(m, &done);
        }
        if (st == MM_OK && !done) {
            st = mm_pkvm_op_objects(m, &done);
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
    struct mm_pkvm m;
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
