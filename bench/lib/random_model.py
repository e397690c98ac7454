"""Randomly initialised model folders of a training config's shape, for speed benchmarks before a
trained model of that shape exists.

    PYTHONPATH=models/train /usr/bin/python3 bench/lib/random_model.py OUT_DIR --config models/train/configs/gpu.json \
        --max-context 448 [--max-context 1536 ...] [--storage fp16] [--seed 0]

Builds a DiffusionLM of the config's "model" section (vocabulary of the bundled tokenizer,
models/dllm-code-tiny/tokenizer.json, and its special tokens), exports it once with
dllm_train.export.export (a causalSuffixFirst model with maxSuffixGap 64) and writes one
self-contained model folder per --max-context, OUT_DIR/ctx<N>/, copies of that export differing
only in the manifest's maxContextTokens. The weights are random: timings only, never quality.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import torch

from dllm_train.model.model import DiffusionLM, ModelConfig
from dllm_train.paths import REPO, module_command, module_env
from dllm_train.tokenizer.bpe import special_tokens_json

TOKENIZER = os.path.join(REPO, "models", "dllm-code-tiny", "tokenizer.json")
VOCAB = 4096
SUFFIX_GAP = 64


def random_checkpoint(model_section: dict, seed: int, path: str) -> ModelConfig:
    """A checkpoint as export.py reads it ({"model", "model_config"}), with no train config."""
    torch.manual_seed(seed)
    cfg = ModelConfig.from_dict({**model_section, "vocab_size": VOCAB})
    model = DiffusionLM(cfg).eval()
    torch.save({"model": model.state_dict(), "model_config": cfg.to_dict()}, path)
    return cfg


def tokenizer_dir(path: str) -> str:
    """tokenizer.json with the special_tokens.json export.py reads beside it."""
    os.makedirs(path, exist_ok=True)
    shutil.copyfile(TOKENIZER, os.path.join(path, "tokenizer.json"))
    with open(os.path.join(path, "special_tokens.json"), "w") as f:
        json.dump(special_tokens_json(), f)
    return path


def set_max_context(folder: str, max_context: int) -> None:
    path = os.path.join(folder, "dllm.json")
    with open(path) as f:
        manifest = json.load(f)
    manifest["maxContextTokens"] = max_context
    with open(path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--config", required=True, help='a training config; its "model" section sets the shape')
    ap.add_argument("--max-context", type=int, action="append", required=True,
                    help="maxContextTokens of one folder, OUT_DIR/ctx<N>/ (repeatable)")
    ap.add_argument("--storage", default=None, help="weight storage (default: export.py's)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    contexts = list(dict.fromkeys(args.max_context))
    if min(contexts) < 1:
        ap.error("--max-context must be at least 1")
    with open(args.config) as f:
        section = json.load(f).get("model", {})

    started = time.time()
    folders = [os.path.join(args.out_dir, f"ctx{n}") for n in contexts]
    for folder in folders:  # a stale file left in a folder would be benchmarked too
        if os.path.lexists(folder):
            shutil.rmtree(folder) if os.path.isdir(folder) and not os.path.islink(folder) else os.remove(folder)
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = os.path.join(tmp, "random.pt")
        cfg = random_checkpoint(section, args.seed, checkpoint)
        cmd = [*module_command(sys.executable, "export.export"), "--checkpoint", checkpoint, "--out", folders[0],
               "--tokenizer-dir", tokenizer_dir(os.path.join(tmp, "tokenizer")), "--no-verify-cases",
               "--name", f"random-{cfg.d_model}x{cfg.n_layers}",
               "--description", "Random weights of a training config's shape, for speed benchmarks only.",
               "--max-context", str(contexts[0])]
        if cfg.context_attention == "causalSuffixFirst":
            cmd += ["--max-suffix-gap", str(SUFFIX_GAP)]
        if args.storage:
            cmd += ["--storage", args.storage]
        subprocess.run(cmd, env=module_env(), check=True, stdout=subprocess.DEVNULL)
    for folder, n in zip(folders[1:], contexts[1:]):
        shutil.copytree(folders[0], folder)  # plain files: the folders stand alone
        set_max_context(folder, n)
    for folder in folders:
        print(folder)
    size = sum(os.path.getsize(os.path.join(folders[0], f)) for f in os.listdir(folders[0]))
    print(f"{len(folders)} folder(s) of {size / 2**20:.1f} MiB in {time.time() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
