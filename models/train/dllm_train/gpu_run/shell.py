"""The GPU run's log lines and commands: every line goes to stdout and to run.log in the run folder, and
every command of a stage (a pipeline module, through `python -m`) is logged before it runs."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from dllm_train.paths import module_env

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
