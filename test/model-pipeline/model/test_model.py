"""The training path computes what the exported graphs compute.

A packed training row (several examples, canvas copies, padding) through `forward_train` must give,
at every canvas position, the logits of the inference path (`encode_context` once, then
`denoise`), for both context attentions; the causal context must extend exactly from past keys and
values; the fused attention backends must equal the plain one.

    cd models/train && /usr/bin/python3 -m unittest discover -s ../../test/model-pipeline -p 'test_model.py'
"""
from __future__ import annotations

import unittest

import numpy as np
import torch

from dllm_train.data.encoded import Shard
from dllm_train.data.examples import CANVAS, CONTEXT_LM, MAX_SUFFIX_GAP, ExampleBuilder, pack_rows
from dllm_train.model.layout import request_layout
from dllm_train.model.training_mask import TrainingMask, allowed_pairs
from pipeline_fixtures import WithDataDir, tiny_model


def _has_flex() -> bool:
    try:
        import torch.nn.attention.flex_attention  # noqa: F401
        return True
    except ImportError:
        return False


class ModelTest(WithDataDir):

    def builder(self, causal: bool, **kw) -> ExampleBuilder:
        return ExampleBuilder(Shard(self.tmp.name, "train"), self.vocab, causal, **kw)

    def test_allowed_pairs_matches_the_rules(self):
        rng = np.random.default_rng(0)
        example = torch.tensor([[0, 0, 0, 0, 0, 1, 1, 1, 1, -1, -1]])
        segment = torch.tensor([[0, 0, 0, 1, 2, 0, 0, 1, 1, 0, 0]])
        for causal in (False, True):
            got = allowed_pairs(example, segment, causal)[0]
            for q in range(11):
                for k in range(11):
                    eq, ek = int(example[0, q]), int(example[0, k])
                    sq, sk = int(segment[0, q]), int(segment[0, k])
                    want = eq == ek and ((sk == 0 and (sq != 0 or not causal or k <= q)) or (sk == sq != 0))
                    self.assertEqual(bool(got[q, k]), want, (causal, q, k))
        del rng

    def test_examples_are_laid_out_as_requests(self):
        """Row order head, suffix, eos, prefix | canvas, positions as layout.request_layout."""
        rng = np.random.default_rng(3)
        b = self.builder(True, canvas_copies=0, lang_other_p=0.0)
        for _ in range(20):
            ex = b.build(rng, 200)
            c = int((ex.segment == 0).sum())
            ctx_ids, ctx_pos = ex.ids[:c].tolist(), ex.pos[:c].tolist()
            canvas_pos = ex.pos[c:].tolist()
            n = len(canvas_pos)
            h = 2
            p = canvas_pos[0] - h
            s = c - h - 1 - p
            head, suffix, prefix = ctx_ids[:h], ctx_ids[h:h + s], ctx_ids[h + s + 1:]
            want = request_layout(head, prefix, suffix, [self.vocab.eos], n, "causalSuffixFirst")
            self.assertEqual(ctx_ids, want.context_ids)
            self.assertEqual(ctx_pos, want.context_pos)
            self.assertEqual(canvas_pos, want.canvas_pos)
            self.assertEqual(ctx_ids[h + s], self.vocab.eos)

    def test_suffix_gaps_are_laid_out_as_requests(self):
        """A training example's gap is request_layout's: the suffix from h+P+N+gap, 1..MAX_SUFFIX_GAP."""
        rng = np.random.default_rng(5)
        b = self.builder(True, canvas_copies=0, lang_other_p=0.0, suffix_gap_p=1.0)
        gaps = []
        for _ in range(20):
            ex = b.build(rng, 200)
            c = int((ex.segment == 0).sum())
            ctx_ids, ctx_pos = ex.ids[:c].tolist(), ex.pos[:c].tolist()
            canvas_pos = ex.pos[c:].tolist()
            h, n = 2, len(canvas_pos)
            p = canvas_pos[0] - h
            s = c - h - 1 - p
            gap = ctx_pos[h] - (h + p + n)
            head, suffix, prefix = ctx_ids[:h], ctx_ids[h:h + s], ctx_ids[h + s + 1:]
            want = request_layout(head, prefix, suffix, [self.vocab.eos], n, "causalSuffixFirst", gap=gap)
            self.assertEqual((ctx_ids, ctx_pos, canvas_pos), (want.context_ids, want.context_pos, want.canvas_pos))
            gaps.append(gap)
        self.assertTrue(all(1 <= g <= MAX_SUFFIX_GAP for g in gaps), gaps)

    def test_canvas_size_does_not_follow_the_middle(self):
        rng = np.random.default_rng(4)
        b = self.builder(False, canvas_copies=0)
        sizes, real = [], []
        for _ in range(300):
            ex = b.build(rng, 512)
            canvas = ex.targets[ex.segment == 1]
            sizes.append(len(canvas))
            real.append(int((canvas != self.vocab.pad).sum()))
        sizes, real = np.asarray(sizes), np.asarray(real)
        self.assertEqual(set(sizes.tolist()), {16, 32, 64, 128})
        # Short middles land in large canvases too: the size says nothing about the length.
        self.assertGreater(np.median(real[sizes == 128]), 0)
        self.assertLess(np.median(real[sizes == 128]), 64)

    def check_row_matches_inference(self, context_attention: str):
        causal = context_attention == "causalSuffixFirst"
        model = tiny_model(context_attention)
        rng = np.random.default_rng(1)
        b = self.builder(causal, canvas_copies=1, suffix_gap_p=0.5, context_lm=causal)
        batch = pack_rows(b, rng, 2, 384, [(96, 0.5), (160, 0.5)], dense_p=0.3, pad_id=self.vocab.pad)
        t = {k: torch.from_numpy(v) for k, v in batch.items()}
        with torch.no_grad():
            logits = model.forward_train(t["ids"], t["pos"], TrainingMask(t["example"], t["segment"], causal))
        checked = 0
        for r in range(2):
            for e in range(int(t["example"][r].max()) + 1):
                idx = torch.nonzero(t["example"][r] == e).flatten()
                seg = t["segment"][r, idx]
                ctx = idx[seg == 0]
                with torch.no_grad():
                    keys, values = model.encode_context(t["ids"][r, ctx][None], t["pos"][r, ctx][None])
                    for k in range(1, int(seg.max()) + 1):
                        cv = idx[seg == k]
                        got = model.denoise(t["ids"][r, cv][None], t["pos"][r, cv][None], keys, values)[0]
                        torch.testing.assert_close(got, logits[r, cv], atol=2e-4, rtol=1e-4)
                        checked += 1
        self.assertGreater(checked, 4)

    def test_training_row_equals_inference_bidirectional(self):
        self.check_row_matches_inference("bidirectional")

    def test_training_row_equals_inference_causal(self):
        self.check_row_matches_inference("causalSuffixFirst")

    def test_causal_context_extends_from_past(self):
        model = tiny_model("causalSuffixFirst")
        g = torch.Generator().manual_seed(5)
        ids = torch.randint(32, 4096, (1, 40), generator=g)
        pos = torch.randperm(60, generator=g)[:40][None]
        with torch.no_grad():
            k_all, v_all = model.encode_context(ids, pos)
            k1, v1 = model.encode_context(ids[:, :25], pos[:, :25])
            k2, v2 = model.encode_context(ids[:, 25:], pos[:, 25:], past_keys=k1, past_values=v1)
            k0, v0 = model.encode_context(ids, pos, past_keys=k_all[:, :, :, :0], past_values=v_all[:, :, :, :0])
        torch.testing.assert_close(torch.cat([k1, k2], 3), k_all, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(torch.cat([v1, v2], 3), v_all, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(k0, k_all)

    def test_causal_context_does_not_see_later_tokens(self):
        model = tiny_model("causalSuffixFirst")
        ids = torch.randint(32, 4096, (1, 30), generator=torch.Generator().manual_seed(6))
        pos = torch.arange(30)[None]
        changed = ids.clone()
        changed[0, 20:] = 40
        with torch.no_grad():
            k1, _ = model.encode_context(ids, pos)
            k2, _ = model.encode_context(changed, pos)
        torch.testing.assert_close(k1[:, :, :, :20], k2[:, :, :, :20])
        self.assertFalse(torch.allclose(k1[:, :, :, 20:], k2[:, :, :, 20:]))

    def test_batched_inference_with_padding_equals_single(self):
        for attention in ("bidirectional", "causalSuffixFirst"):
            model = tiny_model(attention)
            g = torch.Generator().manual_seed(7)
            a, b = torch.randint(32, 4096, (1, 12), generator=g), torch.randint(32, 4096, (1, 7), generator=g)
            ids = torch.full((2, 12), 1)
            ids[0], ids[1, :7] = a[0], b[0]
            pos = torch.zeros((2, 12), dtype=torch.long)
            pos[0], pos[1, :7] = torch.arange(12), torch.arange(7)
            valid = ids != 1
            valid[1, 7:] = False
            valid[0] = True
            canvas = torch.full((2, 4), 0)
            cpos = torch.stack([torch.arange(12, 16), torch.arange(7, 11)])
            with torch.no_grad():
                k, v = model.encode_context(ids, pos, key_valid=valid)
                got = model.denoise(canvas, cpos, k, v, key_valid=valid)
                kb, vb = model.encode_context(b, torch.arange(7)[None])
                want = model.denoise(canvas[1:], cpos[1:], kb, vb)
            torch.testing.assert_close(got[1:], want, atol=1e-5, rtol=1e-5)

    def test_loss_kinds(self):
        rng = np.random.default_rng(2)
        batch = pack_rows(self.builder(True, canvas_copies=1, context_lm=True), rng, 2, 256, [(128, 1.0)], 0.0,
                          self.vocab.pad)
        kind, seg, w = batch["kind"], batch["segment"], batch["weight"]
        self.assertTrue(np.all(seg[kind == CANVAS] > 0))
        self.assertTrue(np.all(seg[kind == CONTEXT_LM] == 0))
        self.assertTrue(np.all(np.isfinite(w)))
        self.assertTrue(np.all(w[kind == CANVAS] >= 1.0))
        self.assertTrue(np.all(batch["ids"][kind == CANVAS] == self.vocab.mask))
        # Padding belongs to no example and carries no loss.
        self.assertTrue(np.all(kind[batch["example"] < 0] == 0))

    @unittest.skipUnless(hasattr(torch.nn.functional, "scaled_dot_product_attention"), "torch < 2.0")
    def test_sdpa_backend_equals_plain(self):
        self.check_backend_equals_plain("sdpa", None, seed=8)

    @unittest.skipUnless(_has_flex(), "torch < 2.5")
    def test_flex_backend_equals_plain(self):
        """The block mask's mask_mod is the GPU run's mask; eager flex attention runs it on a CPU."""
        from torch.nn.attention.flex_attention import flex_attention
        self.check_backend_equals_plain("flex", flex_attention, seed=9)

    def check_backend_equals_plain(self, backend: str, flex_fn, seed: int):
        rng = np.random.default_rng(seed)
        for causal in (False, True):
            model = tiny_model("causalSuffixFirst" if causal else "bidirectional")
            batch = pack_rows(self.builder(causal, canvas_copies=1), rng, 2, 256, [(100, 1.0)], 0.2, self.vocab.pad)
            t = {k: torch.from_numpy(v) for k, v in batch.items()}
            with torch.no_grad():
                ref = model.forward_train(t["ids"], t["pos"], TrainingMask(t["example"], t["segment"], causal))
                got = model.forward_train(t["ids"], t["pos"],
                                          TrainingMask(t["example"], t["segment"], causal, backend, flex_fn))
            torch.testing.assert_close(got, ref, atol=1e-4, rtol=1e-4)


if __name__ == "__main__":
    unittest.main()
