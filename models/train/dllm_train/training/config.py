"""The training configuration: a configs/*.json file plus command-line overrides.

A config file has two sections: "model" (ModelConfig's fields, model.py) and "train"
(TrainConfig's, below). A key that neither knows is an error naming the key and the file: a
misspelt key would otherwise train silently with the default.

    model, tc = load_config("configs/gpu.json", train_overrides={"lr": 1e-3})
"""
from __future__ import annotations

import difflib
import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import cast

from dllm_train.model.model import ModelConfig

MODEL_KEYS = tuple(f.name for f in fields(ModelConfig))
SECTIONS = ("model", "train")


class ConfigError(ValueError):
    """A config file or override with a key no config knows."""


@dataclass
class TrainConfig:
    # optimizer
    optimizer: str = "adamw"  # "adamw" for all parameters, or "muon" for hidden matrices + AdamW for the rest
    lr: float = 3e-3  # peak AdamW learning rate
    muon_lr: float = 0.02  # peak Muon learning rate (optimizer "muon")
    weight_decay: float = 0.1  # AdamW decoupled weight decay of matrices and embedding (norms: none)
    muon_weight_decay: float = 0.0  # Muon decoupled weight decay
    grad_clip: float = 1.0  # largest global gradient norm; larger gradients are scaled down
    # schedule (in steps; the length comes from --max-steps or from the measured throughput)
    warmup_steps: int = 100  # linear warmup, steps
    rewarmup_steps: int | None = None  # warmup after --init-from, steps; None: warmup_steps // 4, at least 1
    decay_frac: float = 0.25  # share of the schedule spent in the final linear decay
    min_lr_ratio: float = 0.1  # learning rate at the end of the decay, as a fraction of the peak
    measure_steps: int = 20  # steps timed (after 3 warm-up steps) to size the schedule to --minutes
    reserve_s: float = 20.0  # seconds of the budget kept for the final validation and checkpoint
    # batches (data.py)
    rows: int = 12  # rows per batch
    row_len: int = 512  # positions per row
    # (longest example in positions, probability) pairs: the length of each example packed into a row
    example_lens: list[tuple[int, float]] = field(default_factory=lambda: [(256, 0.4), (512, 0.6)])
    canvas_copies: int = 1  # extra copies of each canvas, masked at other rates (0: none)
    dense_p_start: float = 0.5  # share of dense examples (one canvas over 30-90% of the window) at the start
    dense_p_end: float = 0.15  # the same at the end of the run (linear in between)
    suffix_gap_p: float = 0.0  # probability of 1..data.MAX_SUFFIX_GAP unused positions between canvas and suffix
    context_lm_weight: float = 0.0  # weight of the context next-token loss (causal context only; 0: off)
    lang_weights: dict[str, float] | None = None  # document weight per language ("*": the rest); None: by tokens
    # validation
    val_examples: int = 64  # fixed validation examples, one per row
    val_len: int = 512  # longest validation example, positions
    # bookkeeping
    checkpoint_minutes: float = 2.0  # minutes between validations + checkpoints
    log_every: int = 20  # steps between log lines
    max_rollbacks: int = 3  # divergence roll-backs (each halves the learning rate) before giving up
    # machine
    threads: int = 0  # torch threads on a CPU (0: every core this process may use)
    workers: int = 0  # batch-building processes (0: in the training process)
    seed: int = 0  # model initialisation and data order

    def __post_init__(self):
        # JSON has no tuples: pairs come in as lists.
        self.example_lens = cast(list[tuple[int, float]], [tuple(x) for x in self.example_lens])

    @classmethod
    def from_dict(cls, d: dict, source: str = "train config") -> TrainConfig:
        check_keys(d, TRAIN_KEYS, source)
        return cls(**d)

    def to_dict(self) -> dict:
        """Plain JSON values, as a config file holds them (checkpoints and run.json record this)."""
        d = asdict(self)
        d["example_lens"] = [list(x) for x in self.example_lens]
        return d


TRAIN_KEYS = tuple(f.name for f in fields(TrainConfig))


def check_keys(d: dict, known: tuple[str, ...], source: str) -> None:
    for key in d:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{source}: unknown key {key!r}{hint}")


def load_config(path: str, train_overrides: dict | None = None,
                model_overrides: dict | None = None) -> tuple[dict, TrainConfig]:
    """The model section as a dict (only the keys the file and overrides set: a warm start compares
    them with its checkpoint's) and the train section as a TrainConfig, defaults filled in."""
    train_overrides, model_overrides = train_overrides or {}, model_overrides or {}
    with open(path) as f:
        cfg = json.load(f)
    check_keys(cfg, SECTIONS, path)
    model = cfg.get("model", {})
    check_keys(model, MODEL_KEYS, f'{path}, "model"')
    check_keys(model_overrides, MODEL_KEYS, "--model-set")
    tc = TrainConfig.from_dict(cfg.get("train", {}), f'{path}, "train"')
    check_keys(train_overrides, TRAIN_KEYS, "--set")
    return {**model, **model_overrides}, replace(tc, **train_overrides)


def parse_overrides(pairs: list[str], flag: str = "--set") -> dict:
    """["lr=1e-3", 'optimizer="muon"'] -> {"lr": 0.001, "optimizer": "muon"} (values are JSON)."""
    out = {}
    for pair in pairs:
        key, _, raw = pair.partition("=")
        try:
            out[key] = json.loads(raw)
        except ValueError:
            raise ConfigError(f"{flag} {pair}: expected KEY=JSON (strings in double quotes)") from None
    return out
