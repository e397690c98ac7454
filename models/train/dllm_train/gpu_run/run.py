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

This module is the command line; the stages are pack.py (here, before), start.py and collect.py (on
the machine), after.py (here, after); shell.py logs their lines and commands.
"""
from __future__ import annotations

import argparse
import os

from dllm_train.gpu_run.after import cmd_export, cmd_join
from dllm_train.gpu_run.collect import cmd_finish, cmd_poll
from dllm_train.gpu_run.pack import EVAL_SUBSETS, cmd_pack
from dllm_train.gpu_run.start import cmd_start
from dllm_train.paths import CONFIGS, HUMANEVAL_DIR, REPO, WORK

DEFAULT_BUNDLE = os.path.join(WORK, "bundle")
DEFAULT_RUN = os.environ.get("DLLM_RUN_DIR", "/root/dllm-run")


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
