"""Masked-diffusion training of the bundled code model, on a GPU or a CPU, resumable.

Batches are fixed-shape rows of packed editor-shaped examples (data.examples), built in worker
processes (batches.py); one step and its fallbacks are trainer.py's, the loop and the run folder's
files loop.py's. On CUDA: bf16 autocast with an fp32 loss, TF32, fused AdamW or Muon, flex or SDPA
attention with the mask built on the GPU, torch.compile. Every one of those sits behind a switch
with a fallback (plain attention, no compile, fp32, AdamW), and the run falls back by itself when a
GPU feature fails its start-up check, so the same code runs on Debian's torch 1.13 on a CPU.

The learning rate is warmup / stable / decay in steps; the step count is set from the
throughput the run measures over its first steps, so the decay ends with the time budget
(`--minutes`). Checkpoints every `checkpoint_minutes` (`last.pt`, resumable; `weights.pt`, fp16
weights only, small enough to send back early); a divergence guard rolls back to the last good
state and halves the learning rate. `status.json` says where the run is.

    python3 -m dllm_train.training.train --config configs/gpu.json --name gpu1 --data work/data --minutes 18
    python3 -m dllm_train.training.train --config configs/gpu.json --name gpu2 --init-from shipped.pt --minutes 18
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import time

import torch

from dllm_train.data.encoded import Vocab
from dllm_train.data.examples import validation_rows
from dllm_train.model.model import DiffusionLM, ModelConfig, load_checkpoint
from dllm_train.paths import SHIPPED_MODEL, WORK
from dllm_train.training.batches import BatchStream, make_builder
from dllm_train.training.config import ConfigError, TrainConfig, load_config, parse_overrides
from dllm_train.training.loop import Position, RunLog, TrainingLoop
from dllm_train.training.trainer import Trainer, cpu_threads, pick_device

# Model keys a warm start may change: no weight's shape depends on them (a bidirectional context
# turned causal keeps every weight; the training adapts them).
WARM_START_MAY_CHANGE = ("context_attention", "rope_theta")


def parser() -> argparse.ArgumentParser:
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
    return ap


def resolve_config(ap: argparse.ArgumentParser, args) -> tuple[dict, dict, TrainConfig]:
    """The model section, the --model-set overrides and the train config, from the file and the flags
    (the dedicated flags win over the file and --set); a bad key ends the run with its name."""
    try:
        model_overrides = parse_overrides(args.model_set, "--model-set")
        model_cfg, tc = load_config(args.config, parse_overrides(args.set, "--set"), model_overrides)
    except ConfigError as e:
        ap.error(str(e))
    for key in ("optimizer", "workers", "seed", "threads"):
        if getattr(args, key) is not None:
            setattr(tc, key, getattr(args, key))
    args.optimizer = tc.optimizer
    return model_cfg, model_overrides, tc


def setup_device(arg: str, tc: TrainConfig) -> torch.device:
    device = pick_device(arg)
    if device.type == "cpu":
        torch.set_num_threads(cpu_threads(tc.threads))
    else:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return device


def build_model(args, tc: TrainConfig, model_cfg: dict, model_overrides: dict, vocab: Vocab, run_dir: str,
                log: RunLog) -> tuple[DiffusionLM, ModelConfig, dict, Position, dict | None]:
    """The model as the config says, or as a warm start's checkpoint says (with what --model-set may
    change), with the weights of --resume's last.pt or of --init-from. Returns the model, its config,
    the model section as run, the run's position and the resumed state (for the optimizers)."""
    init_state = init_ck = None
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
    torch.manual_seed(tc.seed)
    model = DiffusionLM(mcfg)
    at = Position(total_steps=args.max_steps)
    last_path = os.path.join(run_dir, "last.pt")
    resume_state = None
    if args.resume and os.path.exists(last_path):
        resume_state = torch.load(last_path, map_location="cpu")
        model.load_state_dict(resume_state["model"])
        at.step, at.tokens_seen = resume_state["step"], resume_state["tokens_seen"]
        at.train_seconds, at.best_val = resume_state["train_seconds"], resume_state.get("best_val", at.best_val)
        recorded = resume_state.get("total_steps", 0)
        at.total_steps = args.max_steps or recorded
        log(f"resumed {last_path} at step {at.step}/{at.total_steps}, {at.tokens_seen:,} tokens"
            + (f" (schedule changed from {recorded} steps by --max-steps)" if at.total_steps != recorded else ""))
    elif init_state is not None and init_ck is not None:
        model.load_state_dict(init_state)
        log(f"warm start from {args.init_from} (step {init_ck.get('step')}, {init_ck.get('tokens_seen')} tokens)")
    return model, mcfg, model_cfg, at, resume_state


def batch_loader(args, tc: TrainConfig, model: DiffusionLM, step: int, progress, device: torch.device):
    """Endless training batches from tc.workers processes, which see the run's progress (the
    dense-example share follows it)."""
    stream = BatchStream(args.data, args.tokenizer, tc, model.causal_context, tc.seed * 1000 + step, progress)
    loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=tc.workers,
                                         pin_memory=device.type == "cuda",
                                         **({"prefetch_factor": 4, "persistent_workers": True} if tc.workers else {}))
    return iter(loader)


def validation_set(args, tc: TrainConfig, vocab: Vocab, causal: bool, log: RunLog) -> dict:
    """The fixed validation rows: validation documents, or training documents for a corpus without any."""
    val_split = "val"
    if os.path.getsize(os.path.join(args.data, "val.tokens.u16")) == 0:
        val_split = "train"  # tiny corpora only; the loss is then not a held-out figure
        log("no validation documents: validating on training documents")
    val_builder = make_builder(args.data, vocab, tc, causal, val_split, validation=True)
    return validation_rows(val_builder, tc.val_examples, tc.val_len, tc.row_len, vocab.pad)


def main() -> None:
    ap = parser()
    args = ap.parse_args()
    started = time.time()
    model_cfg, model_overrides, tc = resolve_config(ap, args)
    device = setup_device(args.device, tc)
    run_dir = os.path.join(args.runs, args.name)
    os.makedirs(run_dir, exist_ok=True)
    log = RunLog(os.path.join(run_dir, "train.log"), started)

    vocab = Vocab(args.data, args.tokenizer)
    model, mcfg, model_cfg, at, resume_state = build_model(args, tc, model_cfg, model_overrides, vocab, run_dir, log)
    model.to(device)
    trainer = Trainer(model, tc, args, device, log)
    if resume_state is not None:
        for opt, st in zip(trainer.optimizers, resume_state["optimizers"]):
            opt.load_state_dict(st)
    log(f"model {model.num_parameters():,} parameters; {mcfg.to_json()}")
    log(f"device {device}" + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else "")
        + f"; torch {torch.__version__}; optimizer {args.optimizer}; precision {'bf16' if trainer.amp else 'fp32'}"
        + (f"; {torch.get_num_threads()} threads" if device.type == "cpu" else ""))

    progress = mp.Value("d", 0.0)
    batches = batch_loader(args, tc, model, at.step, progress, device)
    val_rows = validation_set(args, tc, vocab, model.causal_context, log)

    cfg = {"model": model_cfg, "train": tc.to_dict()}  # as run: defaults and overrides included
    json.dump({"config": cfg, "model": mcfg.to_dict(), "parameters": model.num_parameters(), "args": vars(args),
               "data": os.path.abspath(args.data), "device": str(device), "torch": torch.__version__},
              open(os.path.join(run_dir, "run.json"), "w"), indent=1)

    warmup = tc.warmup_steps
    if args.init_from and not args.resume:
        warmup = tc.rewarmup_steps if tc.rewarmup_steps is not None else max(1, warmup // 4)
    loop = TrainingLoop(trainer, tc, mcfg, cfg, at, run_dir, args.minutes * 60.0, warmup, started, log)
    loop.run(batches, val_rows, progress)


if __name__ == "__main__":
    main()
