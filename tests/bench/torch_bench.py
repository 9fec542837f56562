#!/usr/bin/python3
"""torch_bench.py - modelmem against torch.load on a >= 1 GiB checkpoint.

    /usr/bin/python3 tests/bench/torch_bench.py [MODELMEM] [RUNS]

MODELMEM defaults to build-rel/modelmem (configure with
-DCMAKE_BUILD_TYPE=Release for numbers worth reporting). Skipped, exit 77,
with a message when this Python has no torch (Debian: python3-torch, run
with /usr/bin/python3). Writes a checkpoint of 1 GiB (a 24-layer
transformer-like state dict, float32, with tied embeddings) in a temporary
folder, removed at exit, then times, each RUNS times (default 3) in a fresh
process: torch.load(path) (weights_only=False, map_location='cpu': it reads
every tensor) and `modelmem inspect --json path`. Prints the medians of
wall time and of peak RSS and their ratios.
"""
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

# torch is imported only in child processes: this one stays small, so that
# the processes it forks (whose peak RSS counts the memory they start with)
# are measured from a small base.
HAS_TORCH = subprocess.run([sys.executable, "-c", "import torch"],
                           stderr=subprocess.DEVNULL).returncode == 0

GIB = 1 << 30


MAKE = r"""
import sys, torch
hidden, inter, vocab, layers = 1024, 2560, 32000, 24
sd = {}
emb = torch.zeros(vocab, hidden)
sd["model.embed_tokens.weight"] = emb
for i in range(layers):
    p = f"model.layers.{i}."
    for n in ("q_proj", "k_proj", "v_proj", "o_proj"):
        sd[p + "self_attn." + n + ".weight"] = torch.zeros(hidden, hidden)
    sd[p + "mlp.gate_proj.weight"] = torch.zeros(inter, hidden)
    sd[p + "mlp.up_proj.weight"] = torch.zeros(inter, hidden)
    sd[p + "mlp.down_proj.weight"] = torch.zeros(hidden, inter)
    sd[p + "input_layernorm.weight"] = torch.zeros(hidden)
    sd[p + "post_attention_layernorm.weight"] = torch.zeros(hidden)
sd["model.norm.weight"] = torch.zeros(hidden)
sd["lm_head.weight"] = emb  # tied
torch.save(sd, sys.argv[1])
print(len(sd), torch.__version__)
"""


def make_checkpoint(path):
    """24 layers of hidden 1024, vocab 32000, tied embeddings: 1.2 GiB of
    float32, written by torch.save in a child process."""
    out = subprocess.run([sys.executable, "-c", MAKE, path], check=True,
                         capture_output=True, text=True).stdout.split()
    return int(out[0]), out[1]


def run(cmd):
    """Wall time and peak RSS (bytes) of one fresh process."""
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"torch_bench: {cmd} failed with {status}")
    return wall, usage.ru_maxrss * 1024


def measure(cmd, runs):
    results = [run(cmd) for _ in range(runs)]
    return (statistics.median(r[0] for r in results),
            statistics.median(r[1] for r in results))


def main():
    modelmem = sys.argv[1] if len(sys.argv) > 1 else "build-rel/modelmem"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    if not os.access(modelmem, os.X_OK):
        raise SystemExit(f"torch_bench: {modelmem} not found: build it first, e.g.\n"
                         "  cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && "
                         "cmake --build build-rel -j2")
    if not HAS_TORCH:
        print("skipped: this Python has no torch (apt-get install python3-torch; "
              "run with /usr/bin/python3)")
        sys.exit(77)
    tmp = tempfile.mkdtemp(prefix="mm_torch_bench_")
    try:
        path = os.path.join(tmp, "pytorch_model.bin")
        n, version = make_checkpoint(path)
        size = os.path.getsize(path)
        assert size >= GIB, size
        load = [sys.executable, "-c",
                "import sys, torch; torch.load(sys.argv[1], map_location='cpu')", path]
        # torch.load once untimed so both read a warm page cache
        run(load)
        t_torch, rss_torch = measure(load, runs)
        t_mm, rss_mm = measure([modelmem, "inspect", "--json", path], runs)
        t_true, rss_true = measure(["true"], runs)
        print(f"checkpoint: {n} tensors, {size} bytes ({size / GIB:.2f} GiB), torch "
              f"{version}, {runs} runs, medians")
        print(f"floor (true):     {t_true * 1000:10.1f} ms  peak RSS {rss_true / 2**20:9.1f} MiB")
        print(f"torch.load:       {t_torch * 1000:10.1f} ms  peak RSS {rss_torch / 2**20:9.1f} MiB")
        print(f"modelmem inspect: {t_mm * 1000:10.1f} ms  peak RSS {rss_mm / 2**20:9.1f} MiB")
        print(f"ratio (torch.load / modelmem): time {t_torch / t_mm:.0f}x, "
              f"peak RSS {rss_torch / rss_mm:.0f}x")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
