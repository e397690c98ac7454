#!/usr/bin/env bash
# Creates the Python environment the converter's parity test uses: .cache/pyref, a virtual
# environment of the project's own (the system's PyTorch is too old for current transformers).
# Idempotent: when the pinned versions are already there it only checks them and exits.
# Prints the environment's python on its last line, for callers.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.cache/pyref"
# Pins: torch's CPU wheel (a bare `torch` from PyPI is the multi-GB CUDA build), and the
# transformers release the Qwen2 reference was checked against (4D float masks pass through as is).
pins=(torch==2.13.0 transformers==5.18.0 safetensors==0.8.0 tokenizers==0.23.2 numpy==2.3.5)
stamp="$venv/.pins"

if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${pins[*]}" ]; then
  echo "$venv/bin/python"
  exit 0
fi

echo "pyref: installing ${pins[*]} (pip) into $venv" >&2
# python3 -m venv needs Debian's python3-venv; say so instead of failing obscurely.
if ! python3 -c 'import ensurepip' 2>/dev/null; then
  echo "pyref: python3 has no venv support: apt-get install python3-venv" >&2
  exit 1
fi
rm -rf "$venv"
python3 -m venv "$venv"
# pip's own output (this machine's index settings warn per package) goes to a log, shown on failure.
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}" > "$venv/pip.log" 2>&1; then
  cat "$venv/pip.log" >&2
  echo "pyref: pip install failed (log above)" >&2
  exit 1
fi
echo "${pins[*]}" > "$stamp"
echo "$venv/bin/python"
