#!/usr/bin/env bash
# Creates the Python environment for training on this machine's CPU: .cache/trainenv, a virtual
# environment of the project's own with a current PyTorch (bf16 autocast, fused attention,
# torch.compile). CI's smoke test keeps Debian's python3 (torch 1.13); train.py runs on both.
# Idempotent: when the pinned versions are already there it only checks them and exits.
# Prints the environment's python on its last line, for callers:
#   py="$(bash models/train/setup_env.sh | tail -n 1)"; "$py" models/train/train.py ...
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.cache/trainenv"
# torch==2.13.0 from this machine's index is the CPU wheel (PyPI's bare `torch` is the CUDA build).
pins=(torch==2.13.0 numpy==2.3.5 regex==2026.12.2)
stamp="$venv/.pins"

if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${pins[*]}" ]; then
  echo "$venv/bin/python"
  exit 0
fi

echo "trainenv: installing ${pins[*]} (pip) into $venv" >&2
if ! python3 -c 'import ensurepip' 2>/dev/null; then
  echo "trainenv: python3 has no venv support: apt-get install python3-venv" >&2
  exit 1
fi
rm -rf "$venv"
python3 -m venv "$venv"
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}" > "$venv/pip.log" 2>&1; then
  cat "$venv/pip.log" >&2
  echo "trainenv: pip install failed (log above)" >&2
  exit 1
fi
"$venv/bin/python" -c 'import torch, numpy, regex; print("trainenv: torch", torch.__version__, file=__import__("sys").stderr)'
echo "${pins[*]}" > "$stamp"
echo "$venv/bin/python"
