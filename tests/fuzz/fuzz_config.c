/* fuzz_config.c - any bytes as a config.json (mm_config_parse, cJSON), then
 * the geometry and the quantization config through every estimator: the
 * Hub-exact logical count and the inference, training and multi-GPU
 * breakdowns over a small fixed inventory whose names exercise the
 * quantization rules (GPTQ qweight/scales, MLX weight/scales/biases, MXFP4
 * blocks, compressed-tensors weight_packed, FP8). */
#include <stdio.h>

#include "fuzz_common.h"

static const struct {
    const char *name, *dtype;
    unsigned d0, d1, bytes;
} tensors[] = {
    {"model.embed_tokens.weight", "BF16", 8, 4, 64},
    {"model.layers.0.self_attn.q_proj.qweight", "I32", 2, 4, 32},
    {"model.layers.0.self_attn.q_proj.scales", "F16", 1, 4, 8},
    {"model.layers.0.self_attn.k_proj.weight", "U32", 4, 1, 16},
    {"model.layers.0.self_attn.k_proj.scales", "F16", 4, 1, 8},
    {"model.layers.0.self_attn.k_proj.biases", "F16", 4, 1, 8},
    {"model.layers.0.mlp.experts.gate_up_proj_blocks", "U8", 2, 4, 8},
    {"model.layers.1.mlp.up_proj.weight_packed", "I32", 2, 2, 16},
    {"model.layers.1.mlp.down_proj.weight", "BF16", 4, 4, 32},
    {"lm_head.weight", "F8_E4M3", 8, 4, 32},
};

/* The inventory, built once from a safetensors image in memory. */
static struct mm_inventory *inventory(void)
{
    static struct mm_inventory *inv;
    static uint8_t file[4096];
    struct mm_error err;
    size_t hl = 0;
    unsigned off = 0;
    size_t i;
    if (inv != NULL) {
        return inv;
    }
    hl += (size_t)snprintf((char *)file + 8, sizeof(file) - 8, "{");
    for (i = 0; i < sizeof(tensors) / sizeof(tensors[0]); i++) {
        hl += (size_t)snprintf((char *)file + 8 + hl, sizeof(file) - 8 - hl,
                               "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[%u,%u],"
                               "\"data_offsets\":[%u,%u]}",
                               i > 0 ? "," : "", tensors[i].name, tensors[i].dtype,
                               tensors[i].d0, tensors[i].d1, off, off + tensors[i].bytes);
        off += tensors[i].bytes;
    }
    hl += (size_t)snprintf((char *)file + 8 + hl, sizeof(file) - 8 - hl, "}");
    for (i = 0; i < 8; i++) {
        file[i] = (uint8_t)((hl >> (8 * i)) & 0xff);
    }
    memset(file + 8 + hl, 0, off);
    if (mm_inventory_load_memory(&inv, file, 8 + hl + off, "fuzz.safetensors", &err) != MM_OK) {
        __builtin_trap();
    }
    return inv;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mm_inventory *inv = inventory();
    struct mm_config *cfg = NULL;
    struct mm_error err;
    char line[2048];
    if (mm_config_parse(&cfg, data, size, "config.json", &err) != MM_OK) {
        mm_error_format(line, sizeof(line), &err);
        if (strchr(line, '\n') != NULL || cfg != NULL) {
            __builtin_trap();
        }
        return 0;
    }
    {
        struct mm_memory_params p = MM_MEMORY_PARAMS_INIT;
        struct mm_memory r;
        uint64_t total;
        uint64_t by[MM_DTYPE_COUNT_];
        (void)mm_logical_parameters(&total, by, inv, cfg);
        p.inference = 1;
        p.context = 1 + size % 70000;
        p.batch = 1 + size % 7;
        p.train = (enum mm_train_mode)(size % 4);
        p.optimizer = (enum mm_optimizer)(size % 3);
        p.gpus = 1 + (unsigned)(size % 9);
        p.parallel = (enum mm_parallel)(size % 8);
        p.device_bytes = size % 2 ? 1u << 30 : 0;
        p.attention = (enum mm_attention)(size % 5 % 3);
        p.checkpointing = (enum mm_checkpointing)(size % 3);
        p.loss = (enum mm_loss)(size % 11 % 3);
        p.lora_dropout = size % 13 == 0;
        (void)mm_memory_run(&r, inv, cfg, &p, &err);
        (void)mm_config_quant_method(cfg);
    }
    mm_config_free(cfg);
    return 0;
}
