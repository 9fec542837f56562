/* test_estimate_train.c - the training model (src/estimate/training.c and
 * zero.c) on fixtures/estimate/tiny-llama, each figure against one worked
 * out by hand beside it: states under autocast and under DeepSpeed's
 * convention, activations with and without recomputation, the loss path,
 * LoRA's and QLoRA's parts, the split across devices with each framework's
 * buffers, the mode a plan falls back on, the longest context and the one
 * change that makes a plan fit.
 *
 * tiny-llama: 2 layers, h 64, 4 heads, 2 KV heads of 16, MLP 128, vocab
 * 16; 76,096 BF16 parameters (152,192 bytes). At context 100 and batch 2:
 * s b = 200, s b h = 12,800. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "modelmem.h"

#define FIX MM_FIXTURES "/estimate/"
#define PSI 76096ull
#define MIB 1048576ull

static struct mm_memory run_ctx(const char *dir, struct mm_memory_params *p, uint64_t context)
{
    struct mm_inventory *inv = NULL;
    struct mm_config *cfg = NULL;
    struct mm_memory r;
    struct mm_error err;
    char path[512];
    snprintf(path, sizeof(path), FIX "%s", dir);
    if (mm_inventory_load(&inv, path, NULL, &err) != MM_OK) {
        fail_msg("%s: %s", path, err.message);
    }
    snprintf(path, sizeof(path), FIX "%s/config.json", dir);
    if (access(path, R_OK) == 0 && mm_config_load(&cfg, path, &err) != MM_OK) {
        fail_msg("%s: %s", path, err.message);
    }
    p->context = context;
    if (mm_memory_run(&r, inv, cfg, p, &err) != MM_OK) {
        fail_msg("%s", err.message);
    }
    mm_config_free(cfg);
    mm_inventory_free(inv);
    return r;
}

static struct mm_memory run_tiny(const char *dir, struct mm_memory_params *p)
{
    p->batch = 2;
    return run_ctx(dir, p, 100);
}

static uint64_t stored_bytes(const char *dir)
{
    struct mm_inventory *inv = NULL;
    struct mm_error err;
    char path[512];
    uint64_t b;
    snprintf(path, sizeof(path), FIX "%s", dir);
    assert_int_equal(mm_inventory_load(&inv, path, NULL, &err), MM_OK);
    b = mm_inventory_totals(inv)->bytes;
    mm_inventory_free(inv);
    return b;
}

static uint64_t sum(const struct mm_training *t)
{
    return t->weights_bytes + t->master_bytes + t->gradients_bytes + t->optimizer_bytes +
           t->activation_bytes + t->buffers_bytes + t->fragmentation_bytes + t->overhead_bytes;
}

/* Full training on one device, as transformers' Trainer runs it: autocast
 * over fp32 weights (6 + 4 + 8 bytes per parameter), fp32 norms and
 * residual stream (42 s b h per layer), the loss path 12 s b V. */
static void test_full_autocast(void **state)
{
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    (void)state;
    p.train = MM_TRAIN_FULL;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(r.training.trainable_parameters, PSI);
    assert_int_equal(r.training.weights_bytes, 6 * PSI);
    assert_int_equal(r.training.master_bytes, 0);
    assert_int_equal(r.training.gradients_bytes, 4 * PSI);
    assert_int_equal(r.training.optimizer_bytes, 8 * PSI);
    assert_int_equal(r.training.loss_bytes, 12 * 200 * 16);
    assert_int_equal(r.training.activations_full_bytes, 2 * 42 * 12800 + 38400);
    /* recomputation: 1 layer input (4 s b h) + max(loss + input, a layer) */
    assert_int_equal(r.training.activations_checkpointed_bytes, 51200 + 42 * 12800);
    assert_false(r.training.checkpointing); /* full training: off by default */
    assert_int_equal(r.training.activation_bytes, r.training.activations_full_bytes);
    /* the allocator's reserve: a fifth of the activations, rounded up */
    assert_int_equal(r.training.fragmentation_bytes, (1113600 + 4) / 5);
    assert_int_equal(r.training.total_bytes, sum(&r.training));
    assert_int_equal(r.device_training.total_bytes, r.training.total_bytes);
    /* eager attention under autocast: fp32 softmax, mask and a 16-bit copy,
     * 7 a s^2 b = 560,000 more per layer */
    p.attention = MM_ATTN_EAGER;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(r.training.activations_full_bytes, 2 * (537600 + 560000) + 38400);
}

/* DeepSpeed's and Megatron's convention (tensor parallel on one device
 * here): 16-bit weights, fp32 master, 16-bit gradients; Korthikanti's
 * 34 s b h + 5 a s^2 b per layer. */
static void test_full_16bit(void **state)
{
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    const struct mm_training *d = &r.device_training;
    (void)state;
    p.train = MM_TRAIN_FULL;
    p.parallel = MM_PAR_TP;
    p.attention = MM_ATTN_EAGER;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(d->weights_bytes, 2 * PSI);
    assert_int_equal(d->master_bytes, 4 * PSI);
    assert_int_equal(d->gradients_bytes, 2 * PSI);
    assert_int_equal(d->optimizer_bytes, 8 * PSI);
    /* 34 x 12,800 + 5 x 4 x 100^2 x 2 = 835,200 per layer */
    assert_int_equal(d->activations_full_bytes, 2 * 835200 + 38400);
    /* the other layer's input 2 s b h = 25,600 + one layer whole */
    assert_int_equal(d->activations_checkpointed_bytes, 25600 + 835200);
    /* the whole-model figures stay the single-device (autocast) plan */
    assert_int_equal(r.training.weights_bytes, 6 * PSI);
    /* the loss path in 16 bits: 3 x 2 bytes per token and entry */
    p.loss = MM_LOSS_16BIT;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(d->loss_bytes, 6 * 200 * 16);
    /* fused: chunks of next_power_of_2(ceil(200 / ceil(16 / 64))) = 256
     * rows, at most the 200 there are: 200 x 16 x 2 + the hidden states'
     * gradient 200 x 64 x 2 */
    p.loss = MM_LOSS_FUSED;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(d->loss_bytes, 6400 + 25600);
}

static void test_full_options(void **state)
{
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    (void)state;
    p.train = MM_TRAIN_FULL;
    p.attention = MM_ATTN_EAGER;
    p.checkpointing = MM_CKPT_ON;
    p.precision = MM_PREC_FP32;
    p.optimizer = MM_OPT_SGD;
    r = run_tiny("tiny-llama", &p);
    /* fp32: weights 4, no master, gradients 4, momentum 4; a layer twice
     * the 16-bit count, inputs 4 s b h = 51,200 */
    assert_int_equal(r.training.weights_bytes, 4 * PSI);
    assert_int_equal(r.training.master_bytes, 0);
    assert_int_equal(r.training.optimizer_bytes, 4 * PSI);
    assert_true(r.training.checkpointing);
    assert_int_equal(r.training.activation_bytes, 51200 + 2 * 835200);
    p.optimizer = MM_OPT_ADAMW8BIT;
    assert_int_equal(run_tiny("tiny-llama", &p).training.optimizer_bytes, 2 * PSI);
    /* Adafactor: rows + columns of each matrix, every vector whole:
     * embed/lm_head 16+64 each; per layer q 128, k 96, v 96, o 128, gate 192,
     * up 192, down 192, norms 128 -> 1,152; final norm 64 -> 2 x 80 + 2 x
     * 1,152 + 64 = 2,528 elements of 4 bytes */
    p.optimizer = MM_OPT_ADAFACTOR;
    assert_int_equal(run_tiny("tiny-llama", &p).training.optimizer_bytes, 4 * 2528);
}

static void test_lora(void **state)
{
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    (void)state;
    p.train = MM_TRAIN_LORA;
    p.lora_rank = 8;
    r = run_tiny("tiny-llama", &p);
    /* r (in + out) per layer: q 8x128 + k 8x96 + v 8x96 + o 8x128 = 3,584 */
    assert_int_equal(r.training.trainable_parameters, 2 * 3584);
    assert_int_equal(r.training.weights_bytes, 152192 + 4 * 7168);
    assert_int_equal(r.training.master_bytes, 0);
    assert_int_equal(r.training.gradients_bytes, 4 * 7168);
    assert_int_equal(r.training.optimizer_bytes, 8 * 7168);
    /* checkpointing on by default, as PEFT and TRL turn it on; a layer
     * with its four adapters' A outputs, 4 x s b r x 2 = 12,800 */
    assert_true(r.training.checkpointing);
    assert_int_equal(r.training.activations_full_bytes, 2 * (435200 + 12800) + 38400);
    assert_int_equal(r.training.activation_bytes, 25600 + 435200 + 12800);
    assert_int_equal(r.training.buffers_bytes, 0);
    /* dropout: each adapter keeps a dropped copy of its 64-wide input and
     * the mask, 4 x 64 x 200 x 3 more per layer */
    p.lora_dropout = 1;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(r.training.activations_full_bytes,
                     2 * (435200 + 12800 + 153600) + 38400);
    p.lora_dropout = 0;
    p.checkpointing = MM_CKPT_OFF;
    r = run_tiny("tiny-llama", &p);
    assert_false(r.training.checkpointing);
    assert_int_equal(r.training.activation_bytes, r.training.activations_full_bytes);
    p.checkpointing = MM_CKPT_AUTO;
    /* targets given: only the MLP's down_proj, 8 x (128 + 64) per layer */
    p.nlora_targets = 1;
    p.lora_targets[0] = "down_proj";
    assert_int_equal(run_tiny("tiny-llama", &p).training.trainable_parameters, 2 * 1536);
    p.nlora_targets = 0;
}

static void test_qlora(void **state)
{
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    (void)state;
    p.train = MM_TRAIN_QLORA;
    p.lora_rank = 8;
    r = run_tiny("tiny-llama", &p);
    /* NF4 + 8-bit block scales + fp32 per 256 blocks for each 2-D layer
     * weight: q 2,048 + 64 + 4, k/v 1,024 + 32 + 4, o as q, gate/up/down
     * 4,096 + 128 + 4 -> 19,036 per layer; embed, lm_head and norms cast
     * to fp32 by prepare_model_for_kbit_training: (2,048 + 2,048 + 640) x 2 */
    assert_int_equal(r.training.weights_bytes, 2 * 19036 + 2 * 4736 + 4 * 7168);
    /* one weight dequantized at a time: the largest, 128 x 64 x 2 bytes */
    assert_int_equal(r.training.buffers_bytes, 16384);
    /* the fp32 head cast back to 16 bits by autocast, kept for backward */
    assert_int_equal(r.training.loss_bytes, 38400 + 16 * 64 * 2);
    /* LoRA over packed checkpoints: the logical [out, in] of q_proj.
     * GPTQ (config: hidden 64, 4 heads of 16): 8 x (64 + 64); bitsandbytes
     * (a flat U8 [2048, 1]): the same from the geometry; the base at its
     * stored bytes */
    p.train = MM_TRAIN_LORA;
    r = run_tiny("gptq", &p);
    assert_int_equal(r.training.trainable_parameters, 1024);
    assert_int_equal(r.training.weights_bytes, stored_bytes("gptq") + 4 * 1024);
    assert_int_equal(run_tiny("bnb4", &p).training.trainable_parameters, 1024);
    /* compressed-tensors' weight_packed I32 [32, 8]: geometry again */
    assert_int_equal(run_tiny("compressed", &p).training.trainable_parameters, 1024);
}

static void test_split(void **state)
{
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    const struct mm_training *d = &r.device_training;
    (void)state;
    p.inference = 1;
    p.train = MM_TRAIN_FULL;
    p.attention = MM_ATTN_EAGER;
    p.gpus = 4;
    p.parallel = MM_PAR_ZERO1;
    r = run_tiny("tiny-llama", &p);
    /* ZeRO-1: master and optimizer / 4; DeepSpeed's gradient bucket of
     * 5e8 16-bit elements */
    assert_int_equal(d->parallel, MM_PAR_ZERO1);
    assert_int_equal(d->weights_bytes, 152192);
    assert_int_equal(d->gradients_bytes, 152192);
    assert_int_equal(d->master_bytes, 304384 / 4);
    assert_int_equal(d->optimizer_bytes, 608768 / 4);
    assert_int_equal(d->buffers_bytes, 1000000000);
    assert_int_equal(d->total_bytes, sum(d));
    assert_int_equal(r.device_inference.weights_bytes, 152192);
    p.parallel = MM_PAR_ZERO2;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(d->gradients_bytes, 152192 / 4);
    /* ZeRO-3: weights / 4; the bucket, the prefetch bucket (5e7) and the
     * largest layer gathered (model.layers.0, 36,992 x 2 bytes) */
    p.parallel = MM_PAR_ZERO3;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(d->weights_bytes, 152192 / 4);
    assert_int_equal(d->buffers_bytes, 1100000000 + 73984);
    assert_int_equal(r.device_inference.weights_bytes, 152192 / 4 + 73984);
    /* FSDP: the unit computed, the one prefetched and its gradient */
    p.parallel = MM_PAR_FSDP;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(d->weights_bytes, 152192 / 4);
    assert_int_equal(d->buffers_bytes, 3 * 73984);
    /* DDP: autocast's states whole, a bucket copy of every gradient */
    p.parallel = MM_PAR_DP;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(d->weights_bytes, 6 * PSI);
    assert_int_equal(d->buffers_bytes, 4 * PSI);
    /* Tensor parallel 2: per layer 10 sbh + 24 sbh / 2 + 5 a s^2 b / 2 =
     * 128,000 + 153,600 + 200,000; the loss path / 2 */
    p.parallel = MM_PAR_TP;
    p.gpus = 2;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(d->activations_full_bytes, 2 * 481600 + 19200);
    assert_int_equal(r.device_inference.kv_cache_bytes, 25600);
    /* pipeline: activations whole */
    p.parallel = MM_PAR_PP;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(d->activations_full_bytes, 2 * 835200 + 38400);
    assert_int_equal(d->optimizer_bytes, 608768 / 2);
}

/* No mode chosen: DDP where it fits, else the lowest ZeRO stage. */
static void test_auto_mode(void **state)
{
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    uint64_t ddp;
    (void)state;
    p.train = MM_TRAIN_FULL;
    p.gpus = 4;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(r.device_training.parallel, MM_PAR_DP); /* no verdict: DDP */
    ddp = r.device_training.total_bytes;
    p.device_bytes = ddp;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(r.device_training.parallel, MM_PAR_DP);
    assert_true(r.device.training_fits);
    assert_int_equal(r.device.training_min_gpus, 1);
    assert_int_equal(r.device.change, MM_CHANGE_NONE);
    /* a byte less: DDP does not fit, nor does ZeRO with its 1 GB bucket;
     * the plan is the last tried */
    p.device_bytes = ddp - 1;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(r.device_training.parallel, MM_PAR_ZERO3);
    assert_false(r.device.training_fits);
    /* on one device DDP fits (no bucket copy) */
    assert_int_equal(r.device.training_min_gpus, 1);
    assert_int_equal(r.device.training_parallel, MM_PAR_DP);
}

/* The longest context: the total there fits, one token more does not. */
static void test_max_context(void **state)
{
    static const enum mm_attention attn[] = {MM_ATTN_SDPA, MM_ATTN_EAGER};
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    size_t k;
    (void)state;
    p.train = MM_TRAIN_FULL;
    p.batch = 2;
    for (k = 0; k < 2; k++) {
        uint64_t s;
        p.attention = attn[k];
        p.device_bytes = 600 * MIB;
        r = run_ctx("tiny-llama", &p, 100);
        s = r.device.training_max_context;
        assert_true(s > 100);
        assert_true(run_ctx("tiny-llama", &p, s).device.training_fits);
        assert_false(run_ctx("tiny-llama", &p, s + 1).device.training_fits);
    }
    /* the fused loss's power-of-two chunks: still exact */
    p.loss = MM_LOSS_FUSED;
    r = run_ctx("tiny-llama", &p, 100);
    assert_true(run_ctx("tiny-llama", &p, r.device.training_max_context).device.training_fits);
    assert_false(
        run_ctx("tiny-llama", &p, r.device.training_max_context + 1).device.training_fits);
    /* nothing fits: none */
    p.device_bytes = 1000;
    assert_int_equal(run_ctx("tiny-llama", &p, 100).device.training_max_context, 0);
}

/* Does not fit: the one change that fits on the fewest devices, which the
 * plan with that change confirms. */
static void test_change(void **state)
{
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    struct mm_memory with;
    uint64_t ckpt;
    (void)state;
    p.train = MM_TRAIN_FULL;
    p.attention = MM_ATTN_EAGER;
    p.checkpointing = MM_CKPT_ON;
    ckpt = run_tiny("tiny-llama", &p).training.total_bytes;
    /* room for the checkpointed plan and nothing more: checkpointing */
    p.checkpointing = MM_CKPT_AUTO;
    p.device_bytes = ckpt;
    r = run_tiny("tiny-llama", &p);
    assert_false(r.device.training_fits);
    assert_int_equal(r.device.change, MM_CHANGE_CHECKPOINTING);
    assert_int_equal(r.device.change_gpus, 1);
    p.checkpointing = MM_CKPT_ON;
    with = run_tiny("tiny-llama", &p);
    assert_true(with.device.training_fits);
    /* a byte less: the 8-bit optimizer, next in line */
    p.device_bytes = ckpt - 1;
    assert_int_equal(run_tiny("tiny-llama", &p).device.change, MM_CHANGE_OPTIMIZER_8BIT);
    /* QLoRA with an 8-bit optimizer and checkpointing, a byte short: only
     * a shorter context is left */
    p.train = MM_TRAIN_QLORA;
    p.optimizer = MM_OPT_ADAMW8BIT;
    p.device_bytes = 0;
    p.device_bytes = run_tiny("tiny-llama", &p).training.total_bytes - 1;
    r = run_tiny("tiny-llama", &p);
    assert_int_equal(r.device.change, MM_CHANGE_CONTEXT);
    assert_int_equal(r.device.change_context, r.device.training_max_context);
    assert_true(run_ctx("tiny-llama", &p, r.device.change_context).device.training_fits);
}

/* --attention auto: eager where transformers has no SDPA path for the
 * model type, fused otherwise; an explicit choice wins. */
static void test_auto_attention(void **state)
{
    static const char cfg_t5[] =
        "{\"hidden_size\": 64, \"intermediate_size\": 128, \"model_type\": \"deberta-v2\", "
        "\"num_attention_heads\": 4, \"num_hidden_layers\": 2, \"num_key_value_heads\": 2, "
        "\"vocab_size\": 16}";
    struct mm_inventory *inv = NULL;
    struct mm_config *cfg = NULL;
    struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
    struct mm_memory r;
    struct mm_error err;
    (void)state;
    assert_int_equal(p.attention, MM_ATTN_AUTO);
    assert_false(run_tiny("tiny-llama", &p).eager_attention);
    assert_int_equal(mm_inventory_load(&inv, FIX "tiny-llama", NULL, &err), MM_OK);
    assert_int_equal(mm_config_parse(&cfg, cfg_t5, sizeof(cfg_t5) - 1, "config.json", &err),
                     MM_OK);
    p.train = MM_TRAIN_FULL;
    p.context = 100;
    p.batch = 2;
    assert_int_equal(mm_memory_run(&r, inv, cfg, &p, &err), MM_OK);
    assert_true(r.eager_attention);
    /* autocast, eager: 42 s b h + 7 a s^2 b per layer */
    assert_int_equal(r.training.activations_full_bytes, 2 * (537600 + 560000) + 38400);
    p.attention = MM_ATTN_SDPA;
    assert_int_equal(mm_memory_run(&r, inv, cfg, &p, &err), MM_OK);
    assert_false(r.eager_attention);
    mm_config_free(cfg);
    mm_inventory_free(inv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_autocast), cmocka_unit_test(test_full_16bit),
        cmocka_unit_test(test_full_options),  cmocka_unit_test(test_lora),
        cmocka_unit_test(test_qlora),         cmocka_unit_test(test_split),
        cmocka_unit_test(test_auto_mode),     cmocka_unit_test(test_max_context),
        cmocka_unit_test(test_change),        cmocka_unit_test(test_auto_attention),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
