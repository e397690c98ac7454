#!/usr/bin/env bash
# Lints the repository's Python (the training pipeline in models/train and every test/**/*.py):
# ruff, then pyright in basic mode, both configured in models/train/pyproject.toml. They run from a
# pinned environment of the project's own, .cache/lintpy (build/pinned-venv.sh, made on first use):
# ruff, and the packages the code imports so that pyright resolves them (the pins of setup_env.sh
# and test/reference/setup.sh, plus onnx). pyright itself is a dev dependency (node_modules).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
py="$(bash "$root/build/pinned-venv.sh" lintpy "$root/.cache/lintpy" ruff==0.17.5 torch==2.13.0 numpy==2.3.5 \
  onnx==1.23.2 regex==2026.12.2 transformers==5.18.0 safetensors==0.8.0 tokenizers==0.23.2 | tail -n 1)"
cd "$root/models/train"
"$py" -m ruff check dllm_train ../../test
"$root/node_modules/.bin/pyright" --pythonpath "$py"
