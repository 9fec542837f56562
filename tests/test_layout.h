/* test_layout.h - the models the estimate tests read: the fixtures of
 * fixtures/estimate, and full-size checkpoints built at test time (a
 * Llama layout of the published shapes written as a sparse safetensors
 * file, header only, the data a hole). cmocka assertions on every step;
 * include after <cmocka.h>. */
#ifndef MM_TEST_LAYOUT_H
#define MM_TEST_LAYOUT_H

#include <stdint.h>

#include "modelmem.h"

/* fixtures/estimate/DIR loaded, and its config.json; a failure fails the
 * test. The caller frees them. */
struct mm_inventory *test_fixture_load(const char *dir);
struct mm_config *test_fixture_config(const char *dir);

/* MM_MEMORY_PARAMS_INIT for an inference estimate of `context` tokens. */
struct mm_memory_params test_inference_params(uint64_t context);

/* mm_memory_run into *out, asserted to return MM_OK. */
void test_memory_ok(struct mm_memory *out, const struct mm_inventory *inv,
                    const struct mm_config *cfg, const struct mm_memory_params *p);

/* Llama's geometry: hidden size, MLP width, layers, attention heads, KV
 * heads, vocabulary. */
struct test_llama {
    uint64_t hidden, inter, layers, heads, kv, vocab;
};

/*
 * Llama's checkpoint layout (untied LM head, no biases), every tensor of
 * `dtype` ("F16", "BF16": two bytes an element): the embeddings; per layer
 * q, k, v, o, gate, up, down and the two norms; the final norm; lm_head.
 * The inventory is the caller's (mm_inventory_free); *data_bytes (may be
 * NULL) gets the bytes the tensors take.
 */
struct mm_inventory *test_llama_layout(const struct test_llama *l, const char *dtype,
                                       uint64_t *data_bytes);

#endif
