"""Latency of model sizes on this machine, to choose the size of the next model before training it.

For each (d_model, layers) of the grid: a model with random weights, exported through the real
path (export.py's graphs, quantize.py's storage) into work/sizes/, then `npm run bench:model --
--quick` on it: `context` over the inline context, one `denoise` pass over a 32-token canvas, and
the cold inline request (context + 8 denoise passes, median and p95). Exports run at low priority
in a child process and always before any timing; each timing records the 1-minute load average
before and after, and waits (up to --wait-minutes) for it to fall below --max-load first.

    /usr/bin/python3 size_table.py                                   # the whole grid
    /usr/bin/python3 size_table.py --only 256x6,256x8 --max-load 0.5 --reps 80
    /usr/bin/python3 size_table.py --only 256x6 --inline-context 1024 --context-attention causalSuffixFirst
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from dllm_train.jsonfile import read_json
from dllm_train.paths import REPO, WORK, module_command, module_env

SHIPPED_TOKENIZER = os.path.join(REPO, "models", "dllm-code-tiny", "tokenizer.json")


def ffn_hidden(d: int) -> int:
    """SwiGLU width ~ 8/3 d (the parameter count of a 4d GELU MLP), a multiple of 64."""
    return max(64, round(8 * d / 3 / 64) * 64)


def model_config(d: int, layers: int, head_dim: int, vocab: int, context_attention: str) -> dict:
    if d % head_dim:
        raise ValueError(f"d_model {d} is not a multiple of head_dim {head_dim}")
    return {"vocab_size": vocab, "d_model": d, "n_layers": layers, "n_heads": d // head_dim, "head_dim": head_dim,
            "ffn_hidden": ffn_hidden(d), "context_attention": context_attention}


def export_random(config: dict, storage: str, out: str) -> None:
    """A random-weight model through export.py's graphs and storage, with a real manifest and tokenizer."""
    import torch

    from dllm_train.export.export import export_graphs, write_manifest
    from dllm_train.model.model import DiffusionLM, ModelConfig
    from dllm_train.tokenizer.bpe import special_tokens_json

    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = DiffusionLM(ModelConfig.from_dict(config)).eval()
    os.makedirs(out, exist_ok=True)
    export_graphs(model, out, storage)
    shutil.copyfile(SHIPPED_TOKENIZER, os.path.join(out, "tokenizer.json"))
    write_manifest(out, model, special_tokens_json(), os.path.basename(out), "random weights, for timing only",
                   448, 64, storage)


def load1() -> float:
    return os.getloadavg()[0]


def wait_for_load(max_load: float, minutes: float) -> None:
    deadline = time.time() + 60 * minutes
    while load1() > max_load and time.time() < deadline:
        time.sleep(10)


def bench(folder: str, reps: int, context: int, threads: int) -> dict:
    out = os.path.join(folder, "bench.json.tmp")
    tsx = os.path.join(REPO, "node_modules", ".bin", "tsx")
    cmd = [tsx, os.path.join(REPO, "bench", "model-speed.ts"), "--model", folder, "--quick", "--reps", str(reps),
           "--inline-context", str(context), "--threads", str(threads), "--json", out]
    subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        result = json.load(f)
    os.remove(out)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--widths", default="256,320,384,448,512")
    ap.add_argument("--layers", default="6,8,10,12")
    ap.add_argument("--only", default="", help="comma-separated DxL pairs instead of the grid, e.g. 384x8,320x10")
    ap.add_argument("--head-dim", type=int, default=64)
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--context-attention", default="bidirectional")
    ap.add_argument("--storage", default=None, help="weight storage (default: export.py's)")
    ap.add_argument("--inline-context", type=int, default=448)
    ap.add_argument("--reps", type=int, default=40)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-load", type=float, default=1.0, help="wait for the load average to fall below this")
    ap.add_argument("--wait-minutes", type=float, default=10)
    ap.add_argument("--work", default=os.path.join(WORK, "sizes"))
    ap.add_argument("--json", default="", help="append one JSON line per measurement here")
    ap.add_argument("--export-only", action="store_true", help="write the missing folders, time nothing")
    ap.add_argument("--export", nargs=2, type=int, metavar=("D", "L"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    from dllm_train.export.export import DEFAULT_STORAGE
    storage = args.storage or DEFAULT_STORAGE

    def folder(d: int, n: int) -> str:
        return os.path.join(args.work, f"d{d}-l{n}-{args.context_attention}-{storage}")

    def config(d: int, n: int) -> dict:
        return model_config(d, n, args.head_dim, args.vocab, args.context_attention)

    if args.export:  # the low-priority child
        export_random(config(*args.export), storage, folder(*args.export))
        return

    if args.only:
        grid = [tuple(int(x) for x in pair.split("x")) for pair in args.only.split(",")]
    else:
        grid = [(d, n) for d in map(int, args.widths.split(",")) for n in map(int, args.layers.split(","))]
    for d, n in grid:
        manifest = os.path.join(folder(d, n), "dllm.json")
        arch = read_json(manifest)["architecture"] if os.path.exists(manifest) else {}
        if arch.get("storage") != storage or any(arch.get(k) != v for k, v in config(d, n).items()):
            subprocess.run(["nice", "-n", "10", *module_command(sys.executable, "export.size_table"), "--export", str(d),
                            str(n), "--work", args.work, "--storage", storage, "--head-dim", str(args.head_dim),
                            "--vocab", str(args.vocab), "--context-attention", args.context_attention],
                           env=module_env(), check=True)
    if args.export_only:
        return

    c = args.inline_context
    print(f"storage {storage}, {args.threads} threads, {args.reps} runs, context {c}, canvas 32, 8 passes")
    print(f"{'d_model':>7} {'layers':>6} {'params':>8} {'MB':>6} {f'ctx-{c} ms':>11} {'dn-32 ms':>9} "
          f"{'inline p50':>10} {'p95':>7} {'cpu':>6}  load")
    for d, n in grid:
        wait_for_load(args.max_load, args.wait_minutes)
        r = bench(folder(d, n), args.reps, c, args.threads)
        ctx = next(x for x in r["rows"] if x["graph"] == "context")
        dn = next(x for x in r["rows"] if x["graph"] == "denoise")
        params = r["architecture"]["parameters"]
        print(f"{d:>7} {n:>6} {params / 1e6:>7.1f}M {r['folderBytes'] / 1e6:>6.1f} {ctx['median']:>11.1f} "
              f"{dn['median']:>9.2f} {r['coldInline']['median']:>10.1f} {r['coldInline']['p95']:>7.1f} "
              f"{r['coldInline']['cpuMedian']:>6.1f}  "
              f"{r['load'][0]:.2f}-{r['load'][1]:.2f}", flush=True)
        if args.json:
            with open(args.json, "a") as f:
                f.write(json.dumps({"d_model": d, "n_layers": n, "time": time.strftime("%H:%M:%S"), **r}) + "\n")


if __name__ == "__main__":
    main()
