"""One training step on a device: the diffusion loss, the optimizers, and the GPU features (bf16 autocast,
flex or SDPA attention, torch.compile) that passed their start-up checks, each with its fallback.
"""
from __future__ import annotations

import contextlib
import os

import numpy as np
import torch
import torch.nn.functional as F

from dllm_train.data.examples import CANVAS, CONTEXT_LM
from dllm_train.model.model import DiffusionLM
from dllm_train.model.training_mask import TrainingMask
from dllm_train.training.batches import to_device
from dllm_train.training.config import TrainConfig
from dllm_train.training.optim import make_optimizers, set_lr


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
        # CPU SDPA runs each packed example of a row on its own (training_mask.example_spans): it skips the
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
