"""One invocation's training steps and the run folder's files they keep up to date.

The schedule is set from the throughput measured after compilation (unless fixed); every `log_every`
steps a log line and a `log.csv` row; every `checkpoint_minutes` validation, `last.pt` (resumable),
`weights.pt` (fp16 weights only) and `best.pt`; `status.json` says where the run is. A loss that is not
finite or over 3x its running mean rolls the model and optimizers back to the last checkpoint and
halves the learning rate (at most `max_rollbacks` times).
"""
from __future__ import annotations

import copy
import csv
import json
import math
import os
import time
from dataclasses import dataclass

import torch

from dllm_train.model.model import DiffusionLM, ModelConfig
from dllm_train.training.batches import to_device
from dllm_train.training.config import TrainConfig
from dllm_train.training.optim import lr_factor
from dllm_train.training.trainer import Trainer

LOG_COLUMNS = ["step", "elapsed_s", "tokens_seen", "lr", "loss", "canvas_loss", "masked_ce", "masked_acc",
               "context_ce", "grad_norm", "tokens_per_s", "val_loss", "val_acc"]


class RunLog:
    """Log lines, `[elapsed] message`, to stdout and the run folder's train.log."""

    def __init__(self, path: str, started: float):
        self.file = open(path, "a")
        self.started = started

    def __call__(self, msg: str) -> None:
        line = f"[{time.time() - self.started:7.1f}s] {msg}"
        print(line, flush=True)
        self.file.write(line + "\n")
        self.file.flush()


@dataclass
class Position:
    """Where the run stands; saved in last.pt and restored by --resume."""
    step: int = 0
    tokens_seen: int = 0
    train_seconds: float = 0.0
    best_val: float = float("inf")
    total_steps: int = 0  # 0: not set yet (set from the measured throughput)


def save_atomic(path: str, state: dict) -> None:
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def weights_only(model: DiffusionLM, info: dict) -> dict:
    """fp16 weights + config: what export needs, half the bytes of fp32."""
    return {"model": {k: v.detach().to("cpu", torch.float16) for k, v in model.state_dict().items()},
            "model_config": model.cfg.to_dict(), **info}


class TrainingLoop:
    def __init__(self, trainer: Trainer, tc: TrainConfig, mcfg: ModelConfig, cfg: dict, at: Position, run_dir: str,
                 budget_s: float, warmup: int, started: float, log: RunLog):
        self.trainer, self.model, self.tc, self.mcfg, self.cfg = trainer, trainer.model, tc, mcfg, cfg
        self.at, self.run_dir, self.budget_s, self.warmup = at, run_dir, budget_s, warmup
        self.started, self.log = started, log
        self.device = trainer.device
        log_path = os.path.join(run_dir, "log.csv")
        new_log = not os.path.exists(log_path)
        self.csv_file = open(log_path, "a", newline="")
        self.csv_log = csv.writer(self.csv_file)
        if new_log:
            self.csv_log.writerow(LOG_COLUMNS)
        self.lr_scale_guard = 1.0
        self.rollbacks = 0
        self.good_state: dict | None = None
        self.tokens_per_step = tc.rows * tc.row_len
        self.measure_t0: float | None = None
        self.measured_step_s: float | None = None
        self.last_ckpt = time.time()
        self.ema: float | None = None
        self.window_t0, self.window_steps = time.time(), 0
        self.accum: dict[str, torch.Tensor] = {}

    # ---- the run folder's files

    def status(self, phase: str, **extra) -> None:
        at = self.at
        st = {"phase": phase, "step": at.step, "total_steps": at.total_steps, "tokens_seen": at.tokens_seen,
              "elapsed_s": round(time.time() - self.started, 1), "budget_s": self.budget_s, "best_val": at.best_val,
              "attention": self.trainer.backend, "compile": self.trainer.compiled is not None,
              "rollbacks": self.rollbacks, "step_s": self.measured_step_s, **extra}
        with open(os.path.join(self.run_dir, "status.json.tmp"), "w") as f:
            json.dump(st, f)
        os.replace(os.path.join(self.run_dir, "status.json.tmp"), os.path.join(self.run_dir, "status.json"))

    def checkpoint(self, val_loss: float | None) -> None:
        at, model, optimizers = self.at, self.model, self.trainer.optimizers
        info = {"step": at.step, "tokens_seen": at.tokens_seen, "train_seconds": at.train_seconds, "val_loss": val_loss}
        state = {"model": model.state_dict(), "optimizers": [o.state_dict() for o in optimizers],
                 "model_config": self.mcfg.to_dict(), "total_steps": at.total_steps, "best_val": at.best_val,
                 "config": self.cfg, **info}
        save_atomic(os.path.join(self.run_dir, "last.pt"), state)
        save_atomic(os.path.join(self.run_dir, "weights.pt"), weights_only(model, info))
        if val_loss is not None and val_loss < at.best_val:
            at.best_val = val_loss
            save_atomic(os.path.join(self.run_dir, "best.pt"), weights_only(model, info))
        self.good_state = {"model": copy.deepcopy({k: v.detach().cpu() for k, v in model.state_dict().items()}),
                           "optimizers": copy.deepcopy([o.state_dict() for o in optimizers]), "step": at.step}

    # ---- the steps

    def run(self, batches, val_rows: dict, progress) -> None:
        """Steps until the schedule ends or the time budget is spent, then the final validation and
        checkpoint. `progress` (a shared double) tells the batch workers the share of the run done."""
        at = self.at
        self.status("starting")
        first = next(batches)
        self.trainer.choose_backend(to_device(first, self.device))
        pending = first
        self.model.train()
        while True:
            elapsed = time.time() - self.started
            if at.total_steps and at.step >= at.total_steps:
                break
            if elapsed > self.budget_s:
                self.log(f"time budget reached at step {at.step}")
                break
            t_step = time.time()
            batch = to_device(pending if pending is not None else next(batches), self.device)
            pending = None
            factor = lr_factor(at.step, self.warmup, at.total_steps or 10 ** 9, self.tc.decay_frac,
                               self.tc.min_lr_ratio) * self.lr_scale_guard
            stats = self.trainer.step(batch, factor)
            at.step += 1
            self.window_steps += 1
            at.tokens_seen += self.tokens_per_step
            for k, v in stats.items():
                self.accum[k] = self.accum.get(k, 0.0) + v
            self.measure_throughput()
            at.train_seconds += time.time() - t_step
            progress.value = at.step / at.total_steps if at.total_steps else 0.0

            due_ckpt = time.time() - self.last_ckpt > self.tc.checkpoint_minutes * 60
            if at.step % self.tc.log_every == 0 or due_ckpt or at.step == at.total_steps:
                outcome = self.log_window(factor, due_ckpt, val_rows)
                if outcome == "stop":
                    break
        self.finish(val_rows)

    def measure_throughput(self) -> None:
        """From step 3 (compile and warm-up behind us) time `measure_steps` steps, and set the schedule so
        that it ends within the budget, less the reserve for the final validation and checkpoint."""
        at = self.at
        if at.step == 3:
            if self.device.type == "cuda":
                torch.cuda.synchronize()
            self.measure_t0 = time.time()
        if not at.total_steps and self.measure_t0 is not None and at.step == 3 + self.tc.measure_steps:
            if self.device.type == "cuda":
                torch.cuda.synchronize()
            self.measured_step_s = (time.time() - self.measure_t0) / self.tc.measure_steps
            left = self.budget_s - (time.time() - self.started) - self.tc.reserve_s
            at.total_steps = at.step + max(1, int(left / self.measured_step_s))
            self.log(f"throughput {self.tokens_per_step / self.measured_step_s:,.0f} tokens/s "
                     f"({self.measured_step_s * 1000:.0f} ms/step): schedule set to {at.total_steps} steps, "
                     f"{at.total_steps * self.tokens_per_step / 1e6:,.0f} M tokens")

    def log_window(self, factor: float, due_ckpt: bool, val_rows: dict) -> str:
        """The log line of the steps since the last one, the divergence guard, and the checkpoint when due.
        Returns "rolled back", "stop" (a non-finite loss with nothing to return to) or "logged"."""
        at, tc = self.at, self.tc
        means = {k: float(v) / self.window_steps for k, v in self.accum.items()}
        self.accum, n_win = {}, self.window_steps
        tps = n_win * self.tokens_per_step / max(1e-9, time.time() - self.window_t0)
        self.window_t0, self.window_steps = time.time(), 0
        loss_now = means["loss"]
        ema = self.ema
        diverged = not math.isfinite(loss_now) or (ema is not None and at.step > self.warmup and loss_now > 3 * ema)
        if diverged and self.good_state is not None and self.rollbacks < tc.max_rollbacks:
            self.rollbacks += 1
            self.lr_scale_guard *= 0.5
            self.model.load_state_dict(self.good_state["model"])
            for opt, st in zip(self.trainer.optimizers, self.good_state["optimizers"]):
                opt.load_state_dict(st)
            self.log(f"divergence at step {at.step} (loss {loss_now:.3f}, ema {ema}): back to step "
                     f"{self.good_state['step']}, learning rate x{self.lr_scale_guard}")
            at.step = self.good_state["step"]
            return "rolled back"
        if diverged and not math.isfinite(loss_now):
            self.log(f"loss {loss_now} at step {at.step} and no good state to return to: stopping")
            return "stop"
        self.ema = loss_now if ema is None else 0.9 * ema + 0.1 * loss_now
        val_loss = val_acc = None
        if due_ckpt or at.step == at.total_steps:
            val_loss, val_acc = self.trainer.validate(val_rows)
        lr = factor * tc.lr
        self.csv_log.writerow([at.step, f"{time.time() - self.started:.1f}", at.tokens_seen, f"{lr:.3e}",
                               f"{loss_now:.4f}", f"{means['canvas_loss']:.4f}", f"{means['masked_ce']:.4f}",
                               f"{means['masked_acc']:.4f}", f"{means.get('context_ce', float('nan')):.4f}",
                               f"{means['grad_norm']:.3f}", f"{tps:.0f}",
                               "" if val_loss is None else f"{val_loss:.4f}",
                               "" if val_acc is None else f"{val_acc:.4f}"])
        self.csv_file.flush()
        self.log(f"step {at.step}/{at.total_steps or '?'} loss {loss_now:.4f} canvas {means['canvas_loss']:.4f} "
                 f"acc {means['masked_acc']:.3f}" + (f" ctx {means['context_ce']:.3f}" if "context_ce" in means else "")
                 + f" lr {lr:.2e} {tps:,.0f} tok/s {at.tokens_seen / 1e6:.1f}M tok"
                 + ("" if val_loss is None else f" | val {val_loss:.4f} acc {val_acc:.3f}"))
        if due_ckpt:
            self.checkpoint(val_loss)
            self.last_ckpt = time.time()
        self.status("training", loss=loss_now, val_loss=val_loss, tokens_per_s=tps)
        return "logged"

    def finish(self, val_rows: dict) -> None:
        at = self.at
        val_loss, val_acc = self.trainer.validate(val_rows)
        self.csv_log.writerow([at.step, f"{time.time() - self.started:.1f}", at.tokens_seen, "", "", "", "", "", "",
                               "", "", f"{val_loss:.4f}", f"{val_acc:.4f}"])
        self.csv_file.close()
        self.checkpoint(val_loss)
        self.status("done", val_loss=val_loss, val_acc=val_acc)
        self.log(f"done: step {at.step}, {at.tokens_seen:,} tokens, {time.time() - self.started:.0f} s, "
                 f"val {val_loss:.4f} acc {val_acc:.3f}")
