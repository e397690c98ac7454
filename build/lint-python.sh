#!/usr/bin/env bash
# Lints the repository's Python (the training pipeline in models/train and every test/**/*.py):
# ruff, then pyright in basic mode, both configured in models/train/pyproject.toml. They run in the
# reference environment (.cache/pyref, test/reference/setup.sh, made on first use), which holds ruff
# and every package the code imports, so that pyright resolves them. pyright itself is a dev
# dependency (node_modules).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
py="$(bash "$root/test/reference/setup.sh" | tail -n 1)"
cd "$root/models/train"
"$py" -m ruff check dllm_train ../../test
"$root/node_modules/.bin/pyright" --pythonpath "$py"
