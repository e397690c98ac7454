"""The staged GPU run: one script for both sides of a short lease on a GPU machine.

Every command runs from models/train (`python3 -m` puts it on the import path; nothing is installed).
Here, before the lease:
    python3 -m dllm_train.gpu_run.run pack [--init-from MODEL_DIR_OR_CKPT]   -> work/bundle/ (carried)
On the GPU machine, each stage one command of well under 10 minutes ($OUT is what comes back):
    cd models/train && python3 -m dllm_train.gpu_run.run start --train-minutes 17
    cd models/train && python3 -m dllm_train.gpu_run.run poll --wait 540     # insurance: the latest weights
    cd models/train && python3 -m dllm_train.gpu_run.run finish --wait 300   # final weights, eval JSON, logs
Here, after the lease:
    python3 -m dllm_train.gpu_run.run join DIR [DIR...] --out work/gpu/weights.pt   # chunks -> checkpoint
    python3 -m dllm_train.gpu_run.run export --weights work/gpu/weights.pt --out ../NAME

`start` verifies the bundle, builds a Python corpus from the machine's own site-packages (falling
back to the carried Python shard), merges it with the carried shards, and launches training as a
detached process (it outlives the command) that measures its throughput and sets its schedule to
end within --train-minutes. `poll` and `finish` wait, then send back fp16 weights in chunks of at
most 15 MiB with their SHA-256, plus the logs. Every stage appends to run.log in the run folder.
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time

from dllm_train.data.shards import sha256
from dllm_train.paths import CONFIGS, HUMANEVAL_DIR, PACKAGE_DIR, REPO, TRAIN_DIR, WORK, module_command, module_env

DEFAULT_BUNDLE = os.path.join(WORK, "bundle")
DEFAULT_RUN = os.environ.get("DLLM_RUN_DIR", "/root/dllm-run")
CHUNK = 15 * 1024 * 1024  # under the 16 MiB a returned file may have
TRANSFER_LIMIT = 64 * 1024 * 1024
EVAL_SUBSETS = ("SingleLine", "MultiLine", "RandomSpan")
PY = sys.executable


def say(run_dir: str | None, msg: str) -> None:
    line = f"[{time.strftime('%H:%M:%S')}] {msg}"
    print(line, flush=True)
    if run_dir:
        os.makedirs(run_dir, exist_ok=True)
        with open(os.path.join(run_dir, "run.log"), "a") as f:
            f.write(line + "\n")


def sh(cmd: list[str], run_dir: str | None, timeout: float | None = None, **kw) -> subprocess.CompletedProcess:
    say(run_dir, "$ " + " ".join(cmd))
    return subprocess.run(cmd, timeout=timeout, env=module_env(), **kw)


# ---------------------------------------------------------------- here: the bundle

def tracked_bytes() -> int:
    """What the working tree sends with every call (tracked and untracked-not-ignored files)."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                         capture_output=True, check=True).stdout.split(b"\0")
    return sum(os.path.getsize(os.path.join(REPO, p.decode())) for p in out if p and os.path.isfile(os.path.join(REPO, p.decode())))


def cmd_pack(args) -> None:
    from dllm_train.training.config import ConfigError, load_config
    try:
        load_config(args.config)  # a bad key fails here, not on the GPU machine
    except ConfigError as e:
        raise SystemExit(f"pack: {e}")
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


# ---------------------------------------------------------------- there: start

def verify_bundle(b: str, run_dir: str) -> None:
    manifest = json.load(open(os.path.join(b, "MANIFEST.json")))
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
    say(run_dir, "training data: " + json.dumps(json.load(open(os.path.join(data, "meta.json")))["splits"]
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
        st = read_json(status_path)
        if st and st.get("total_steps"):
            break
        time.sleep(2)
    tail(run_dir, 25)
    if proc.poll() is not None and proc.returncode != 0:
        raise SystemExit(f"training exited with {proc.returncode}: see the log above")


# ---------------------------------------------------------------- there: poll and finish

def read_json(path: str) -> dict | None:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


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
    return read_json(os.path.join(run_dir, "run", "status.json"))


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


# ---------------------------------------------------------------- here: join and export

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


# ---------------------------------------------------------------- CLI

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="stage", required=True)

    def common(p, out=True):
        p.add_argument("--bundle", default=DEFAULT_BUNDLE)
        p.add_argument("--run-dir", default=DEFAULT_RUN)
        if out:
            p.add_argument("--out", default=os.environ.get("OUT", ""), help="folder that goes back (default $OUT)")

    p = sub.add_parser("pack", help="here: build the bundle")
    p.add_argument("--bundle", default=DEFAULT_BUNDLE)
    p.add_argument("--config", default=os.path.join(CONFIGS, "gpu.json"))
    p.add_argument("--tokenizer", default=os.path.join(REPO, "models", "dllm-code-tiny", "tokenizer.json"))
    p.add_argument("--eval-dir", default=HUMANEVAL_DIR, help="humaneval-infilling folder (default $DLLM_EVAL_DIR, "
                                                              "else eval/humaneval-infilling in the repository)")
    p.add_argument("--init-from", default="", help="warm start: a model folder or a checkpoint")
    p.set_defaults(fn=cmd_pack)

    p = sub.add_parser("start", help="there: verify, build data, launch training")
    common(p)
    p.add_argument("--train-minutes", type=float, required=True)
    p.add_argument("--procs", type=int, default=os.cpu_count() or 4)
    p.add_argument("--roots", default="", help="corpus.py --roots for the Python corpus (default auto: this Python's)")
    p.add_argument("--python-mb", type=float, default=500.0)
    p.add_argument("--corpus-timeout", type=float, default=240.0)
    p.add_argument("--no-python-build", action="store_true", help="use the carried Python shard")
    p.add_argument("--settle-s", type=float, default=150.0, help="stay until the schedule is set, at most this")
    p.add_argument("--train-args", nargs=argparse.REMAINDER, default=[], help="passed on to train.py")
    p.set_defaults(fn=cmd_start)

    p = sub.add_parser("poll", help="there: wait, then send insurance weights")
    common(p)
    p.add_argument("--wait", type=float, default=0.0)
    p.set_defaults(fn=cmd_poll)

    p = sub.add_parser("finish", help="there: wait for the end, evaluate, send the weights")
    common(p)
    p.add_argument("--wait", type=float, default=0.0)
    p.add_argument("--subsets", default=",".join(EVAL_SUBSETS))
    p.add_argument("--limit", type=int, default=0, help="tasks per subset (0: all)")
    p.add_argument("--eval-timeout", type=float, default=240.0)
    p.add_argument("--no-eval", action="store_true")
    p.add_argument("--eval-args", nargs=argparse.REMAINDER, default=[], help="passed on to evaluate.py")
    p.set_defaults(fn=cmd_finish)

    p = sub.add_parser("join", help="here: chunks -> verified weights")
    p.add_argument("dirs", nargs="+")
    p.add_argument("--name", default="final", help="final or insurance")
    p.add_argument("--out", required=True)
    p.set_defaults(fn=cmd_join)

    p = sub.add_parser("export", help="here: weights -> model folder, checked against PyTorch")
    p.add_argument("--weights", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--verify-dir", default=os.path.join(WORK, "verify"))
    p.add_argument("--tokenizer", default=os.path.join(REPO, "models", "dllm-code-tiny", "tokenizer.json"))
    p.add_argument("--export-args", nargs=argparse.REMAINDER, default=[], help="passed on to export.py")
    p.set_defaults(fn=cmd_export)

    args = ap.parse_args()
    if args.stage in ("start", "poll", "finish") and args.out:
        os.makedirs(args.out, exist_ok=True)
    args.fn(args)


if __name__ == "__main__":
    main()
