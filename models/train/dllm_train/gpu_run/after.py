"""After the lease, here: join the returned chunks into a verified checkpoint (with its logs beside it),
and export it to a model folder checked by onnxruntime-node against PyTorch."""
from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile

from dllm_train.gpu_run.shell import PY
from dllm_train.paths import PACKAGE_DIR, module_command, module_env


def cmd_join(args) -> None:
    """Reassemble <name>.pt from the chunks in the given folders, checking every SHA-256."""
    sums_files = [p for d in args.dirs for p in glob.glob(os.path.join(d, f"{args.name}.SHA256SUMS"))]
    if not sums_files:
        raise SystemExit(f"join: no {args.name}.SHA256SUMS in {args.dirs}")
    folder = os.path.dirname(sums_files[-1])
    lines = [line.split() for line in open(sums_files[-1]) if line.strip()]
    whole, parts = lines[0], lines[1:]
    buf = io.BytesIO()
    for digest, part in parts:
        data = open(os.path.join(folder, part), "rb").read()
        if hashlib.sha256(data).hexdigest() != digest:
            raise SystemExit(f"join: {part} is corrupt")
        buf.write(data)
    if hashlib.sha256(buf.getvalue()).hexdigest() != whole[0]:
        raise SystemExit("join: the joined file does not match its checksum")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "wb") as f:
        f.write(buf.getvalue())
    logs = os.path.join(folder, "logs.tar.gz")
    if os.path.exists(logs):
        with tarfile.open(logs) as tar:
            tar.extractall(os.path.join(os.path.dirname(os.path.abspath(args.out)), "logs"))
    print(f"join: {args.out} ({len(buf.getvalue()) / 2**20:.1f} MiB) verified from {len(parts)} chunks in {folder}")


def cmd_export(args) -> None:
    from dllm_train.data.examples import CANVAS_SIZES
    from dllm_train.tokenizer import bpe
    # export.py wants the tokenizer with its special ids beside it: the shipped vocabulary.
    tok_dir = os.path.join(args.verify_dir, "tokenizer")
    os.makedirs(tok_dir, exist_ok=True)
    shutil.copyfile(args.tokenizer, os.path.join(tok_dir, "tokenizer.json"))
    with open(os.path.join(tok_dir, "special_tokens.json"), "w") as f:
        json.dump(bpe.special_tokens_json(), f)
    cmd = [*module_command(PY, "export.export"), "--checkpoint", args.weights, "--out", args.out,
           "--verify-dir", args.verify_dir, "--tokenizer-dir", tok_dir, "--max-canvas", str(max(CANVAS_SIZES)),
           *args.export_args]
    subprocess.run(cmd, env=module_env(), check=True)
    subprocess.run(["node", os.path.join(PACKAGE_DIR, "export", "verify_onnx.mjs"), args.out,
                    os.path.join(args.verify_dir, "cases.json")], check=True)
