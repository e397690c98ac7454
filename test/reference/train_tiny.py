"""
Trains a tiny Dream-family checkpoint on this repository's own code, so that what depends on
trained attention (the cached mode's drift, int8's error, greedy completions) can be measured
without downloading real weights. Writes the folder make_checkpoint.py writes for dream-qwen2
(Open-dCoder's published layout: config.json with model_type qwen2 and tied embeddings,
generation_config.json, tokenizer_config.json, tokenizer.json, bf16 model.safetensors), with a
byte-level BPE of ~2048 ids trained on the corpus and TRAINED weights.

Model: transformers' Qwen2ForCausalLM made bidirectional as reference.py's dream_logits does
(is_causal False on every module, an all-zeros additive mask as {"full_attention": mask}); hidden
256, 6 layers, 8 heads, 2 key/value heads, intermediate 768, rope_theta 10000.
Objective: Dream's masked diffusion with shifted logits. Per sequence t ~ U(0.02, 1); each token
but the first is replaced by the mask id <M> with probability t; the logits at position i − 1
predict token i; cross-entropy on the masked positions weighted 1 / t, averaged over all tokens.
256-token windows, batch 16, AdamW lr 1e-3 (50 warm-up steps, cosine decay over the time budget),
bf16 autocast on CPU with fp32 master weights, 2 threads.
Corpus: src/**/*.ts, test/**/*.ts, models/train/**/*.py (not eval/: that is the evaluation data);
5% of the files are held out for the validation loss, printed before and after training.

Usage: train_tiny.py [--minutes 12] [--out .cache/tiny-trained/hf] [--seed 0]

Reproducing the figures of models/README.md, "Drift on a trained checkpoint" (python: the venv of
setup.sh; on a shared machine run each step under nice -n 19). The held-out files depend on the
corpus at the time (models/train/dllm_train/data/corpus.py was one with seed 0); the loss and speed on the load.
  python test/reference/train_tiny.py --minutes 15 --out .cache/tiny-trained/hf
  npm run convert -- --from .cache/tiny-trained/hf --to .cache/tiny-trained/fp32 --family dream --weights fp32 \
      --context 512 --canvas 32
  npm run convert -- --from .cache/tiny-trained/hf --to .cache/tiny-trained/int8 --family dream --weights int8 \
      --context 512 --canvas 32
  npm run bench:cached -- --model .cache/tiny-trained/fp32 --reference .cache/tiny-trained/int8 \
      --context 512 --canvas 32 --passes 12 --every 1,2,4,8,12,16 [--text models/train/dllm_train/data/corpus.py]
  npm run eval -- --model .cache/tiny-trained/fp32 --limit 40 --refresh-every K --out .cache/tiny-trained/eval-kK \
      [--sampler lowConfidence]           # K = 0 (exact), 4, 12, 32; then compare results.jsonl's
                                          # "completion" of each task with K = 0's
"""
import argparse
import glob
import json
import math
import os
import random
import time

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

import families
import make_checkpoint
import reference

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CORPUS = ["src/**/*.ts", "test/**/*.ts", "models/train/**/*.py"]
DIMS = {"hidden": 256, "heads": 8, "kv_heads": 2, "layers": 6, "intermediate": 768, "max_pos": 2048,
        "rope_theta": 10000.0}
VOCAB = 2048
SEQ, BATCH, LR, WARMUP = 256, 16, 1e-3, 50
T_MIN = 0.02


def corpus_files():
    files = set()
    for pattern in CORPUS:
        files.update(p for p in glob.glob(os.path.join(REPO, pattern), recursive=True) if os.path.isfile(p))
    return sorted(files)


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def token_stream(tok, texts, eot):
    """The files' tokens end to end, <|endoftext|> after each."""
    out = []
    for enc in tok.encode_batch(texts):
        out += enc.ids + [eot]
    return torch.tensor(out, dtype=torch.long)


def build_model(folder):
    """The folder's Qwen2ForCausalLM, bidirectional, as the reference builds it (reference.py), on SDPA."""
    config = make_checkpoint_config(folder)
    model = reference.bidirectional_qwen2(folder, config, attn_implementation="sdpa")
    if model.lm_head.weight.data_ptr() != model.model.embed_tokens.weight.data_ptr():
        raise SystemExit("train_tiny: lm_head is not tied to embed_tokens")
    return model, config


def make_checkpoint_config(folder):
    with open(os.path.join(folder, "config.json")) as f:
        return json.load(f)


def diffusion_loss(model, x, t, mask_id, generator=None):
    """Dream's objective on clean windows x [B, L] at noise levels t [B]: (weighted loss, masked-token CE)."""
    b, n = x.shape
    masked = torch.rand(b, n, generator=generator) < t[:, None]
    masked[:, 0] = False  # the first token has no row before it to predict it from
    noisy = torch.where(masked, torch.full_like(x, mask_id), x)
    attention = {"full_attention": torch.zeros(1, 1, n, n, dtype=torch.float32)}
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model(input_ids=noisy, attention_mask=attention, use_cache=False).logits
    ce = F.cross_entropy(logits[:, :-1].float().reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1),
                         reduction="none").view(b, n - 1)
    m = masked[:, 1:].float()
    weighted = (ce * m / t[:, None]).sum() / (b * (n - 1))
    plain = (ce * m).sum() / m.sum().clamp(min=1)
    return weighted, plain


def windows(stream, count, generator):
    starts = torch.randint(0, len(stream) - SEQ, (count,), generator=generator)
    return torch.stack([stream[s:s + SEQ] for s in starts.tolist()])


def evaluate(model, val, mask_id):
    """The objective on fixed held-out windows with fixed masks and evenly spread t."""
    g = torch.Generator().manual_seed(1234)
    count = min(64, max(BATCH, (len(val) - SEQ) // SEQ))
    x = windows(val, count, g)
    ts = torch.linspace(T_MIN, 1.0, count)
    model.eval()
    total_w = total_p = 0.0
    with torch.no_grad():
        for i in range(0, count, BATCH):
            w, p = diffusion_loss(model, x[i:i + BATCH], ts[i:i + BATCH], mask_id, g)
            k = len(x[i:i + BATCH])
            total_w += w.item() * k
            total_p += p.item() * k
    model.train()
    return total_w / count, total_p / count


def save_trained(model, folder, layers):
    names = families.dream_weight_names(layers, True)
    state = model.state_dict()
    tensors = {n: state[n].detach().to(torch.bfloat16).contiguous() for n in names}
    save_file(tensors, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})


def main():
    ap = argparse.ArgumentParser(description=(__doc__ or "").strip().splitlines()[0])
    ap.add_argument("--minutes", type=float, default=12.0, help="wall-clock training budget")
    ap.add_argument("--out", default=os.path.join(REPO, ".cache", "tiny-trained", "hf"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    random.seed(args.seed)

    files = corpus_files()
    random.Random(args.seed).shuffle(files)
    n_val = max(1, round(len(files) * 0.05))
    val_files, train_files = files[:n_val], files[n_val:]
    train_texts = [read(p) for p in train_files]
    val_texts = [read(p) for p in val_files]

    # The published folder with a corpus tokenizer and random weights, then the weights trained in place.
    make_checkpoint.make_dream(args.out, args.seed, DIMS, True, texts=train_texts, merges_target=VOCAB)
    model, config = build_model(args.out)
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(args.out, "tokenizer.json"))
    eot, mask_id = tok.token_to_id("<|endoftext|>"), tok.token_to_id("<M>")
    train = token_stream(tok, train_texts, eot)
    val = token_stream(tok, val_texts, eot)
    params = sum(p.numel() for p in model.parameters())
    print(f"corpus: {len(train_files)} train files ({len(train)} tokens), {len(val_files)} held out ({len(val)} tokens); "
          f"tokenizer {tok.get_vocab_size()} ids, vocab rows {config['vocab_size']}, mask <M> = {mask_id}; "
          f"{params / 1e6:.2f} M parameters", flush=True)

    val0_w, val0_p = evaluate(model, val, mask_id)
    print(f"initial validation loss {val0_w:.3f} (masked-token CE {val0_p:.3f})", flush=True)

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=LR, betas=(0.9, 0.95))
    g = torch.Generator().manual_seed(args.seed)
    budget = args.minutes * 60
    started = time.time()
    step, first, recent, tokens = 0, None, [], 0
    model.train()
    while True:
        elapsed = time.time() - started
        if elapsed >= budget:
            break
        lr = LR * min(1.0, (step + 1) / WARMUP) * 0.5 * (1 + math.cos(math.pi * min(1.0, elapsed / budget)))
        for group in opt.param_groups:
            group["lr"] = lr
        x = windows(train, BATCH, g)
        t = T_MIN + (1 - T_MIN) * torch.rand(BATCH, generator=g)
        loss, plain = diffusion_loss(model, x, t, mask_id, g)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens += x.numel()
        if first is None:
            first = (loss.item(), plain.item())
        recent = (recent + [(loss.item(), plain.item())])[-20:]
        if step % 10 == 0:
            el = time.time() - started
            w = sum(r[0] for r in recent) / len(recent)
            p = sum(r[1] for r in recent) / len(recent)
            print(f"step {step}  {el / 60:.1f} min  lr {lr:.2e}  train loss {w:.3f} (masked CE {p:.3f})  "
                  f"{tokens / el:.0f} tokens/s", flush=True)
    minutes = (time.time() - started) / 60
    w = sum(r[0] for r in recent) / max(1, len(recent))
    p = sum(r[1] for r in recent) / max(1, len(recent))
    val_w, val_p = evaluate(model, val, mask_id)
    save_trained(model, args.out, DIMS["layers"])
    assert first is not None, "at least one step ran"
    print(f"done: {step} steps, {tokens} tokens in {minutes:.1f} min ({tokens / (minutes * 60):.0f} tokens/s)")
    print(f"train loss: first step {first[0]:.3f} (masked CE {first[1]:.3f}), last 20 steps {w:.3f} (masked CE {p:.3f})")
    print(f"validation loss: initial {val0_w:.3f} (masked CE {val0_p:.3f}), final {val_w:.3f} (masked CE {val_p:.3f})")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
