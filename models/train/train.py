"""Masked-diffusion training of the bundled code model, on CPU or GPU, resumable.

Each training sequence is shaped like an editor request: `[bos] [lang] prefix · canvas · suffix
[eos]`, with 1-3 canvases cut out of one document window (rest of a line, a whole line, several
lines, an indented block body, a random span, or nothing at all). A canvas of N positions holds
the middle followed by `<pad>` up to N, so the model learns where the middle ends. Per canvas,
t ~ U(0.05, 1]; each canvas position is replaced by `<mask>` with probability t, and the loss is
the cross-entropy on masked canvas positions weighted 1/t, divided by the number of canvas
positions (the MDLM/LLaDA ELBO). Context never attends to canvases; a canvas attends to the
context and to itself (the split contract, see model.py).

    /usr/bin/python3 train.py --config configs/cpu.json --name cpu1 --minutes 60 [--resume]
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bpe import bytes_to_unicode  # noqa: E402
from model import DiffusionLM, ModelConfig, split_attention_mask  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CANVAS_SIZES = (8, 16, 32, 64)
MIDDLE_KINDS = ("rest_of_line", "line", "lines", "block", "span", "empty")
MIDDLE_KIND_P = (0.25, 0.23, 0.2, 0.1, 0.17, 0.05)
MIN_T = 0.05


# ---------------------------------------------------------------- data shards

def byte_level_decoder() -> dict[str, int]:
    """GPT-2 byte-level alphabet: printable stand-in character -> byte value."""
    return {c: b for b, c in bytes_to_unicode().items()}


def token_texts(tokenizer_json: str, vocab_size: int) -> list[str]:
    """Surface text of every token id (byte-level vocabularies decoded), '' for specials."""
    tok = json.load(open(tokenizer_json, encoding="utf-8"))
    vocab: dict[str, int] = tok["model"]["vocab"]
    specials = {t["id"] for t in tok.get("added_tokens", [])}
    byte_of = byte_level_decoder()
    texts = [""] * vocab_size
    for piece, i in vocab.items():
        if i >= vocab_size or i in specials:
            continue
        if all(ch in byte_of for ch in piece):
            texts[i] = bytes(byte_of[ch] for ch in piece).decode("utf-8", errors="replace")
        else:
            texts[i] = piece
    return texts


def indent_widths(texts: list[str]) -> np.ndarray:
    """Width in columns (tab = 4) of tokens made only of spaces/tabs; -1 for all others."""
    out = np.full(len(texts), -1, dtype=np.int32)
    for i, s in enumerate(texts):
        if s and s.strip(" \t") == "":
            out[i] = s.count(" ") + 4 * s.count("\t")
    return out


class Shard:
    """One split of the encoded corpus: tokens (uint16, documents concatenated) + doc offsets."""

    def __init__(self, data_dir: str, split: str):
        self.tokens = np.memmap(os.path.join(data_dir, f"{split}.tokens.u16"), dtype=np.uint16, mode="r")
        self.docs = np.fromfile(os.path.join(data_dir, f"{split}.docs.i64"), dtype=np.int64)
        self.lang = np.fromfile(os.path.join(data_dir, f"{split}.lang.u8"), dtype=np.uint8)
        assert len(self.docs) == len(self.lang) + 1, "docs.i64 must hold ndocs+1 offsets"

    def pick_doc(self, rng: np.random.Generator) -> int:
        """Length-weighted: a random token's document."""
        at = rng.integers(0, self.docs[-1])
        return int(np.searchsorted(self.docs, at, side="right") - 1)


class Vocab:
    """Special ids, language tokens, newline ids and indentation widths, from data meta.json."""

    def __init__(self, data_dir: str, tokenizer_json: str):
        meta = json.load(open(os.path.join(data_dir, "meta.json")))
        self.meta = meta
        self.vocab_size = int(meta["vocab_size"])
        sp = meta["special_tokens"]
        self.mask, self.pad, self.bos, self.eos = sp["mask"], sp["pad"], sp["bos"], sp["eos"]
        # lang.u8 value k -> meta["languages"][k], a VS Code language id with its token.
        self.lang_token = [int(meta["language_token_ids"][name]) for name in meta["languages"]]
        self.other_token = meta["language_token_ids"].get("other")
        self.newline = np.zeros(self.vocab_size, dtype=bool)
        self.newline[np.asarray(meta["newline_token_ids"], dtype=np.int64)] = True
        self.indent = indent_widths(token_texts(tokenizer_json, self.vocab_size))


# ---------------------------------------------------------------- editor-shaped sequences

class Example:
    """One packed training sequence (numpy, length T)."""

    def __init__(self, ids, pos, targets, segment, t_of_segment):
        self.ids = ids                # int64 [T] model input (masked canvases)
        self.pos = pos                # int64 [T] position ids (canvas copies repeat their canvas's)
        self.targets = targets        # int64 [T] canvas targets (context: ignored)
        self.segment = segment        # int64 [T] 0 context, k canvas k
        self.t = t_of_segment         # float [K+1] mask rate per canvas (index 0 unused)


class SequenceBuilder:
    def __init__(self, shard: Shard, vocab: Vocab, max_canvases: int = 3, lang_other_p: float = 0.1,
                 truncate_p: float = 0.08, doc_start_p: float = 0.1, canvas_copies: int = 0, dense_p: float = 0.0):
        self.shard, self.v = shard, vocab
        # Extra copies of every canvas, masked at other rates, at the same positions. A copy sees
        # the context and itself only, so it is an independent ELBO sample that reuses the
        # context's compute: more supervised tokens per second.
        self.canvas_copies = canvas_copies
        self.dense_p = dense_p
        self.max_canvases = max_canvases
        self.lang_other_p = lang_other_p
        self.truncate_p = truncate_p
        self.doc_start_p = doc_start_p

    # -- middles inside a window of tokens w (numpy) with its lines [(start, end_incl_newline)]
    def _lines(self, w: np.ndarray) -> list[tuple[int, int]]:
        nl = np.nonzero(self.v.newline[w])[0]
        starts = np.concatenate([[0], nl + 1])
        ends = np.concatenate([nl + 1, [len(w)]])
        return [(int(s), int(e)) for s, e in zip(starts, ends) if e > s]

    def _line_indent(self, w: np.ndarray, s: int, e: int) -> int:
        """Indent width of the line, or -1 for a blank line."""
        if e - s <= 1 and (e - s == 0 or self.v.newline[w[s]]):
            return -1
        width = int(self.v.indent[w[s]])
        if width < 0:
            return 0
        if s + 1 < e and self.v.newline[w[s + 1]]:
            return -1  # whitespace-only line
        return width

    def _middle(self, kind: str, w: np.ndarray, lines, rng) -> tuple[int, int] | None:
        n = len(w)
        if kind == "span":
            length = int(math.exp(rng.uniform(0, math.log(64))))
            if length >= n:
                return None
            a = int(rng.integers(0, n - length))
            return a, a + length
        if kind == "empty":
            a = int(rng.integers(0, n + 1))
            return a, a
        if not lines:
            return None
        li = int(rng.integers(0, len(lines)))
        s, e = lines[li]
        if kind == "rest_of_line":
            stop = e - 1 if self.v.newline[w[e - 1]] else e
            if stop - s < 1:
                return None
            a = int(rng.integers(s, stop))
            return a, stop
        if kind == "line":
            return s, e
        if kind == "lines":
            k = int(rng.integers(2, 9))
            last = min(len(lines) - 1, li + k - 1)
            return s, lines[last][1]
        if kind == "block":
            # A body: the lines after line li that are indented deeper than li (blank lines inside).
            if li + 1 >= len(lines):
                return None
            head = self._line_indent(w, *lines[li])
            first = self._line_indent(w, *lines[li + 1])
            if head < 0 or first <= head:
                return None
            end = li + 1
            while end + 1 < len(lines):
                ind = self._line_indent(w, *lines[end + 1])
                if 0 <= ind < first:
                    break
                end += 1
            while end > li + 1 and self._line_indent(w, *lines[end]) < 0:
                end -= 1  # trailing blank lines belong to what follows
            return lines[li + 1][0], lines[end][1]
        raise ValueError(kind)

    def _canvas_size(self, length: int, rng) -> int:
        fits = [n for n in CANVAS_SIZES if n >= length]
        shorter = [n for n in CANVAS_SIZES if n < length]
        if not fits or (shorter and rng.random() < self.truncate_p):
            return int(rng.choice(shorter))  # "length" case: canvas all real tokens
        # Favour snug canvases; the looser ones still teach long <pad> tails.
        w = np.asarray([0.6, 0.25, 0.1, 0.05][: len(fits)])
        return int(fits[int(rng.choice(len(fits), p=w / w.sum()))])

    def build(self, rng: np.random.Generator, seq_len: int, fixed_t: float | None = None) -> Example:
        v = self.v
        while True:
            d = self.shard.pick_doc(rng)
            a, b = int(self.shard.docs[d]), int(self.shard.docs[d + 1])
            if b - a >= 8:
                break
        head_lang = v.lang_token[int(self.shard.lang[d])]
        if rng.random() < self.lang_other_p:
            head_lang = v.other_token  # None: dropped
        head = [v.bos] + ([head_lang] if head_lang is not None else [])
        room = seq_len - len(head) - 1
        if b - a > room:
            start = a if rng.random() < self.doc_start_p else int(rng.integers(a, b - room + 1))
            w = np.asarray(self.shard.tokens[start:start + room], dtype=np.int64)
        else:
            w = np.asarray(self.shard.tokens[a:b], dtype=np.int64)
        lines = self._lines(w)

        # Pick non-overlapping middles, each with its canvas size; keep one context token between.
        # Only canvas positions carry loss, so more canvases per window means more supervision
        # per forward pass; P(k) grows with k.
        k_p = np.arange(1, self.max_canvases + 1, dtype=np.float64)
        k = 1 + int(rng.choice(len(k_p), p=k_p / k_p.sum()))
        middles: list[tuple[int, int, int]] = []
        copies = self.canvas_copies
        if fixed_t is None and len(w) >= 16 and rng.random() < self.dense_p:
            # Dense example: one canvas over 30-90% of the window, all real tokens (plain MDLM
            # on the span). Far more supervised tokens per pass than editor-sized holes; it
            # teaches in-canvas denoising, the editor-shaped examples teach length and holes.
            span = max(1, int(len(w) * rng.uniform(0.3, 0.9)))
            a0 = int(rng.integers(0, len(w) - span + 1))
            middles.append((a0, a0 + span, span))
            k, copies = 0, 0
        for _ in range(k * 6):
            if len(middles) == k:
                break
            kind = MIDDLE_KINDS[int(rng.choice(len(MIDDLE_KINDS), p=MIDDLE_KIND_P))]
            m = self._middle(kind, w, lines, rng)
            if m is None:
                continue
            if any(m[0] <= e2 and s2 <= m[1] for s2, e2, _ in middles):
                continue
            middles.append((m[0], m[1], self._canvas_size(m[1] - m[0], rng)))
        if not middles:
            middles.append((0, 0, int(rng.choice(CANVAS_SIZES))))
        middles.sort()

        # Canvases can make the sequence longer than the window: trim context at both edges,
        # as a cursor window would, and drop canvases that no longer fit.
        def total(ms, lo, hi):
            return len(head) + 1 + (hi - lo) + sum(n - (e - s) for s, e, n in ms)
        lo, hi = 0, len(w)
        while middles and total(middles, lo, hi) > seq_len:
            excess = total(middles, lo, hi) - seq_len
            room_lo, room_hi = middles[0][0] - lo, hi - middles[-1][1]
            if room_lo + room_hi < excess:
                middles.pop()
                continue
            # Trim both edges in proportion to what they hold, so prefix and suffix both survive.
            cut_lo = min(room_lo, int(round(excess * room_lo / max(1, room_lo + room_hi))))
            lo += cut_lo
            hi -= excess - cut_lo
        if not middles:
            middles = [(lo, lo, 8)]

        ids, targets, segment = list(head), [-1] * len(head), [0] * len(head)
        ts = [0.0]
        cursor = lo
        canvases = []  # (start index in ids, targets, t)
        for ci, (s, e, n) in enumerate(middles, start=1):
            ids.extend(w[cursor:s].tolist())
            targets.extend([-1] * (s - cursor))
            segment.extend([0] * (s - cursor))
            mid = w[s:e][:n].tolist()
            tgt = mid + [v.pad] * (n - len(mid))
            t = fixed_t if fixed_t is not None else max(MIN_T, 1.0 - rng.random())
            masked = rng.random(n) < t
            canvases.append((len(ids), tgt, t))
            ids.extend([v.mask if masked[j] else tgt[j] for j in range(n)])
            targets.extend(tgt)
            segment.extend([ci] * n)
            ts.append(t)
            cursor = e
        ids.extend(w[cursor:hi].tolist())
        targets.extend([-1] * (hi - cursor))
        segment.extend([0] * (hi - cursor))
        ids.append(v.eos)
        targets.append(-1)
        segment.append(0)
        pos = list(range(len(ids)))
        for k in range(1, copies + 1):
            for start, tgt, t in canvases:
                # Stratified: copies spread their mask rates over (0, 1].
                t_copy = max(MIN_T, (t + k / (copies + 1)) % 1.0)
                masked = rng.random(len(tgt)) < t_copy
                ids.extend([v.mask if masked[j] else tgt[j] for j in range(len(tgt))])
                targets.extend(tgt)
                segment.extend([len(ts)] * len(tgt))
                pos.extend(range(start, start + len(tgt)))
                ts.append(t_copy)
        return Example(np.asarray(ids, np.int64), np.asarray(pos, np.int64), np.asarray(targets, np.int64),
                       np.asarray(segment, np.int64), np.asarray(ts, np.float32))


def collate(examples: list[Example], pad_id: int, mask_id: int):
    """Pad to the longest example. Returns tensors for model + loss."""
    t_max = max(len(e.ids) for e in examples)
    b = len(examples)
    ids = torch.full((b, t_max), pad_id, dtype=torch.long)
    targets = torch.full((b, t_max), -1, dtype=torch.long)
    segment = torch.zeros((b, t_max), dtype=torch.long)
    valid = torch.zeros((b, t_max), dtype=torch.bool)
    pos = torch.zeros((b, t_max), dtype=torch.long)
    weight = torch.zeros((b, t_max), dtype=torch.float32)
    for i, e in enumerate(examples):
        n = len(e.ids)
        ids[i, :n] = torch.from_numpy(e.ids)
        targets[i, :n] = torch.from_numpy(e.targets)
        segment[i, :n] = torch.from_numpy(e.segment)
        pos[i, :n] = torch.from_numpy(e.pos)
        valid[i, :n] = True
        weight[i, :n] = torch.from_numpy(e.t)[torch.from_numpy(e.segment)].reciprocal()
    canvas = segment > 0
    masked = canvas & (ids == mask_id)
    return {
        "ids": ids, "pos": pos, "targets": targets, "segment": segment, "valid": valid,
        "select": masked, "weight": weight, "canvas_tokens": int(canvas.sum()),
    }


def diffusion_loss(model: DiffusionLM, batch: dict) -> tuple[torch.Tensor, dict]:
    """ELBO-weighted CE on masked canvas positions, per canvas position. Also returns stats."""
    mask = split_attention_mask(batch["segment"], batch["valid"])
    sel = batch["select"]
    logits = model.forward_train(batch["ids"], batch["pos"], mask, sel)  # [K,V]
    tgt = batch["targets"][sel]
    ce = F.cross_entropy(logits, tgt, reduction="none")
    loss = (ce * batch["weight"][sel]).sum() / max(1, batch["canvas_tokens"])
    with torch.no_grad():
        acc = (logits.argmax(-1) == tgt).float().mean().item() if len(tgt) else 0.0
        ce_mean = ce.mean().item() if len(tgt) else 0.0
    return loss, {"masked": int(sel.sum()), "acc": acc, "ce": ce_mean}


# ---------------------------------------------------------------- training loop

def load_config(path: str) -> dict:
    cfg = json.load(open(path))
    cfg.setdefault("train", {})
    return cfg


def lr_at(tc: dict, step: int, progress: float) -> float:
    """Linear warmup over steps, then cosine over wall-clock progress (0..1) down to min ratio."""
    base = tc["lr"]
    if step < tc["warmup_steps"]:
        return base * (step + 1) / tc["warmup_steps"]
    p = min(1.0, max(0.0, progress))
    floor = tc.get("min_lr_ratio", 0.1)
    return base * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * p)))


def make_optimizer(model: DiffusionLM, tc: dict) -> torch.optim.Optimizer:
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": tc.get("weight_decay", 0.1)}, {"params": no_decay, "weight_decay": 0.0}],
        lr=tc["lr"], betas=(0.9, 0.95), eps=1e-8)


def pick_seq_len(tc: dict, rng: np.random.Generator) -> int:
    lens, probs = zip(*tc["seq_lens"])
    return int(rng.choice(lens, p=np.asarray(probs) / np.sum(probs)))


def validation_set(builder: SequenceBuilder, tc: dict) -> list[list[Example]]:
    """Fixed batches (fixed seed, mask rates on a grid) so val loss is comparable across steps."""
    rng = np.random.default_rng(1234)
    n = tc.get("val_sequences", 64)
    seq_len = max(length for length, _ in tc["seq_lens"])
    exs = [builder.build(rng, seq_len, fixed_t=(i + 0.5) / n) for i in range(n)]
    bs = max(1, tc["tokens_per_batch"] // seq_len)
    return [exs[i:i + bs] for i in range(0, n, bs)]


@torch.no_grad()
def evaluate_loss(model: DiffusionLM, batches: list[list[Example]], vocab: Vocab) -> tuple[float, float]:
    model.eval()
    tot, tok, acc_n, acc_d = 0.0, 0, 0.0, 0
    for exs in batches:
        batch = collate(exs, vocab.pad, vocab.mask)
        loss, st = diffusion_loss(model, batch)
        tot += loss.item() * batch["canvas_tokens"]
        tok += batch["canvas_tokens"]
        acc_n += st["acc"] * st["masked"]
        acc_d += st["masked"]
    model.train()
    return tot / max(1, tok), acc_n / max(1, acc_d)


def save_checkpoint(path: str, state: dict) -> None:
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--name", required=True, help="run folder under work/runs/")
    ap.add_argument("--minutes", type=float, default=10.0, help="wall-clock budget of this invocation")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--data", default=os.path.join(HERE, "work", "data"))
    ap.add_argument("--tokenizer", default=os.path.join(HERE, "work", "tokenizer", "tokenizer.json"))
    ap.add_argument("--runs", default=os.path.join(HERE, "work", "runs"))
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: no limit)")
    args = ap.parse_args()

    cfg = load_config(args.config)
    tc = cfg["train"]
    torch.set_num_threads(tc.get("threads", 2))
    run_dir = os.path.join(args.runs, args.name)
    os.makedirs(run_dir, exist_ok=True)

    vocab = Vocab(args.data, args.tokenizer)
    mcfg = ModelConfig.from_dict({**cfg["model"], "vocab_size": vocab.vocab_size})
    train_builder = SequenceBuilder(Shard(args.data, "train"), vocab, max_canvases=tc.get("max_canvases", 3),
                                    canvas_copies=tc.get("canvas_copies", 0), dense_p=tc.get("dense_p", 0.0))
    val_batches = validation_set(SequenceBuilder(Shard(args.data, "val"), vocab), tc)

    seed = tc.get("seed", 0)
    torch.manual_seed(seed)
    model = DiffusionLM(mcfg)
    opt = make_optimizer(model, tc)
    rng = np.random.default_rng(seed)
    step, tokens_seen, train_seconds, best_val = 0, 0, 0.0, float("inf")
    last_path = os.path.join(run_dir, "last.pt")
    if args.resume and os.path.exists(last_path):
        ck = torch.load(last_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step, tokens_seen, train_seconds = ck["step"], ck["tokens_seen"], ck["train_seconds"]
        best_val = ck.get("best_val", best_val)
        rng.bit_generator.state = ck["numpy_rng"]
        torch.set_rng_state(ck["torch_rng"])
        random.setstate(ck["py_rng"])
        print(f"resumed {last_path} at step {step}, {tokens_seen} tokens", flush=True)
    json.dump({"config": cfg, "model": mcfg.to_dict(), "parameters": model.num_parameters(),
               "data": os.path.abspath(args.data)}, open(os.path.join(run_dir, "run.json"), "w"), indent=1)
    print(f"model {model.num_parameters():,} parameters; {mcfg.to_json()}", flush=True)

    log_path = os.path.join(run_dir, "log.csv")
    new_log = not os.path.exists(log_path)
    log_file = open(log_path, "a", newline="")
    log = csv.writer(log_file)
    if new_log:
        log.writerow(["step", "train_seconds", "tokens_seen", "lr", "loss", "masked_ce", "masked_acc",
                      "tokens_per_s", "val_loss", "val_acc"])

    def checkpoint(val_loss: float | None) -> None:
        nonlocal best_val
        state = {"model": model.state_dict(), "optimizer": opt.state_dict(), "model_config": mcfg.to_dict(),
                 "step": step, "tokens_seen": tokens_seen, "train_seconds": train_seconds, "best_val": best_val,
                 "numpy_rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
                 "py_rng": random.getstate(), "config": cfg}
        save_checkpoint(last_path, state)
        if val_loss is not None and val_loss < best_val:
            best_val = val_loss
            save_checkpoint(os.path.join(run_dir, "best.pt"),
                            {"model": model.state_dict(), "model_config": mcfg.to_dict(), "step": step,
                             "tokens_seen": tokens_seen, "train_seconds": train_seconds, "val_loss": val_loss})
        snap_every = tc.get("snapshot_every_steps", 0)
        if snap_every and step % snap_every < tc.get("log_every", 10):
            save_checkpoint(os.path.join(run_dir, f"step{step:06d}.pt"),
                            {"model": model.state_dict(), "model_config": mcfg.to_dict(), "step": step,
                             "tokens_seen": tokens_seen, "train_seconds": train_seconds})

    schedule_s = tc["schedule_minutes"] * 60.0
    started = time.time()
    last_ckpt = time.time()
    window_tokens, window_t0 = 0, time.time()
    model.train()
    while True:
        if time.time() - started > args.minutes * 60 or (args.max_steps and step >= args.max_steps):
            break
        t0 = time.time()
        seq_len = pick_seq_len(tc, rng)
        bs = max(1, tc["tokens_per_batch"] // seq_len)
        batch = collate([train_builder.build(rng, seq_len) for _ in range(bs)], vocab.pad, vocab.mask)
        lr = lr_at(tc, step, train_seconds / schedule_s)
        for g in opt.param_groups:
            g["lr"] = lr
        loss, st = diffusion_loss(model, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tc.get("grad_clip", 1.0))
        opt.step()
        step += 1
        n_tok = int(batch["valid"].sum())
        tokens_seen += n_tok
        window_tokens += n_tok
        train_seconds += time.time() - t0

        due_ckpt = time.time() - last_ckpt > tc.get("checkpoint_minutes", 4) * 60
        if step % tc.get("log_every", 10) == 0 or due_ckpt:
            tps = window_tokens / max(1e-9, time.time() - window_t0)
            window_tokens, window_t0 = 0, time.time()
            val_loss = val_acc = None
            if due_ckpt:
                val_loss, val_acc = evaluate_loss(model, val_batches, vocab)
            log.writerow([step, f"{train_seconds:.1f}", tokens_seen, f"{lr:.3e}", f"{loss.item():.4f}",
                          f"{st['ce']:.4f}", f"{st['acc']:.4f}", f"{tps:.0f}",
                          "" if val_loss is None else f"{val_loss:.4f}", "" if val_acc is None else f"{val_acc:.4f}"])
            log_file.flush()
            print(f"step {step} loss {loss.item():.4f} ce {st['ce']:.3f} acc {st['acc']:.3f} lr {lr:.2e} "
                  f"{tps:.0f} tok/s {tokens_seen/1e6:.2f}M tok" + ("" if val_loss is None else
                                                                     f" | val {val_loss:.4f} acc {val_acc:.3f}"),
                  flush=True)
            if due_ckpt:
                checkpoint(val_loss)
                last_ckpt = time.time()

    val_loss, val_acc = evaluate_loss(model, val_batches, vocab)
    log.writerow([step, f"{train_seconds:.1f}", tokens_seen, "", "", "", "", "", f"{val_loss:.4f}", f"{val_acc:.4f}"])
    log_file.close()
    checkpoint(val_loss)
    print(f"done: step {step}, {tokens_seen} tokens, {train_seconds:.0f} s training, val {val_loss:.4f} "
          f"acc {val_acc:.3f}", flush=True)


if __name__ == "__main__":
    main()
