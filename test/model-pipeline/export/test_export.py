"""The suffix gap: layout.request_layout's positions with a gap, and what export.py promises in the
manifest (maxSuffixGap, maxContextTokens) from the checkpoint's recorded train config.

    cd models/train && /usr/bin/python3 -m unittest discover -s ../../test/model-pipeline -p 'test_export.py'
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import torch

from dllm_train.data.examples import MAX_SUFFIX_GAP
from dllm_train.export.export import recorded_train_config, trained_max_context, trained_suffix_gap
from dllm_train.model.layout import request_layout
from dllm_train.model.model import DiffusionLM, ModelConfig
from dllm_train.paths import CONFIGS, REPO, module_command, module_env
from dllm_train.tokenizer.bpe import special_tokens_json
from dllm_train.training.config import load_config

TOKENIZER = os.path.join(REPO, "models", "dllm-code-tiny", "tokenizer.json")
HEAD, PREFIX, SUFFIX, TAIL = [2, 5], [100, 101, 102], [200, 201], [3]


class LayoutGap(unittest.TestCase):
    def test_positions_with_a_gap(self):
        h, p, n, g = len(HEAD), len(PREFIX), 4, 7
        suffix_pos = list(range(h + p + n + g, h + p + n + g + len(SUFFIX) + 1))
        lay = request_layout(HEAD, PREFIX, SUFFIX, TAIL, n, "causalSuffixFirst", gap=g)
        self.assertEqual(lay.context_ids, HEAD + SUFFIX + TAIL + PREFIX)
        self.assertEqual(lay.context_pos, [0, 1] + suffix_pos + [2, 3, 4])
        self.assertEqual(lay.canvas_pos, [5, 6, 7, 8])
        lay = request_layout(HEAD, PREFIX, SUFFIX, TAIL, n, "bidirectional", gap=g)
        self.assertEqual(lay.context_ids, HEAD + PREFIX + SUFFIX + TAIL)
        self.assertEqual(lay.context_pos, [0, 1, 2, 3, 4] + suffix_pos)
        self.assertEqual(lay.canvas_pos, [5, 6, 7, 8])

    def test_no_gap_is_the_default(self):
        for attention in ("bidirectional", "causalSuffixFirst"):
            self.assertEqual(request_layout(HEAD, PREFIX, SUFFIX, TAIL, 4, attention),
                             request_layout(HEAD, PREFIX, SUFFIX, TAIL, 4, attention, gap=0))

    def test_negative_gap_refused(self):
        with self.assertRaises(ValueError):
            request_layout(HEAD, PREFIX, SUFFIX, TAIL, 4, "causalSuffixFirst", gap=-1)

    def test_typing_into_the_gap_only_appends_context(self):
        """What makes kept keys/values exact: typed tokens taken from the gap leave every earlier
        context token at its place and position; only the new prefix tokens are appended."""
        before = request_layout(HEAD, PREFIX, SUFFIX, TAIL, 8, "causalSuffixFirst", gap=10)
        typed = [300, 301, 302]
        after = request_layout(HEAD, PREFIX + typed, SUFFIX, TAIL, 8, "causalSuffixFirst", gap=10 - len(typed))
        c = len(before.context_ids)
        self.assertEqual(after.context_ids[:c], before.context_ids)
        self.assertEqual(after.context_pos[:c], before.context_pos)
        self.assertEqual(after.context_ids[c:], typed)
        self.assertEqual(after.canvas_pos, [p + len(typed) for p in before.canvas_pos])
        # The model: the kept keys/values plus the typed tokens' (with the kept ones as the past)
        # are the keys/values of encoding the new request afresh.
        torch.manual_seed(0)
        model = DiffusionLM(ModelConfig(vocab_size=4096, d_model=32, n_layers=2, n_heads=2, head_dim=16,
                                        ffn_hidden=64, context_attention="causalSuffixFirst")).eval()
        with torch.no_grad():
            k0, v0 = model.encode_context(torch.tensor([before.context_ids]), torch.tensor([before.context_pos]))
            k1, v1 = model.encode_context(torch.tensor([typed]), torch.tensor([after.context_pos[c:]]), k0, v0)
            k, v = model.encode_context(torch.tensor([after.context_ids]), torch.tensor([after.context_pos]))
        torch.testing.assert_close(torch.cat([k0, k1], 3), k, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(torch.cat([v0, v1], 3), v, atol=1e-5, rtol=1e-5)


class TrainedDefaults(unittest.TestCase):
    def train(self, name: str) -> dict:
        return load_config(os.path.join(CONFIGS, name))[1].to_dict()

    def test_gpu_config(self):
        tc = self.train("gpu.json")
        self.assertEqual(MAX_SUFFIX_GAP, 64)
        self.assertEqual(trained_suffix_gap(tc, causal=True), 64)
        self.assertEqual(trained_max_context(tc, 64), 2048 - 64 - 64)
        self.assertEqual(trained_max_context(tc, 64, 128), 2048 - 128 - 64)

    def test_no_gap_without_gaps_in_training_or_a_causal_context(self):
        tc = {**self.train("gpu.json"), "suffix_gap_p": 0.0}
        self.assertEqual(trained_suffix_gap(tc, causal=True), 0)
        self.assertEqual(trained_suffix_gap(self.train("gpu.json"), causal=False), 0)
        self.assertEqual(trained_max_context(tc, 0), 2048 - 64)

    def test_examples_are_cut_to_the_row(self):
        tc = {**self.train("gpu.json"), "row_len": 1024}
        self.assertEqual(trained_max_context(tc, 64), 1024 - 64 - 64)

    def test_without_a_train_config(self):
        self.assertEqual(trained_suffix_gap(None, causal=True), 0)
        self.assertEqual(trained_max_context(None, 0), 448)
        self.assertEqual(trained_max_context(None, 64), 448)


def tiny_checkpoint(path: str, context_attention: str, extra: dict | None = None) -> dict:
    torch.manual_seed(0)
    cfg = ModelConfig(vocab_size=4096, d_model=32, n_layers=2, n_heads=2, head_dim=16, ffn_hidden=64,
                      context_attention=context_attention)
    ck = {"model": DiffusionLM(cfg).state_dict(), "model_config": cfg.to_dict(), **(extra or {})}
    torch.save(ck, path)
    return ck


def run_json(model_config: dict, train: dict) -> dict:
    """What train.py writes as run.json (the parts export.py reads)."""
    return {"config": {"model": {}, "train": train}, "model": model_config}


class RecordedTrainConfig(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.train = load_config(os.path.join(CONFIGS, "gpu.json"))[1].to_dict()

    def test_in_the_checkpoint(self):
        path = os.path.join(self.tmp.name, "last.pt")
        ck = tiny_checkpoint(path, "causalSuffixFirst", {"config": {"model": {}, "train": self.train}})
        self.assertEqual(recorded_train_config(path, ck), (self.train, path))

    def test_beside_the_checkpoint(self):
        for rel in ("run.json", os.path.join("logs", "run_run.json")):
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "weights.pt")
                ck = tiny_checkpoint(path, "causalSuffixFirst")
                os.makedirs(os.path.join(d, "logs"), exist_ok=True)
                with open(os.path.join(d, rel), "w") as f:
                    json.dump(run_json(ck["model_config"], self.train), f)
                self.assertEqual(recorded_train_config(path, ck), (self.train, os.path.join(d, rel)))

    def test_another_runs_config_is_not_used(self):
        path = os.path.join(self.tmp.name, "weights.pt")
        ck = tiny_checkpoint(path, "causalSuffixFirst")
        with open(os.path.join(self.tmp.name, "run.json"), "w") as f:
            json.dump(run_json({**ck["model_config"], "d_model": 64}, self.train), f)
        self.assertEqual(recorded_train_config(path, ck), (None, ""))


class ExportManifest(unittest.TestCase):
    """export.py end to end on a tiny random model (graphs and manifest only)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.tok_dir = os.path.join(cls.tmp.name, "tokenizer")
        os.makedirs(cls.tok_dir)
        shutil.copyfile(TOKENIZER, os.path.join(cls.tok_dir, "tokenizer.json"))
        with open(os.path.join(cls.tok_dir, "special_tokens.json"), "w") as f:
            json.dump(special_tokens_json(), f)
        cls.train = load_config(os.path.join(CONFIGS, "gpu.json"))[1].to_dict()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_export(self, run: str, context_attention: str, train: dict | None, *args: str) -> subprocess.CompletedProcess:
        """export.py on a tiny checkpoint in the folder `run` (with a run.json of `train` beside it)."""
        folder = os.path.join(self.tmp.name, run)
        os.makedirs(folder, exist_ok=True)
        checkpoint = os.path.join(folder, "weights.pt")
        ck = tiny_checkpoint(checkpoint, context_attention)
        if train is not None:
            with open(os.path.join(folder, "run.json"), "w") as f:
                json.dump(run_json(ck["model_config"], train), f)
        out = os.path.join(folder, "model")
        return subprocess.run(module_command(sys.executable, "export.export", "--checkpoint", checkpoint, "--out", out,
                                             "--tokenizer-dir", self.tok_dir, "--no-verify-cases", *args),
                              env=module_env(), capture_output=True, text=True)

    def export(self, run: str, context_attention: str, train: dict | None, *args: str) -> dict:
        """run_export, which must succeed; the manifest it wrote."""
        res = self.run_export(run, context_attention, train, *args)
        self.assertEqual(res.returncode, 0, res.stderr)
        with open(os.path.join(self.tmp.name, run, "model", "dllm.json")) as f:
            return json.load(f)

    def test_trained_with_gaps(self):
        m = self.export("gaps", "causalSuffixFirst", self.train)
        self.assertEqual((m["maxSuffixGap"], m["maxContextTokens"]), (64, 1920))
        self.assertEqual(m["contextAttention"], "causalSuffixFirst")

    def test_trained_without_gaps(self):
        m = self.export("no-gaps", "causalSuffixFirst", {**self.train, "suffix_gap_p": 0.0})
        self.assertEqual((m["maxSuffixGap"], m["maxContextTokens"]), (0, 1984))

    def test_no_train_config(self):
        m = self.export("none", "causalSuffixFirst", None)
        self.assertEqual((m["maxSuffixGap"], m["maxContextTokens"]), (0, 448))

    def test_overrides(self):
        m = self.export("gap-16", "causalSuffixFirst", self.train, "--max-suffix-gap", "16")
        self.assertEqual((m["maxSuffixGap"], m["maxContextTokens"]), (16, 2048 - 64 - 16))
        m = self.export("both", "causalSuffixFirst", self.train, "--max-suffix-gap", "0", "--max-context", "700")
        self.assertEqual((m["maxSuffixGap"], m["maxContextTokens"]), (0, 700))
        m = self.export("fixture", "causalSuffixFirst", None, "--max-suffix-gap", "64")
        self.assertEqual((m["maxSuffixGap"], m["maxContextTokens"]), (64, 448))
        res = self.run_export("negative", "causalSuffixFirst", None, "--max-suffix-gap", "-1")
        self.assertNotEqual(res.returncode, 0)

    def test_bidirectional_has_no_gap(self):
        m = self.export("bidir", "bidirectional", self.train)
        self.assertNotIn("maxSuffixGap", m)
        self.assertEqual(m["maxContextTokens"], 2048 - 64)
        res = self.run_export("bidir-gap", "bidirectional", None, "--max-suffix-gap", "8")
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("causalSuffixFirst", res.stderr)


if __name__ == "__main__":
    unittest.main()
