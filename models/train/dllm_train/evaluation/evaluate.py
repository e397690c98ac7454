"""HumanEval-infilling pass@1 and exact match of a checkpoint, decoded exactly as the engine does.

Every task is an engine request (prefix = prompt, suffix, language python, canvas --canvas,
step budget --steps, the sampler with the engine's defaults) decoded by decode.py, the Python
port of the engine's decoder, in batches of --batch requests per forward pass on the GPU or CPU.
Completions are tested while the next batch decodes, --procs at a time.

pass@1 (as `npm run eval`, bench/lib/harness.ts): `prompt + completion + suffix + "\\n" + test +
"\\ncheck(entry_point)"` written to program.py in a fresh temp dir and run as `python -I program.py`
(--python, default this interpreter) with a 3 s limit (the whole process group is killed), a 2 GiB
address-space limit and no network where `prlimit` / `unshare -n` work; pass = exit status 0.
Exact match: completion == canonical_solution after JavaScript's trimEnd on both.

    /usr/bin/python3 evaluate.py --checkpoint work/runs/cpu1/best.pt --limit 50
    python evaluate.py --checkpoint best.pt --device cuda --limit 0 --batch 128 --out-json summary.json
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import gzip
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from dllm_train.evaluation import decode as D
from dllm_train.model.layout import MAX_CANVAS, TRAINED_SEQUENCE
from dllm_train.model.model import load_model
from dllm_train.paths import HUMANEVAL_DIR  # the repository's eval/humaneval-infilling, or DLLM_EVAL_DIR
from dllm_train.paths import TRAIN_DIR as HERE
from dllm_train.tokenizer.bpe import special_tokens_json

SUBSETS = ("SingleLine", "MultiLine", "RandomSpan")
# `npm run eval` defaults (bench/eval.ts): canvas 32, step budget = canvas.
DEFAULT_CANVAS = 32


def load_tasks(data_dir: str, subset: str, limit: int) -> list[dict]:
    with gzip.open(os.path.join(data_dir, f"{subset}.jsonl.gz"), "rt", encoding="utf-8") as f:
        tasks = [json.loads(line) for line in f if line.strip()]
    if 0 < limit < len(tasks):
        # Evenly spaced, so a small limit still spans many problems.
        idx = np.linspace(0, len(tasks) - 1, limit).round().astype(int)
        tasks = [tasks[i] for i in sorted(set(idx.tolist()))]
    return tasks


# ── scoring, as bench/lib/harness.ts ───────────────────────────────────────────────────────
def build_program(task: dict, completion: str) -> str:
    return f"{task['prompt']}{completion}{task['suffix']}\n{task['test']}\ncheck({task['entry_point']})"


def exact_match(completion: str, canonical: str) -> bool:
    return D.js_trim_end(completion) == D.js_trim_end(canonical)


def _works(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=5).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@dataclass
class Sandbox:
    python: str
    wrapper: list[str]
    timeout: float
    network: str = "proxy-env"

    @staticmethod
    def detect(python: str, timeout: float, memory_bytes: int = 2 * 1024**3) -> Sandbox:
        resolved = subprocess.run([python, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True,
                                  timeout=30, check=True).stdout.strip() or python
        wrapper: list[str] = []
        network = "namespace" if _works(["unshare", "-n", "true"]) else "proxy-env"
        if network == "namespace":
            wrapper += ["unshare", "-n"]
        if _works(["prlimit", f"--as={memory_bytes}", "true"]):
            wrapper += ["prlimit", f"--as={memory_bytes}"]
        return Sandbox(resolved, wrapper, timeout, network)

    def env(self, home: str) -> dict:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LANG": "C.UTF-8",
               "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
        if self.network == "proxy-env":
            # Port 9 (discard) on loopback: proxy-aware clients fail fast instead of reaching out.
            nowhere = "http://127.0.0.1:9"
            env.update(http_proxy=nowhere, https_proxy=nowhere, HTTP_PROXY=nowhere, HTTPS_PROXY=nowhere,
                       ALL_PROXY=nowhere, no_proxy="")
        return env


def run_program(source: str, sandbox: Sandbox) -> str:
    """passed | failed | timeout."""
    with tempfile.TemporaryDirectory(prefix="dllm-eval-") as tmp:
        path = os.path.join(tmp, "program.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(D.to_well_formed(source))
        # A session of its own, so the time limit kills whatever the program started too.
        proc = subprocess.Popen(sandbox.wrapper + [sandbox.python, "-I", path], cwd=tmp, env=sandbox.env(tmp),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            code = proc.wait(timeout=sandbox.timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                proc.kill()
            proc.wait()
            return "timeout"
        return "passed" if code == 0 else "failed"


# ── model side ───────────────────────────────────────────────────────────────────────────────
def pick_device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        sys.exit("evaluate.py: --device cuda but CUDA is not available")
    return torch.device(name)


def first_existing(*paths: str) -> str:
    for p in paths:
        if p and os.path.exists(p):
            return p
    return paths[-1]


def engine_spec(args, model, tokenizer_path: str) -> D.EngineSpec:
    attention = getattr(model.cfg, "context_attention", "bidirectional")
    if args.model_dir:
        spec = D.EngineSpec.from_manifest(args.model_dir)
        if spec.context_attention != attention:
            sys.exit(f"evaluate.py: {args.model_dir} says contextAttention {spec.context_attention}, the checkpoint {attention}")
        if spec.vocab_size != model.cfg.vocab_size:
            sys.exit(f"evaluate.py: {args.model_dir} says vocabSize {spec.vocab_size}, the checkpoint {model.cfg.vocab_size}")
        return spec
    special_path = os.path.join(os.path.dirname(tokenizer_path), "special_tokens.json")
    if os.path.exists(special_path):
        with open(special_path) as f:
            special = json.load(f)
    else:
        special = special_tokens_json()
    return D.EngineSpec.from_special_tokens(special, model.cfg.vocab_size, args.max_context, args.max_canvas, attention)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", "--weights", dest="checkpoint", required=True,
                    help="PyTorch checkpoint ({'model': state_dict, 'model_config': ...})")
    ap.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    ap.add_argument("--data", default=HUMANEVAL_DIR, help="humaneval-infilling folder (default $DLLM_EVAL_DIR, else "
                                                         "eval/humaneval-infilling in the repository)")
    ap.add_argument("--subsets", default=",".join(SUBSETS))
    ap.add_argument("--limit", type=int, default=50, help="tasks per subset, evenly spaced (0: all)")
    defaults = D.SamplerOptions()  # the engine's defaults (src/protocol/decoding.json)
    ap.add_argument("--sampler", choices=list(D.SAMPLER_KINDS), default=defaults.kind)
    ap.add_argument("--remask", choices=list(D.REMASK_MODES), default=defaults.remask, help="saber")
    ap.add_argument("--min-per-step", type=int, default=defaults.min_per_step, help="saber")
    ap.add_argument("--remask-divisor", type=float, default=defaults.remask_divisor, help="saber")
    ap.add_argument("--threshold", type=float, default=defaults.threshold, help="threshold sampler")
    ap.add_argument("--canvas", type=int, default=DEFAULT_CANVAS, help="canvas length = maxTokens")
    ap.add_argument("--steps", type=int, default=0, help="step budget (default: the canvas length)")
    ap.add_argument("--language", default="python")
    ap.add_argument("--batch", type=int, default=64, help="requests decoded together (one forward per pass)")
    ap.add_argument("--procs", type=int, default=os.cpu_count() or 1, help="test programs run at once")
    ap.add_argument("--python", default=sys.executable, help="interpreter for the test programs")
    ap.add_argument("--timeout", type=float, default=3.0, help="seconds per test program")
    ap.add_argument("--model-dir", default="",
                    help="read limits, special tokens and tokenizer from this model folder's dllm.json")
    ap.add_argument("--tokenizer", default="", help="tokenizer.json (default: --model-dir's, else work/tokenizer, "
                                                    "else the bundled model's)")
    ap.add_argument("--max-context", type=int, default=TRAINED_SEQUENCE - MAX_CANVAS, help="maxContextTokens (as export.py)")
    ap.add_argument("--max-canvas", type=int, default=MAX_CANVAS, help="maxCanvasTokens (as export.py)")
    ap.add_argument("--out-json", default="", help="write the summary here")
    ap.add_argument("--out-jsonl", default="", help="write one line per task here")
    ap.add_argument("--show", type=int, default=0, help="print this many completions per subset")
    args = ap.parse_args()

    device = pick_device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(2)
    steps = args.steps or args.canvas
    sampler = D.SamplerOptions(args.sampler, args.min_per_step, args.remask_divisor, args.remask, args.threshold)

    model, ck = load_model(args.checkpoint)
    model.to(device)
    tokenizer_path = args.tokenizer or first_existing(
        os.path.join(args.model_dir, "tokenizer.json") if args.model_dir else "",
        os.path.join(HERE, "work", "tokenizer", "tokenizer.json"),
        os.path.join(HERE, "..", "dllm-code-tiny", "tokenizer.json"))
    tokenizer = D.EngineTokenizer(tokenizer_path)
    spec = engine_spec(args, model, tokenizer_path)
    decoder = D.Decoder(spec, tokenizer)
    sandbox = Sandbox.detect(args.python, args.timeout)

    subsets = [s for s in args.subsets.split(",") if s]
    tasks = [(subset, t) for subset in subsets for t in load_tasks(args.data, subset, args.limit)]
    t0 = time.time()
    prepared = [decoder.prepare(D.InfillRequest(D.to_lf(t["prompt"]), D.to_lf(t["suffix"]), args.language, args.canvas,
                                                steps, sampler))
                for _, t in tasks]
    # Similar context lengths together: less padding per batch.
    order = sorted(range(len(tasks)), key=lambda i: len(prepared[i].layout.context_ids))
    print(f"{len(tasks)} tasks ({', '.join(subsets)}) from {args.data}; {args.sampler} canvas {args.canvas} steps {steps}; "
          f"{device} batch {args.batch}; tests: {sandbox.python}, {args.procs} at once, "
          f"network {'cut off' if sandbox.network == 'namespace' else 'proxy settings only'}", flush=True)

    results: list[D.InfillResult | None] = [None] * len(tasks)
    statuses: list[cf.Future | None] = [None] * len(tasks)
    with cf.ThreadPoolExecutor(max_workers=max(1, args.procs)) as pool, torch.no_grad():
        for start in range(0, len(order), args.batch):
            rows = order[start:start + args.batch]
            chunk = [prepared[i] for i in rows]
            forward = D.SplitModelForward(model, chunk, device, spec.pad)
            for i, r in zip(rows, decoder.run(chunk, forward)):
                results[i] = r
                statuses[i] = pool.submit(run_program, build_program(tasks[i][1], r.text), sandbox)
            done = start + len(rows)
            print(f"  decoded {done}/{len(tasks)} ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
        status = [f.result() for f in statuses if f is not None]
    seconds = time.time() - t0

    records = []
    for (subset, task), r, st in zip(tasks, results, status):
        assert r is not None, "every task was decoded"
        records.append({"task_id": task["task_id"], "subset": subset, "completion": r.text, "pass": st == "passed",
                        "exact": exact_match(r.text, task["canonical_solution"]), "forward_passes": r.forward_passes,
                        "status": st, "finish_reason": r.finish_reason, "tokens": r.tokens, "remasked": r.remasked,
                        "prompt_tokens": r.prompt_tokens})
    summary = {"checkpoint": args.checkpoint, "step": ck.get("step"), "device": str(device),
               "sampler": asdict(sampler), "canvas": args.canvas, "steps": steps, "batch": args.batch,
               "context_attention": spec.context_attention, "max_context_tokens": spec.max_context_tokens,
               "data": os.path.abspath(args.data), "seconds": round(seconds, 1), "subsets": {}}
    for subset in subsets:
        recs = [r for r in records if r["subset"] == subset]
        k = len(recs) or 1
        finish: dict[str, int] = {}
        for r in recs:
            finish[r["finish_reason"]] = finish.get(r["finish_reason"], 0) + 1
        res = {"tasks": len(recs), "pass@1": sum(r["pass"] for r in recs) / k, "exact_match": sum(r["exact"] for r in recs) / k,
               "passed": sum(r["pass"] for r in recs), "exact": sum(r["exact"] for r in recs),
               "passed_blank": sum(r["pass"] and not r["completion"].strip() for r in recs),
               "timeouts": sum(r["status"] == "timeout" for r in recs),
               "mean_forward_passes": sum(r["forward_passes"] for r in recs) / k,
               "mean_tokens": sum(r["tokens"] for r in recs) / k, "finish_reasons": finish}
        summary["subsets"][subset] = res
        print(f"{subset}: {res['tasks']} tasks, pass@1 {res['pass@1']:.3f} ({res['passed']}), exact {res['exact_match']:.3f} "
              f"({res['exact']}), {res['mean_forward_passes']:.1f} passes/task, finish {finish}", flush=True)
        for r, (_s, task) in list(zip(recs, [t for t in tasks if t[0] == subset]))[:args.show]:
            print(f"--- {r['task_id']} pass={r['pass']} exact={r['exact']}\n want {task['canonical_solution']!r}\n"
                  f" got  {r['completion']!r}")
    print(f"{len(tasks)} tasks in {seconds:.1f} s")
    if args.out_jsonl:
        with open(args.out_jsonl, "w") as f:
            for r in records:
                f.write(json.dumps(r) + "\n")
    if args.out_json:
        with open(args.out_json, "w") as f:
            json.dump(summary, f, indent=1)
            f.write("\n")
    print(json.dumps({s: {k: v for k, v in r.items() if k != "finish_reasons"} for s, r in summary["subsets"].items()}))


if __name__ == "__main__":
    main()
