"""Masked-diffusion training of the bundled code model, on a GPU or a CPU, resumable.

Batches are fixed-shape rows of packed editor-shaped examples (data.py), built in worker
processes. On CUDA: bf16 autocast with an fp32 loss, TF32, fused AdamW or Muon, flex or SDPA
attention with the mask built on the GPU, torch.compile. Every one of those sits behind a switch
with a fallback (plain attention, no compile, fp32, AdamW), and the run falls back by itself when a
GPU feature fails its start-up check, so the same code runs on Debian's torch 1.13 on a CPU.

The learning rate is warmup / stable / decay in steps; the step count is set from the
throughput the run measures over its first steps, so the decay ends with the time budget
(`--minutes`). Checkpoints every `checkpoint_minutes` (`last.pt`, resumable; `weights.pt`, fp16
weights only, small enough to send back early); a divergence guard rolls back to the last good
state and halves the learning rate. `status.json` says where the run is.

    python3 train.py --config configs/gpu.json --name gpu1 --data work/data --minutes 18
    python3 train.py --config configs/gpu.json --name gpu2 --init-from shipped.pt --minutes 18   # warm start
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import csv
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from dllm_train.data.encoded import Shard, Vocab
from dllm_train.data.examples import CANVAS, CONTEXT_LM, ExampleBuilder, pack_rows, validation_rows
from dllm_train.model.model import DiffusionLM, ModelConfig, TrainingMask, load_checkpoint
from dllm_train.paths import SHIPPED_MODEL, WORK
from dllm_train.training.config import ConfigError, TrainConfig, load_config, parse_overrides
from dllm_train.training.optim import lr_factor, make_optimizers, set_lr


# ---------------------------------------------------------------- batches

class BatchStream(torch.utils.data.IterableDataset):
    """Endless packed batches; each worker process has its own seed and builder."""

    def __init__(self, data_dir: str, tokenizer: str, tc: TrainConfig, causal: bool, seed: int, progress):
        super().__init__()
        self.data_dir, self.tokenizer, self.tc, self.causal, self.seed = data_dir, tokenizer, tc, causal, seed
        self.progress = progress  # multiprocessing.Value: share of the run done (dense_p schedule)

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid = 0 if info is None else info.id
        rng = np.random.default_rng([self.seed, wid])
        tc = self.tc
        vocab = Vocab(self.data_dir, self.tokenizer)
        builder = make_builder(self.data_dir, vocab, tc, self.causal, "train")
        while True:
            p = self.progress.value
            dense_p = tc.dense_p_start + (tc.dense_p_end - tc.dense_p_start) * p
            batch = pack_rows(builder, rng, tc.rows, tc.row_len, tc.example_lens, dense_p, vocab.pad)
            yield {k: torch.from_numpy(v) for k, v in batch.items()}


def make_builder(data_dir: str, vocab: Vocab, tc: TrainConfig, causal: bool, split: str,
                 validation: bool = False) -> ExampleBuilder:
    training = split == "train" and not validation
    shard = Shard(data_dir, split, vocab.languages, tc.lang_weights if training else None)
    return ExampleBuilder(shard, vocab, causal, canvas_copies=tc.canvas_copies,
                          suffix_gap_p=tc.suffix_gap_p if training else 0.0,
                          context_lm=tc.context_lm_weight > 0)


def to_device(batch: dict, device: torch.device) -> dict:
    nb = device.type == "cuda"
    return {k: v.to(device, non_blocking=nb) for k, v in batch.items()}


# Model keys a warm start may change: no weight's shape depends on them (a bidirectional context
# turned causal keeps every weight; the training adapts them).
WARM_START_MAY_CHANGE = ("context_attention", "rope_theta")


# ---------------------------------------------------------------- loss

def diffusion_loss(logits: torch.Tensor, batch: dict, context_lm_weight: float) -> tuple[torch.Tensor, dict]:
    """ELBO-weighted CE on masked canvas positions per canvas position, plus the optional
    next-token loss on context positions. All positions, fixed shapes; stats stay on the device."""
    v = logits.shape[-1]
    ce = F.cross_entropy(logits.float().view(-1, v), batch["targets"].view(-1), reduction="none").view_as(batch["weight"])
    kind = batch["kind"]
    canvas_pos = (batch["segment"] > 0).float()
    is_canvas = (kind == CANVAS).float()
    canvas_loss = (ce * batch["weight"] * is_canvas).sum() / canvas_pos.sum().clamp(min=1)
    loss = canvas_loss
    stats = {"canvas_loss": canvas_loss.detach(),
             "masked_ce": ((ce * is_canvas).sum() / is_canvas.sum().clamp(min=1)).detach(),
             "masked_acc": (((logits.argmax(-1) == batch["targets"]).float() * is_canvas).sum()
                            / is_canvas.sum().clamp(min=1)).detach()}
    if context_lm_weight > 0:
        is_ctx = (kind == CONTEXT_LM).float()
        ctx_loss = (ce * is_ctx).sum() / is_ctx.sum().clamp(min=1)
        loss = loss + context_lm_weight * ctx_loss
        stats["context_ce"] = ctx_loss.detach()
    return loss, stats


# ---------------------------------------------------------------- setup with fallbacks

def pick_device(arg: str) -> torch.device:
    if arg == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(arg)


def attention_backends(arg: str, device: torch.device) -> list[str]:
    """Backends to try in order; plain always works."""
    have_sdpa = hasattr(F, "scaled_dot_product_attention")
    try:
        import torch.nn.attention.flex_attention  # noqa: F401
        have_flex = device.type == "cuda"
    except ImportError:
        have_flex = False
    if arg != "auto":
        return [arg] if arg == "plain" else [arg, "plain"]
    return [b for b, ok in (("flex", have_flex), ("sdpa", have_sdpa), ("plain", True)) if ok]


def cpu_has_bf16() -> bool:
    """Does this CPU compute bf16 natively (AVX-512 BF16 or AMX)? Without it bf16 is emulated and slower."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def use_bf16(precision: str, device: torch.device) -> bool:
    """bf16 autocast (fp32 master weights, fp32 loss): on CUDA when asked; on a CPU when asked and the
    CPU has native bf16 and torch has fused attention (torch >= 2; torch 1.13 stays fp32 as before)."""
    if precision != "bf16":
        return False
    if device.type == "cuda":
        return True
    return device.type == "cpu" and hasattr(F, "scaled_dot_product_attention") and cpu_has_bf16()


def cpu_threads(n: int) -> int:
    """Torch threads on a CPU: n, or with n = 0 every core this process may use."""
    if n > 0:
        return n
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def check_backend(backend: str, model: DiffusionLM, batch: dict, causal: bool, flex_fn, split: bool = False) -> float:
    """Max |difference| of the backend's logits from the plain reference on a small batch (fp32)."""
    small = {k: v[:2, :256] for k, v in batch.items()}
    with torch.no_grad():
        ref = model.forward_train(small["ids"], small["pos"], TrainingMask(small["example"], small["segment"], causal))
        got = model.forward_train(small["ids"], small["pos"],
                                  TrainingMask(small["example"], small["segment"], causal, backend, flex_fn,
                                               split=split))
    return float((ref - got).abs().max())


class Trainer:
    """The model, its optimizers and the compiled step, with the GPU features that passed their checks."""

    def __init__(self, model: DiffusionLM, tc: TrainConfig, args, device: torch.device, log):
        self.model, self.tc, self.device, self.log = model, tc, device, log
        self.causal = model.causal_context
        self.amp = use_bf16(args.precision, device)
        self.ctx_w = float(tc.context_lm_weight)
        # Muon's Newton-Schulz iteration runs in bf16 wherever the model does.
        self.optimizers = make_optimizers(model, tc, tc.optimizer, device, ns_bf16=self.amp or device.type == "cuda")
        self.backend = "plain"
        self.flex_fn = None
        self.compiled = None
        # auto: wherever torch has compile (CUDA, or a CPU with torch >= 2: 20% at 1,024-position rows,
        # README "CPU throughput"); a compile that fails falls back to eager.
        self.want_compile = args.compile == "on" or (args.compile == "auto" and hasattr(torch, "compile")
                                                     and device.type in ("cuda", "cpu"))
        self.backends = attention_backends(args.attention, device)
        # CPU SDPA runs each packed example of a row on its own (model.example_spans): it skips the
        # tiles between examples (left eager by torch.compile: its shapes follow the data).
        self.split = device.type == "cpu"

    def choose_backend(self, batch: dict) -> None:
        for b in self.backends:
            if b == "plain":
                self.backend = "plain"
                break
            try:
                flex_fn = None
                if b == "flex":
                    if not self.want_compile:
                        raise RuntimeError("flex attention is only fast compiled")
                    from torch.nn.attention.flex_attention import flex_attention
                    flex_fn = flex_attention  # eager for the check: correct, slow, tiny input
                diff = check_backend(b, self.model, batch, self.causal, flex_fn, self.split)
                if diff < 1e-3:
                    self.backend = b
                    self.flex_fn = torch.compile(flex_fn) if flex_fn is not None else None
                    break
                self.log(f"attention {b}: differs from the reference by {diff:.2e}; not used")
            except Exception as e:  # any failure of an optional GPU feature falls back
                self.log(f"attention {b}: unavailable ({type(e).__name__}: {str(e)[:200]})")
        self.log(f"attention backend: {self.backend}" + (" (rows split at example boundaries)"
                                                         if self.backend == "sdpa" and self.split else ""))

    def autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16) if self.amp else contextlib.nullcontext()

    def mask(self, batch: dict) -> TrainingMask:
        # Built outside the compiled function: one mask per step, shared by every layer.
        return TrainingMask(batch["example"], batch["segment"], self.causal, self.backend, self.flex_fn,
                            split=self.split)

    def loss_fn(self, batch: dict, mask: TrainingMask):
        with self.autocast():
            logits = self.model.forward_train(batch["ids"], batch["pos"], mask)
        return diffusion_loss(logits, batch, self.ctx_w)

    def step(self, batch: dict, lr_scale: float) -> dict:
        mask = self.mask(batch)
        if self.want_compile and self.compiled is None:
            try:
                self.compiled = torch.compile(self.loss_fn)
                loss, stats = self.compiled(batch, mask)
                loss.backward()
                self.log("torch.compile: on")
                return self._apply(stats, lr_scale, loss)
            except Exception as e:  # compile is an optimisation: never let it end the run
                self.log(f"torch.compile: failed ({type(e).__name__}: {str(e)[:300]}); running eagerly")
                self.want_compile = False
                self.compiled = None
                for opt in self.optimizers:
                    opt.zero_grad(set_to_none=True)
                if self.backend == "flex":  # flex needs compile to be fast
                    self.backend = "sdpa" if "sdpa" in self.backends else "plain"
                    self.flex_fn = None
                    self.log(f"attention backend: {self.backend}")
                mask = self.mask(batch)
        loss, stats = (self.compiled or self.loss_fn)(batch, mask)
        loss.backward()
        return self._apply(stats, lr_scale, loss)

    def _apply(self, stats: dict, lr_scale: float, loss: torch.Tensor) -> dict:
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.tc.grad_clip)
        set_lr(self.optimizers, lr_scale)
        for opt in self.optimizers:
            opt.step()
            opt.zero_grad(set_to_none=True)
        stats = dict(stats)
        stats["loss"] = loss.detach()
        stats["grad_norm"] = grad_norm.detach() if torch.is_tensor(grad_norm) else torch.tensor(grad_norm)
        return stats

    @torch.no_grad()
    def validate(self, rows: dict[str, np.ndarray]) -> tuple[float, float]:
        """Canvas ELBO per canvas position and masked accuracy over the fixed validation rows."""
        self.model.eval()
        loss_sum = acc_sum = canvas = masked = 0.0
        bs = 16
        for i in range(0, len(rows["ids"]), bs):
            batch = to_device({k: torch.from_numpy(v[i:i + bs]) for k, v in rows.items()}, self.device)
            with self.autocast():
                logits = self.model.forward_train(batch["ids"], batch["pos"], self.mask(batch))
            _, st = diffusion_loss(logits, batch, 0.0)
            n_canvas = float((batch["segment"] > 0).sum())
            n_masked = float((batch["kind"] == CANVAS).sum())
            loss_sum += float(st["canvas_loss"]) * n_canvas
            acc_sum += float(st["masked_acc"]) * n_masked
            canvas += n_canvas
            masked += n_masked
        self.model.train()
        return loss_sum / max(1.0, canvas), acc_sum / max(1.0, masked)


# ---------------------------------------------------------------- checkpoints

def save_atomic(path: str, state: dict) -> None:
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def weights_only(model: DiffusionLM, info: dict) -> dict:
    """fp16 weights + config: what export needs, half the bytes of fp32."""
    return {"model": {k: v.detach().to("cpu", torch.float16) for k, v in model.state_dict().items()},
            "model_config": model.cfg.to_dict(), **info}


# ---------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True)
    ap.add_argument("--name", required=True, help="run folder under --runs")
    ap.add_argument("--runs", default=os.path.join(WORK, "runs"))
    ap.add_argument("--data", default=os.path.join(WORK, "data"))
    ap.add_argument("--tokenizer", default=os.path.join(SHIPPED_MODEL, "tokenizer.json"))
    ap.add_argument("--minutes", type=float, default=10.0, help="time budget of this invocation, start-up included")
    ap.add_argument("--max-steps", type=int, default=0,
                    help="fixed schedule length (0: set from throughput; with --resume: replaces the run's, e.g. to "
                         "end its decay sooner)")
    ap.add_argument("--resume", action="store_true", help="continue last.pt of this run")
    ap.add_argument("--init-from", default="", help="warm start: weights from this checkpoint, new optimizer and schedule")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--precision", choices=["bf16", "fp32"], default="bf16",
                    help="bf16: autocast with fp32 weights and loss (on a CPU only with native bf16 and torch >= 2)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads on a CPU (default: the config's; 0: all cores)")
    ap.add_argument("--compile", choices=["auto", "on", "off"], default="auto")
    ap.add_argument("--attention", choices=["auto", "flex", "sdpa", "plain"], default="auto")
    ap.add_argument("--optimizer", choices=["adamw", "muon"], default=None, help="default: the config's")
    ap.add_argument("--workers", type=int, default=None, help="batch-building processes (default: the config's)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=JSON", help="override train config keys")
    ap.add_argument("--model-set", nargs="*", default=[], metavar="KEY=JSON", help="override model config keys")
    args = ap.parse_args()

    started = time.time()
    try:
        model_overrides = parse_overrides(args.model_set, "--model-set")
        model_cfg, tc = load_config(args.config, parse_overrides(args.set, "--set"), model_overrides)
    except ConfigError as e:
        ap.error(str(e))
    # The dedicated flags win over the file and --set.
    for key in ("optimizer", "workers", "seed", "threads"):
        if getattr(args, key) is not None:
            setattr(tc, key, getattr(args, key))
    args.optimizer, seed = tc.optimizer, tc.seed
    device = pick_device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(cpu_threads(tc.threads))
    else:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    run_dir = os.path.join(args.runs, args.name)
    os.makedirs(run_dir, exist_ok=True)
    log_file = open(os.path.join(run_dir, "train.log"), "a")

    def log(msg: str) -> None:
        line = f"[{time.time() - started:7.1f}s] {msg}"
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    vocab = Vocab(args.data, args.tokenizer)
    init_state = None
    if args.init_from and not (args.resume and os.path.exists(os.path.join(args.runs, args.name, "last.pt"))):
        init_state, init_ck = load_checkpoint(args.init_from)
        if init_ck["model_config"] != {**model_cfg, **init_ck["model_config"]}:
            log(f"warm start: the model is {init_ck['model_config']}, not the config's {model_cfg}")
        # The checkpoint's shape, with what --model-set changes that no weight depends on.
        changed = {k: v for k, v in model_overrides.items() if k in WARM_START_MAY_CHANGE}
        model_cfg = {**init_ck["model_config"], **changed}
        if changed:
            log(f"warm start: --model-set {changed} over the checkpoint's model")
    mcfg = ModelConfig.from_dict({**model_cfg, "vocab_size": vocab.vocab_size})
    torch.manual_seed(seed)
    model = DiffusionLM(mcfg)
    step, tokens_seen, train_seconds, best_val, total_steps = 0, 0, 0.0, float("inf"), args.max_steps
    last_path = os.path.join(run_dir, "last.pt")
    resume_state = None
    if args.resume and os.path.exists(last_path):
        resume_state = torch.load(last_path, map_location="cpu")
        model.load_state_dict(resume_state["model"])
        step, tokens_seen = resume_state["step"], resume_state["tokens_seen"]
        train_seconds, best_val = resume_state["train_seconds"], resume_state.get("best_val", best_val)
        recorded = resume_state.get("total_steps", 0)
        total_steps = args.max_steps or recorded
        log(f"resumed {last_path} at step {step}/{total_steps}, {tokens_seen:,} tokens"
            + (f" (schedule changed from {recorded} steps by --max-steps)" if total_steps != recorded else ""))
    elif init_state is not None:
        model.load_state_dict(init_state)
        log(f"warm start from {args.init_from} (step {init_ck.get('step')}, {init_ck.get('tokens_seen')} tokens)")
    model.to(device)
    trainer = Trainer(model, tc, args, device, log)
    if resume_state is not None:
        for opt, st in zip(trainer.optimizers, resume_state["optimizers"]):
            opt.load_state_dict(st)
    log(f"model {model.num_parameters():,} parameters; {mcfg.to_json()}")
    log(f"device {device}" + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else "")
        + f"; torch {torch.__version__}; optimizer {args.optimizer}; precision {'bf16' if trainer.amp else 'fp32'}"
        + (f"; {torch.get_num_threads()} threads" if device.type == "cpu" else ""))

    # Workers see the run's progress (the dense-example share follows it).
    import multiprocessing as mp
    progress = mp.Value("d", 0.0)
    stream = BatchStream(args.data, args.tokenizer, tc, model.causal_context, seed * 1000 + step, progress)
    loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=tc.workers,
                                         pin_memory=device.type == "cuda",
                                         **({"prefetch_factor": 4, "persistent_workers": True} if tc.workers else {}))
    batches = iter(loader)
    val_split = "val"
    if os.path.getsize(os.path.join(args.data, "val.tokens.u16")) == 0:
        val_split = "train"  # tiny corpora only; the loss is then not a held-out figure
        log("no validation documents: validating on training documents")
    val_builder = make_builder(args.data, vocab, tc, model.causal_context, val_split, validation=True)
    val_rows = validation_rows(val_builder, tc.val_examples, tc.val_len, tc.row_len, vocab.pad)

    cfg = {"model": model_cfg, "train": tc.to_dict()}  # as run: defaults and overrides included
    json.dump({"config": cfg, "model": mcfg.to_dict(), "parameters": model.num_parameters(), "args": vars(args),
               "data": os.path.abspath(args.data), "device": str(device), "torch": torch.__version__},
              open(os.path.join(run_dir, "run.json"), "w"), indent=1)
    log_path = os.path.join(run_dir, "log.csv")
    new_log = not os.path.exists(log_path)
    csv_file = open(log_path, "a", newline="")
    csv_log = csv.writer(csv_file)
    if new_log:
        csv_log.writerow(["step", "elapsed_s", "tokens_seen", "lr", "loss", "canvas_loss", "masked_ce", "masked_acc",
                          "context_ce", "grad_norm", "tokens_per_s", "val_loss", "val_acc"])

    budget_s = args.minutes * 60.0
    warmup = tc.warmup_steps
    if args.init_from and not args.resume:
        warmup = tc.rewarmup_steps if tc.rewarmup_steps is not None else max(1, warmup // 4)
    decay_frac, min_ratio = tc.decay_frac, tc.min_lr_ratio
    lr_scale_guard = 1.0
    rollbacks = 0
    good_state = None
    tokens_per_step = tc.rows * tc.row_len
    measure_steps = tc.measure_steps
    measure_t0 = None
    measured_step_s = None
    last_ckpt = time.time()
    ema = None
    window_t0, window_steps = time.time(), 0
    accum: dict[str, torch.Tensor] = {}

    def status(phase: str, **extra) -> None:
        st = {"phase": phase, "step": step, "total_steps": total_steps, "tokens_seen": tokens_seen,
              "elapsed_s": round(time.time() - started, 1), "budget_s": budget_s, "best_val": best_val,
              "attention": trainer.backend, "compile": trainer.compiled is not None, "rollbacks": rollbacks,
              "step_s": measured_step_s, **extra}
        with open(os.path.join(run_dir, "status.json.tmp"), "w") as f:
            json.dump(st, f)
        os.replace(os.path.join(run_dir, "status.json.tmp"), os.path.join(run_dir, "status.json"))

    def checkpoint(val_loss: float | None) -> None:
        nonlocal best_val, good_state
        info = {"step": step, "tokens_seen": tokens_seen, "train_seconds": train_seconds, "val_loss": val_loss}
        state = {"model": model.state_dict(), "optimizers": [o.state_dict() for o in trainer.optimizers],
                 "model_config": mcfg.to_dict(), "total_steps": total_steps, "best_val": best_val,
                 "config": cfg, **info}
        save_atomic(last_path, state)
        save_atomic(os.path.join(run_dir, "weights.pt"), weights_only(model, info))
        if val_loss is not None and val_loss < best_val:
            best_val = val_loss
            save_atomic(os.path.join(run_dir, "best.pt"), weights_only(model, info))
        good_state = {"model": copy.deepcopy({k: v.detach().cpu() for k, v in model.state_dict().items()}),
                      "optimizers": copy.deepcopy([o.state_dict() for o in trainer.optimizers]), "step": step}

    status("starting")
    first = next(batches)
    trainer.choose_backend(to_device(first, device))
    pending = first
    model.train()
    while True:
        elapsed = time.time() - started
        if total_steps and step >= total_steps:
            break
        if elapsed > budget_s:
            log(f"time budget reached at step {step}")
            break
        t_step = time.time()
        batch = to_device(pending if pending is not None else next(batches), device)
        pending = None
        factor = lr_factor(step, warmup, total_steps or 10 ** 9, decay_frac, min_ratio) * lr_scale_guard
        stats = trainer.step(batch, factor)
        step += 1
        window_steps += 1
        tokens_seen += tokens_per_step
        for k, v in stats.items():
            accum[k] = accum.get(k, 0.0) + v
        if step == 3:  # compile and warm-up behind us: time from here
            if device.type == "cuda":
                torch.cuda.synchronize()
            measure_t0 = time.time()
        if not total_steps and measure_t0 is not None and step == 3 + measure_steps:
            if device.type == "cuda":
                torch.cuda.synchronize()
            measured_step_s = (time.time() - measure_t0) / measure_steps
            # Reserve for the final validation and checkpoint.
            left = budget_s - (time.time() - started) - tc.reserve_s
            total_steps = step + max(1, int(left / measured_step_s))
            log(f"throughput {tokens_per_step / measured_step_s:,.0f} tokens/s ({measured_step_s * 1000:.0f} ms/step): "
                f"schedule set to {total_steps} steps, {total_steps * tokens_per_step / 1e6:,.0f} M tokens")
        train_seconds += time.time() - t_step
        progress.value = step / total_steps if total_steps else 0.0

        due_ckpt = time.time() - last_ckpt > tc.checkpoint_minutes * 60
        if step % tc.log_every == 0 or due_ckpt or step == total_steps:
            means = {k: float(v) / window_steps for k, v in accum.items()}
            accum, n_win = {}, window_steps
            tps = n_win * tokens_per_step / max(1e-9, time.time() - window_t0)
            window_t0, window_steps = time.time(), 0
            loss_now = means["loss"]
            diverged = not math.isfinite(loss_now) or (ema is not None and step > warmup and loss_now > 3 * ema)
            if diverged and good_state is not None and rollbacks < tc.max_rollbacks:
                rollbacks += 1
                lr_scale_guard *= 0.5
                model.load_state_dict(good_state["model"])
                for opt, st in zip(trainer.optimizers, good_state["optimizers"]):
                    opt.load_state_dict(st)
                log(f"divergence at step {step} (loss {loss_now:.3f}, ema {ema}): back to step {good_state['step']}, "
                    f"learning rate x{lr_scale_guard}")
                step = good_state["step"]
                continue
            if diverged and not math.isfinite(loss_now):
                log(f"loss {loss_now} at step {step} and no good state to return to: stopping")
                break
            ema = loss_now if ema is None else 0.9 * ema + 0.1 * loss_now
            val_loss = val_acc = None
            if due_ckpt or step == total_steps:
                val_loss, val_acc = trainer.validate(val_rows)
            lr = factor * tc.lr
            csv_log.writerow([step, f"{time.time() - started:.1f}", tokens_seen, f"{lr:.3e}", f"{loss_now:.4f}",
                              f"{means['canvas_loss']:.4f}", f"{means['masked_ce']:.4f}", f"{means['masked_acc']:.4f}",
                              f"{means.get('context_ce', float('nan')):.4f}", f"{means['grad_norm']:.3f}", f"{tps:.0f}",
                              "" if val_loss is None else f"{val_loss:.4f}", "" if val_acc is None else f"{val_acc:.4f}"])
            csv_file.flush()
            log(f"step {step}/{total_steps or '?'} loss {loss_now:.4f} canvas {means['canvas_loss']:.4f} "
                f"acc {means['masked_acc']:.3f}" + (f" ctx {means['context_ce']:.3f}" if "context_ce" in means else "")
                + f" lr {lr:.2e} {tps:,.0f} tok/s {tokens_seen / 1e6:.1f}M tok"
                + ("" if val_loss is None else f" | val {val_loss:.4f} acc {val_acc:.3f}"))
            if due_ckpt:
                checkpoint(val_loss)
                last_ckpt = time.time()
            status("training", loss=loss_now, val_loss=val_loss, tokens_per_s=tps)

    val_loss, val_acc = trainer.validate(val_rows)
    csv_log.writerow([step, f"{time.time() - started:.1f}", tokens_seen, "", "", "", "", "", "", "", "",
                      f"{val_loss:.4f}", f"{val_acc:.4f}"])
    csv_file.close()
    checkpoint(val_loss)
    status("done", val_loss=val_loss, val_acc=val_acc)
    log(f"done: step {step}, {tokens_seen:,} tokens, {time.time() - started:.0f} s, val {val_loss:.4f} acc {val_acc:.3f}")


if __name__ == "__main__":
    main()
