#!/usr/bin/env bash
# The staged GPU run (dllm_train/gpu_run/run.py) end to end on a CPU at tiny scale, through the same stages and code
# paths as on the GPU machine (with the CPU fallbacks): shards -> bundle -> start (verify, build a
# Python corpus from a site-packages folder, merge, launch training detached) -> poll (insurance
# chunks) -> finish (evaluation, final chunks) -> join -> export -> onnxruntime-node vs PyTorch
# -> npm run eval on the exported folder. Then the pipeline's unit tests.
# Writes only into a temporary directory (kept with KEEP=1); reads nothing outside the repository (the
# evaluation tasks are eval/humaneval-infilling, DLLM_EVAL_DIR names another folder). Needs Debian's
# python3-torch, python3-onnx, python3-numpy and python3-regex (PYTHON overrides the interpreter).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
py="${PYTHON:-/usr/bin/python3}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/dllm-smoke.XXXXXX")"
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$tmp"' EXIT; fi
export DLLM_RUN_DIR="$tmp/run"
tokenizer="$repo/models/dllm-code-tiny/tokenizer.json"
cd "$here"
step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS"; }

step "unit tests"
"$py" -m unittest discover -s "$repo/test/model-pipeline" -p 'test_*.py'

step "carried shards (tiny)"
"$py" -m dllm_train.data.corpus --tiny --work "$tmp/local" > "$tmp/corpus.log"
"$py" -m dllm_train.data.encode --work "$tmp/local" --tokenizer "$tokenizer" 2> "$tmp/encode.log"
mkdir -p "$tmp/bundle/shards"
"$py" -m dllm_train.data.shards pack "$tmp/local/data" "$tmp/bundle/shards/python-fallback.tar.xz"

step "pack"
"$py" -m dllm_train.gpu_run.run pack --bundle "$tmp/bundle" --config configs/smoke.json > "$tmp/pack.log"

# A site-packages folder for the on-machine Python build: this pipeline's own (MIT) sources as one
# package with its metadata, so the test needs nothing installed beyond what .ci/run installs.
site="$tmp/site"
mkdir -p "$site/dllm_train" "$site/dllm_train-0.1.dist-info"
cp -r "$here/dllm_train/." "$site/dllm_train/"
find "$site" -name __pycache__ -prune -exec rm -rf {} +
printf 'Metadata-Version: 2.1\nName: dllm-train\nVersion: 0.1\nLicense: MIT\n' > "$site/dllm_train-0.1.dist-info/METADATA"
echo dllm_train > "$site/dllm_train-0.1.dist-info/top_level.txt"

step "start (GPU machine stage 1)"
"$py" -m dllm_train.gpu_run.run start --bundle "$tmp/bundle" --out "$tmp/out1" --train-minutes 1.5 --roots "$site" \
  --python-mb 0 --procs 2 --settle-s 60 --train-args --device cpu --max-steps 10
step "poll (stage 2)"
"$py" -m dllm_train.gpu_run.run poll --bundle "$tmp/bundle" --out "$tmp/out2" --wait 2
step "finish (stage 3)"
"$py" -m dllm_train.gpu_run.run finish --bundle "$tmp/bundle" --out "$tmp/out3" --wait 90 --subsets SingleLine --limit 3 \
  --eval-args --device cpu --procs 2
ls "$tmp/out3"
test -s "$tmp/run/eval.json"

step "join"
"$py" -m dllm_train.gpu_run.run join "$tmp/out2" --name insurance --out "$tmp/gpu/insurance.pt"
"$py" -m dllm_train.gpu_run.run join "$tmp/out3" --out "$tmp/gpu/final.pt"

step "export + onnxruntime-node vs PyTorch"
"$py" -m dllm_train.gpu_run.run export --weights "$tmp/gpu/final.pt" --out "$tmp/model" --verify-dir "$tmp/verify" 2> "$tmp/export.log"

step "warm start: PyTorch weights back from the exported folder"
"$py" -m dllm_train.export.import_weights "$tmp/model" --out "$tmp/rt.pt" --verify-dir "$tmp/verify-rt" 2> "$tmp/import.log"
node dllm_train/export/verify_onnx.mjs "$tmp/model" "$tmp/verify-rt/cases.json" 1e-4 > "$tmp/verify-rt.log"
tail -n 2 "$tmp/verify-rt.log"

step "npm run eval on the exported folder"
cd "$repo"
npm run -s eval -- --model "$tmp/model" --limit 3 --out "$tmp/npm-eval" > "$tmp/npm-eval.log"
tail -n 5 "$tmp/npm-eval.log"
step "done"
