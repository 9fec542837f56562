/*
 * options.c - every option of the command line, declared once: its name,
 * its argument, the commands it applies to, the values it takes and its
 * help lines. `modelmem --help` and each `modelmem COMMAND --help` print
 * from this table (help.c), "did you mean" offers its names (names.c) and
 * the shell completions are written from it (completions.c), and the
 * arguments are parsed by it (parse.c): each option found goes with its
 * value to the handler its row names (util.c, memory_options.c,
 * runtime_options.c, cmd_*.c), which takes the values the row lists; the
 * serve API takes the options marked CLI_WEB (serve_path.c);
 * tests/cli/options_match.sh checks the table against modelmem(1).
 */
#include <stddef.h>
#include <string.h>

#include "cli/cli.h"

/* The commands that read models, those that size them, and all. */
#define READING (CLI_ESTIMATE | CLI_INSPECT | CLI_VERIFY | CLI_SCAN)
#define SIZING (CLI_ESTIMATE | CLI_SCAN)
#define EVERY (READING | CLI_SERVE)
/* The member of struct mm_memory_params an option of a list sets
 * (cli_take_choice). */
#define PARAM(member) offsetof(struct mm_memory_params, member)

/*
 * The values of the options that take one of a list: the listed ones
 * first, in the order completions offer them, then the other names each
 * takes. Aliases are other tools' names for the same model of memory.
 */

/* accelerate estimate-memory --dtypes, PyTorch's names */
static const struct cli_value dtypes[] = {
    {"float32", MM_EST_FLOAT32, CLI_LISTED},
    {"float16", MM_EST_FLOAT16, CLI_LISTED},
    {"bfloat16", MM_EST_BFLOAT16, CLI_LISTED},
    {"int8", MM_EST_INT8, CLI_LISTED},
    {"int4", MM_EST_INT4, CLI_LISTED},
    {"fp32", MM_EST_FLOAT32, CLI_ALIAS},
    {"float", MM_EST_FLOAT32, CLI_ALIAS},
    {"f32", MM_EST_FLOAT32, CLI_ALIAS},
    {"torch.float32", MM_EST_FLOAT32, CLI_ALIAS},
    {"fp16", MM_EST_FLOAT16, CLI_ALIAS},
    {"half", MM_EST_FLOAT16, CLI_ALIAS},
    {"f16", MM_EST_FLOAT16, CLI_ALIAS},
    {"torch.float16", MM_EST_FLOAT16, CLI_ALIAS},
    {"bf16", MM_EST_BFLOAT16, CLI_ALIAS},
    {"torch.bfloat16", MM_EST_BFLOAT16, CLI_ALIAS},
    {"i8", MM_EST_INT8, CLI_ALIAS},
    {"torch.int8", MM_EST_INT8, CLI_ALIAS},
    {"i4", MM_EST_INT4, CLI_ALIAS},
    {NULL, 0, CLI_LISTED},
};

/* Bytes per KV element (0: the weights' float width); vLLM's
 * --kv-cache-dtype, llama.cpp's --cache-type-k/-v. */
static const struct cli_value kv_dtypes[] = {
    {"auto", 0, CLI_LISTED},
    {"fp32", 4, CLI_LISTED},
    {"bf16", 2, CLI_LISTED},
    {"fp16", 2, CLI_LISTED},
    {"fp8", 1, CLI_LISTED},
    {"fp8_e4m3", 1, CLI_LISTED},
    {"fp8_e5m2", 1, CLI_LISTED},
    {"int8", 1, CLI_LISTED},
    {"float32", 4, CLI_HIDDEN},
    {"float16", 2, CLI_HIDDEN},
    {"bfloat16", 2, CLI_HIDDEN},
    {"auto16", 2, CLI_HIDDEN},
    {"half", 2, CLI_ALIAS},
    {"f16", 2, CLI_ALIAS},
    {"f32", 4, CLI_ALIAS},
    {"float", 4, CLI_ALIAS},
    {"fp8_inc", 1, CLI_ALIAS},
    {"fp8_e4m3fn", 1, CLI_ALIAS},
    {"float8_e4m3fn", 1, CLI_ALIAS},
    {"float8_e5m2", 1, CLI_ALIAS},
    {"i8", 1, CLI_ALIAS},
    {NULL, 0, CLI_LISTED},
};

static const struct cli_value runtimes[] = {
    {"transformers", MM_RUNTIME_TRANSFORMERS, CLI_LISTED},
    {"vllm", MM_RUNTIME_VLLM, CLI_LISTED},
    {"llama.cpp", MM_RUNTIME_LLAMACPP, CLI_LISTED},
    {NULL, 0, CLI_LISTED},
};

static const struct cli_value load_ins[] = {
    {"8bit", MM_LOAD_8BIT, CLI_LISTED},
    {"4bit", MM_LOAD_4BIT, CLI_LISTED},
    {"nf4", MM_LOAD_NF4, CLI_LISTED},
    {NULL, 0, CLI_LISTED},
};

const struct cli_value cli_cache_types[] = {
    {"f16", MM_DTYPE_F16, CLI_LISTED},
    {"bf16", MM_DTYPE_BF16, CLI_LISTED},
    {"f32", MM_DTYPE_F32, CLI_LISTED},
    {"q8_0", MM_DTYPE_Q8_0, CLI_LISTED},
    {"q4_0", MM_DTYPE_Q4_0, CLI_LISTED},
    {"q4_1", MM_DTYPE_Q4_1, CLI_LISTED},
    {"q5_0", MM_DTYPE_Q5_0, CLI_LISTED},
    {"q5_1", MM_DTYPE_Q5_1, CLI_LISTED},
    {"iq4_nl", MM_DTYPE_IQ4_NL, CLI_LISTED},
    {NULL, 0, CLI_LISTED},
};

static const struct cli_value flash_modes[] = {
    {"auto", MM_FLASH_AUTO, CLI_LISTED},
    {"on", MM_FLASH_ON, CLI_LISTED},
    {"off", MM_FLASH_OFF, CLI_LISTED},
    {NULL, 0, CLI_LISTED},
};

static const struct cli_value trains[] = {
    {"full", MM_TRAIN_FULL, CLI_LISTED},
    {"lora", MM_TRAIN_LORA, CLI_LISTED},
    {"qlora", MM_TRAIN_QLORA, CLI_LISTED},
    {"none", MM_TRAIN_NONE, CLI_ALIAS}, /* the default: no training */
    {NULL, 0, CLI_LISTED},
};

/*
 * transformers' TrainingArguments.optim names (OptimizerNames): each is
 * counted as the optimizer whose state per parameter it keeps - two fp32
 * moments (AdamW), two 8-bit moments (8-bit AdamW), one fp32 buffer (SGD's
 * momentum; also Lion, RMSprop and Adagrad, which keep one), factored
 * moments (Adafactor). Lion and RMSprop in 8 bits keep one byte per
 * parameter and are counted as 8-bit AdamW's two: an upper bound.
 * "paged_" optimizers page their state to host memory only under memory
 * pressure; the device holds it otherwise.
 */
static const struct cli_value optimizers[] = {
    {"adamw", MM_OPT_ADAMW, CLI_LISTED},
    {"adamw8bit", MM_OPT_ADAMW8BIT, CLI_LISTED},
    {"sgd", MM_OPT_SGD, CLI_LISTED},
    {"adafactor", MM_OPT_ADAFACTOR, CLI_LISTED},
    {"adam", MM_OPT_ADAMW, CLI_ALIAS},
    {"adamw_torch", MM_OPT_ADAMW, CLI_ALIAS},
    {"adamw_torch_fused", MM_OPT_ADAMW, CLI_ALIAS},
    {"adamw_hf", MM_OPT_ADAMW, CLI_ALIAS},
    {"adamw_apex_fused", MM_OPT_ADAMW, CLI_ALIAS},
    {"adamw_torch_xla", MM_OPT_ADAMW, CLI_ALIAS},
    {"adamw_torch_npu_fused", MM_OPT_ADAMW, CLI_ALIAS},
    {"paged_adamw_32bit", MM_OPT_ADAMW, CLI_ALIAS},
    {"adamw_8bit", MM_OPT_ADAMW8BIT, CLI_ALIAS},
    {"adamw_bnb_8bit", MM_OPT_ADAMW8BIT, CLI_ALIAS},
    {"paged_adamw_8bit", MM_OPT_ADAMW8BIT, CLI_ALIAS},
    {"adamw_torch_8bit", MM_OPT_ADAMW8BIT, CLI_ALIAS},
    {"lion_8bit", MM_OPT_ADAMW8BIT, CLI_ALIAS},
    {"paged_lion_8bit", MM_OPT_ADAMW8BIT, CLI_ALIAS},
    {"rmsprop_bnb_8bit", MM_OPT_ADAMW8BIT, CLI_ALIAS},
    {"lion_32bit", MM_OPT_SGD, CLI_ALIAS},
    {"paged_lion_32bit", MM_OPT_SGD, CLI_ALIAS},
    {"rmsprop", MM_OPT_SGD, CLI_ALIAS},
    {"rmsprop_bnb", MM_OPT_SGD, CLI_ALIAS},
    {"rmsprop_bnb_32bit", MM_OPT_SGD, CLI_ALIAS},
    {"adagrad", MM_OPT_SGD, CLI_ALIAS},
    {NULL, 0, CLI_LISTED},
};

/* accelerate's --mixed_precision, Lightning's precision, transformers'
 * --bf16/--fp16 */
static const struct cli_value precisions[] = {
    {"bf16-mixed", MM_PREC_BF16_MIXED, CLI_LISTED},
    {"fp16-mixed", MM_PREC_FP16_MIXED, CLI_LISTED},
    {"fp32", MM_PREC_FP32, CLI_LISTED},
    {"bf16", MM_PREC_BF16_MIXED, CLI_ALIAS},
    {"bf16_mixed", MM_PREC_BF16_MIXED, CLI_ALIAS},
    {"bfloat16", MM_PREC_BF16_MIXED, CLI_ALIAS},
    {"fp16", MM_PREC_FP16_MIXED, CLI_ALIAS},
    {"fp16_mixed", MM_PREC_FP16_MIXED, CLI_ALIAS},
    {"16-mixed", MM_PREC_FP16_MIXED, CLI_ALIAS},
    {"16", MM_PREC_FP16_MIXED, CLI_ALIAS},
    {"float16", MM_PREC_FP16_MIXED, CLI_ALIAS},
    {"no", MM_PREC_FP32, CLI_ALIAS},
    {"32", MM_PREC_FP32, CLI_ALIAS},
    {"32-true", MM_PREC_FP32, CLI_ALIAS},
    {"float32", MM_PREC_FP32, CLI_ALIAS},
    {NULL, 0, CLI_LISTED},
};

static const struct cli_value losses[] = {
    {"fp32", MM_LOSS_FP32, CLI_LISTED},
    {"16bit", MM_LOSS_16BIT, CLI_LISTED},
    {"fused", MM_LOSS_FUSED, CLI_LISTED},
    {NULL, 0, CLI_LISTED},
};

static const struct cli_value attentions[] = {
    {"auto", MM_ATTN_AUTO, CLI_LISTED},
    {"sdpa", MM_ATTN_SDPA, CLI_LISTED},
    {"eager", MM_ATTN_EAGER, CLI_LISTED},
    {NULL, 0, CLI_LISTED},
};

static const struct cli_value parallels[] = {
    {"dp", MM_PAR_DP, CLI_LISTED},
    {"tp", MM_PAR_TP, CLI_LISTED},
    {"pp", MM_PAR_PP, CLI_LISTED},
    {"layers", MM_PAR_LAYERS, CLI_LISTED},
    {"zero1", MM_PAR_ZERO1, CLI_LISTED},
    {"zero2", MM_PAR_ZERO2, CLI_LISTED},
    {"zero3", MM_PAR_ZERO3, CLI_LISTED},
    {"fsdp", MM_PAR_FSDP, CLI_LISTED},
    {NULL, 0, CLI_LISTED},
};

static const struct cli_value sorts[] = {
    {"size", CLI_SORT_SIZE, CLI_LISTED},
    {"params", CLI_SORT_PARAMS, CLI_LISTED},
    {"name", CLI_SORT_NAME, CLI_LISTED},
    {NULL, 0, CLI_LISTED},
};

static const struct cli_value shells[] = {
    {"bash", CLI_SHELL_BASH, CLI_LISTED},
    {"zsh", CLI_SHELL_ZSH, CLI_LISTED},
    {"fish", CLI_SHELL_FISH, CLI_LISTED},
    {NULL, 0, CLI_LISTED},
};

/* In the order --help lists them. */
const struct cli_option cli_options[] = {
    {.name = "--json", .commands = READING, .take = cli_take_json,
     .help = "print one JSON document on stdout\n"},
    {.name = "--markdown", .commands = CLI_ESTIMATE, .take = cli_take_markdown,
     .help = "estimate: print the table as Markdown\n"},
    {.name = "--dtypes", .arg = "LIST", .commands = SIZING, .value = CLI_VALUE_LIST,
     .values = dtypes, .take = cli_take_dtypes, .flags = CLI_WEB | CLI_LENIENT,
     .needs = "a list",
     .help = "estimate: rows among float32, float16, bfloat16, int8, int4\n"
             "(also bf16, fp16, half, fp32), comma- or space-separated\n"
             "(default float32,float16,int8,int4)\n"},
    {.name = "--context", .arg = "N", .commands = SIZING, .value = CLI_VALUE_ANY,
     .take = cli_take_context, .flags = CLI_WEB,
     .help = "estimate: inference with N tokens per sequence (default\n"
             "4096; 8k = 8192, 128k = 131072)\n"},
    {.name = "--batch", .arg = "B", .commands = SIZING, .value = CLI_VALUE_ANY,
     .take = cli_take_batch, .flags = CLI_WEB,
     .help = "estimate: B sequences (default 1)\n"},
    {.name = "--kv-dtype", .arg = "D", .commands = SIZING, .value = CLI_VALUE_LIST,
     .values = kv_dtypes, .take = cli_take_kv_dtype, .flags = CLI_WEB | CLI_LENIENT,
     .choose = "auto, fp32, bf16, fp16, fp8 (fp8_e4m3, fp8_e5m2) or int8",
     .help = "KV cache element: auto, fp32, bf16, fp16, fp8 (fp8_e4m3,\n"
             "fp8_e5m2), int8\n"},
    {.name = "--overhead", .arg = "SIZE", .commands = SIZING, .value = CLI_VALUE_ANY,
     .take = cli_take_overhead, .flags = CLI_WEB,
     .help = "runtime overhead per device (default 512MiB; 1.5GiB, 2GB;\n"
             "vLLM: its non-torch memory and CUDA graphs)\n"},
    {.name = "--runtime", .arg = "NAME", .commands = SIZING, .value = CLI_VALUE_LIST,
     .values = runtimes, .take = cli_take_choice, .member = PARAM(runtime), .flags = CLI_WEB,
     .help = "whose allocation inference follows: transformers (default),\n"
             "vllm, llama.cpp (default for GGUF)\n"},
    {.name = "--load-in", .arg = "Q", .commands = SIZING, .value = CLI_VALUE_LIST,
     .values = load_ins, .take = cli_take_choice, .member = PARAM(load_in), .flags = CLI_WEB,
     .help = "transformers: quantize a float checkpoint while loading\n"
             "(bitsandbytes): 8bit, 4bit (FP4) or nf4 (double quant)\n"},
    {.name = "--gpu-memory-utilization", .arg = "F", .commands = SIZING,
     .value = CLI_VALUE_ANY, .take = cli_take_gpu_util, .flags = CLI_WEB | CLI_VLLM,
     .help = "vLLM: share of each device (default 0.9)\n"},
    {.name = "--max-num-batched-tokens", .arg = "N", .commands = SIZING,
     .value = CLI_VALUE_ANY, .take = cli_take_batched_tokens, .flags = CLI_WEB | CLI_VLLM,
     .help = "vLLM: tokens per step (default 8192 on 70 GiB+\n"
             "devices but A100s, else 2048)\n"},
    {.name = "--max-num-seqs", .arg = "N", .commands = SIZING, .value = CLI_VALUE_ANY,
     .take = cli_take_num_seqs, .flags = CLI_WEB | CLI_VLLM,
     .help = "vLLM: sequences per step (default 256)\n"},
    {.name = "--max-model-len", .arg = "N", .commands = SIZING, .value = CLI_VALUE_ANY,
     .take = cli_take_model_len, .flags = CLI_WEB | CLI_VLLM,
     .help = "vLLM: longest sequence (default --context)\n"},
    {.name = "--n-gpu-layers", .arg = "N|all", .commands = SIZING, .value = CLI_VALUE_ANY,
     .take = cli_take_gpu_layers, .flags = CLI_WEB | CLI_LLAMA,
     .help = "llama.cpp: blocks offloaded, the output layer\n"
             "counting as one more (default all)\n"},
    {.name = "--tensor-split", .arg = "A,B,...", .commands = SIZING, .value = CLI_VALUE_ANY,
     .take = cli_take_tensor_split, .flags = CLI_WEB | CLI_LLAMA,
     .help = "llama.cpp: proportions of the blocks per device\n"},
    {.name = "--cache-type-k", .arg = "T", .commands = SIZING, .value = CLI_VALUE_LIST,
     .values = cli_cache_types, .take = cli_take_choice,
     .member = PARAM(cache_type_k), .flags = CLI_WEB | CLI_LLAMA,
     .help = "llama.cpp: K cache f16 (default), bf16, f32, q8_0, q4_0,\n"
             "q4_1, q5_0, q5_1, iq4_nl\n"},
    {.name = "--cache-type-v", .arg = "T", .commands = SIZING, .value = CLI_VALUE_LIST,
     .values = cli_cache_types, .take = cli_take_cache_type_v,
     .member = PARAM(cache_type_v), .flags = CLI_WEB | CLI_LLAMA,
     .help = "llama.cpp: V cache, the same (quantized needs flash attn)\n"},
    {.name = "--flash-attn", .arg = "MODE", .commands = SIZING, .value = CLI_VALUE_LIST,
     .values = flash_modes, .take = cli_take_choice,
     .member = PARAM(flash_attn), .flags = CLI_WEB | CLI_LLAMA,
     .choose = "on, off or auto",
     .help = "llama.cpp: on, off, auto (default, taken as on)\n"},
    {.name = "--ubatch-size", .arg = "N", .commands = SIZING, .value = CLI_VALUE_ANY,
     .take = cli_take_ubatch, .flags = CLI_WEB | CLI_LLAMA,
     .help = "llama.cpp: physical batch (default 512)\n"},
    {.name = "--train", .arg = "MODE", .commands = SIZING, .value = CLI_VALUE_LIST,
     .values = trains, .take = cli_take_choice,
     .member = PARAM(train), .flags = CLI_WEB | CLI_LENIENT,
     .help = "add training: full, lora or qlora (the inference plan\n"
             "then only with a context, a KV dtype or the next)\n"},
    {.name = "--inference", .commands = SIZING, .take = cli_take_inference, .flags = CLI_WEB,
     .help = "print the inference plan beside the training one\n"},
    {.name = "--optimizer", .arg = "OPT", .commands = SIZING, .value = CLI_VALUE_LIST,
     .values = optimizers, .take = cli_take_choice,
     .member = PARAM(optimizer), .flags = CLI_WEB | CLI_LENIENT,
     .help = "adamw (default), adamw8bit, sgd, adafactor, or a\n"
             "transformers optim name (adamw_torch, paged_adamw_8bit...)\n"},
    {.name = "--precision", .arg = "P", .commands = SIZING, .value = CLI_VALUE_LIST,
     .values = precisions, .take = cli_take_choice,
     .member = PARAM(precision), .flags = CLI_WEB | CLI_LENIENT,
     .choose = "fp32, bf16-mixed or fp16-mixed",
     .help = "bf16-mixed (default), fp16-mixed, fp32; also accelerate's\n"
             "and Lightning's names (bf16, fp16, no, 16-mixed, 32-true)\n"},
    {.name = "--grad-checkpointing", .commands = SIZING, .take = cli_take_checkpointing,
     .flags = CLI_WEB,
     .help = "count activations with full recomputation (the\n"
             "default for lora and qlora, as PEFT and TRL do)\n"},
    {.name = "--no-grad-checkpointing", .commands = SIZING,
     .take = cli_take_no_checkpointing, .flags = CLI_WEB,
     .help = "count every layer's activations\n"},
    {.name = "--loss", .arg = "L", .commands = SIZING, .value = CLI_VALUE_LIST,
     .values = losses, .take = cli_take_choice,
     .member = PARAM(loss), .flags = CLI_WEB | CLI_LENIENT,
     .help = "fp32 (default: logits upcast), 16bit, fused (Liger-style)\n"},
    {.name = "--attention", .arg = "A", .commands = SIZING, .value = CLI_VALUE_LIST,
     .values = attentions, .take = cli_take_choice,
     .member = PARAM(attention), .flags = CLI_WEB | CLI_LENIENT,
     .help = "auto (default: as transformers for the architecture),\n"
             "sdpa (fused, no s x s matrix) or eager\n"},
    {.name = "--lora-rank", .arg = "R", .commands = SIZING, .value = CLI_VALUE_ANY,
     .take = cli_take_lora_rank, .flags = CLI_WEB,
     .help = "LoRA rank (default 16)\n"},
    {.name = "--lora-targets", .arg = "LIST", .commands = SIZING, .value = CLI_VALUE_ANY,
     .take = cli_take_lora_targets, .flags = CLI_WEB,
     .help = "modules LoRA adapts (default q_proj,k_proj,v_proj,o_proj)\n"},
    {.name = "--lora-dropout", .arg = "P", .commands = SIZING, .value = CLI_VALUE_ANY,
     .take = cli_take_lora_dropout, .flags = CLI_WEB,
     .help = "LoRA dropout probability (default 0)\n"},
    {.name = "--gpus", .arg = "N", .commands = SIZING, .value = CLI_VALUE_ANY,
     .take = cli_take_gpus, .flags = CLI_WEB,
     .help = "per-device figures for N devices\n"},
    {.name = "--parallel", .arg = "MODE", .commands = SIZING, .value = CLI_VALUE_LIST,
     .values = parallels, .take = cli_take_choice,
     .member = PARAM(parallel), .flags = CLI_WEB | CLI_LENIENT,
     .help = "dp, tp, pp, layers, zero1, zero2, zero3, fsdp (default: the\n"
             "runtime's own for inference: tp for vllm, else layers;\n"
             "for training with a verdict, DDP or the lowest ZeRO that fits)\n"},
    {.name = "--gpu", .arg = "NAME|SIZE", .commands = SIZING, .value = CLI_VALUE_GPU,
     .take = cli_take_gpu, .flags = CLI_WEB,
     .help = "verdict, smallest count, longest context, sequences at\n"
             "once, for a device: A100-40GB, A100-80GB, H100-80GB,\n"
             "H100-NVL-94GB, H200-141GB, B200-192GB, L4-24GB, L40S-48GB,\n"
             "A10-24GB, A10G-24GB, A6000-48GB, RTX3090-24GB,\n"
             "RTX4090-24GB, RTX5090-32GB, T4-16GB, V100-16GB, V100-32GB,\n"
             "MI250X-128GB, MI300X-192GB; a name nvidia-smi prints\n"
             "(\"NVIDIA H100 80GB HBM3\"), a model (4090); a cloud\n"
             "instance (p4d.24xlarge: its GPU and count); or a size\n"
             "such as 24GiB or 80GB (= 74.51 GiB)\n"},
    {.name = "--config", .arg = "FILE", .commands = CLI_ESTIMATE, .value = CLI_VALUE_FILE,
     .take = cli_take_config, .why_for = CLI_SCAN,
     .why = "it names one model's config; each model's own config.json is read",
     .help = "read the geometry from FILE, not TARGET's config.json\n"},
    {.name = "--base", .arg = "BASE", .commands = CLI_ESTIMATE, .value = CLI_VALUE_FILE,
     .take = cli_take_base, .needs = "a base model",
     .help = "estimate of a PEFT adapter folder: its base model (default:\n"
             "base_model_name_or_path, looked up in the cache)\n"},
    {.name = "--checksums", .commands = CLI_VERIFY, .take = cli_take_checksums,
     .why_for = CLI_SCAN, .why = "it is verify's option",
     .help = "verify: hash Hugging Face cache blobs, compare with names\n"},
    {.name = "--sort", .arg = "KEY", .commands = CLI_SCAN, .value = CLI_VALUE_LIST,
     .values = sorts, .take = cli_take_sort,
     .help = "scan: rows by size (disk, largest first), params or name\n"
             "(default name)\n"},
    {.name = "--all-revisions", .commands = CLI_SCAN, .take = cli_take_all_revisions,
     .help = "scan: also the cache snapshots no ref names\n"},
    {.name = "--threads", .arg = "N", .commands = READING, .value = CLI_VALUE_ANY,
     .take = cli_take_threads, .needs = "a number",
     .help = "files (scan: models) read in parallel (default: per CPU)\n"},
    {.name = "--allow-unsafe-pickle", .commands = READING, .take = cli_take_unsafe_pickle,
     .help = "read pickles that name code-running globals\n"
             "(os.system, ...) with a warning; nothing is ever run\n"},
    {.name = "--listen", .arg = "ADDR:PORT", .commands = CLI_SERVE, .value = CLI_VALUE_ANY,
     .take = cli_take_listen,
     .help = "serve: address and port (default 127.0.0.1:8080; port 0:\n"
             "any free one); warns when not a loopback address\n"},
    {.name = "--token", .arg = "FILE", .commands = CLI_SERVE, .value = CLI_VALUE_FILE,
     .take = cli_take_token,
     .help = "serve: require Authorization: Bearer <first line of FILE>\n"},
    {.name = "--quiet", .short_name = "-q", .commands = EVERY, .take = cli_take_quiet,
     .help = "print nothing but the data and errors\n"},
    {.name = "--verbose", .short_name = "-v", .commands = READING, .take = cli_take_verbose,
     .help = "list the files read on stderr\n"},
    {.name = "--help", .short_name = "-h", .commands = EVERY, .take = cli_take_help,
     .help = "show this help and exit\n"},
    {.name = "--completions", .arg = "SHELL", .value = CLI_VALUE_LIST, .values = shells,
     .needs = "a shell: bash, zsh or fish",
     .help = "print the completion script for bash, zsh or fish\n"},
    {.name = "--version", .short_name = "",
     .help = "print the version and exit\n"},
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
