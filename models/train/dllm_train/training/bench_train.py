"""Training throughput of train.py's step (forward, loss, backward, clipping, optimizers) on this
machine, for one setting: tokens/s over `--steps` steps after `--warmup` steps (compile included in
the warm-up). The batches are built before the clock starts, from a fixed seed, so every setting
trains on the same data; the model is the config's, its initialisation seeded.

    py="$(bash setup_env.sh | tail -n 1)"
    "$py" bench_train.py --config configs/gpu.json --data work/tiny/data --rows 8 --row-len 1024 \\
        --precision bf16 --attention sdpa --compile on
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

from dllm_train.data.encoded import Vocab
from dllm_train.data.examples import pack_rows
from dllm_train.model.model import DiffusionLM, ModelConfig
from dllm_train.paths import SHIPPED_MODEL, WORK
from dllm_train.training.batches import make_builder
from dllm_train.training.config import load_config
from dllm_train.training.trainer import Trainer, cpu_threads, pick_device


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--data", default=os.path.join(WORK, "data"))
    ap.add_argument("--tokenizer", default=os.path.join(SHIPPED_MODEL, "tokenizer.json"))
    ap.add_argument("--rows", type=int, default=0, help="rows per batch (0: the config's)")
    ap.add_argument("--row-len", type=int, default=0, help="positions per row (0: the config's)")
    ap.add_argument("--steps", type=int, default=10, help="timed steps")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps first (compilation happens here)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--precision", choices=["bf16", "fp32"], default="bf16")
    ap.add_argument("--attention", choices=["auto", "flex", "sdpa", "plain"], default="auto")
    ap.add_argument("--compile", choices=["auto", "on", "off"], default="auto")
    ap.add_argument("--no-split", action="store_true",
                    help="CPU SDPA: one masked call per row instead of one per packed example")
    ap.add_argument("--threads", type=int, default=0, help="torch threads on a CPU (0: all cores)")
    ap.add_argument("--json", default="", help="also append the result to this file as a JSON line")
    args = ap.parse_args()

    model_cfg, tc = load_config(args.config)
    tc.rows = args.rows or tc.rows
    tc.row_len = args.row_len or tc.row_len
    device = pick_device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(cpu_threads(args.threads))
    vocab = Vocab(args.data, args.tokenizer)
    torch.manual_seed(tc.seed)
    model = DiffusionLM(ModelConfig.from_dict({**model_cfg, "vocab_size": vocab.vocab_size})).to(device)
    builder = make_builder(args.data, vocab, tc, model.causal_context, "train")
    rng = np.random.default_rng(tc.seed)
    batches = [{k: torch.from_numpy(v).to(device) for k, v in
                pack_rows(builder, rng, tc.rows, tc.row_len, tc.example_lens, tc.dense_p_start, vocab.pad).items()}
               for _ in range(min(args.warmup + args.steps, 8))]
    trainer = Trainer(model, tc, args, device, lambda m: print(m, file=sys.stderr, flush=True))
    trainer.split = trainer.split and not args.no_split
    trainer.choose_backend(batches[0])
    model.train()

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    losses = []
    for i in range(args.warmup + args.steps):
        if i == args.warmup:
            sync()
            t0 = time.perf_counter()
        stats = trainer.step(batches[i % len(batches)], 1.0)
        losses.append(float(stats["loss"]))
    sync()
    seconds = time.perf_counter() - t0
    tokens = args.steps * tc.rows * tc.row_len
    result = {"tokens_per_s": round(tokens / seconds, 1), "step_ms": round(1000 * seconds / args.steps, 1),
              "precision": "bf16" if trainer.amp else "fp32", "attention": trainer.backend,
              "compile": trainer.compiled is not None,
              "split": trainer.backend == "sdpa" and trainer.split, "threads": torch.get_num_threads(), "rows": tc.rows,
              "row_len": tc.row_len, "optimizer": tc.optimizer, "parameters": model.num_parameters(),
              "torch": torch.__version__, "first_loss": round(losses[0], 4), "last_loss": round(losses[-1], 4)}
    print(json.dumps(result), flush=True)
    if args.json:
        with open(args.json, "a") as f:
            f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
