/*
 * options.c - every option of the command line, declared once: its name,
 * its argument, the commands it applies to, the values it takes and its
 * help lines. `modelmem --help` and each `modelmem COMMAND --help` print
 * from this table (help.c), "did you mean" offers its names (names.c) and
 * the shell completions are written from it (completions.c), and the
 * arguments are parsed by it (parse.c): each option found goes with its
 * value to the handler its row names (util.c, memory_options.c,
 * runtime_options.c, cmd_*.c); tests/cli/options_match.sh checks the
 * table against modelmem(1).
 */
#include <string.h>

#include "cli/cli.h"

/* The commands that read models, those that size them, and all. */
#define READING (CLI_ESTIMATE | CLI_INSPECT | CLI_VERIFY | CLI_SCAN)
#define SIZING (CLI_ESTIMATE | CLI_SCAN)
#define EVERY (READING | CLI_SERVE)

/* The values a completion offers (each option's parser decides what a
 * value means, aliases included: names.c). */
static const char *const dtypes[] = {"float32", "float16", "bfloat16", "int8", "int4", NULL};
static const char *const kv_dtypes[] = {"auto", "fp32", "bf16", "fp16", "fp8",
                                        "fp8_e4m3", "fp8_e5m2", "int8", NULL};
static const char *const runtimes[] = {"transformers", "vllm", "llama.cpp", NULL};
static const char *const load_ins[] = {"8bit", "4bit", "nf4", NULL};
static const char *const cache_types[] = {"f16",  "bf16", "f32",  "q8_0",   "q4_0",
                                          "q4_1", "q5_0", "q5_1", "iq4_nl", NULL};
static const char *const flash_modes[] = {"auto", "on", "off", NULL};
static const char *const trains[] = {"full", "lora", "qlora", NULL};
static const char *const optimizers[] = {"adamw", "adamw8bit", "sgd", "adafactor", NULL};
static const char *const precisions[] = {"bf16-mixed", "fp16-mixed", "fp32", NULL};
static const char *const losses[] = {"fp32", "16bit", "fused", NULL};
static const char *const attentions[] = {"auto", "sdpa", "eager", NULL};
static const char *const parallels[] = {"dp", "tp", "pp", "layers", "zero1",
                                        "zero2", "zero3", "fsdp", NULL};
static const char *const sorts[] = {"size", "params", "name", NULL};
static const char *const shells[] = {"bash", "zsh", "fish", NULL};

/* In the order --help lists them. */
const struct cli_option cli_options[] = {
    {"--json", NULL, NULL, READING, CLI_VALUE_NONE, NULL,
     cli_take_common, NULL,
     "print one JSON document on stdout\n"},
    {"--markdown", NULL, NULL, CLI_ESTIMATE, CLI_VALUE_NONE, NULL,
     cli_take_common, NULL,
     "estimate: print the table as Markdown\n"},
    {"--dtypes", NULL, "LIST", SIZING, CLI_VALUE_LIST, dtypes,
     cli_take_dtypes, "a list",
     "estimate: rows among float32, float16, bfloat16, int8, int4\n"
     "(also bf16, fp16, half, fp32), comma- or space-separated\n"
     "(default float32,float16,int8,int4)\n"},
    {"--context", NULL, "N", SIZING, CLI_VALUE_ANY, NULL,
     cli_take_memory, NULL,
     "estimate: inference with N tokens per sequence (default\n"
     "4096; 8k = 8192, 128k = 131072)\n"},
    {"--batch", NULL, "B", SIZING, CLI_VALUE_ANY, NULL,
     cli_take_memory, NULL,
     "estimate: B sequences (default 1)\n"},
    {"--kv-dtype", NULL, "D", SIZING, CLI_VALUE_LIST, kv_dtypes,
     cli_take_memory, NULL,
     "KV cache element: auto, fp32, bf16, fp16, fp8 (fp8_e4m3,\n"
     "fp8_e5m2), int8\n"},
    {"--overhead", NULL, "SIZE", SIZING, CLI_VALUE_ANY, NULL,
     cli_take_memory, NULL,
     "runtime overhead per device (default 512MiB; 1.5GiB, 2GB;\n"
     "vLLM: its non-torch memory and CUDA graphs)\n"},
    {"--runtime", NULL, "NAME", SIZING, CLI_VALUE_LIST, runtimes,
     cli_take_runtime, NULL,
     "whose allocation inference follows: transformers (default),\n"
     "vllm, llama.cpp (default for GGUF)\n"},
    {"--load-in", NULL, "Q", SIZING, CLI_VALUE_LIST, load_ins,
     cli_take_runtime, NULL,
     "transformers: quantize a float checkpoint while loading\n"
     "(bitsandbytes): 8bit, 4bit (FP4) or nf4 (double quant)\n"},
    {"--gpu-memory-utilization", NULL, "F", SIZING, CLI_VALUE_ANY, NULL,
     cli_take_runtime, NULL,
     "vLLM: share of each device (default 0.9)\n"},
    {"--max-num-batched-tokens", NULL, "N", SIZING, CLI_VALUE_ANY, NULL,
     cli_take_runtime, NULL,
     "vLLM: tokens per step (default 8192 on 70 GiB+\n"
     "devices but A100s, else 2048)\n"},
    {"--max-num-seqs", NULL, "N", SIZING, CLI_VALUE_ANY, NULL,
     cli_take_runtime, NULL,
     "vLLM: sequences per step (default 256)\n"},
    {"--max-model-len", NULL, "N", SIZING, CLI_VALUE_ANY, NULL,
     cli_take_runtime, NULL,
     "vLLM: longest sequence (default --context)\n"},
    {"--n-gpu-layers", NULL, "N|all", SIZING, CLI_VALUE_ANY, NULL,
     cli_take_runtime, NULL,
     "llama.cpp: blocks offloaded, the output layer\n"
     "counting as one more (default all)\n"},
    {"--tensor-split", NULL, "A,B,...", SIZING, CLI_VALUE_ANY, NULL,
     cli_take_runtime, NULL,
     "llama.cpp: proportions of the blocks per device\n"},
    {"--cache-type-k", NULL, "T", SIZING, CLI_VALUE_LIST, cache_types,
     cli_take_runtime, NULL,
     "llama.cpp: K cache f16 (default), bf16, f32, q8_0, q4_0,\n"
     "q4_1, q5_0, q5_1, iq4_nl\n"},
    {"--cache-type-v", NULL, "T", SIZING, CLI_VALUE_LIST, cache_types,
     cli_take_runtime, NULL,
     "llama.cpp: V cache, the same (quantized needs flash attn)\n"},
    {"--flash-attn", NULL, "MODE", SIZING, CLI_VALUE_LIST, flash_modes,
     cli_take_runtime, NULL,
     "llama.cpp: on, off, auto (default, taken as on)\n"},
    {"--ubatch-size", NULL, "N", SIZING, CLI_VALUE_ANY, NULL,
     cli_take_runtime, NULL,
     "llama.cpp: physical batch (default 512)\n"},
    {"--train", NULL, "MODE", SIZING, CLI_VALUE_LIST, trains,
     cli_take_memory, NULL,
     "add training: full, lora or qlora (the inference plan\n"
     "then only with a context, a KV dtype or the next)\n"},
    {"--inference", NULL, NULL, SIZING, CLI_VALUE_NONE, NULL,
     cli_take_memory, NULL,
     "print the inference plan beside the training one\n"},
    {"--optimizer", NULL, "OPT", SIZING, CLI_VALUE_LIST, optimizers,
     cli_take_memory, NULL,
     "adamw (default), adamw8bit, sgd, adafactor, or a\n"
     "transformers optim name (adamw_torch, paged_adamw_8bit...)\n"},
    {"--precision", NULL, "P", SIZING, CLI_VALUE_LIST, precisions,
     cli_take_memory, NULL,
     "bf16-mixed (default), fp16-mixed, fp32; also accelerate's\n"
     "and Lightning's names (bf16, fp16, no, 16-mixed, 32-true)\n"},
    {"--grad-checkpointing", NULL, NULL, SIZING, CLI_VALUE_NONE, NULL,
     cli_take_memory, NULL,
     "count activations with full recomputation (the\n"
     "default for lora and qlora, as PEFT and TRL do)\n"},
    {"--no-grad-checkpointing", NULL, NULL, SIZING, CLI_VALUE_NONE, NULL,
     cli_take_memory, NULL,
     "count every layer's activations\n"},
    {"--loss", NULL, "L", SIZING, CLI_VALUE_LIST, losses,
     cli_take_memory, NULL,
     "fp32 (default: logits upcast), 16bit, fused (Liger-style)\n"},
    {"--attention", NULL, "A", SIZING, CLI_VALUE_LIST, attentions,
     cli_take_memory, NULL,
     "auto (default: as transformers for the architecture),\n"
     "sdpa (fused, no s x s matrix) or eager\n"},
    {"--lora-rank", NULL, "R", SIZING, CLI_VALUE_ANY, NULL,
     cli_take_memory, NULL,
     "LoRA rank (default 16)\n"},
    {"--lora-targets", NULL, "LIST", SIZING, CLI_VALUE_ANY, NULL,
     cli_take_memory, NULL,
     "modules LoRA adapts (default q_proj,k_proj,v_proj,o_proj)\n"},
    {"--lora-dropout", NULL, "P", SIZING, CLI_VALUE_ANY, NULL,
     cli_take_memory, NULL,
     "LoRA dropout probability (default 0)\n"},
    {"--gpus", NULL, "N", SIZING, CLI_VALUE_ANY, NULL,
     cli_take_memory, NULL,
     "per-device figures for N devices\n"},
    {"--parallel", NULL, "MODE", SIZING, CLI_VALUE_LIST, parallels,
     cli_take_memory, NULL,
     "dp, tp, pp, layers, zero1, zero2, zero3, fsdp (default: the\n"
     "runtime's own for inference: tp for vllm, else layers;\n"
     "for training with a verdict, DDP or the lowest ZeRO that fits)\n"},
    {"--gpu", NULL, "NAME|SIZE", SIZING, CLI_VALUE_GPU, NULL,
     cli_take_memory, NULL,
     "verdict, smallest count, longest context, sequences at\n"
     "once, for a device: A100-40GB, A100-80GB, H100-80GB,\n"
     "H100-NVL-94GB, H200-141GB, B200-192GB, L4-24GB, L40S-48GB,\n"
     "A10-24GB, A10G-24GB, A6000-48GB, RTX3090-24GB,\n"
     "RTX4090-24GB, RTX5090-32GB, T4-16GB, V100-16GB, V100-32GB,\n"
     "MI250X-128GB, MI300X-192GB; a name nvidia-smi prints\n"
     "(\"NVIDIA H100 80GB HBM3\"), a model (4090); a cloud\n"
     "instance (p4d.24xlarge: its GPU and count); or a size\n"
     "such as 24GiB or 80GB (= 74.51 GiB)\n"},
    {"--config", NULL, "FILE", CLI_ESTIMATE, CLI_VALUE_FILE, NULL,
     cli_take_memory, NULL,
     "read the geometry from FILE, not TARGET's config.json\n"},
    {"--base", NULL, "BASE", CLI_ESTIMATE, CLI_VALUE_FILE, NULL,
     cli_take_own, "a base model",
     "estimate of a PEFT adapter folder: its base model (default:\n"
     "base_model_name_or_path, looked up in the cache)\n"},
    {"--checksums", NULL, NULL, CLI_VERIFY, CLI_VALUE_NONE, NULL,
     cli_take_common, NULL,
     "verify: hash Hugging Face cache blobs, compare with names\n"},
    {"--sort", NULL, "KEY", CLI_SCAN, CLI_VALUE_LIST, sorts,
     cli_take_own, NULL,
     "scan: rows by size (disk, largest first), params or name\n"
     "(default name)\n"},
    {"--all-revisions", NULL, NULL, CLI_SCAN, CLI_VALUE_NONE, NULL,
     cli_take_own, NULL,
     "scan: also the cache snapshots no ref names\n"},
    {"--threads", NULL, "N", READING, CLI_VALUE_ANY, NULL,
     cli_take_common, "a number",
     "files (scan: models) read in parallel (default: per CPU)\n"},
    {"--allow-unsafe-pickle", NULL, NULL, READING, CLI_VALUE_NONE, NULL,
     cli_take_common, NULL,
     "read pickles that name code-running globals\n"
     "(os.system, ...) with a warning; nothing is ever run\n"},
    {"--listen", NULL, "ADDR:PORT", CLI_SERVE, CLI_VALUE_ANY, NULL,
     cli_take_own, NULL,
     "serve: address and port (default 127.0.0.1:8080; port 0:\n"
     "any free one); warns when not a loopback address\n"},
    {"--token", NULL, "FILE", CLI_SERVE, CLI_VALUE_FILE, NULL,
     cli_take_own, NULL,
     "serve: require Authorization: Bearer <first line of FILE>\n"},
    {"--quiet", "-q", NULL, EVERY, CLI_VALUE_NONE, NULL,
     cli_take_common, NULL,
     "print nothing but the data and errors\n"},
    {"--verbose", "-v", NULL, READING, CLI_VALUE_NONE, NULL,
     cli_take_common, NULL,
     "list the files read on stderr\n"},
    {"--help", "-h", NULL, EVERY, CLI_VALUE_NONE, NULL,
     cli_take_help, NULL,
     "show this help and exit\n"},
    {"--completions", NULL, "SHELL", 0, CLI_VALUE_LIST, shells,
     NULL, "a shell: bash, zsh or fish",
     "print the completion script for bash, zsh or fish\n"},
    {"--version", "", NULL, 0, CLI_VALUE_NONE, NULL,
     NULL, NULL,
     "print the version and exit\n"},
};

const size_t cli_option_count = sizeof(cli_options) / sizeof(cli_options[0]);

const struct cli_command cli_commands[] = {
    {"estimate", CLI_ESTIMATE, "[estimate] TARGET [options]", "memory estimate (default)\n"},
    {"inspect", CLI_INSPECT, "inspect TARGET [options]", "exact tensor inventory\n"},
    {"verify", CLI_VERIFY, "verify TARGET [options]", "integrity and safety checks\n"},
    {"scan", CLI_SCAN, "scan [ROOT...] [options]",
     "a row per model under ROOT\n"
     "(default: the Hugging Face cache)\n"},
    {"serve", CLI_SERVE, "serve [ROOT...] [options]", "the calculator web page and API\n"},
};

const size_t cli_command_count = sizeof(cli_commands) / sizeof(cli_commands[0]);

const struct cli_command *cli_command_find(const char *name)
{
    size_t i;
    for (i = 0; i < cli_command_count; i++) {
        if (strcmp(cli_commands[i].name, name) == 0) {
            return &cli_commands[i];
        }
    }
    return NULL;
}
