"""A tiny random causalSuffixFirst model folder and its PyTorch reference, for causal-context.test.ts.

    PYTHONPATH=models/train /usr/bin/python3 causal_fixture.py WORK_DIR REQUESTS_JSON

Writes WORK_DIR/model (exported by dllm_train.export.export, fp32 so that onnxruntime must match
PyTorch to float rounding; its manifest allows a suffix gap of up to 64) and WORK_DIR/expected.json:
for each request ({prefix, suffix, language, canvas, and optionally gap: unused positions between
the canvas and the suffix, 0 if absent}), the context in the model's order with document
positions, the context keys and values, and the logits of a denoise pass over an all-mask canvas,
each from PyTorch.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

from dllm_train.model.layout import request_layout
from dllm_train.model.model import DiffusionLM, ModelConfig
from dllm_train.paths import REPO, module_command, module_env
from dllm_train.tokenizer.bpe import Tokenizer, special_tokens_json

TOKENIZER = os.path.join(REPO, "models", "dllm-code-tiny", "tokenizer.json")


def b64(t: torch.Tensor) -> str:
    return base64.b64encode(t.detach().numpy().astype(np.float32).tobytes()).decode()


def main() -> None:
    work, requests = sys.argv[1], json.loads(sys.argv[2])
    torch.set_num_threads(1)
    torch.manual_seed(0)
    special = special_tokens_json()
    cfg = ModelConfig(vocab_size=4096, d_model=32, n_layers=2, n_heads=2, head_dim=16, ffn_hidden=64,
                      context_attention="causalSuffixFirst")
    model = DiffusionLM(cfg).eval()

    tok_dir = os.path.join(work, "tokenizer")
    os.makedirs(tok_dir, exist_ok=True)
    shutil.copyfile(TOKENIZER, os.path.join(tok_dir, "tokenizer.json"))
    with open(os.path.join(tok_dir, "special_tokens.json"), "w") as f:
        f.write(json.dumps(special))
    checkpoint = os.path.join(work, "model.pt")
    torch.save({"model": model.state_dict(), "model_config": cfg.to_dict()}, checkpoint)
    subprocess.run(module_command(sys.executable, "export.export", "--checkpoint", checkpoint,
                                  "--out", os.path.join(work, "model"), "--tokenizer-dir", tok_dir, "--storage", "fp32",
                                  "--name", "causal-test", "--no-verify-cases", "--max-suffix-gap", "64"),
                   env=module_env(), check=True, stdout=subprocess.DEVNULL)

    tok = Tokenizer.from_file(os.path.join(tok_dir, "tokenizer.json"))
    langs = special["languageTokens"]
    cases = []
    for r in requests:
        head = [special["bos"], langs.get(r["language"], langs["other"])]
        prefix, suffix = tok.encode_ordinary(r["prefix"]), tok.encode_ordinary(r["suffix"])
        lay = request_layout(head, prefix, suffix, [special["eos"]], r["canvas"], cfg.context_attention,
                             gap=int(r.get("gap", 0)))
        with torch.no_grad():
            keys, values = model.encode_context(torch.tensor([lay.context_ids]), torch.tensor([lay.context_pos]))
            canvas = torch.full((1, r["canvas"]), special["mask"], dtype=torch.long)
            logits = model.denoise(canvas, torch.tensor([lay.canvas_pos]), keys, values)
        cases.append({"contextIds": lay.context_ids, "contextPositions": lay.context_pos,
                      "canvasPositions": lay.canvas_pos, "keys": b64(keys), "values": b64(values),
                      "logits": b64(logits)})
    with open(os.path.join(work, "expected.json"), "w") as f:
        json.dump({"cases": cases}, f)


if __name__ == "__main__":
    main()
