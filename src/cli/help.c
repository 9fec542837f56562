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
          "       modelmem --help | --version\n"
          "\n"
          "TARGET is a weight file (safetensors, GGUF, PyTorch .bin/.pt/.pth/.ckpt),\n"
          "an index file (*.safetensors.index.json, pytorch_model.bin.index.json),\n"
          "a model folder, or ORG/NAME of a repository in the local Hugging Face\n"
          "cache. Only headers are read; nothing is downloaded, executed or\n"
          "modified.\n"
          "\n"
          "Options:\n"
          "  --json             print one JSON document on stdout\n"
          "  --markdown         estimate: print the table as Markdown\n"
          "  --dtypes LIST      estimate: comma-separated rows among float32, float16,\n"
          "                     bfloat16, int8, int4 (default float32,float16,int8,int4)\n"
          "  --context N        estimate: inference with N tokens per sequence (default 4096)\n"
          "  --batch B          estimate: B sequences (default 1)\n"
          "  --kv-dtype D       KV cache element: auto, fp32, bf16, fp16, fp8, int8\n"
          "  --overhead SIZE    runtime overhead per device (default 512MiB)\n"
          "  --train MODE       add training: full, lora or qlora\n"
          "  --optimizer OPT    adamw (default), adamw8bit, sgd, adafactor\n"
          "  --precision P      bf16-mixed (default), fp16-mixed, fp32\n"
          "  --grad-checkpointing  count activations with full recomputation\n"
          "  --attention A      sdpa (default: fused, no s x s matrix) or eager\n"
          "  --lora-rank R      LoRA rank (default 16)\n"
          "  --lora-targets LIST  modules LoRA adapts (default q_proj,k_proj,v_proj,o_proj)\n"
          "  --gpus N           per-device figures for N devices\n"
          "  --parallel MODE    dp (default: a replica each), tp, pp, zero1, zero2, zero3\n"
          "  --gpu NAME|SIZE    verdict for a device: A100-40GB, A100-80GB, H100-80GB,\n"
          "                     H100-NVL-94GB, H200-141GB, B200-192GB, L4-24GB, L40S-48GB,\n"
          "                     A10-24GB, A6000-48GB, RTX3090-24GB, RTX4090-24GB,\n"
          "                     RTX5090-32GB, T4-16GB, V100-16GB, V100-32GB, MI250X-128GB,\n"
          "                     MI300X-192GB, or a size such as 24GiB or 80GB\n"
          "  --config FILE      read the geometry from FILE, not TARGET's config.json\n"
          "  --checksums        verify: hash Hugging Face cache blobs, compare with names\n"
          "  --threads N        files read in parallel (default: one per CPU)\n"
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
