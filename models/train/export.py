"""Export a checkpoint to a split-contract model folder (see models/README.md).

Writes `context.onnx`, `denoise.onnx`, `dllm.json` and `tokenizer.json` into --out, a golden
example for the Node test (--fixture), and reference cases at several (C, N) for
`verify_onnx.mjs` (--verify-dir), which compares onnxruntime-node against PyTorch.

    /usr/bin/python3 export.py --checkpoint work/runs/cpu1/best.pt --out ../dllm-code-tiny \
        --fixture ../../test/fixtures/model/shipped-example.json
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bpe import Tokenizer  # noqa: E402
from model import DiffusionLM, ModelConfig  # noqa: E402

OPSET = 17
# Positions seen in training reach 511 (sequences of up to 512 with the canvas inside); the
# manifest promises no more than that, leaving room for the largest canvas.
TRAINED_SEQUENCE = 512
MAX_CANVAS = 64


class ContextGraph(nn.Module):
    def __init__(self, model: DiffusionLM):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, position_ids: torch.Tensor):
        return self.model.encode_context(input_ids, position_ids)


class DenoiseGraph(nn.Module):
    def __init__(self, model: DiffusionLM):
        super().__init__()
        self.model = model

    def forward(self, canvas_ids, canvas_position_ids, keys, values):
        return self.model.denoise(canvas_ids, canvas_position_ids, keys, values)


def load_model(checkpoint: str) -> tuple[DiffusionLM, dict]:
    ck = torch.load(checkpoint, map_location="cpu")
    model = DiffusionLM(ModelConfig.from_dict(ck["model_config"]))
    model.load_state_dict(ck["model"])
    model.eval()
    return model, ck


def export_graphs(model: DiffusionLM, out_dir: str) -> None:
    cfg = model.cfg
    c, n = 20, 8
    ids = torch.randint(32, cfg.vocab_size, (1, c))
    pos = torch.arange(c).unsqueeze(0)
    with torch.no_grad():
        keys, values = model.encode_context(ids, pos)
    kv_axes = {3: "context"}
    torch.onnx.export(
        ContextGraph(model), (ids, pos), os.path.join(out_dir, "context.onnx"),
        input_names=["input_ids", "position_ids"], output_names=["keys", "values"],
        dynamic_axes={"input_ids": {1: "context"}, "position_ids": {1: "context"},
                      "keys": kv_axes, "values": kv_axes},
        opset_version=OPSET, do_constant_folding=True)
    cids = torch.full((1, n), 0, dtype=torch.long)
    cpos = torch.arange(c, c + n).unsqueeze(0)
    torch.onnx.export(
        DenoiseGraph(model), (cids, cpos, keys, values), os.path.join(out_dir, "denoise.onnx"),
        input_names=["canvas_ids", "canvas_position_ids", "keys", "values"], output_names=["logits"],
        dynamic_axes={"canvas_ids": {1: "canvas"}, "canvas_position_ids": {1: "canvas"},
                      "keys": kv_axes, "values": kv_axes, "logits": {1: "canvas"}},
        opset_version=OPSET, do_constant_folding=True)


def write_manifest(out_dir: str, model: DiffusionLM, special: dict, name: str, description: str,
                   max_context: int, max_canvas: int) -> dict:
    cfg = model.cfg
    manifest = {
        "format": 1,
        "name": name,
        "description": description,
        "license": "MIT",
        "provenance": "Trained from scratch as a masked diffusion model on permissively licensed source code "
                      "(Python, JavaScript/TypeScript, C/C++, shell); data, licences and training in MODEL_CARD.md.",
        "contract": "split",
        "files": {"tokenizer": "tokenizer.json", "context": "context.onnx", "denoise": "denoise.onnx"},
        "vocabSize": cfg.vocab_size,
        "specialTokens": {k: special[k] for k in ("mask", "pad", "bos", "eos")},
        "languageTokens": special["languageTokens"],
        "shiftedLogits": False,
        "maxContextTokens": max_context,
        "maxCanvasTokens": max_canvas,
        "kvCache": {"layers": cfg.n_layers, "heads": cfg.n_heads, "headDim": cfg.head_dim},
    }
    with open(os.path.join(out_dir, "dllm.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return manifest


def layout(tok: Tokenizer, special: dict, prefix: str, suffix: str, language: str, canvas: list[int]):
    """Context ids/positions and canvas positions for `[bos] [lang] prefix · canvas · suffix [eos]`."""
    head = [special["bos"], special["languageTokens"].get(language, special["languageTokens"]["other"])]
    p, s = tok.encode_ordinary(prefix), tok.encode_ordinary(suffix)
    before = head + p
    ctx_ids = before + s + [special["eos"]]
    n = len(canvas)
    ctx_pos = list(range(len(before))) + list(range(len(before) + n, len(before) + n + len(s) + 1))
    canvas_pos = list(range(len(before), len(before) + n))
    return ctx_ids, ctx_pos, canvas_pos


def run_split(model: DiffusionLM, ctx_ids, ctx_pos, canvas_ids, canvas_pos) -> np.ndarray:
    with torch.no_grad():
        k, v = model.encode_context(torch.tensor([ctx_ids]), torch.tensor([ctx_pos]))
        return model.denoise(torch.tensor([canvas_ids]), torch.tensor([canvas_pos]), k, v)[0].numpy()


FIXTURE_PREFIX = "def mean(values):\n    \"\"\"Average of a list of numbers.\"\"\"\n    total = 0\n    for v in values:\n"
FIXTURE_SUFFIX = "    return total / len(values)\n"


def write_fixture(path: str, model: DiffusionLM, tok: Tokenizer, special: dict) -> None:
    """Golden example for the Node test: a canvas of 16 with two committed tokens."""
    mask = special["mask"]
    canvas = [mask] * 16
    committed = tok.encode_ordinary("        total")
    canvas[: len(committed)] = committed
    ctx_ids, ctx_pos, canvas_pos = layout(tok, special, FIXTURE_PREFIX, FIXTURE_SUFFIX, "python", canvas)
    logits = run_split(model, ctx_ids, ctx_pos, canvas, canvas_pos)
    top = np.argsort(-logits, axis=-1)[:, :5]
    fixture = {
        "description": "PyTorch reference for the shipped model; regenerated by models/train/export.py.",
        "prefix": FIXTURE_PREFIX, "suffix": FIXTURE_SUFFIX, "language": "python",
        "prefixIds": tok.encode_ordinary(FIXTURE_PREFIX), "suffixIds": tok.encode_ordinary(FIXTURE_SUFFIX),
        "contextIds": ctx_ids, "contextPositions": ctx_pos,
        "canvasIds": canvas, "canvasPositions": canvas_pos,
        "argmax": logits.argmax(-1).tolist(),
        "top5": top.tolist(),
        "top5Logits": np.take_along_axis(logits, top, -1).round(5).tolist(),
        "firstLogits": logits[:, :16].round(5).tolist(),
    }
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(fixture, f)
        f.write("\n")


def write_verify_cases(out: str, model: DiffusionLM, sizes: list[tuple[int, int]]) -> None:
    """Random (but valid-looking) requests at several (C, N), with the full PyTorch logits."""
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(7)
    cases = []
    for c, n in sizes:
        ctx_ids = torch.randint(32, model.cfg.vocab_size, (c,), generator=g).tolist()
        canvas = torch.randint(32, model.cfg.vocab_size, (n,), generator=g)
        canvas[torch.rand(n, generator=g) < 0.6] = 0
        split = c // 2
        ctx_pos = list(range(split)) + list(range(split + n, c + n))
        canvas_pos = list(range(split, split + n))
        logits = run_split(model, ctx_ids, ctx_pos, canvas.tolist(), canvas_pos).astype(np.float32)
        cases.append({"C": c, "N": n, "contextIds": ctx_ids, "contextPositions": ctx_pos,
                      "canvasIds": canvas.tolist(), "canvasPositions": canvas_pos,
                      "logits": base64.b64encode(logits.tobytes()).decode()})
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(cases, f)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True, help="model folder to (over)write")
    ap.add_argument("--tokenizer-dir", default=os.path.join(HERE, "work", "tokenizer"))
    ap.add_argument("--name", default="dllm-code-tiny")
    ap.add_argument("--description", default="Tiny CPU-trained masked diffusion model for code infilling "
                                              "(split contract: context encoded once, canvas denoised).")
    ap.add_argument("--fixture", default="", help="write the Node test's golden example here")
    ap.add_argument("--max-canvas", type=int, default=MAX_CANVAS, help="longest canvas trained for")
    ap.add_argument("--max-context", type=int, default=TRAINED_SEQUENCE - MAX_CANVAS,
                    help="context tokens promised; with the largest canvas, within the trained positions")
    ap.add_argument("--verify-dir", default=os.path.join(HERE, "work", "verify"))
    args = ap.parse_args()

    torch.set_num_threads(2)
    model, ck = load_model(args.checkpoint)
    special = json.load(open(os.path.join(args.tokenizer_dir, "special_tokens.json")))
    tok = Tokenizer.from_file(os.path.join(args.tokenizer_dir, "tokenizer.json"))
    os.makedirs(args.out, exist_ok=True)
    export_graphs(model, args.out)
    shutil.copyfile(os.path.join(args.tokenizer_dir, "tokenizer.json"), os.path.join(args.out, "tokenizer.json"))
    write_manifest(args.out, model, special, args.name, args.description, args.max_context, args.max_canvas)
    if args.fixture:
        write_fixture(args.fixture, model, tok, special)
    write_verify_cases(args.verify_dir, model, [(1, 1), (7, 8), (60, 16), (200, 32), (448, 64)])
    sizes = {f: os.path.getsize(os.path.join(args.out, f)) for f in sorted(os.listdir(args.out))}
    print(json.dumps({"checkpoint": args.checkpoint, "step": ck.get("step"), "tokens_seen": ck.get("tokens_seen"),
                      "parameters": model.num_parameters(), "files": sizes}, indent=1))


if __name__ == "__main__":
    main()
