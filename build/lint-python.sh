#!/usr/bin/env bash
# Lints the repository's Python (the training pipeline in models/train and every test/**/*.py) with
# ruff, configured in models/train/pyproject.toml. ruff comes from a pinned environment of the
# project's own, .cache/lintpy (build/pinned-venv.sh), created on first use.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
py="$(bash "$root/build/pinned-venv.sh" lintpy "$root/.cache/lintpy" ruff==0.17.5 | tail -n 1)"
cd "$root/models/train"
exec "$py" -m ruff check dllm_train ../../test
