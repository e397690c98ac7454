"""CPU training at the CPU's speed computes what the plain reference computes.

Torch's fused attention (the `sdpa` TrainingMask) against `plain_attention` on packed rows (fp32
closely, bf16 loosely); Muon's Newton-Schulz iteration in bf16 against fp32; a bf16-autocast
training step keeps fp32 weights and an fp32 loss; and the fallbacks on a torch without fused
attention (Debian's 1.13: fp32, plain attention).

    cd models/train && /usr/bin/python3 -m unittest discover -s ../../test/model-pipeline -p 'test_cpu_training.py'
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import types
import unittest

import numpy as np
import torch
import torch.nn.functional as F

from dllm_train.data.encoded import Shard
from dllm_train.data.examples import ExampleBuilder, pack_rows
from dllm_train.model.model import plain_attention
from dllm_train.model.training_mask import TrainingMask, example_spans
from dllm_train.paths import CONFIGS, module_command, module_env
from dllm_train.training.config import TrainConfig
from dllm_train.training.optim import Muon, newton_schulz
from dllm_train.training.trainer import Trainer, cpu_has_bf16, cpu_threads, use_bf16
from pipeline_fixtures import WithDataDir, tiny_model, write_data_dir

HAVE_SDPA = hasattr(F, "scaled_dot_product_attention")
NO_SDPA = "torch < 2.0: no scaled_dot_product_attention (training runs plain attention in fp32)"


class CpuTraining(WithDataDir):

    def packed(self, causal: bool, seed: int, rows: int = 3, row_len: int = 384) -> dict:
        """Rows of several examples with canvas copies and padding."""
        builder = ExampleBuilder(Shard(self.tmp.name, "train"), self.vocab, causal, canvas_copies=2, suffix_gap_p=0.5)
        batch = pack_rows(builder, np.random.default_rng(seed), rows, row_len, [(64, 0.5), (96, 0.5)], 0.3,
                          self.vocab.pad)
        self.assertGreater(len(np.unique(batch["example"][0])), 2)  # several examples in a row, and padding
        return {k: torch.from_numpy(v) for k, v in batch.items()}

    @unittest.skipUnless(HAVE_SDPA, NO_SDPA)
    def test_sdpa_attention_equals_plain_fp32(self):
        for causal in (False, True):
            t = self.packed(causal, seed=1)
            b, n = t["ids"].shape
            g = torch.Generator().manual_seed(2)
            q, k, v = (torch.randn(b, 4, n, 32, generator=g) for _ in range(3))
            ref = TrainingMask(t["example"], t["segment"], causal, "plain").attend(q, k, v)
            for split in (False, True):  # one masked call per row, or one per packed example
                got = TrainingMask(t["example"], t["segment"], causal, "sdpa", split=split).attend(q, k, v)
                torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-5)
            # and the plain path is the textbook softmax attention it claims to be
            torch.testing.assert_close(ref, plain_attention(q, k, v, TrainingMask(
                t["example"], t["segment"], causal).additive, 1 / math.sqrt(32)))

    @unittest.skipUnless(HAVE_SDPA, NO_SDPA)
    def test_sdpa_attention_in_bf16_is_close_to_fp32(self):
        t = self.packed(True, seed=3)
        b, n = t["ids"].shape
        g = torch.Generator().manual_seed(4)
        q, k, v = (torch.randn(b, 4, n, 32, generator=g) for _ in range(3))
        ref = TrainingMask(t["example"], t["segment"], True, "plain").attend(q, k, v)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            got = [TrainingMask(t["example"], t["segment"], True, "sdpa", split=split).attend(
                q.bfloat16(), k.bfloat16(), v.bfloat16()) for split in (False, True)]
        for y in got:
            self.assertEqual(y.dtype, torch.bfloat16)
            err = (y.float() - ref).abs()
            self.assertLess(float(err.max()), 0.1)
            self.assertLess(float(err.mean()), 0.01)

    @unittest.skipUnless(HAVE_SDPA, NO_SDPA)
    def test_sdpa_gradients_equal_plain(self):
        t = self.packed(True, seed=5, rows=2, row_len=256)
        b, n = t["ids"].shape
        g = torch.Generator().manual_seed(6)
        base = [torch.randn(b, 2, n, 16, generator=g) for _ in range(3)]
        grads = []
        for backend, split in (("plain", False), ("sdpa", False), ("sdpa", True)):
            q, k, v = (x.clone().requires_grad_() for x in base)
            y = TrainingMask(t["example"], t["segment"], True, backend, split=split).attend(q, k, v)
            (y * torch.linspace(-1, 1, y.numel()).view_as(y)).sum().backward()
            grads.append([q.grad, k.grad, v.grad])
        for other in grads[1:]:
            for got, ref in zip(other, grads[0]):
                torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-5)

    @unittest.skipUnless(HAVE_SDPA and hasattr(torch.ops.aten, "_scaled_dot_product_flash_attention_for_cpu"),
                         "torch without the CPU flash attention kernel")
    def test_sdpa_with_the_packed_mask_runs_the_cpu_flash_kernel(self):
        """The bool mask keeps SDPA on the tiled flash kernel, not the math fallback that builds T x T scores."""
        from torch.profiler import profile
        t = self.packed(True, seed=10, rows=2, row_len=256)
        mask = TrainingMask(t["example"], t["segment"], True, "sdpa")
        q, k, v = (torch.randn(2, 2, 256, 16, dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
        with profile() as prof:
            mask.attend(q, k, v).float().sum().backward()
        names = {e.name for e in prof.events() or []}
        self.assertIn("aten::_scaled_dot_product_flash_attention_for_cpu", names)
        self.assertNotIn("aten::_scaled_dot_product_attention_math", names)

    @unittest.skipUnless(HAVE_SDPA and hasattr(torch, "compile") and hasattr(torch, "compiler"),
                         "torch without torch.compile")
    def test_compiled_step_with_split_attention_equals_eager(self):
        """The per-example attention stays eager inside the compiled loss; new spans compile nothing again."""
        import torch._dynamo
        model = tiny_model("causalSuffixFirst")
        args = types.SimpleNamespace(precision="fp32", compile="off", attention="sdpa")
        trainer = Trainer(model, TrainConfig(), args, torch.device("cpu"), lambda m: None)
        batches = [self.packed(True, seed=s, rows=2, row_len=256) for s in (12, 13)]
        trainer.choose_backend(batches[0])
        torch._dynamo.reset()
        compiled = torch.compile(trainer.loss_fn)
        with torch.no_grad():
            for i, t in enumerate(batches):
                mask = trainer.mask(t)
                self.assertTrue(mask.split)
                eager, _ = trainer.loss_fn(t, mask)
                if i == 1:
                    torch._dynamo.config.error_on_recompile = True
                try:
                    got, _ = compiled(t, trainer.mask(t))
                finally:
                    torch._dynamo.config.error_on_recompile = False
                self.assertAlmostEqual(float(got), float(eager), places=4)
        torch._dynamo.reset()

    def test_example_spans_follow_the_packing(self):
        t = self.packed(True, seed=11)
        spans = example_spans(t["example"], t["segment"], True)
        assert spans is not None
        for r, runs in enumerate(spans):
            self.assertEqual(sum(n for n, _ in runs), t["ids"].shape[1])
            self.assertEqual(len(runs), len(np.unique(t["example"][r].numpy())))
        # an example that is not one contiguous run: no split (the row mask is used instead)
        ex = torch.tensor([[0, 0, 1, 1, 0, -1]])
        self.assertIsNone(example_spans(ex, torch.zeros_like(ex), True))

    def test_newton_schulz_in_bf16_is_close_to_fp32(self):
        g = torch.Generator().manual_seed(7)
        for shape in ((256, 768), (704, 256)):
            m = torch.randn(*shape, generator=g)
            ref = newton_schulz(m, 5, bf16=False)
            got = newton_schulz(m, 5, bf16=True)
            self.assertEqual(got.dtype, torch.float32)
            rel = float((got - ref).norm() / ref.norm())
            self.assertLess(rel, 0.05, shape)
            # both are near-orthogonal: singular values around 1 (the quintic iteration leaves them in ~[0.7, 1.2])
            s = torch.linalg.svdvals(got)
            self.assertGreater(float(s.min()), 0.5)
            self.assertLess(float(s.max()), 1.5)

    def test_precision_falls_back_where_it_must(self):
        cpu = torch.device("cpu")
        self.assertFalse(use_bf16("fp32", cpu))
        if not HAVE_SDPA:
            self.assertFalse(use_bf16("bf16", cpu))  # torch 1.13: the CPU trains in fp32 as before
        else:
            self.assertEqual(use_bf16("bf16", cpu), cpu_has_bf16())
        self.assertEqual(cpu_threads(3), 3)
        self.assertGreaterEqual(cpu_threads(0), 1)

    @unittest.skipUnless(HAVE_SDPA and cpu_has_bf16(), "needs torch >= 2 and a CPU with native bf16")
    def test_bf16_step_keeps_fp32_weights_and_loss(self):
        t = self.packed(True, seed=8, rows=2, row_len=256)
        tc = TrainConfig(optimizer="muon")
        log = []
        ref_loss = None
        for precision in ("fp32", "bf16"):
            model = tiny_model("causalSuffixFirst").train()
            args = types.SimpleNamespace(precision=precision, compile="off", attention="sdpa")
            trainer = Trainer(model, tc, args, torch.device("cpu"), log.append)
            trainer.choose_backend(t)
            self.assertEqual(trainer.backend, "sdpa")
            self.assertTrue(trainer.split)
            self.assertEqual(trainer.amp, precision == "bf16")
            muon = trainer.optimizers[0]
            assert isinstance(muon, Muon)
            self.assertEqual(muon.ns_bf16, precision == "bf16")
            with torch.no_grad():
                loss, _ = trainer.loss_fn(t, trainer.mask(t))
            self.assertEqual(loss.dtype, torch.float32)
            if ref_loss is None:
                ref_loss = float(loss)
            else:
                self.assertAlmostEqual(float(loss), ref_loss, delta=0.02 * ref_loss)
            before = {n: p.detach().clone() for n, p in model.named_parameters()}
            stats = trainer.step(t, 1.0)
            self.assertTrue(math.isfinite(float(stats["loss"])))
            for n, p in model.named_parameters():
                self.assertEqual(p.dtype, torch.float32, n)
                self.assertFalse(torch.equal(p.detach(), before[n]), n)


def run_smoke_training(test: unittest.TestCase, d: str, name: str, *extra: str) -> None:
    """train.py with configs/smoke.json on the tiny corpus in d, run folder d/name, on the CPU without
    compiling; the test fails with train.py's stderr if it does."""
    res = subprocess.run(module_command(sys.executable, "training.train", "--config",
                                        os.path.join(CONFIGS, "smoke.json"), "--name", name, "--runs", d,
                                        "--data", d, "--device", "cpu", "--compile", "off", *extra),
                         env=module_env(), capture_output=True, text=True, timeout=300)
    test.assertEqual(res.returncode, 0, res.stderr[-2000:])


class ResumedSchedule(unittest.TestCase):
    def test_max_steps_on_resume_replaces_the_recorded_schedule(self):
        """A run that must end sooner (or later) than it planned: --resume --max-steps N."""
        with tempfile.TemporaryDirectory() as d:
            write_data_dir(d)

            def run(*extra: str) -> dict:
                run_smoke_training(self, d, "r", *extra)
                with open(os.path.join(d, "r", "status.json")) as f:
                    return json.load(f)

            first = run("--max-steps", "3")
            self.assertEqual((first["step"], first["total_steps"]), (3, 3))
            again = run("--resume", "--max-steps", "5")
            self.assertEqual((again["step"], again["total_steps"]), (5, 5))
            with open(os.path.join(d, "r", "train.log")) as f:
                log = f.read()
            self.assertIn("resumed", log)
            self.assertIn("schedule changed from 3 steps by --max-steps", log)
            kept = run("--resume")  # without the flag the recorded schedule stands: nothing left to do
            self.assertEqual((kept["step"], kept["total_steps"]), (5, 5))


class WarmStartAttention(unittest.TestCase):
    def test_a_warm_start_may_change_the_context_attention_but_not_the_shape(self):
        """--init-from keeps the checkpoint's shape; --model-set may still turn its context causal or
        bidirectional, which no weight depends on."""
        with tempfile.TemporaryDirectory() as d:
            write_data_dir(d)

            def run(name: str, *extra: str) -> dict:
                run_smoke_training(self, d, name, "--max-steps", "2", *extra)
                return torch.load(os.path.join(d, name, "weights.pt"), map_location="cpu")["model_config"]

            first = run("a")
            self.assertEqual(first["context_attention"], "causalSuffixFirst")
            second = run("b", "--init-from", os.path.join(d, "a", "weights.pt"),
                         "--model-set", 'context_attention="bidirectional"', "d_model=96")
            self.assertEqual(second, {**first, "context_attention": "bidirectional"})
            with open(os.path.join(d, "b", "train.log")) as f:
                self.assertIn("warm start: --model-set {'context_attention': 'bidirectional'}", f.read())


if __name__ == "__main__":
    unittest.main()
