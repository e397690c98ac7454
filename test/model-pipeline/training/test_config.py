"""dllm_train.training.config: defaults, the shipped configs, a file round trip, unknown keys refused.

    cd models/train && /usr/bin/python3 -m unittest discover -s ../../test/model-pipeline -p 'test_config.py'
"""
from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import tempfile
import unittest
from dataclasses import fields

from dllm_train.paths import CONFIGS as CONFIG_DIR
from dllm_train.paths import module_command, module_env
from dllm_train.training.config import ConfigError, TrainConfig, load_config, parse_overrides

CONFIGS = sorted(glob.glob(os.path.join(CONFIG_DIR, "*.json")))


class Defaults(unittest.TestCase):
    def test_defaults_are_those_train_py_used_for_a_missing_key(self):
        tc = TrainConfig()
        expected = {"optimizer": "adamw", "weight_decay": 0.1, "muon_lr": 0.02, "muon_weight_decay": 0.0,
                    "grad_clip": 1.0, "warmup_steps": 100, "rewarmup_steps": None, "decay_frac": 0.25,
                    "min_lr_ratio": 0.1, "measure_steps": 20, "reserve_s": 20, "canvas_copies": 1,
                    "dense_p_start": 0.5, "dense_p_end": 0.15, "suffix_gap_p": 0.0, "context_lm_weight": 0.0,
                    "lang_weights": None, "val_examples": 64, "val_len": 512, "checkpoint_minutes": 2,
                    "log_every": 20, "max_rollbacks": 3, "threads": 0, "workers": 0, "seed": 0}
        for key, value in expected.items():
            self.assertEqual(getattr(tc, key), value, key)

    def test_every_field_has_a_default(self):
        self.assertEqual(len(TrainConfig().to_dict()), len(fields(TrainConfig)))

    def test_example_lens_are_pairs(self):
        lens_from_json = [[128, 0.5], [256, 0.5]]  # JSON has no tuples
        self.assertEqual(TrainConfig(example_lens=lens_from_json).example_lens,  # pyright: ignore[reportArgumentType]
                         [(128, 0.5), (256, 0.5)])


class ShippedConfigs(unittest.TestCase):
    def test_every_config_loads_with_its_values(self):
        self.assertGreaterEqual(len(CONFIGS), 4)
        for path in CONFIGS:
            with open(path) as f:
                raw = json.load(f)
            model, tc = load_config(path)
            self.assertEqual(model, raw["model"], path)
            got = tc.to_dict()
            for key, want in raw["train"].items():
                self.assertEqual(got[key], want, f"{path}: {key}")
                self.assertIs(type(got[key]), type(want), f"{path}: {key}")  # no conversion (int stays int)
            self.assertEqual(tc.example_lens, [tuple(x) for x in raw["train"]["example_lens"]])

    def test_overrides(self):
        path = os.path.join(CONFIG_DIR, "smoke.json")
        model, tc = load_config(path, parse_overrides(["lr=1e-3", 'optimizer="muon"']),
                                parse_overrides(['context_attention="bidirectional"'], "--model-set"))
        base_model, base = load_config(path)
        self.assertEqual((tc.lr, tc.optimizer), (1e-3, "muon"))
        self.assertEqual(tc.rows, base.rows)
        self.assertEqual(model, {**base_model, "context_attention": "bidirectional"})


class RoundTrip(unittest.TestCase):
    def test_file_round_trip(self):
        model, tc = load_config(os.path.join(CONFIG_DIR, "gpu.json"))
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "again.json")
            with open(path, "w") as f:
                json.dump({"model": model, "train": tc.to_dict()}, f)
            model2, tc2 = load_config(path)
        self.assertEqual(model2, model)
        self.assertEqual(tc2, tc)
        self.assertEqual(tc.to_dict()["example_lens"], [[256, 0.15], [512, 0.25], [1024, 0.3], [2048, 0.3]])  # JSON's shape

    def test_empty_file_gives_the_defaults(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "empty.json")
            with open(path, "w") as f:
                f.write("{}")
            self.assertEqual(load_config(path), ({}, TrainConfig()))


class UnknownKeys(unittest.TestCase):
    def write(self, d: str, cfg: dict) -> str:
        path = os.path.join(d, "bad.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        return path

    def test_unknown_train_key_names_key_and_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = self.write(d, {"model": {}, "train": {"lr": 1e-3, "warmup_step": 10}})
            with self.assertRaises(ConfigError) as cm:
                load_config(path)
        msg = str(cm.exception)
        self.assertIn(path, msg)
        self.assertIn("'warmup_step'", msg)
        self.assertIn("'warmup_steps'", msg)  # the suggestion

    def test_unknown_model_key_and_section(self):
        with tempfile.TemporaryDirectory() as d:
            for cfg, key in (({"model": {"d_modle": 64}, "train": {}}, "'d_modle'"),
                             ({"model": {}, "trian": {}}, "'trian'")):
                path = self.write(d, cfg)
                with self.assertRaises(ConfigError) as cm:
                    load_config(path)
                self.assertIn(path, str(cm.exception))
                self.assertIn(key, str(cm.exception))

    def test_unknown_override_key(self):
        path = os.path.join(CONFIG_DIR, "smoke.json")
        with self.assertRaisesRegex(ConfigError, "--set: unknown key 'lrr'"):
            load_config(path, {"lrr": 1.0})
        with self.assertRaisesRegex(ConfigError, "--model-set: unknown key 'layers'"):
            load_config(path, model_overrides={"layers": 2})
        with self.assertRaisesRegex(ConfigError, "expected KEY=JSON"):
            parse_overrides(["optimizer=muon"])  # a string needs its quotes

    def test_train_py_exits_with_the_message(self):
        with tempfile.TemporaryDirectory() as d:
            path = self.write(d, {"train": {"rowz": 4}})
            res = subprocess.run(module_command(sys.executable, "training.train", "--config", path, "--name", "x",
                                                "--runs", d), env=module_env(), capture_output=True, text=True)
            self.assertEqual(os.listdir(d), ["bad.json"])  # nothing started
        self.assertEqual(res.returncode, 2)
        self.assertIn(f"{path}, \"train\": unknown key 'rowz' (did you mean 'rows'?)", res.stderr)


if __name__ == "__main__":
    unittest.main()
