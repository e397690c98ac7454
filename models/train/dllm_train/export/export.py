"""Export a checkpoint to a split-contract model folder (see models/README.md).

Writes `context.onnx`, `denoise.onnx` and their shared `weights.bin` (stored `--storage`
fp32/fp16/int8, see quantize.py), `dllm.json` and `tokenizer.json` into --out, a golden example
for the Node test (--fixture), and reference cases for `verify_onnx.mjs` (--verify-dir), which
compares onnxruntime-node against PyTorch: random requests at several (C, N) and requests cut from
real code, with the logits of the model as stored (what the graphs must reproduce) and of the
fp32 model (the storage's drift).

What the manifest promises follows the training run when the checkpoint's train config can be
found (in the checkpoint, or the run's run.json beside it, or in the logs `run.py join` unpacks
beside joined weights): `maxSuffixGap` (causalSuffixFirst only) is data.MAX_SUFFIX_GAP if the run
trained with suffix gaps, and `maxContextTokens` is the longest trained example less the largest
canvas and that gap. Without a train config: no gap, and 448 context tokens.

    /usr/bin/python3 export.py --checkpoint work/runs/cpu1/best.pt --out ../dllm-code-tiny \
        --fixture ../../test/fixtures/model/shipped-example.json
"""
from __future__ import annotations

import argparse
import base64
import copy
import glob
import inspect
import io
import json
import os
import shutil

import numpy as np
import onnx
import torch
import torch.nn as nn

from dllm_train.contracts import graph_names
from dllm_train.data.examples import MAX_SUFFIX_GAP
from dllm_train.export.quantize import STORAGES, WEIGHTS_FILE, pack, rounded
from dllm_train.jsonfile import read_json
from dllm_train.model.layout import MAX_CANVAS, TRAINED_SEQUENCE, request_layout
from dllm_train.model.model import DiffusionLM, load_model
from dllm_train.paths import PACKAGE_DIR, REPO, WORK
from dllm_train.tokenizer.bpe import Tokenizer

OPSET = 17
DEFAULT_STORAGE = "fp16"
VERIFY_SIZES = [(1, 1), (7, 8), (60, 16), (200, 32), (448, 64)]


class ContextGraph(nn.Module):
    def __init__(self, model: DiffusionLM):
        super().__init__()
        self.model = model

    def forward(self, input_ids, position_ids, past_keys=None, past_values=None):
        return self.model.encode_context(input_ids, position_ids, past_keys, past_values)


class DenoiseGraph(nn.Module):
    def __init__(self, model: DiffusionLM):
        super().__init__()
        self.model = model

    def forward(self, canvas_ids, canvas_position_ids, keys, values):
        return self.model.denoise(canvas_ids, canvas_position_ids, keys, values)


def with_storage(model: DiffusionLM, storage: str) -> DiffusionLM:
    """A copy whose weights are what the packed graphs compute with."""
    params = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    out = copy.deepcopy(model)
    out.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in rounded(params, storage).items()})
    return out.eval()


def onnx_export(module: nn.Module, args: tuple, **kw) -> onnx.ModelProto:
    """torch.onnx.export into memory; the TorchScript exporter on torch 2.x as on 1.13."""
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kw["dynamo"] = False
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(module, args, buf,  # pyright: ignore[reportArgumentType] (a file object is accepted)
                          opset_version=OPSET, do_constant_folding=True, **kw)
    return onnx.load_from_string(buf.getvalue())


def export_graphs(model: DiffusionLM, out_dir: str, storage: str) -> dict:
    cfg = model.cfg
    c, n, p = 20, 8, 3
    ids = torch.randint(32, cfg.vocab_size, (1, c))
    pos = torch.arange(c).unsqueeze(0)
    with torch.no_grad():
        keys, values = model.encode_context(ids, pos)
    # Tensor names from the graph contracts (src/modelFolder/graphs.json), dynamic axes by position.
    graph = "splitCausalContext" if model.causal_context else "splitContext"
    context_in, context_out = graph_names(graph, "inputs"), graph_names(graph, "outputs")
    kv_axes = {3: "context"}
    inputs: tuple[torch.Tensor, ...] = (ids, pos)
    in_axes: list[dict[int, str]] = [{1: "context"}, {1: "context"}]
    if model.causal_context:
        past = torch.randn(cfg.n_layers, 1, cfg.n_heads, p, cfg.head_dim)
        inputs, in_axes = (ids, pos, past, past.clone()), in_axes + [{3: "past"}, {3: "past"}]
    graphs = {"context.onnx": onnx_export(
        ContextGraph(model), inputs, input_names=context_in, output_names=context_out,
        dynamic_axes=dict(zip(context_in + context_out, in_axes + [kv_axes, kv_axes])))}
    cids = torch.zeros((1, n), dtype=torch.long)
    cpos = torch.arange(c, c + n).unsqueeze(0)
    denoise_in, denoise_out = graph_names("splitDenoise", "inputs"), graph_names("splitDenoise", "outputs")
    graphs["denoise.onnx"] = onnx_export(
        DenoiseGraph(model), (cids, cpos, keys, values), input_names=denoise_in, output_names=denoise_out,
        dynamic_axes=dict(zip(denoise_in + denoise_out, [{1: "canvas"}, {1: "canvas"}, kv_axes, kv_axes, {1: "canvas"}])))
    params = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    return pack(graphs, params, storage, out_dir)


def write_manifest(out_dir: str, model: DiffusionLM, special: dict, name: str, description: str,
                   max_context: int, max_canvas: int, storage: str, max_suffix_gap: int = 0) -> dict:
    """dllm.json; `max_suffix_gap` is written for a causalSuffixFirst model only (the engine keeps a
    document's context keys/values only with a causal context)."""
    cfg = model.cfg
    manifest = {
        "format": 1,
        "name": name,
        "description": description,
        "license": "MIT",
        "provenance": "Trained from scratch as a masked diffusion model on permissively licensed source code "
                      "(Python, JavaScript/TypeScript, Go, Rust, C/C++, shell); data, licences and training in MODEL_CARD.md.",
        "contract": "split",
        "files": {"tokenizer": "tokenizer.json", "context": "context.onnx", "denoise": "denoise.onnx",
                  "weights": WEIGHTS_FILE},
        "vocabSize": cfg.vocab_size,
        "specialTokens": {k: special[k] for k in ("mask", "pad", "bos", "eos")},
        "languageTokens": special["languageTokens"],
        "shiftedLogits": False,
        "maxContextTokens": max_context,
        "maxCanvasTokens": max_canvas,
        "kvCache": {"layers": cfg.n_layers, "heads": cfg.n_heads, "headDim": cfg.head_dim},
    }
    if model.causal_context:
        manifest["contextAttention"] = cfg.context_attention
        manifest["maxSuffixGap"] = max_suffix_gap
    manifest["architecture"] = {"family": "dllm-split", **cfg.to_dict(), "storage": storage,
                                "parameters": model.num_parameters()}
    with open(os.path.join(out_dir, "dllm.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return manifest


def layout(model: DiffusionLM, special: dict, language: str, prefix: list[int], suffix: list[int], n: int):
    """Context ids/positions (in the model's order) and canvas positions of a request."""
    lang = special["languageTokens"]
    head = [special["bos"], lang.get(language, lang["other"])]
    lay = request_layout(head, prefix, suffix, [special["eos"]], n, model.cfg.context_attention)
    return lay.context_ids, lay.context_pos, lay.canvas_pos


def run_split(model: DiffusionLM, ctx_ids, ctx_pos, canvas_ids, canvas_pos) -> np.ndarray:
    with torch.no_grad():
        k, v = model.encode_context(torch.tensor([ctx_ids]), torch.tensor([ctx_pos]))
        return model.denoise(torch.tensor([canvas_ids]), torch.tensor([canvas_pos]), k, v)[0].numpy()


FIXTURE_PREFIX = "def mean(values):\n    \"\"\"Average of a list of numbers.\"\"\"\n    total = 0\n    for v in values:\n"
FIXTURE_SUFFIX = "    return total / len(values)\n"


def write_fixture(path: str, model: DiffusionLM, tok: Tokenizer, special: dict) -> None:
    """Golden example for the Node test: a canvas of 16 with two committed tokens."""
    canvas = [special["mask"]] * 16
    committed = tok.encode_ordinary("        total")
    canvas[: len(committed)] = committed
    prefix_ids, suffix_ids = tok.encode_ordinary(FIXTURE_PREFIX), tok.encode_ordinary(FIXTURE_SUFFIX)
    ctx_ids, ctx_pos, canvas_pos = layout(model, special, "python", prefix_ids, suffix_ids, len(canvas))
    logits = run_split(model, ctx_ids, ctx_pos, canvas, canvas_pos)
    top = np.argsort(-logits, axis=-1)[:, :5]
    fixture = {
        "description": "PyTorch reference for the shipped model; regenerated by models/train/export.py.",
        "prefix": FIXTURE_PREFIX, "suffix": FIXTURE_SUFFIX, "language": "python",
        "prefixIds": prefix_ids, "suffixIds": suffix_ids,
        "contextIds": ctx_ids, "contextPositions": ctx_pos,
        "canvasIds": canvas, "canvasPositions": canvas_pos,
        "argmax": logits.argmax(-1).tolist(),
        "top5": top.tolist(),
        "top5Logits": np.take_along_axis(logits, top, -1).round(5).tolist(),
        "firstLogits": logits[:, :16].round(5).tolist(),
    }
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(fixture, f)
        f.write("\n")


def b64(a: np.ndarray) -> str:
    return base64.b64encode(a.astype(np.float32).tobytes()).decode()


def make_case(kind: str, stored: DiffusionLM, fp32: DiffusionLM, special: dict, language: str,
              prefix: list[int], suffix: list[int], canvas: list[int]) -> dict:
    ctx_ids, ctx_pos, canvas_pos = layout(stored, special, language, prefix, suffix, len(canvas))
    case = {"kind": kind, "C": len(ctx_ids), "N": len(canvas), "contextIds": ctx_ids, "contextPositions": ctx_pos,
            "canvasIds": canvas, "canvasPositions": canvas_pos,
            "logits": b64(run_split(stored, ctx_ids, ctx_pos, canvas, canvas_pos)),
            "logitsFp32": b64(run_split(fp32, ctx_ids, ctx_pos, canvas, canvas_pos))}
    if stored.causal_context and len(ctx_ids) > 1:
        # Where verify_onnx.mjs splits the context in two (past + new): inside the prefix, as typing does.
        case["split"] = max(1, len(ctx_ids) - max(1, len(prefix) // 2))
    return case


def code_requests(tok: Tokenizer, count: int, n: int, rng: np.random.Generator, max_context: int):
    """(language, prefix, suffix, middle) cut at line boundaries from this repository's sources."""
    files = (sorted(glob.glob(os.path.join(PACKAGE_DIR, "**", "*.py"), recursive=True))
             + sorted(glob.glob(os.path.join(REPO, "src", "**", "*.ts"), recursive=True)))
    texts = [(("python" if f.endswith(".py") else "typescript"), open(f, encoding="utf-8").read()) for f in files]
    texts = [(lang, t.splitlines(keepends=True)) for lang, t in texts if t.count("\n") > 40]
    for i in range(count):
        lang, lines = texts[i % len(texts)]
        at = int(rng.integers(10, len(lines) - 10))
        span, back = int(rng.integers(1, 4)), int(rng.integers(3, 80))
        prefix = tok.encode_ordinary("".join(lines[max(0, at - back): at]))[-(max_context - 100):]
        middle = tok.encode_ordinary("".join(lines[at: at + span]))[:n]
        suffix = tok.encode_ordinary("".join(lines[at + span: at + span + 15]))[:90]
        yield lang, prefix, suffix, middle


def write_verify_cases(out: str, stored: DiffusionLM, fp32: DiffusionLM, tok: Tokenizer, special: dict,
                       max_context: int, code_cases: int = 16) -> None:
    os.makedirs(out, exist_ok=True)
    g = np.random.default_rng(7)
    vocab = stored.cfg.vocab_size
    cases = []
    for c, n in VERIFY_SIZES:  # random ids; C counts bos, language and eos as the layout adds them
        rest = max(0, c - 3)
        prefix = g.integers(32, vocab, rest - rest // 3).tolist()
        suffix = g.integers(32, vocab, rest // 3).tolist()
        canvas = np.where(g.random(n) < 0.6, special["mask"], g.integers(32, vocab, n)).tolist()
        cases.append(make_case("random", stored, fp32, special, "python", prefix, suffix, canvas))
    n = 32
    for lang, prefix, suffix, middle in code_requests(tok, code_cases, n, g, max_context):
        canvas = middle + [special["pad"]] * (n - len(middle))
        canvas = [special["mask"] if m else t for t, m in zip(canvas, g.random(n) < 0.75)]
        cases.append(make_case("code", stored, fp32, special, lang, prefix, suffix, canvas))
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(cases, f)


def recorded_train_config(checkpoint: str, ck: dict) -> tuple[dict | None, str]:
    """The train section of the config the checkpoint was trained with, and where it was found.
    train.py records it in last.pt and in the run's run.json; its weights.pt/best.pt carry only
    the model, and `run.py join` unpacks run.json into logs/ beside the joined weights. A run.json
    whose model differs from the checkpoint's is another run's and is not used."""
    if isinstance(ck.get("config"), dict) and "train" in ck["config"]:
        return ck["config"]["train"], checkpoint
    folder = os.path.dirname(os.path.abspath(checkpoint))
    for path in (os.path.join(folder, "run.json"), os.path.join(folder, "logs", "run_run.json")):
        try:
            with open(path) as f:
                run = json.load(f)
        except (OSError, ValueError):
            continue
        if run.get("model") == ck.get("model_config") and "train" in run.get("config", {}):
            return run["config"]["train"], path
    return None, ""


def trained_suffix_gap(train: dict | None, causal: bool) -> int:
    """The suffix gap a model trained with this train config can promise: data.py's largest if it
    trained with gaps (a manifest carries it for a causal context only), else none."""
    if train is None or not causal:
        return 0
    return MAX_SUFFIX_GAP if float(train.get("suffix_gap_p", 0.0)) > 0 else 0


def trained_max_context(train: dict | None, gap: int, max_canvas: int = MAX_CANVAS) -> int:
    """Context tokens that fit beside the largest canvas promised (--max-canvas) and the suffix gap
    in the longest trained example (positions beyond were never seen together); without a train
    config, 448."""
    if train is None:
        return TRAINED_SEQUENCE - MAX_CANVAS
    longest = max(int(length) for length, _ in train["example_lens"])
    longest = min(longest, int(train.get("row_len", longest)))  # pack_rows cuts examples to the row
    return longest - max_canvas - gap


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True, help="model folder to (over)write")
    ap.add_argument("--storage", choices=STORAGES, default=DEFAULT_STORAGE, help="dtype of the stored weights")
    ap.add_argument("--tokenizer-dir", default=os.path.join(WORK, "tokenizer"))
    ap.add_argument("--name", default="dllm-code-tiny")
    ap.add_argument("--description", default="Tiny CPU-trained masked diffusion model for code infilling "
                                              "(split contract: context encoded once, canvas denoised).")
    ap.add_argument("--fixture", default="", help="write the Node test's golden example here")
    ap.add_argument("--max-canvas", type=int, default=MAX_CANVAS, help="longest canvas trained for")
    ap.add_argument("--max-context", type=int, default=None,
                    help="context tokens promised (default: the longest trained example less the largest canvas "
                         "and the suffix gap; 448 without a recorded train config)")
    ap.add_argument("--max-suffix-gap", type=int, default=None,
                    help=f"causalSuffixFirst: most unused positions between canvas and suffix the engine may leave "
                         f"(default: {MAX_SUFFIX_GAP} if the recorded train config has suffix_gap_p > 0, else 0)")
    ap.add_argument("--verify-dir", default=os.path.join(WORK, "verify"))
    ap.add_argument("--no-verify-cases", action="store_true", help="graphs and manifest only")
    args = ap.parse_args()

    torch.set_num_threads(2)
    model, ck = load_model(args.checkpoint)
    train, train_source = recorded_train_config(args.checkpoint, ck)
    if args.max_suffix_gap is None:
        args.max_suffix_gap = trained_suffix_gap(train, model.causal_context)
    elif args.max_suffix_gap < 0:
        ap.error("--max-suffix-gap must be >= 0")
    elif args.max_suffix_gap and not model.causal_context:
        ap.error("--max-suffix-gap: only a causalSuffixFirst model's manifest carries a suffix gap")
    if args.max_context is None:
        args.max_context = trained_max_context(train, args.max_suffix_gap, args.max_canvas)
    if args.max_context < 1:
        ap.error(f"--max-context {args.max_context}: must be at least 1")
    special = read_json(os.path.join(args.tokenizer_dir, "special_tokens.json"))
    tok = Tokenizer.from_file(os.path.join(args.tokenizer_dir, "tokenizer.json"))
    os.makedirs(args.out, exist_ok=True)
    for old in ("context.onnx", "denoise.onnx", WEIGHTS_FILE):
        if os.path.exists(os.path.join(args.out, old)):
            os.remove(os.path.join(args.out, old))
    packed = export_graphs(model, args.out, args.storage)
    shutil.copyfile(os.path.join(args.tokenizer_dir, "tokenizer.json"), os.path.join(args.out, "tokenizer.json"))
    write_manifest(args.out, model, special, args.name, args.description, args.max_context, args.max_canvas,
                   args.storage, args.max_suffix_gap)
    stored = with_storage(model, args.storage)
    if args.fixture:
        write_fixture(args.fixture, stored, tok, special)
    if not args.no_verify_cases:
        write_verify_cases(args.verify_dir, stored, model, tok, special, args.max_context)
    sizes = {f: os.path.getsize(os.path.join(args.out, f)) for f in sorted(os.listdir(args.out))}
    print(json.dumps({"checkpoint": args.checkpoint, "step": ck.get("step"), "tokens_seen": ck.get("tokens_seen"),
                      "parameters": model.num_parameters(), "storage": args.storage, "strays": packed["strays"],
                      "train_config": train_source or None, "max_context": args.max_context,
                      "max_suffix_gap": args.max_suffix_gap if model.causal_context else None,
                      "files": sizes, "folder_bytes": sum(sizes.values())}, indent=1))


if __name__ == "__main__":
    main()
