/* help.c - the text of `modelmem --help` (agrees with modelmem(1), checked
 * by tests/cli/options_match.sh). The lowest file of the front end: every
 * command can print it without calling up. */
#include <stdio.h>

#include "cli/cli.h"

void cli_help(FILE *f)
{
    fputs("Usage: modelmem [estimate] TARGET [options]   memory estimate (default)\n"
          "       modelmem inspect TARGET [options]      exact tensor inventory\n"
          "       modelmem verify TARGET [options]       integrity and safety checks\n"
          "       modelmem scan [ROOT...] [options]      a row per model under ROOT\n"
          "                                              (default: the Hugging Face cache)\n"
          "       modelmem --help | --version\n"
          "\n"
          "TARGET is a weight file (safetensors, GGUF, PyTorch .bin/.pt/.pth/.ckpt),\n"
          "an index file (*.safetensors.index.json, pytorch_model.bin.index.json),\n"
          "a model folder, or ORG/NAME of a repository in the local Hugging Face\n"
          "cache. Only headers are read; nothing is downloaded, executed or\n"
          "modified.\n"
          "\n",
          f);
    /* in pieces: C11 compilers need only take strings of 4,095 bytes */
    fputs("Options:\n"
          "  --json             print one JSON document on stdout\n"
          "  --markdown         estimate: print the table as Markdown\n"
          "  --dtypes LIST      estimate: rows among float32, float16, bfloat16, int8, int4\n"
          "                     (also bf16, fp16, half, fp32), comma- or space-separated\n"
          "                     (default float32,float16,int8,int4)\n"
          "  --context N        estimate: inference with N tokens per sequence (default\n"
          "                     4096; 8k = 8192, 128k = 131072)\n"
          "  --batch B          estimate: B sequences (default 1)\n"
          "  --kv-dtype D       KV cache element: auto, fp32, bf16, fp16, fp8 (fp8_e4m3,\n"
          "                     fp8_e5m2), int8\n"
          "  --overhead SIZE    runtime overhead per device (default 512MiB; 1.5GiB, 2GB;\n"
          "                     vLLM: its non-torch memory and CUDA graphs)\n"
          "  --runtime NAME     whose allocation inference follows: transformers (default),\n"
          "                     vllm, llama.cpp (default for GGUF)\n"
          "  --gpu-memory-utilization F  vLLM: share of each device (default 0.9)\n"
          "  --max-num-batched-tokens N  vLLM: tokens per step (default 8192 on 70 GiB+\n"
          "                     devices but A100s, else 2048)\n"
          "  --max-num-seqs N   vLLM: sequences per step (default 256)\n"
          "  --max-model-len N  vLLM: longest sequence (default --context)\n",
          f);
    fputs("  --train MODE       add training: full, lora or qlora\n"
          "  --optimizer OPT    adamw (default), adamw8bit, sgd, adafactor, or a\n"
          "                     transformers optim name (adamw_torch, paged_adamw_8bit...)\n"
          "  --precision P      bf16-mixed (default), fp16-mixed, fp32; also accelerate's\n"
          "                     and Lightning's names (bf16, fp16, no, 16-mixed, 32-true)\n"
          "  --grad-checkpointing  count activations with full recomputation\n"
          "  --attention A      sdpa (default: fused, no s x s matrix) or eager\n"
          "  --lora-rank R      LoRA rank (default 16)\n"
          "  --lora-targets LIST  modules LoRA adapts (default q_proj,k_proj,v_proj,o_proj)\n"
          "  --gpus N           per-device figures for N devices\n"
          "  --parallel MODE    dp, tp, pp, layers, zero1, zero2, zero3 (default: the\n"
          "                     runtime's own: tp for vllm, else layers)\n"
          "  --gpu NAME|SIZE    verdict, smallest count, longest context, sequences at\n"
          "                     once, for a device: A100-40GB, A100-80GB, H100-80GB,\n"
          "                     H100-NVL-94GB, H200-141GB, B200-192GB, L4-24GB, L40S-48GB,\n"
          "                     A10-24GB, A10G-24GB, A6000-48GB, RTX3090-24GB,\n"
          "                     RTX4090-24GB, RTX5090-32GB, T4-16GB, V100-16GB, V100-32GB,\n"
          "                     MI250X-128GB, MI300X-192GB; a name nvidia-smi prints\n"
          "                     (\"NVIDIA H100 80GB HBM3\"), a model (4090); a cloud\n"
          "                     instance (p4d.24xlarge: its GPU and count); or a size\n"
          "                     such as 24GiB or 80GB (= 74.51 GiB)\n"
          "  --config FILE      read the geometry from FILE, not TARGET's config.json\n"
          "  --checksums        verify: hash Hugging Face cache blobs, compare with names\n"
          "  --sort KEY         scan: rows by size (disk, largest first), params or name\n"
          "                     (default name)\n"
          "  --all-revisions    scan: also the cache snapshots no ref names\n"
          "  --threads N        files (scan: models) read in parallel (default: per CPU)\n"
          "  --allow-unsafe-pickle  read pickles that name code-running globals\n"
          "                     (os.system, ...) with a warning; nothing is ever run\n"
          "  -q, --quiet        print nothing but the data and errors\n"
          "  -v, --verbose      list the files read on stderr\n"
          "  -h, --help         show this help and exit\n"
          "      --version      print the version and exit\n"
          "\n"
          "Exit status: 0 success, 1 invalid or unreadable input, 2 usage error.\n"
          "See modelmem(1) for formats, formulas, limits and error codes.\n",
          f);
}
