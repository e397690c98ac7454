#!/usr/bin/env bash
# End-to-end smoke run of the model pipeline, small enough for CI on a CPU (about a minute):
# tiny corpus -> tokenizer -> encoded shards -> a few diffusion training steps -> ONNX export
# -> onnxruntime-node runs context + denoise at several sizes and must match PyTorch.
# Writes only into a temporary directory (kept with KEEP=1). Needs Debian's python3-torch,
# python3-onnx, python3-numpy and python3-regex (PYTHON overrides the interpreter).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="${PYTHON:-/usr/bin/python3}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/dllm-smoke.XXXXXX")"
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$tmp"' EXIT; fi
cd "$here"
step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS"; }

step "corpus"
"$py" corpus.py --tiny --work "$tmp" > "$tmp/corpus.log"
step "tokenizer"
"$py" bpe.py train --tiny --work "$tmp" --vocab 1024 --sample-mb 0.3 > "$tmp/bpe.log"
step "encode"
"$py" encode.py --tiny --work "$tmp" > "$tmp/encode.log"
step "train"
"$py" train.py --config configs/smoke.json --name smoke --data "$tmp/data" \
  --tokenizer "$tmp/tokenizer/tokenizer.json" --runs "$tmp/runs" --max-steps 12 --minutes 2
step "export"
"$py" export.py --checkpoint "$tmp/runs/smoke/last.pt" --out "$tmp/model" \
  --tokenizer-dir "$tmp/tokenizer" --verify-dir "$tmp/verify" 2>"$tmp/export.log"
step "onnxruntime-node vs PyTorch"
node verify_onnx.mjs "$tmp/model" "$tmp/verify/cases.json" 1e-4
step "done"
