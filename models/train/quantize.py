"""Int8 weight storage for an exported model folder, written with the `onnx` package only.

Every MatMul whose second input is a constant 2-D weight becomes the dynamic-quantization pattern
onnxruntime fuses into one int8 kernel (DynamicQuantizeMatMul):
    DynamicQuantizeLinear(x) -> MatMulInteger(x_u8, W_s8) -> Cast(float) -> Mul(x_scale * w_scale)
with W symmetric per output column. The embedding table becomes int8 rows with a per-row scale,
dequantized after the Gather. The folder's graphs are rewritten in place (--out elsewhere to keep
the fp32 ones). Whether this pays off is measured with verify_onnx.mjs and npm run bench:model.

    /usr/bin/python3 quantize.py --model ../dllm-code-tiny --out /tmp/dllm-int8
"""
from __future__ import annotations

import argparse
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def quantize_columns(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """w [K, M] -> int8 [K, M], scale [M] (symmetric, per column)."""
    scale = np.maximum(np.abs(w).max(axis=0), 1e-8) / 127.0
    q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def quantize_graph(model: onnx.ModelProto) -> dict:
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    consumers: dict[str, int] = {}
    for n in g.node:
        for i in n.input:
            consumers[i] = consumers.get(i, 0) + 1
    new_nodes, drop, added = [], set(), []
    stats = {"matmul": 0, "embedding": 0}
    for n in g.node:
        w_name = n.input[1] if n.op_type == "MatMul" else n.input[0] if n.op_type == "Gather" else None
        if w_name not in inits or len(inits[w_name].dims) != 2 or consumers.get(w_name, 0) != 1:
            new_nodes.append(n)
            continue
        w = numpy_helper.to_array(inits[w_name]).astype(np.float32)
        p = n.name or w_name
        if n.op_type == "MatMul":
            q, scale = quantize_columns(w)
            x, y = n.input[0], n.output[0]
            added += [numpy_helper.from_array(q, f"{p}_wq"), numpy_helper.from_array(scale, f"{p}_ws"),
                      numpy_helper.from_array(np.zeros((), np.int8), f"{p}_wzp")]
            new_nodes += [
                helper.make_node("DynamicQuantizeLinear", [x], [f"{p}_xq", f"{p}_xs", f"{p}_xzp"]),
                helper.make_node("MatMulInteger", [f"{p}_xq", f"{p}_wq", f"{p}_xzp", f"{p}_wzp"], [f"{p}_yi"]),
                helper.make_node("Cast", [f"{p}_yi"], [f"{p}_yf"], to=TensorProto.FLOAT),
                helper.make_node("Mul", [f"{p}_xs", f"{p}_ws"], [f"{p}_s"]),
                helper.make_node("Mul", [f"{p}_yf", f"{p}_s"], [y]),
            ]
            stats["matmul"] += 1
        else:  # embedding rows: int8 with a per-row scale
            q, scale = quantize_columns(w.T)
            ids, y = n.input[1], n.output[0]
            added += [numpy_helper.from_array(np.ascontiguousarray(q.T), f"{p}_eq"),
                      numpy_helper.from_array(scale[:, None], f"{p}_es")]
            new_nodes += [
                helper.make_node("Gather", [f"{p}_eq", ids], [f"{p}_rows"], axis=0),
                helper.make_node("Gather", [f"{p}_es", ids], [f"{p}_rs"], axis=0),
                helper.make_node("Cast", [f"{p}_rows"], [f"{p}_rf"], to=TensorProto.FLOAT),
                helper.make_node("Mul", [f"{p}_rf", f"{p}_rs"], [y]),
            ]
            stats["embedding"] += 1
        drop.add(w_name)
    del g.node[:]
    g.node.extend(new_nodes)
    kept = [i for i in g.initializer if i.name not in drop]
    del g.initializer[:]
    g.initializer.extend(kept + added)
    onnx.checker.check_model(model)
    return stats


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="exported fp32 model folder")
    ap.add_argument("--out", required=True, help="folder for the int8 copy (may equal --model)")
    args = ap.parse_args()
    if os.path.abspath(args.out) != os.path.abspath(args.model):
        shutil.copytree(args.model, args.out, dirs_exist_ok=True)
    for name in ("context.onnx", "denoise.onnx"):
        path = os.path.join(args.out, name)
        model = onnx.load(path)
        stats = quantize_graph(model)
        onnx.save(model, path)
        print(name, stats, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
