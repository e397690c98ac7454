"""Before the lease, here: the bundle the GPU machine gets with the working tree (the shipped tokenizer,
the carried shards, the evaluation data, the config, optionally the weights to start from, and a
manifest of SHA-256 sums), refused when it and the tree would not fit in one call."""
from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess

from dllm_train.data.shards import sha256
from dllm_train.gpu_run.shell import PY, sh
from dllm_train.paths import REPO, WORK, module_command

TRANSFER_LIMIT = 64 * 1024 * 1024
EVAL_SUBSETS = ("SingleLine", "MultiLine", "RandomSpan")


def tracked_bytes() -> int:
    """What the working tree sends with every call (tracked and untracked-not-ignored files)."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                         capture_output=True, check=True).stdout.split(b"\0")
    paths = [os.path.join(REPO, p.decode()) for p in out if p]
    return sum(os.path.getsize(p) for p in paths if os.path.isfile(p))


def cmd_pack(args) -> None:
    from dllm_train.training.config import ConfigError, load_config
    try:
        load_config(args.config)  # a bad key fails here, not on the GPU machine
    except ConfigError as e:
        raise SystemExit(f"pack: {e}") from None
    b = args.bundle
    os.makedirs(b, exist_ok=True)
    for sub in ("tokenizer", "eval"):
        os.makedirs(os.path.join(b, sub), exist_ok=True)
    shutil.copyfile(args.tokenizer, os.path.join(b, "tokenizer", "tokenizer.json"))
    for name in [f"{s}.jsonl.gz" for s in EVAL_SUBSETS] + ["entry-points-all.txt"]:
        src = os.path.join(args.eval_dir, name)
        if not os.path.exists(src):
            raise SystemExit(f"pack: {src} is missing (--eval-dir)")
        shutil.copyfile(src, os.path.join(b, "eval", name))
    shards = sorted(glob.glob(os.path.join(b, "shards", "*.tar.xz")))
    if not any(os.path.basename(s) == "python-fallback.tar.xz" for s in shards):
        raise SystemExit(f"pack: {b}/shards/python-fallback.tar.xz is missing: build the shards first (README)")
    if os.path.exists(os.path.join(b, "init.pt")):
        os.remove(os.path.join(b, "init.pt"))  # a bundle warm-starts only when asked again
    if args.init_from:
        ck = args.init_from
        if os.path.isdir(ck):  # a shipped model folder: rebuild the PyTorch weights from its graphs
            out = os.path.join(WORK, "init-from-folder.pt")
            sh([*module_command(PY, "export.import_weights"), ck, "--out", out], None, check=True)
            ck = out
        import torch
        state = torch.load(ck, map_location="cpu")
        torch.save({"model": {k: v.half() for k, v in state["model"].items()}, "model_config": state["model_config"],
                    "step": state.get("step"), "tokens_seen": state.get("tokens_seen"), "source": args.init_from},
                   os.path.join(b, "init.pt"))
    shutil.copyfile(args.config, os.path.join(b, "config.json"))
    files = sorted(os.path.relpath(p, b) for p in glob.glob(os.path.join(b, "**", "*"), recursive=True)
                   if os.path.isfile(p) and not p.endswith("MANIFEST.json"))
    manifest = {f: {"bytes": os.path.getsize(os.path.join(b, f)), "sha256": sha256(os.path.join(b, f))} for f in files}
    with open(os.path.join(b, "MANIFEST.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    bundle = sum(m["bytes"] for m in manifest.values())
    tree = tracked_bytes()
    print(json.dumps({"bundle_bytes": bundle, "tree_bytes": tree, "total": bundle + tree,
                      "limit": TRANSFER_LIMIT, "files": manifest}, indent=1))
    if bundle + tree > TRANSFER_LIMIT - (1 << 20):
        raise SystemExit(f"pack: the bundle ({bundle / 2**20:.1f} MiB) and the tree ({tree / 2**20:.1f} MiB) exceed "
                         f"what one call carries ({TRANSFER_LIMIT / 2**20:.0f} MiB): drop or shrink a shard")
