"""What several pipeline tests share: a tiny encoded corpus, a tiny model, and a test class that owns
a corpus folder for its tests.

Imported as a top-level module: unittest discovery (`-s test/model-pipeline`) puts this folder on the
import path; `dllm_train` comes from models/train, the working directory of `smoke.sh`'s test run.
"""
from __future__ import annotations

import json
import os
import tempfile
import unittest

import numpy as np
import torch

from dllm_train.data.encoded import Vocab
from dllm_train.model.model import DiffusionLM, ModelConfig
from dllm_train.paths import REPO
from dllm_train.tokenizer import bpe

TOKENIZER = os.path.join(REPO, "models", "dllm-code-tiny", "tokenizer.json")
CODE = '''def mean(values):
    """Average of a list of numbers."""
    total = 0
    for v in values:
        total += v
    return total / len(values)


class Stack:
    def __init__(self):
        self.items = []

    def push(self, item):
        self.items.append(item)

    def pop(self):
        if not self.items:
            raise IndexError("pop from empty stack")
        return self.items.pop()
'''


def write_data_dir(path: str) -> None:
    """A tiny encoded corpus in the encode.py layout: the same code file many times."""
    tok = bpe.Tokenizer.from_file(TOKENIZER)
    special = bpe.special_tokens_json()
    ids = np.asarray(tok.encode(CODE), dtype=np.uint16)
    for split, copies in (("train", 20), ("val", 4)):
        np.tile(ids, copies).tofile(os.path.join(path, f"{split}.tokens.u16"))
        np.arange(0, len(ids) * (copies + 1), len(ids), dtype=np.int64).tofile(os.path.join(path, f"{split}.docs.i64"))
        np.zeros(copies, dtype=np.uint8).tofile(os.path.join(path, f"{split}.lang.u8"))
    meta = {"vocab_size": len(tok.vocab), "special_tokens": {k: special[k] for k in ("mask", "pad", "bos", "eos")},
            "languages": bpe.LANGUAGES, "language_token_ids": special["languageTokens"],
            "newline_token_ids": tok.newline_ids()}
    with open(os.path.join(path, "meta.json"), "w") as f:
        json.dump(meta, f)


def tiny_model(context_attention: str) -> DiffusionLM:
    torch.manual_seed(0)
    model = DiffusionLM(ModelConfig(vocab_size=4096, d_model=32, n_layers=2, n_heads=2, head_dim=16, ffn_hidden=64,
                                    context_attention=context_attention))
    model.eval()
    return model


class WithDataDir(unittest.TestCase):
    """A class's tests share one tiny encoded corpus (write_data_dir) in a temporary folder, and its Vocab."""

    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(2)
        cls.tmp = tempfile.TemporaryDirectory()
        write_data_dir(cls.tmp.name)
        cls.vocab = Vocab(cls.tmp.name, TOKENIZER)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()
