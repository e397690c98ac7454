"""Where the pipeline's folders are: the one owner of every default path the stages share.

Every default is relative to models/train (TRAIN_DIR), wherever the package's modules live.
"""
from __future__ import annotations

import os

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
TRAIN_DIR = os.path.dirname(PACKAGE_DIR)          # models/train: configs/, work/, the shell scripts
REPO = os.path.dirname(os.path.dirname(TRAIN_DIR))
WORK = os.path.join(TRAIN_DIR, "work")            # every output (git-ignored)
CONFIGS = os.path.join(TRAIN_DIR, "configs")
SHIPPED_MODEL = os.path.join(TRAIN_DIR, "..", "dllm-code-tiny")   # the bundled model (its tokenizer)
# The HumanEval-infilling tasks: the repository's copy unless DLLM_EVAL_DIR names another folder.
HUMANEVAL_DIR = os.environ.get("DLLM_EVAL_DIR") or os.path.join(REPO, "eval", "humaneval-infilling")


def module_command(python: str, module: str, *args: str) -> list[str]:
    """The command line that runs a stage's module (`data.encode`, …) with `python -m`; run it through
    `module_env()` so the package is found from any working directory."""
    return [python, "-m", f"dllm_train.{module}", *args]


def module_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of `env` (default: this process's) with TRAIN_DIR first on PYTHONPATH."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (TRAIN_DIR, env.get("PYTHONPATH", "")) if p)
    return env
