"""Weight storage of an exported model folder: both graphs read one shared weights file.

torch.onnx.export gives each graph its own fp32 copy of the weights, some transposed under
generated names (a Linear runs as MatMul(x, W.T)). `pack` matches every initializer against the
model's parameters by content (as is or transposed), stores each matrix once, in the parameter's
own orientation and in the storage dtype, in `weights.bin` (ONNX external data at page-aligned
offsets; onnxruntime resolves it relative to the graph's folder), and rebuilds the value the graph
used from it with nodes that onnxruntime folds into constants when the session loads:

    fp32   W                                   (+ Transpose where the graph wants W.T)
    fp16   Cast(W16 -> float)                  (+ Transpose)
    int8   Cast(W8 -> float) * Cast(s16)       s: one fp16 scale per block of 32 weights along a
                                               row (symmetric; per row if the row does not split)

so the compute stays fp32 and as fast as with fp32 weights; only the files shrink. Vectors (norm
weights) stay fp32, inline in each graph. Initializers that are parameters are named after them,
and each graph's metadata maps every parameter to its tensor (`dllm.parameters`), which is what
import_weights.py reads back.
"""
from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

STORAGES = ("fp32", "fp16", "int8")
WEIGHTS_FILE = "weights.bin"
PARAMETERS_KEY = "dllm.parameters"
STORAGE_KEY = "dllm.storage"
SCALE_SUFFIX = "/scale"
# onnxruntime maps external data with mmap when an offset is a multiple of the page size.
ALIGN = 4096
# int8 weights per scale: per-row scales flipped 0.6% of a trained model's argmax on code, 32-weight
# blocks 0.2% (for 6% more bytes).
INT8_BLOCK = 32
_TENSOR_TYPES = {"float32": TensorProto.FLOAT, "float16": TensorProto.FLOAT16, "int8": TensorProto.INT8}


def encode(w: np.ndarray, storage: str) -> tuple[np.ndarray, np.ndarray | None]:
    """A parameter matrix [rows, cols] -> the stored tensor and, for int8, its scales
    [rows, cols / block, 1] (fp16)."""
    w = np.asarray(w, dtype=np.float32)
    if storage == "fp32":
        return w, None
    if storage == "fp16":
        if np.abs(w).max() >= 65504:
            raise ValueError("a weight is out of fp16 range")
        return w.astype(np.float16), None
    if storage != "int8":
        raise ValueError(f"storage {storage!r} is not one of {STORAGES}")
    rows, cols = w.shape
    block = INT8_BLOCK if cols % INT8_BLOCK == 0 else cols
    x = w.reshape(rows, cols // block, block)
    scale = (np.maximum(np.abs(x).max(axis=-1, keepdims=True), 1e-6) / 127.0).astype(np.float16)
    q = np.clip(np.rint(x / scale.astype(np.float32)), -127, 127).astype(np.int8)
    return q.reshape(rows, cols), scale


def decode(stored: np.ndarray, scale: np.ndarray | None) -> np.ndarray:
    """What the graph computes at load: bit for bit onnxruntime's float32 Cast (and Mul)."""
    x = stored.astype(np.float32)
    if scale is None:
        return x
    rows, cols = x.shape
    return (x.reshape(rows, scale.shape[1], -1) * scale.astype(np.float32)).reshape(rows, cols)


def is_stored(w: np.ndarray) -> bool:
    """Matrices go to the weights file; vectors stay inline in fp32."""
    return w.ndim >= 2


def rounded(params: dict[str, np.ndarray], storage: str) -> dict[str, np.ndarray]:
    """The parameters as the packed graphs see them (a PyTorch model loaded with these computes
    what onnxruntime computes, up to float arithmetic order)."""
    return {k: decode(*encode(w, storage)) if is_stored(w) else w for k, w in params.items()}


def _key(a: np.ndarray) -> tuple:
    a = np.ascontiguousarray(a)
    return a.shape, a.dtype.str, hashlib.sha1(a.tobytes()).hexdigest()


class _Index:
    """Parameters by content: (shape, dtype, hash) -> (parameter, transposed)."""

    def __init__(self, params: dict[str, np.ndarray]):
        self.by_key: dict[tuple, tuple[str, bool]] = {}
        self.canonical: dict[str, str] = {}  # parameter -> first parameter with the same content
        for name, w in params.items():
            key = _key(w)
            if key in self.by_key and not self.by_key[key][1]:
                self.canonical[name] = self.by_key[key][0]
                continue
            self.by_key[key] = (name, False)
            self.canonical[name] = name
            if w.ndim == 2:
                self.by_key.setdefault(_key(w.T), (name, True))

    def find(self, a: np.ndarray) -> tuple[str, bool] | None:
        return self.by_key.get(_key(a))


def _stored_tensors(params: dict[str, np.ndarray], storage: str) -> dict[str, np.ndarray]:
    """Everything the weights file holds, by tensor name: each matrix (and its int8 scales)."""
    out = {}
    for name, w in params.items():
        if is_stored(w):
            q, scale = encode(w, storage)
            out[name] = q
            if scale is not None:
                out[name + SCALE_SUFFIX] = scale
    return out


def _rewrite(model: onnx.ModelProto, index: _Index, params: dict[str, np.ndarray], storage: str) -> tuple[set[str], list[str]]:
    """Rewrites one graph in place; returns the names of the stored tensors it reads and of the
    large float initializers that are no parameter (left inline)."""
    g = model.graph
    renames: dict[str, str] = {}
    keep, nodes, made, uses, strays = [], [], set(), set(), []

    def add(op: str, inputs: list[str], output: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=f"{output}/{op}", **attrs))
        return output

    def fp32_value(param: str) -> str:
        """Name of the param's fp32 value in this graph, adding the dequantizing nodes once."""
        uses.add(param)
        if storage == "fp32" or f"{param}/fp32" in made:
            return param if storage == "fp32" else f"{param}/fp32"
        made.add(f"{param}/fp32")
        if storage == "fp16":
            return add("Cast", [param], f"{param}/fp32", to=TensorProto.FLOAT)
        scale = param + SCALE_SUFFIX
        uses.add(scale)
        scales = encode(params[param], storage)[1]
        assert scales is not None, "int8 storage has scales"
        shape, blocks = params[param].shape, scales.shape
        keep.append(numpy_helper.from_array(np.array(blocks[:2] + (-1,), np.int64), f"{param}/blocks"))
        keep.append(numpy_helper.from_array(np.array(shape, np.int64), f"{param}/shape"))
        q = add("Reshape", [add("Cast", [param], f"{param}/cast", to=TensorProto.FLOAT), f"{param}/blocks"], f"{param}/q")
        x = add("Mul", [q, add("Cast", [scale], f"{scale}/fp32", to=TensorProto.FLOAT)], f"{param}/scaled")
        return add("Reshape", [x, f"{param}/shape"], f"{param}/fp32")

    for init in g.initializer:
        hit = index.find(numpy_helper.to_array(init)) if init.data_type == TensorProto.FLOAT else None
        if hit is None:
            if init.data_type == TensorProto.FLOAT and np.prod(init.dims) >= 4096:
                strays.append(init.name)
            keep.append(init)
            continue
        param, transposed = hit
        if not is_stored(params[param]):
            if param not in made:
                made.add(param)
                keep.append(numpy_helper.from_array(params[param], param))
            renames[init.name] = param
            continue
        value = fp32_value(param)
        if transposed:
            if f"{param}/T" not in made:
                made.add(f"{param}/T")
                add("Transpose", [value], f"{param}/T", perm=[1, 0])
            value = f"{param}/T"
        renames[init.name] = value

    for n in g.node:
        for i, name in enumerate(n.input):
            if name in renames:
                n.input[i] = renames[name]
    graph_inputs = [i for i in g.input if i.name not in renames]
    del g.input[:]
    g.input.extend(graph_inputs)
    all_nodes = nodes + list(g.node)
    del g.node[:]
    g.node.extend(all_nodes)
    del g.initializer[:]
    g.initializer.extend(keep)
    return uses, strays


def pack(graphs: dict[str, onnx.ModelProto], params: dict[str, np.ndarray], storage: str, out_dir: str,
         weights_file: str = WEIGHTS_FILE) -> dict:
    """Rewrites the graphs ({file name: model}), writes `weights_file` and the graphs into out_dir.
    params: the model's parameters by state_dict name, fp32."""
    if storage not in STORAGES:
        raise ValueError(f"storage {storage!r} is not one of {STORAGES}")
    params = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in params.items()}
    index = _Index(params)
    uses: dict[str, set[str]] = {}
    strays: dict[str, list[str]] = {}
    for name, model in graphs.items():
        uses[name], left = _rewrite(model, index, params, storage)
        if left:
            strays[name] = left
    used = set().union(*uses.values())

    # Every parameter must be readable back from the folder (import_weights.py).
    present = set(used)
    for model in graphs.values():
        present |= {i.name for i in model.graph.initializer}
    missing = [p for p, c in index.canonical.items() if c not in present]
    if missing:
        raise ValueError(f"parameters not found in any graph: {missing}")

    tensors = {k: v for k, v in _stored_tensors(params, storage).items() if k in used}
    offsets: dict[str, int] = {}
    with open(os.path.join(out_dir, weights_file), "wb") as f:
        for k, v in tensors.items():  # state_dict order
            f.write(b"\0" * (-f.tell() % ALIGN))
            offsets[k] = f.tell()
            f.write(np.ascontiguousarray(v).tobytes())

    mapping = json.dumps(index.canonical)
    for name, model in graphs.items():
        for k, v in tensors.items():
            if k not in uses[name]:
                continue
            t = TensorProto(name=k, data_type=_TENSOR_TYPES[v.dtype.name], dims=v.shape)
            t.data_location = TensorProto.EXTERNAL
            for key, value in (("location", weights_file), ("offset", str(offsets[k])), ("length", str(v.nbytes))):
                entry = t.external_data.add()
                entry.key, entry.value = key, value
            model.graph.initializer.append(t)
        helper.set_model_props(model, {STORAGE_KEY: storage, PARAMETERS_KEY: mapping})
        path = os.path.join(out_dir, name)
        onnx.save(model, path)
        onnx.checker.check_model(path)
    return {"storage": storage, "stored": len(tensors), "strays": strays,
            "bytes": os.path.getsize(os.path.join(out_dir, weights_file))}


def read_parameters(folder: str, graph_files: list[str]) -> tuple[dict[str, np.ndarray], str] | None:
    """The fp32 parameters of a folder written by `pack` (state_dict names), and its storage;
    None for a folder whose graphs carry no parameter map."""
    tensors: dict[str, np.ndarray] = {}
    mapping: dict[str, str] | None = None
    storage = ""
    for f in graph_files:
        model = onnx.load(os.path.join(folder, f))  # external data resolved next to the graph
        props = {p.key: p.value for p in model.metadata_props}
        if PARAMETERS_KEY in props:
            mapping, storage = json.loads(props[PARAMETERS_KEY]), props[STORAGE_KEY]
        for init in model.graph.initializer:
            tensors.setdefault(init.name, numpy_helper.to_array(init))
    if mapping is None:
        return None
    out = {}
    for param, name in mapping.items():
        if name not in tensors:
            raise ValueError(f"{folder}: no tensor {name!r} for parameter {param!r}")
        out[param] = decode(tensors[name], tensors.get(name + SCALE_SUFFIX))
    return out, storage
