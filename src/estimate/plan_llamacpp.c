/*
 * plan_llamacpp.c - inference as llama.cpp holds it. For now the
 * transformers figures under llama.cpp's name (split by layers across
 * devices, as its default --split-mode layer does); llama.cpp's own
 * allocation - token embeddings mapped in host memory (host_bytes), the
 * KV cells of its context, its compute buffers - is the next plan to be
 * modelled here, with its figures in runtime_detail.
 */
#include "estimate/plan.h"

void mm_plan_llamacpp(struct mm_calc *c, struct mm_runtime_plan *out, const struct mm_plan_model *m,
                      const struct mm_memory_params *p, const struct mm_plan_at *at)
{
    mm_plan_transformers(c, out, m, p, at);
    out->d.cuda_context_bytes = 0; /* not a transformers figure here */
}
