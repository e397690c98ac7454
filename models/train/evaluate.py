"""Quick infilling eval of a checkpoint on the HumanEval-infilling dev split.

The middle's length is NOT given: the canvas is a fixed N (32 for SingleLine, 64 otherwise) and
the completion is the committed text up to the first `<pad>`. Greedy decoding (temperature 0)
with one of two samplers over the split contract (context encoded once, canvas denoised):
  lowconf  LLaDA low-confidence: S steps, commit the ceil(remaining/steps left) most confident.
  saber    Saber-like: commit every masked position above the mean confidence of the committed
           ones (at least 2), then re-mask the committed position whose probability fell most.
pass@1: `prompt + completion + suffix + "\\n" + test + "\\ncheck(entry_point)"` run by python3 in a
temp dir with a 3 s limit; exact match: completion == canonical_solution after rstrip.

    /usr/bin/python3 evaluate.py --checkpoint work/runs/cpu1/best.pt --limit 100 [--subsets SingleLine]
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bpe import Tokenizer  # noqa: E402
from export import TRAINED_SEQUENCE, MAX_CANVAS, load_model  # noqa: E402
from model import DiffusionLM  # noqa: E402

EVAL_DIR = os.environ.get("DLLM_EVAL_DIR", os.path.join(HERE, "..", "..", "..", "shared", "eval", "humaneval-infilling"))
CANVAS_FOR = {"SingleLine": 32, "MultiLine": 64, "RandomSpan": 64}


def load_tasks(subset: str, limit: int) -> list[dict]:
    with gzip.open(os.path.join(EVAL_DIR, f"{subset}.jsonl.gz"), "rt") as f:
        tasks = [json.loads(line) for line in f]
    if 0 < limit < len(tasks):
        # Evenly spaced, so a small limit still spans many problems.
        idx = np.linspace(0, len(tasks) - 1, limit).round().astype(int)
        tasks = [tasks[i] for i in sorted(set(idx.tolist()))]
    return tasks


class Infiller:
    def __init__(self, model: DiffusionLM, tok: Tokenizer, special: dict, max_context: int):
        self.model, self.tok, self.sp = model, tok, special
        self.max_context = max_context
        # Only <pad> among the specials may be generated.
        self.banned = torch.tensor([i for i in range(32) if i != special["pad"]])

    def context(self, prefix: str, suffix: str, language: str, n: int):
        sp = self.sp
        head = [sp["bos"], sp["languageTokens"].get(language, sp["languageTokens"]["other"])]
        p, s = self.tok.encode_ordinary(prefix), self.tok.encode_ordinary(suffix)
        budget = self.max_context - len(head) - 1
        if len(p) + len(s) > budget:
            keep_s = min(len(s), max(budget // 4, budget - len(p)))
            s = s[:keep_s]
            p = p[len(p) - (budget - keep_s):]
        before = head + p
        ids = before + s + [sp["eos"]]
        pos = list(range(len(before))) + list(range(len(before) + n, len(before) + n + len(s) + 1))
        return ids, pos, list(range(len(before), len(before) + n))

    @torch.no_grad()
    def infill(self, prefix: str, suffix: str, language: str, n: int, steps: int, sampler: str,
               ordered_pad: bool = True) -> tuple[str, int]:
        ids, pos, cpos = self.context(prefix, suffix, language, n)
        keys, values = self.model.encode_context(torch.tensor([ids]), torch.tensor([pos]))
        mask_id, pad_id = self.sp["mask"], self.sp["pad"]
        canvas = torch.full((n,), mask_id, dtype=torch.long)
        committed_conf = torch.zeros(n)
        cpos_t = torch.tensor([cpos])
        passes = 0
        while passes < steps:
            logits = self.model.denoise(canvas.unsqueeze(0), cpos_t, keys, values)[0]
            logits[:, self.banned] = -math.inf
            probs = torch.softmax(logits, -1)
            conf, cand = probs.max(-1)
            passes += 1
            masked = canvas == mask_id
            remaining = int(masked.sum())
            if remaining == 0:
                break
            steps_left = steps - passes + 1
            conf_m = torch.where(masked, conf, torch.full_like(conf, -1.0))
            if ordered_pad:
                # A weak model is surest about <pad> in the tail; committing those first makes
                # <pad> spread backwards and empties the middle. Allow a <pad> only where no
                # masked position precedes it.
                first_masked = int(torch.nonzero(masked)[0])
                early_pad = (cand == pad_id) & (torch.arange(n) > first_masked)
                conf_m = torch.where(early_pad & masked, torch.full_like(conf, -0.5), conf_m)
            if sampler == "lowconf":
                k = math.ceil(remaining / steps_left)
                chosen = torch.topk(conf_m, k).indices
            else:
                done = ~masked
                tau = committed_conf[done].mean().item() if done.any() else conf_m.max().item()
                k_min = min(remaining, max(2, math.ceil(remaining / steps_left)))
                above = torch.nonzero(conf_m > tau).flatten()
                chosen = above if len(above) >= k_min else torch.topk(conf_m, k_min).indices
                # Backtrack: re-mask the committed position whose probability dropped the most.
                if done.any() and steps_left > 1:
                    now = probs[torch.arange(n), canvas.clamp(min=0)]
                    drop = torch.where(done, committed_conf - now, torch.full_like(now, -1.0))
                    worst = int(drop.argmax())
                    if drop[worst] > 0.3:
                        canvas[worst] = mask_id
            canvas[chosen] = cand[chosen]
            committed_conf[chosen] = conf[chosen]
            # Stop once a <pad> is committed with everything before it committed.
            c = canvas.tolist()
            if pad_id in c and mask_id not in c[: c.index(pad_id)]:
                break
        c = canvas.tolist()
        out = c[: c.index(pad_id)] if pad_id in c else c
        return self.tok.decode([t for t in out if t != mask_id]), passes


def run_test(task: dict, completion: str, timeout: float = 3.0) -> bool:
    program = task["prompt"] + completion + task["suffix"] + "\n" + task["test"] + f"\ncheck({task['entry_point']})\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "prog.py")
        with open(path, "w") as f:
            f.write(program)
        try:
            r = subprocess.run(["/usr/bin/python3", path], cwd=tmp, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=timeout)
            return r.returncode == 0
        except subprocess.TimeoutExpired:
            return False


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--tokenizer-dir", default=os.path.join(HERE, "work", "tokenizer"))
    ap.add_argument("--subsets", default="SingleLine,MultiLine,RandomSpan")
    ap.add_argument("--limit", type=int, default=50, help="tasks per subset (0: all)")
    ap.add_argument("--sampler", choices=["lowconf", "saber"], default="lowconf")
    ap.add_argument("--steps", type=int, default=0, help="forward-pass budget (0: canvas length)")
    ap.add_argument("--free-pad", action="store_true",
                    help="let <pad> be committed anywhere (default: only with no masked position before it)")
    ap.add_argument("--out", default="", help="write per-task results (JSON lines) here")
    ap.add_argument("--show", type=int, default=0, help="print this many completions per subset")
    args = ap.parse_args()

    torch.set_num_threads(2)
    model, ck = load_model(args.checkpoint)
    special = json.load(open(os.path.join(args.tokenizer_dir, "special_tokens.json")))
    tok = Tokenizer.from_file(os.path.join(args.tokenizer_dir, "tokenizer.json"))
    infiller = Infiller(model, tok, special, TRAINED_SEQUENCE - MAX_CANVAS)
    out = open(args.out, "w") if args.out else None
    summary = {"checkpoint": args.checkpoint, "step": ck.get("step"), "sampler": args.sampler, "subsets": {}}
    for subset in args.subsets.split(","):
        tasks = load_tasks(subset, args.limit)
        n = CANVAS_FOR[subset]
        steps = args.steps or n
        passed = exact = passes = 0
        t0 = time.time()
        for i, task in enumerate(tasks):
            completion, used = infiller.infill(task["prompt"], task["suffix"], "python", n, steps, args.sampler,
                                             ordered_pad=not args.free_pad)
            ok = run_test(task, completion)
            em = completion.rstrip() == task["canonical_solution"].rstrip()
            passed += ok
            exact += em
            passes += used
            if i < args.show:
                print(f"--- {task['task_id']} pass={ok} exact={em}\n want {task['canonical_solution']!r}\n got  {completion!r}")
            if out:
                out.write(json.dumps({"task_id": task["task_id"], "completion": completion, "pass": ok,
                                      "exact": em, "forward_passes": used}) + "\n")
        k = len(tasks)
        res = {"tasks": k, "pass@1": passed / k, "exact_match": exact / k, "passed": passed, "exact": exact,
               "mean_forward_passes": passes / k, "canvas": n, "steps": steps, "seconds": round(time.time() - t0, 1)}
        summary["subsets"][subset] = res
        print(f"{subset}: {k} tasks, pass@1 {res['pass@1']:.3f} ({passed}), exact {res['exact_match']:.3f} ({exact}), "
              f"{res['mean_forward_passes']:.1f} passes/task, {res['seconds']} s", flush=True)
    if out:
        out.close()
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
