#!/usr/bin/env bash
# Creates the Python environment the converter's parity test uses: .cache/pyref, a virtual
# environment of the project's own (the system's PyTorch is too old for current transformers).
# Idempotent; prints the environment's python on its last line, for callers (build/pinned-venv.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# Pins: torch's CPU wheel (a bare `torch` from PyPI is the multi-GB CUDA build), and the
# transformers release the Qwen2 reference was checked against (4D float masks pass through as is);
# onnx, regex and ruff for build/lint-python.sh, which checks the repository's Python in this environment.
exec bash "$root/build/pinned-venv.sh" pyref "$root/.cache/pyref" \
  torch==2.13.0 transformers==5.18.0 safetensors==0.8.0 tokenizers==0.23.2 numpy==2.3.5 \
  onnx==1.23.2 regex==2026.12.2 ruff==0.17.5
