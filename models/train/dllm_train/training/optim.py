"""Optimizers and the learning-rate schedule.

AdamW (fused on CUDA where torch has it) for everything, or Muon for the hidden weight matrices
with AdamW for the rest (embedding/LM head, norms). Muon follows the momentum with an
approximately orthogonalised update (Newton-Schulz iteration, as in the modded-nanogpt speed runs).

The schedule is warmup / stable / decay in steps. Its length is set once the run has measured its
own throughput (loop.py, measure_throughput), so the decay ends when the time does.
"""
from __future__ import annotations

import torch

from dllm_train.training.config import TrainConfig


def newton_schulz(g: torch.Tensor, steps: int = 5, bf16: bool | None = None) -> torch.Tensor:
    """Approximately U V^T of g's SVD (quintic iteration tuned to converge fast, not exactly).
    bf16: iterate in bf16 (default: on CUDA; a CPU with native bf16 is asked by the caller), else fp32."""
    a, b, c = 3.4445, -4.7750, 2.0315
    if bf16 is None:
        bf16 = g.is_cuda
    x = g.to(torch.bfloat16) if bf16 else g.float()
    transposed = x.shape[0] > x.shape[1]
    if transposed:
        x = x.T
    x = x / (x.norm() + 1e-7)
    for _ in range(steps):
        m = x @ x.T
        x = a * x + (b * m + c * m @ m) @ x
    if transposed:
        x = x.T
    return x.to(g.dtype)


class Muon(torch.optim.Optimizer):
    """Momentum + orthogonalised update for 2-D weights; decoupled weight decay."""

    def __init__(self, params, lr: float = 0.02, momentum: float = 0.95, weight_decay: float = 0.0,
                 ns_steps: int = 5, ns_bf16: bool | None = None):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, ns_steps=ns_steps))
        self.ns_bf16 = ns_bf16  # Newton-Schulz in bf16 (None: on CUDA)

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "momentum" not in state:
                    state["momentum"] = torch.zeros_like(p)
                buf = state["momentum"]
                buf.mul_(group["momentum"]).add_(p.grad)
                g = p.grad.add(buf, alpha=group["momentum"])  # Nesterov
                update = newton_schulz(g, group["ns_steps"], self.ns_bf16)
                scale = max(1.0, p.shape[0] / p.shape[1]) ** 0.5
                if group["weight_decay"]:
                    p.mul_(1 - group["lr"] * group["weight_decay"])
                p.add_(update, alpha=-group["lr"] * scale)


def make_optimizers(model: torch.nn.Module, tc: TrainConfig, kind: str, device: torch.device,
                    ns_bf16: bool | None = None) -> list[torch.optim.Optimizer]:
    """kind "adamw" or "muon". Each optimizer's groups carry "base_lr" for the schedule. ns_bf16:
    Muon's Newton-Schulz in bf16 (None: on CUDA only)."""
    embed = [p for n, p in model.named_parameters() if n.startswith("embed.")]
    matrices = [p for n, p in model.named_parameters() if p.dim() >= 2 and not n.startswith("embed.")]
    vectors = [p for p in model.parameters() if p.dim() < 2]
    wd = tc.weight_decay
    fused = {"fused": True} if device.type == "cuda" and "fused" in torch.optim.AdamW.__init__.__code__.co_varnames else {}
    adam_lr = tc.lr
    if kind == "adamw":
        groups = [{"params": embed + matrices, "weight_decay": wd}, {"params": vectors, "weight_decay": 0.0}]
        opt = torch.optim.AdamW(groups, lr=adam_lr, betas=(0.9, 0.95), eps=1e-8, **fused)
        for g in opt.param_groups:
            g["base_lr"] = adam_lr
        return [opt]
    if kind != "muon":
        raise ValueError(f"optimizer {kind!r} is not adamw or muon")
    muon = Muon(matrices, lr=tc.muon_lr, weight_decay=tc.muon_weight_decay, ns_bf16=ns_bf16)
    adam = torch.optim.AdamW([{"params": embed, "weight_decay": wd}, {"params": vectors, "weight_decay": 0.0}],
                             lr=adam_lr, betas=(0.9, 0.95), eps=1e-8, **fused)
    for g in muon.param_groups:
        g["base_lr"] = tc.muon_lr
    for g in adam.param_groups:
        g["base_lr"] = adam_lr
    return [muon, adam]


def lr_factor(step: int, warmup: int, total: int, decay_frac: float, min_ratio: float) -> float:
    """Warmup (linear), stable (1), decay (linear to min_ratio over the last decay_frac of total)."""
    if step < warmup:
        return (step + 1) / warmup
    decay_start = total - int(decay_frac * total)
    if step < decay_start or total <= 0:
        return 1.0
    p = min(1.0, (step - decay_start) / max(1, total - decay_start))
    return 1.0 - (1.0 - min_ratio) * p


def set_lr(optimizers: list[torch.optim.Optimizer], factor: float) -> None:
    for opt in optimizers:
        for g in opt.param_groups:
            g["lr"] = g["base_lr"] * factor
