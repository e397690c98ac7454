"""On the GPU machine, stage 1: verify the bundle, build a Python corpus from the machine's own
site-packages (or fall back to the carried Python shard), merge the shards, and launch training
detached, staying until its schedule is set."""
from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import time

from dllm_train.data.shards import sha256
from dllm_train.gpu_run.collect import tail
from dllm_train.gpu_run.shell import PY, say, sh
from dllm_train.jsonfile import read_json, read_json_if_any
from dllm_train.paths import TRAIN_DIR, module_command, module_env


def verify_bundle(b: str, run_dir: str) -> None:
    manifest = read_json(os.path.join(b, "MANIFEST.json"))
    bad = [f for f, m in manifest.items()
           if not os.path.exists(os.path.join(b, f)) or sha256(os.path.join(b, f)) != m["sha256"]]
    if bad:
        raise SystemExit(f"bundle: missing or corrupt: {bad}")
    say(run_dir, f"bundle verified: {len(manifest)} files")


def build_python_shard(args, run_dir: str) -> str | None:
    """The machine's own permissively licensed Python, encoded; None if it fails or runs late."""
    work = os.path.join(run_dir, "pycorpus")
    roots = args.roots or "auto"  # this interpreter's standard library and site-packages
    t0 = time.time()
    try:
        sh([*module_command(PY, "data.corpus"), "--roots", roots, "--langs", "python", "--procs", str(args.procs),
            "--target-mb", str(args.python_mb), "--work", work,
            "--humaneval-names", os.path.join(args.bundle, "eval", "entry-points-all.txt")],
           run_dir, timeout=args.corpus_timeout, check=True, stdout=subprocess.DEVNULL)
        left = max(30.0, args.corpus_timeout - (time.time() - t0))
        sh([*module_command(PY, "data.encode"), "--work", work, "--procs", str(args.procs),
            "--tokenizer", os.path.join(args.bundle, "tokenizer", "tokenizer.json")],
           run_dir, timeout=left, check=True)
    except (subprocess.SubprocessError, OSError) as e:
        say(run_dir, f"building the Python corpus failed ({type(e).__name__}: {e}): using the carried Python shard")
        return None
    say(run_dir, f"Python corpus built in {time.time() - t0:.0f} s")
    return os.path.join(work, "data")


def cmd_start(args) -> None:
    run_dir = args.run_dir
    os.makedirs(run_dir, exist_ok=True)
    say(run_dir, f"start: bundle {args.bundle}, run folder {run_dir}")
    import torch
    say(run_dir, f"python {sys.version.split()[0]}, torch {torch.__version__}, cuda {torch.cuda.is_available()}"
        + (f" ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else ""))
    verify_bundle(args.bundle, run_dir)
    shards_dir = os.path.join(run_dir, "shards")
    data_dirs = []
    for archive in sorted(glob.glob(os.path.join(args.bundle, "shards", "*.tar.xz"))):
        name = os.path.basename(archive)[: -len(".tar.xz")]
        dest = os.path.join(shards_dir, name)
        sh([*module_command(PY, "data.shards"), "unpack", archive, dest], run_dir, check=True)
        data_dirs.append((name, dest))
    python_dir = None if args.no_python_build else build_python_shard(args, run_dir)
    chosen = [d for n, d in data_dirs if n != "python-fallback" or python_dir is None]
    if python_dir:
        chosen.append(python_dir)
    data = os.path.join(run_dir, "data")
    if os.path.exists(data):
        shutil.rmtree(data)
    sh([*module_command(PY, "data.shards"), "merge", *chosen, "--out", data], run_dir, check=True)
    say(run_dir, "training data: " + json.dumps(read_json(os.path.join(data, "meta.json"))["splits"]
                                                .get("train", {}).get("per_language", {})))
    launch_training(args, run_dir, data)


def launch_training(args, run_dir: str, data: str) -> None:
    cmd = [*module_command(PY, "training.train"), "--config", os.path.join(args.bundle, "config.json"),
           "--name", "run", "--runs", run_dir, "--data", data,
           "--tokenizer", os.path.join(args.bundle, "tokenizer", "tokenizer.json"),
           "--minutes", str(args.train_minutes), *args.train_args]
    init = os.path.join(args.bundle, "init.pt")
    if os.path.exists(init):
        cmd += ["--init-from", init]
    say(run_dir, "launching: " + " ".join(cmd))
    log = open(os.path.join(run_dir, "train.out"), "ab")
    # A session of its own: the training outlives this command.
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=TRAIN_DIR,
                            env=module_env())
    with open(os.path.join(run_dir, "train.pid"), "w") as f:
        f.write(str(proc.pid))
    # Stay until the schedule is set (or the run fails), so this command shows the throughput.
    deadline = time.time() + args.settle_s
    status_path = os.path.join(run_dir, "run", "status.json")
    while time.time() < deadline and proc.poll() is None:
        st = read_json_if_any(status_path)
        if st and st.get("total_steps"):
            break
        time.sleep(2)
    tail(run_dir, 25)
    if proc.poll() is not None and proc.returncode != 0:
        raise SystemExit(f"training exited with {proc.returncode}: see the log above")
