"""Rebuild a PyTorch checkpoint from an exported model folder, to warm-start training from a
shipped model without keeping its PyTorch weights anywhere.

Folders written by export.py carry the architecture in dllm.json (`architecture`) and a
parameter map in the graphs' metadata (quantize.py); the weights come back as the graphs compute
them (fp16- or int8-rounded for those storages). Older folders (separate fp32 graphs with
generated initializer names) are read by structure: the embedding is the Gather table, the
Linear weights are the MatMul weights of the denoise graph in execution order (stored
transposed), the norm weights the vectors its Mul nodes scale by.

    /usr/bin/python3 import_weights.py --model ../dllm-code-tiny --out work/shipped.pt
    /usr/bin/python3 train.py --config configs/gpu.json --name gpu2 --init-from work/shipped.pt ...

Round trip check: --verify-dir writes verify_onnx.mjs cases whose logits come from the imported
model, so `node verify_onnx.mjs <folder> <dir>/cases.json 1e-4` passes only if the rebuilt
checkpoint computes what the folder's graphs compute.
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import onnx
import torch
from onnx import TensorProto, numpy_helper

from dllm_train.export.quantize import read_parameters
from dllm_train.jsonfile import read_json
from dllm_train.model.model import DiffusionLM, ModelConfig


def config_from_manifest(manifest: dict) -> dict:
    arch = dict(manifest.get("architecture") or {})
    for key in ("family", "storage"):
        arch.pop(key, None)
    arch.setdefault("context_attention", manifest.get("contextAttention", "bidirectional"))
    return arch


def structural_parameters(folder: str, manifest: dict) -> tuple[dict[str, np.ndarray], dict]:
    """Parameters of a folder without a parameter map, read from the denoise graph's structure."""
    g = onnx.load(os.path.join(folder, manifest["files"]["denoise"])).graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer if i.data_type == TensorProto.FLOAT}
    embed, matmuls, norms = None, [], []
    for n in g.node:
        consts = [inits[i] for i in n.input if i in inits]
        if n.op_type == "Gather" and n.input[0] in inits and inits[n.input[0]].ndim == 2:
            embed = inits[n.input[0]]
        elif n.op_type == "MatMul" and n.input[1] in inits and inits[n.input[1]].ndim == 2:
            matmuls.append(inits[n.input[1]])
        elif n.op_type == "Mul" and embed is not None and any(c.shape == (embed.shape[1],) for c in consts):
            norms.append(next(c for c in consts if c.shape == (embed.shape[1],)))
    kv = manifest["kvCache"]
    layers = kv["layers"]
    if embed is None or len(matmuls) != 4 * layers + 1 or len(norms) != 2 * layers + 1:
        raise ValueError(f"{folder}: denoise graph has {len(matmuls)} weight MatMuls and {len(norms)} norm scales, "
                         f"expected {4 * layers + 1} and {2 * layers + 1} for {layers} layers")
    if not np.array_equal(matmuls[-1], embed.T):
        raise ValueError(f"{folder}: the output projection is not the tied embedding")
    params = {"embed.weight": embed}
    for i in range(layers):
        qkv, out, gate_up, down = matmuls[4 * i: 4 * i + 4]
        params.update({f"blocks.{i}.attn_norm.weight": norms[2 * i], f"blocks.{i}.attn.qkv.weight": qkv.T,
                       f"blocks.{i}.attn.out.weight": out.T, f"blocks.{i}.ffn_norm.weight": norms[2 * i + 1],
                       f"blocks.{i}.ffn.gate_up.weight": gate_up.T, f"blocks.{i}.ffn.down.weight": down.T})
    params["final_norm.weight"] = norms[-1]
    config = {"vocab_size": embed.shape[0], "d_model": embed.shape[1], "n_layers": layers, "n_heads": kv["heads"],
              "head_dim": kv["headDim"], "ffn_hidden": matmuls[3].shape[0]}
    return params, config


def import_folder(folder: str) -> tuple[DiffusionLM, dict]:
    """The model of an exported folder, and facts about the import."""
    manifest = read_json(os.path.join(folder, "dllm.json"))
    files = manifest["files"]
    config = config_from_manifest(manifest)
    found = read_parameters(folder, [files["context"], files["denoise"]])
    if found is not None:
        params, storage = found
        how = "parameter map"
    else:
        params, inferred = structural_parameters(folder, manifest)
        config = {**inferred, **config}
        storage, how = "fp32", "graph structure"
    model = DiffusionLM(ModelConfig.from_dict(config))
    model.load_state_dict({k: torch.tensor(np.asarray(v, dtype=np.float32)) for k, v in params.items()})
    model.eval()
    return model, {"storage": storage, "read_by": how, "name": manifest.get("name")}


def write_round_trip_cases(folder: str, model: DiffusionLM, out: str) -> None:
    """Reference cases (export.py's) computed by the imported model, for the folder's own graphs."""
    from dllm_train.export.export import write_verify_cases
    from dllm_train.tokenizer.bpe import Tokenizer
    manifest = read_json(os.path.join(folder, "dllm.json"))
    special = {**manifest["specialTokens"], "languageTokens": manifest["languageTokens"]}
    tok = Tokenizer.from_file(os.path.join(folder, manifest["files"]["tokenizer"]))
    write_verify_cases(out, model, model, tok, special, manifest["maxContextTokens"])


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("folder", nargs="?", help="exported model folder (dllm.json, graphs, weights)")
    ap.add_argument("--model", help="the same, as an option")
    ap.add_argument("--out", required=True, help="checkpoint to write ({'model', 'model_config'}, as export.py reads)")
    ap.add_argument("--verify-dir", default="", help="also write verify_onnx.mjs cases from the imported model here")
    args = ap.parse_args()
    folder = args.model or args.folder
    if not folder:
        ap.error("name the model folder")
    torch.set_num_threads(2)
    model, info = import_folder(folder)
    if args.verify_dir:
        write_round_trip_cases(folder, model, args.verify_dir)
    ck = {"model": model.state_dict(), "model_config": model.cfg.to_dict(),
          "imported_from": os.path.abspath(folder), **info}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    torch.save(ck, args.out)
    print(json.dumps({"out": args.out, "parameters": model.num_parameters(), "model_config": model.cfg.to_dict(),
                      **info}, indent=1))


if __name__ == "__main__":
    main()
