"""On the GPU machine, stages 2 and 3: wait for the training, evaluate the final weights, and send back
the weights in chunks with their SHA-256 sums, and the logs."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import time

from dllm_train.data.shards import sha256
from dllm_train.gpu_run.shell import PY, say, sh
from dllm_train.jsonfile import read_json_if_any
from dllm_train.paths import module_command

CHUNK = 15 * 1024 * 1024  # under the 16 MiB a returned file may have


def tail(run_dir: str, n: int) -> None:
    path = os.path.join(run_dir, "train.out")
    if os.path.exists(path):
        lines = open(path, errors="replace").read().splitlines()[-n:]
        print("\n".join(lines), flush=True)


def training_alive(run_dir: str) -> bool:
    try:
        pid = int(open(os.path.join(run_dir, "train.pid")).read())
        os.kill(pid, 0)
        stat = open(f"/proc/{pid}/stat").read().split()
        return stat[2] != "Z"
    except (OSError, ValueError):
        return False


def wait_for(run_dir: str, seconds: float) -> dict | None:
    """Sleeps until the run is done or `seconds` pass; returns the last status."""
    end = time.time() + seconds
    while time.time() < end and training_alive(run_dir):
        time.sleep(5)
    return read_json_if_any(os.path.join(run_dir, "run", "status.json"))


def send_weights(run_dir: str, out: str, name: str) -> None:
    """weights.pt in chunks of at most CHUNK bytes, SHA256SUMS, and the logs in one archive."""
    src = os.path.join(run_dir, "run", "weights.pt")
    if not os.path.exists(src):
        say(run_dir, "no weights yet")
    else:
        snapshot = os.path.join(run_dir, f"{name}.pt")
        shutil.copyfile(src, snapshot)  # the trainer may replace weights.pt meanwhile
        sums = [f"{sha256(snapshot)}  {name}.pt"]
        with open(snapshot, "rb") as f:
            k = 0
            while True:
                block = f.read(CHUNK)
                if not block:
                    break
                part = f"{name}.pt.part{k:02d}"
                with open(os.path.join(out, part), "wb") as g:
                    g.write(block)
                sums.append(f"{hashlib.sha256(block).hexdigest()}  {part}")
                k += 1
        with open(os.path.join(out, f"{name}.SHA256SUMS"), "w") as f:
            f.write("\n".join(sums) + "\n")
        say(run_dir, f"sent {name}.pt in {k} chunks ({os.path.getsize(snapshot) / 2**20:.1f} MiB)")
    send_logs(run_dir, out)


def send_logs(run_dir: str, out: str) -> None:
    with tarfile.open(os.path.join(out, "logs.tar.gz"), "w:gz") as tar:
        for rel in ("run.log", "train.out", "run/log.csv", "run/status.json", "run/run.json", "eval.json",
                    "eval.jsonl"):
            p = os.path.join(run_dir, rel)
            if os.path.exists(p):
                tar.add(p, arcname=rel.replace("/", "_"))


def cmd_poll(args) -> None:
    st = wait_for(args.run_dir, args.wait)
    tail(args.run_dir, 15)
    say(args.run_dir, "status: " + json.dumps(st))
    if args.out:
        send_weights(args.run_dir, args.out, "insurance")


def cmd_finish(args) -> None:
    st = wait_for(args.run_dir, args.wait)
    tail(args.run_dir, 10)
    if training_alive(args.run_dir):
        say(args.run_dir, "training still running: sending the latest weights without evaluating")
    elif not args.no_eval:
        weights = os.path.join(args.run_dir, "run", "weights.pt")
        cmd = [*module_command(PY, "evaluation.evaluate"), "--checkpoint", weights,
               "--data", os.path.join(args.bundle, "eval"), "--subsets", args.subsets, "--limit", str(args.limit),
               "--tokenizer", os.path.join(args.bundle, "tokenizer", "tokenizer.json"),
               "--out-json", os.path.join(args.run_dir, "eval.json"),
               "--out-jsonl", os.path.join(args.run_dir, "eval.jsonl")] + args.eval_args
        try:
            sh(cmd, args.run_dir, timeout=args.eval_timeout, check=True)
        except (subprocess.SubprocessError, OSError) as e:
            say(args.run_dir, f"evaluation failed or ran late ({type(e).__name__}); the weights go back anyway")
    say(args.run_dir, "status: " + json.dumps(st))
    if args.out:
        send_weights(args.run_dir, args.out, "final")
