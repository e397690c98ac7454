#!/usr/bin/env bash
# A Python virtual environment of the project's own with pinned packages, for the tools whose
# needs the system's Python does not meet (test/reference/setup.sh, models/train/setup_env.sh).
# Idempotent: when the pins are already installed it only checks them and exits. Prints the
# environment's python on its last line, for callers.
# Usage: pinned-venv.sh LABEL VENV_DIR PACKAGE==VERSION...   (each package importable by its name)
set -euo pipefail
label="$1"
venv="$2"
shift 2
pins=("$@")
stamp="$venv/.pins"

if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${pins[*]}" ]; then
  echo "$venv/bin/python"
  exit 0
fi

echo "$label: installing ${pins[*]} (pip) into $venv" >&2
# python3 -m venv needs Debian's python3-venv; say so instead of failing obscurely.
if ! python3 -c 'import ensurepip' 2>/dev/null; then
  echo "$label: python3 has no venv support: apt-get install python3-venv" >&2
  exit 1
fi
rm -rf "$venv"
python3 -m venv "$venv"
# pip's own output (this machine's index settings warn per package) goes to a log, shown on failure.
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}" > "$venv/pip.log" 2>&1; then
  cat "$venv/pip.log" >&2
  echo "$label: pip install failed (log above)" >&2
  exit 1
fi
modules=$(printf '%s\n' "${pins[@]}" | sed 's/==.*//' | paste -sd, -)
"$venv/bin/python" -c "import $modules" || { echo "$label: the installed packages do not import" >&2; exit 1; }
echo "${pins[*]}" > "$stamp"
echo "$venv/bin/python"
