#!/usr/bin/env bash
# Creates the Python environment for training on this machine's CPU: .cache/trainenv, a virtual
# environment of the project's own with a current PyTorch (bf16 autocast, fused attention,
# torch.compile). CI's smoke test keeps Debian's python3 (torch 1.13); the training loop runs on both.
# Idempotent; prints the environment's python on its last line, for callers (build/pinned-venv.sh):
#   py="$(bash models/train/setup_env.sh | tail -n 1)"; cd models/train && "$py" -m dllm_train.training.train ...
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# torch==2.13.0 from this machine's index is the CPU wheel (PyPI's bare `torch` is the CUDA build).
exec bash "$root/build/pinned-venv.sh" trainenv "$root/.cache/trainenv" torch==2.13.0 numpy==2.3.5 regex==2026.12.2
