#!/usr/bin/env bash
# Times the converter on a checkpoint of Open-dCoder-0.5B's real shape (24 layers, hidden 896,
# vocab 151936, tied, bf16, random weights), with peak resident memory from /usr/bin/time -v.
# Writes the checkpoint once to .cache/bench-convert/hf (about 1 GB); the model to
# .cache/bench-convert/model-WEIGHTS (model-fp16 by default), for npm run bench:weights to compare.
# Usage: test/reference/bench_convert.sh [--weights fp32|fp16|int8|int4|int8-channel]   (other options pass on to npm run convert)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$root/.cache/bench-convert"
python="$(bash "$root/test/reference/setup.sh" | tail -n 1)"
if [ ! -f "$work/hf/config.json" ]; then
  echo "bench: writing a 0.5B-shaped checkpoint to $work/hf" >&2
  "$python" "$root/test/reference/make_checkpoint.py" --family dream-qwen2 --dims 0.5b --out "$work/hf"
fi
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing: apt-get install time" >&2; exit 1; }
weights=fp16
prev=""
for arg in "$@"; do
  [ "$prev" = "--weights" ] && weights="$arg"
  prev="$arg"
done
model="$work/model-$weights"
rm -rf "$model"
cd "$root"
/usr/bin/time -v -o "$work/time.txt" npm run -s convert -- --from "$work/hf" --to "$model" --family dream "$@"
wall=$(grep 'Elapsed (wall clock)' "$work/time.txt" | awk '{print $NF}')
rss=$(grep 'Maximum resident set size' "$work/time.txt" | awk '{print $NF}')
echo "convert 0.5B ($*): wall ${wall}, peak RSS $((rss / 1024)) MiB, checkpoint $(du -sm "$work/hf" | cut -f1) MiB -> model $(du -sm "$model" | cut -f1) MiB"
