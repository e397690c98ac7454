"""heldout.py scores every checkpoint on the same masked real tokens, and scores what it says.

    cd models/train && /usr/bin/python3 -m unittest discover -s ../../test/model-pipeline -p 'test_heldout.py'
"""
from __future__ import annotations

import math
import unittest

import numpy as np
import torch

from dllm_train.evaluation import heldout
from pipeline_fixtures import WithDataDir, tiny_model

SIZES = {"prefix": 40, "middle": 16, "suffix": 40}


class HeldoutTest(WithDataDir):

    def test_windows_and_masks_depend_only_on_the_seed(self):
        a = heldout.probes(self.tmp.name, 6, seed=3, **SIZES)
        b = heldout.probes(self.tmp.name, 6, seed=3, **SIZES)
        for p, q in zip(a, b):
            self.assertEqual((p.head, p.prefix, p.suffix), (q.head, q.prefix, q.suffix))
            np.testing.assert_array_equal(p.middle, q.middle)
        self.assertEqual(a[0].head, [self.vocab.bos, self.vocab.lang_token[0]])
        self.assertEqual([len(a[0].prefix), len(a[0].middle), len(a[0].suffix)], [40, 16, 40])
        np.testing.assert_array_equal(heldout.masks(6, 16, 0.5, seed=3), heldout.masks(6, 16, 0.5, seed=3))
        self.assertTrue(heldout.masks(6, 16, 1.0).all())
        self.assertTrue(heldout.masks(50, 16, 0.01).any(axis=1).all(), "every probe hides at least one token")

    def test_too_short_documents_are_refused_by_name(self):
        with self.assertRaisesRegex(ValueError, "no validation document holds a window of 10000 tokens"):
            heldout.probes(self.tmp.name, 2, prefix=5000, middle=16, suffix=4984)

    def test_a_model_that_knows_nothing_scores_the_uniform_guess(self):
        model = tiny_model("causalSuffixFirst")
        with torch.no_grad():
            for p in model.parameters():
                p.zero_()  # every logit 0: probability 1/V for every id
        batch = heldout.probes(self.tmp.name, 4, **SIZES)
        ce, correct, n = heldout.score(model, batch, heldout.masks(4, 16, 1.0), self.vocab.mask)
        self.assertEqual(n, 4 * 16)
        self.assertAlmostEqual(ce / n, math.log(4096), places=4)
        self.assertEqual(correct, 0)  # ties go to id 0, <mask>, which is never a target

    def test_only_masked_positions_count(self):
        model = tiny_model("causalSuffixFirst")
        batch = heldout.probes(self.tmp.name, 4, **SIZES)
        some = heldout.masks(4, 16, 0.3)
        ce, _, n = heldout.score(model, batch, some, self.vocab.mask)
        self.assertEqual(n, int(some.sum()))
        self.assertTrue(math.isfinite(ce) and ce > 0)
        text = heldout.table({"a": model, "b": model}, batch, self.vocab.mask)
        rows = text.splitlines()
        self.assertEqual(len(rows), 2 + len(heldout.RATES) + 1)
        first = np.zeros((4, 16), dtype=bool)
        first[:, 0] = True
        self.assertEqual(heldout.score(model, batch, heldout.masks(4, 16, 1.0), self.vocab.mask, first)[2], 4)
        cells = rows[-1].split("|")
        self.assertEqual(cells[2], cells[4], "one model twice scores the same")


if __name__ == "__main__":
    unittest.main()
