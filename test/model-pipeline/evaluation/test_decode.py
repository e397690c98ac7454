"""dllm_train/evaluation/decode.py: batching, windowing and the evaluator's helpers.

The cross-check against the TypeScript engine lives in test/unit/engine/decode-parity.test.ts,
which runs this file as `python3 test_decode.py parity` (cases as JSON on stdin, results on
stdout) with the same scripted fake model (`FakeModel`, mirrored there).

    /usr/bin/python3 -m unittest discover -s test/model-pipeline -p 'test_*.py'
"""
from __future__ import annotations

import inspect
import json
import math
import os
import sys
import unittest

import numpy as np
import torch

from dllm_train.evaluation import decode as D
from dllm_train.paths import REPO as ROOT

TOKENIZER = os.path.join(ROOT, "models", "dllm-code-tiny", "tokenizer.json")
MANIFEST = os.path.join(ROOT, "models", "dllm-code-tiny", "dllm.json")
M32 = 0xFFFFFFFF


def mix(h: int, x: int) -> int:
    """32-bit hash step; the TypeScript twin uses Math.imul."""
    h = ((h ^ x) * 0x85EBCA6B) & M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M32
    h ^= h >> 16
    return h


def fold(seed: int, xs) -> int:
    h = seed & M32
    for x in xs:
        h = mix(h, int(x) & M32)
    return h


class FakeModel:
    """Deterministic logits from the canvas ids, the position and a context fingerprint.

    Per position two favourite tokens (one fixed, one depending on the neighbours and, for half
    the positions, on how many are still masked, so probabilities move and saber re-masks, while
    the others' stay put: drops of exactly 0), an end token that gets strong from a chosen
    position on (or never, for one context in five: answers cut at the canvas length), and a
    banned token with the highest logit. A third of the positions share one row (ties in
    confidence). Values are multiples of 1/2, exact in float32 on both sides."""

    def __init__(self, seed: int, vocab: int, table: list[int], mask: int, pad: int, eos: int, hot_banned: list[int]):
        self.seed, self.vocab, self.table = seed, vocab, table
        self.mask, self.pad, self.eos, self.hot_banned = mask, pad, eos, hot_banned

    def logits(self, view, ctx: int) -> np.ndarray:
        n = len(view)
        out = np.zeros((n, self.vocab), dtype=np.float32)
        masks = sum(1 for t in view if int(t) == self.mask)
        end_at = mix(self.seed ^ ctx, 7) % (n + 3)
        t = len(self.table)
        no_end = mix(self.seed ^ ctx, 9) % 5 == 0
        for j in range(n):
            hp = mix(mix(self.seed, ctx), j + 1)
            h0 = mix(self.seed, ctx) if mix(hp, 10) % 3 == 0 else hp
            static = mix(hp, 9) % 2 == 0
            left = int(view[j - 1]) if j > 0 else 65535
            right = int(view[j + 1]) if j + 1 < n else 65534
            h1 = mix(mix(mix(h0, left), right), 0 if static else masks)
            row = out[j]
            row[self.table[mix(h0, 1) % t]] += np.float32((mix(h0, 3) % 16) / 2)
            row[self.table[mix(h1, 2) % t]] += np.float32((mix(h1, 4) % 16) / 2)
            end = self.eos if self.eos >= 0 and mix(h0, 5) % 4 == 0 else self.pad
            row[end] += np.float32(-8 if no_end else (4 if j >= end_at else 0) + (mix(h1, 6) % 12) / 2)
            if self.hot_banned:
                row[self.hot_banned[mix(h0, 8) % len(self.hot_banned)]] += np.float32(9)
        return out

    def forward(self, ctxs: list[int]):
        """decode.py's forward callable; ctxs[r] is request r's context fingerprint."""
        def forward(canvas_ids: torch.Tensor, rows: list[int]) -> torch.Tensor:
            views = canvas_ids.numpy()
            return torch.from_numpy(np.stack([self.logits(views[b], ctxs[r]) for b, r in enumerate(rows)]))
        return forward


def sampler_from(o: dict) -> D.SamplerOptions:
    return D.SamplerOptions.from_protocol(o)


def context_fingerprint(p: D.Prepared) -> int:
    return mix(fold(0x1234, p.head + p.prefix_ids + p.suffix_ids + p.tail), len(p.head) + len(p.prefix_ids))


def canvas_json(c: D.Canvas) -> dict:
    return {"ids": c.ids.tolist(), "committed": c.committed.tolist(), "commitPass": c.commit_pass.tolist(),
            "commitConfidence": [float(x) for x in c.commit_confidence]}


# ── the parity runner (driven by decode-parity.test.ts) ──────────────────────────────────────
def run_sampler_cases(cases: list[dict]) -> list[dict]:
    """Every case in one batched run (mixed canvas lengths), as the evaluator runs them."""
    setups, policies, ctxs, models = [], [], [], []
    for c in cases:
        banned = np.zeros(c["vocab"], dtype=bool)
        banned[c["banned"]] = True
        setups.append(D.DenoiseSetup(c["canvasLength"], c["mask"], frozenset(c["endIds"]), banned,
                                     c.get("tailFill"), bool(c.get("endAtFrontier"))))
        policies.append(D.build_policy(sampler_from(c["sampler"]), c["steps"]))
        ctxs.append(c["ctx"])
        models.append(FakeModel(c["seed"], c["vocab"], c["table"], c["mask"], c["pad"], c["eos"], c["hotBanned"]))

    def forward(canvas_ids, rows):
        views = canvas_ids.numpy()
        return torch.from_numpy(np.stack([models[r].logits(views[b], ctxs[r]) for b, r in enumerate(rows)]))

    results = D.denoise_batch(forward, setups, policies)
    return [{"canvas": canvas_json(r.canvas), "forwardPasses": r.forward_passes, "commits": r.commits,
             "remasked": r.remasked} for r in results]


def run_engine_cases(cases: list[dict], fake: dict) -> tuple[list[str], list[dict]]:
    spec = D.EngineSpec.from_manifest(MANIFEST)
    dec = D.Decoder(spec, D.EngineTokenizer(TOKENIZER))
    prepared = [dec.prepare(D.InfillRequest(c["prefix"], c["suffix"], c.get("language"), c["maxTokens"],
                                            c["stepBudget"], sampler_from(c["sampler"]))) for c in cases]
    assert spec.eos is not None, "the shipped manifest names an end token"
    model = FakeModel(fake["seed"], spec.vocab_size, fake["table"], spec.mask, spec.pad, spec.eos, fake["hotBanned"])
    results = dec.run(prepared, model.forward([context_fingerprint(p) for p in prepared]))
    # What the text was before a broken last character was dropped (the test checks that happens).
    raw = [dec.tokenizer.decode(r.canvas.middle_tokens()) for r in results]
    return raw, [{"text": r.text, "finishReason": r.finish_reason, "forwardPasses": r.forward_passes, "tokens": r.tokens,
             "remasked": r.remasked, "promptTokens": r.prompt_tokens,
             "layout": {"head": p.head, "prefix": p.prefix_ids, "suffix": p.suffix_ids, "tail": p.tail,
                        "canvasLength": p.canvas_length}} for p, r in zip(prepared, results)]


def run_window_cases(cases: list[dict]) -> list[dict]:
    tok = D.EngineTokenizer(TOKENIZER)
    out = []
    for c in cases:
        w = D.window_tokens(D.utf16(c["prefix"]), D.utf16(c["suffix"]), c["budget"], tok.encode)
        out.append({"prefixIds": w.prefix_ids, "suffixIds": w.suffix_ids,
                    "droppedPrefix": w.dropped_prefix, "droppedSuffix": w.dropped_suffix,
                    "encoded": tok.encode(c["prefix"]), "decoded": tok.decode(c["ids"]) if c.get("ids") else ""})
    return out


def contract_view() -> dict:
    """The values decode.py decodes with, by the contract's names (decoding.test.ts compares them with the engine's)."""
    options = D.SamplerOptions()
    policies = {}
    for kind in D.SAMPLER_KINDS:
        p = D.build_policy(D.SamplerOptions(kind), 4)
        policies[kind] = {"commit": p.commit.name, "remask": p.remask.name}
    decoder = inspect.signature(D.Decoder).parameters
    lang = {"typescriptreact": 1, "typescript": 2, "other": 9}
    spec = D.EngineSpec(16, 0, 1, None, None, lang, 8, 8)
    return {
        "samplerKinds": list(D.SAMPLER_KINDS),
        "defaultKind": options.kind,
        "remaskModes": list(D.REMASK_MODES),
        "samplerDefaults": {k: getattr(options, f) for k, f in D.PROTOCOL_NAMES.items() if k != "kind"},
        "policies": policies,
        "prefixShare": inspect.signature(D.fit_tokens).parameters["prefix_share"].default,
        "chunkCharsPerToken": D.CHUNK_CHARS_PER_TOKEN,
        "minChunkChars": D.MIN_CHUNK_CHARS,
        "fillTailWithPad": decoder["fill_tail_with_pad"].default,
        "endAtFrontier": decoder["end_at_frontier"].default,
        "languageTokens": {k: D.language_token(spec, k) for k in ["typescriptreact", "javascriptreact", "cuda-cpp", "haskell"]},
        "contextAttentions": list(D.CONTEXT_ATTENTIONS),
        "defaultContextAttention": D.EngineSpec(16, 0, 1, None, None, None, 8, 8).context_attention,
    }


def parity_main() -> None:
    torch.set_num_threads(1)
    cases = json.load(sys.stdin)
    raw, engine = run_engine_cases(cases["engine"], cases["fake"])
    out = {"sampler": run_sampler_cases(cases["sampler"]), "engine": engine, "engineRawText": raw,
           "window": run_window_cases(cases["window"])}
    json.dump(out, sys.stdout)


# ── unit tests ───────────────────────────────────────────────────────────────────────────────
def small_case(seed: int, n: int, steps: int, sampler: dict, eos: int = 3, tail_fill: int | None = 1,
               end_at_frontier: bool = False):
    vocab = 40
    banned = np.zeros(vocab, dtype=bool)
    banned[[0, 2, 5]] = True
    setup = D.DenoiseSetup(n, 0, frozenset([1] if eos < 0 else [1, eos]), banned, tail_fill, end_at_frontier)
    model = FakeModel(seed, vocab, list(range(4, 40)), 0, 1, eos, [0, 2])
    return setup, D.build_policy(sampler_from(sampler), steps), model


SAMPLERS = [{"kind": "saber"}, {"kind": "saber", "remask": "onDrop"}, {"kind": "saber", "remask": "off"},
            {"kind": "saber", "minPerStep": 1, "remaskDivisor": 2}, {"kind": "lowConfidence"},
            {"kind": "threshold"}, {"kind": "threshold", "threshold": 0.3}]


class DenoiseBatching(unittest.TestCase):
    def test_batched_equals_one_at_a_time(self):
        cases = [small_case(s, n, steps, SAMPLERS[s % len(SAMPLERS)], end_at_frontier=s % 5 == 0)
                 for s, (n, steps) in enumerate([(8, 8), (16, 4), (8, 2), (32, 32), (16, 64), (1, 1), (5, 3), (32, 7)] * 2)]
        ctxs = [mix(s, 99) for s in range(len(cases))]

        def forward_for(indices):
            def forward(canvas_ids, rows):
                views = canvas_ids.numpy()
                return torch.from_numpy(np.stack([cases[indices[r]][2].logits(views[b], ctxs[indices[r]])
                                                  for b, r in enumerate(rows)]))
            return forward

        together = D.denoise_batch(forward_for(list(range(len(cases)))), [c[0] for c in cases], [c[1] for c in cases])
        remasked = 0
        for i, c in enumerate(cases):
            [alone] = D.denoise_batch(forward_for([i]), [c[0]], [c[1]])
            self.assertEqual(canvas_json(alone.canvas), canvas_json(together[i].canvas), f"case {i}")
            self.assertEqual((alone.forward_passes, alone.commits, alone.remasked),
                             (together[i].forward_passes, together[i].commits, together[i].remasked))
            self.assertLessEqual(alone.forward_passes, c[1].budget.max_passes)
            self.assertTrue(alone.canvas.is_done())
            remasked += alone.remasked
        self.assertGreater(remasked, 0, "the fake model makes saber re-mask")

    def test_never_commits_banned_ids(self):
        setup, policy, model = small_case(3, 32, 32, {"kind": "saber"})
        [r] = D.denoise_batch(model.forward([7]), [setup], [policy])
        committed = r.canvas.ids[r.canvas.committed == 1]
        self.assertFalse(setup.banned[committed].any())

    def test_scores_match_a_plain_softmax(self):
        g = torch.Generator().manual_seed(0)
        logits = torch.randn(2, 3, 50, generator=g) * 4
        banned = torch.zeros(2, 50, dtype=torch.bool)
        banned[:, [0, 7]] = True
        ids = np.array([[1, 2, 3], [4, 5, 7]])
        best, conf, cur = D.score_logits(logits, ids, banned)
        p = torch.softmax(logits.double().masked_fill(banned.unsqueeze(1), -math.inf), -1)
        self.assertTrue(np.array_equal(best, p.argmax(-1).numpy()))
        np.testing.assert_allclose(conf, p.max(-1).values.numpy(), rtol=1e-6)
        np.testing.assert_allclose(cur, p.gather(-1, torch.from_numpy(ids).unsqueeze(-1)).squeeze(-1).numpy(), rtol=1e-6)
        self.assertEqual(cur[1, 2], 0.0, "a banned token has probability 0")

    def test_ties_go_to_the_lower_index(self):
        canvas = D.Canvas(4, 0, frozenset([1]))
        scores = D.Scores(np.array([5, 6, 7, 8]), np.full(4, 0.5, dtype=np.float32), np.full(4, np.nan, dtype=np.float32))
        st = D.PassState(canvas, scores, 0, 2, [0, 1, 2, 3], [0, 1, 2, 3])
        self.assertEqual(D.choose_commits(st, D.build_policy(D.SamplerOptions("lowConfidence"), 2)), [0, 1])


class Windowing(unittest.TestCase):
    def setUp(self):
        self.tok = D.EngineTokenizer(TOKENIZER)

    def test_lazy_window_equals_fitting_everything(self):
        prefix = "".join(f"line_{i} = value({i})\n" for i in range(400))
        suffix = "".join(f"    other_{i}()\n" for i in range(300))
        for budget in (0, 1, 10, 100, 445, 5000):
            lazy = D.window_tokens(prefix, suffix, budget, self.tok.encode)
            full = D.fit_tokens(self.tok.encode(prefix), self.tok.encode(suffix), budget)
            self.assertEqual((lazy.prefix_ids, lazy.suffix_ids), (full.prefix_ids, full.suffix_ids), budget)

    def test_utf16_cuts(self):
        text = "a😀b\ud800c"
        units = D.utf16(text)
        self.assertEqual(len(units), 6)
        self.assertEqual(D.from_utf16(units), text)
        self.assertEqual(D.to_well_formed(units), "a😀b\ufffdc")
        self.assertEqual(D.to_lf("a\r\nb\rc\n"), "a\nb\nc\n")

    def test_special_spelling_is_plain_text(self):
        ids = self.tok.encode('x = "<|pad|>"')
        self.assertFalse(any(i in self.tok.special_ids for i in ids))
        self.assertEqual(self.tok.decode(ids), 'x = "<|pad|>"')

    def test_engine_request(self):
        dec = D.Decoder(D.EngineSpec.from_manifest(MANIFEST), self.tok)
        p = dec.prepare(D.InfillRequest("a\nb", "c\n", "typescriptreact", 500, 0))
        self.assertEqual(p.head, [2, 6])
        self.assertEqual(p.tail, [3])
        with open(MANIFEST, encoding="utf-8") as f:
            largest = json.load(f)["maxCanvasTokens"]  # 500 asked: the manifest's limit, one step
        self.assertEqual((p.canvas_length, p.steps), (largest, 1))
        self.assertEqual(self.tok.decode(p.prefix_ids), "a\nb")
        self.assertEqual(p.layout.context_ids, p.head + p.prefix_ids + p.suffix_ids + p.tail)
        self.assertEqual(p.layout.canvas_pos[0], len(p.head) + len(p.prefix_ids))
        with self.assertRaises(ValueError):
            dec.prepare(D.InfillRequest("a\r\nb", "c", "python", 8, 8))


class SplitModelBatching(unittest.TestCase):
    """SplitModelForward on a tiny DiffusionLM: one batched forward gives each request's logits."""

    def test_batched_forward_matches_single_requests(self):
        from dllm_train.model.model import DiffusionLM, ModelConfig
        for attention in ("bidirectional", "causalSuffixFirst"):
            torch.manual_seed(0)
            model = DiffusionLM(ModelConfig(vocab_size=4096, d_model=32, n_layers=2, n_heads=2, head_dim=16, ffn_hidden=64,
                                            context_attention=attention)).eval()
            spec = D.EngineSpec.from_manifest(MANIFEST)
            spec.context_attention = attention
            dec = D.Decoder(spec, D.EngineTokenizer(TOKENIZER))
            reqs = [D.InfillRequest("def f(x):\n    return ", "\n", "python", 8, 8),
                    D.InfillRequest("import os\n" * 3, "print(1)\n", "python", 8, 8),
                    D.InfillRequest("x = ", "", None, 8, 8)]
            prepared = [dec.prepare(r) for r in reqs]
            self.assertEqual(prepared[0].layout.context_ids[:2], [2, 5])
            fwd = D.SplitModelForward(model, prepared, "cpu")
            ids = torch.randint(32, 4096, (3, 8), generator=torch.Generator().manual_seed(1))
            together = fwd(ids, [0, 1, 2])
            some = fwd(ids[[2, 0]], [2, 0])
            for r, p in enumerate(prepared):
                one = D.SplitModelForward(model, [p], "cpu")(ids[r:r + 1], [0])
                torch.testing.assert_close(together[r], one[0], rtol=1e-4, atol=1e-5, msg=f"{attention} request {r}")
            torch.testing.assert_close(some[0], together[2], rtol=1e-4, atol=1e-5)
            torch.testing.assert_close(some[1], together[0], rtol=1e-4, atol=1e-5)


class Contract(unittest.TestCase):
    """decode.py takes every shared name and default from src/protocol/decoding.json, the engine's contract."""

    def setUp(self):
        from dllm_train.contracts import DECODING_FILE
        with open(DECODING_FILE, encoding="utf-8") as f:
            self.raw = json.load(f)

    def own(self, section: dict) -> list[str]:
        return [k for k in section if not k.startswith("$")]

    def test_decode_reads_the_contract(self):
        view = contract_view()
        self.assertEqual(view["samplerKinds"], self.own(self.raw["samplers"]))
        self.assertEqual(view["defaultKind"], view["samplerKinds"][0])
        self.assertEqual(view["remaskModes"], self.own(self.raw["remaskModes"]))
        defaults = self.raw["samplerDefaults"]
        self.assertEqual(view["samplerDefaults"], {k: defaults[k] for k in self.own(defaults)})
        window = self.raw["window"]
        self.assertEqual((view["prefixShare"], view["chunkCharsPerToken"], view["minChunkChars"]),
                         (window["prefixShare"], window["chunkCharsPerToken"], window["minChunkChars"]))
        self.assertEqual((view["fillTailWithPad"], view["endAtFrontier"]),
                         (self.raw["canvas"]["fillTailWithPad"], self.raw["canvas"]["endAtFrontier"]))
        self.assertEqual(view["contextAttentions"], self.own(self.raw["contextAttentions"]))
        self.assertEqual(view["defaultContextAttention"], view["contextAttentions"][0])
        self.assertEqual(D.LANGUAGE_DIALECTS, self.raw["language"]["dialects"])
        self.assertEqual(view["languageTokens"], {"typescriptreact": 1, "javascriptreact": 9, "cuda-cpp": 9, "haskell": 9})

    def test_every_sampler_kind_has_rules_named_after_it(self):
        self.assertEqual(sorted(D.KIND_RULES), sorted(D.SAMPLER_KINDS))
        for kind, p in contract_view()["policies"].items():
            self.assertEqual(p["commit"], kind)
        with self.assertRaises(ValueError):
            D.SamplerOptions("beam")
        with self.assertRaises(ValueError):
            D.SamplerOptions(remask="sometimes")

    def test_the_layout_knows_the_same_context_orders(self):
        from dllm_train.model import layout
        self.assertEqual(list(layout.CONTEXT_ATTENTION), list(D.CONTEXT_ATTENTIONS))

    def test_the_rules_hold_no_copy_of_the_contract(self):
        """The names a reader would copy by hand appear in the decoder's modules only where a rule needs them."""
        sources = ""
        folder = os.path.dirname(os.path.abspath(D.__file__))
        for name in sorted(os.listdir(folder)):
            if name.startswith("decode") and name.endswith(".py") and name != "decode_contract.py":
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    sources += f.read()
        for literal in ['"typescriptreact"', '"cuda-cpp"', '"other"', '"causalSuffixFirst"', "0.75", "0.9", "= 256"]:
            self.assertNotIn(literal, sources, f"{literal}: read it from decode_contract")


class EvaluatorHelpers(unittest.TestCase):
    def test_program_and_exact_match(self):
        from dllm_train.evaluation import evaluate as E
        task = {"prompt": "def f():\n", "suffix": "\n", "test": "def check(c):\n    assert c() == 1",
                "entry_point": "f", "canonical_solution": "    return 1\n"}
        self.assertEqual(E.build_program(task, "    return 1"),
                         "def f():\n    return 1\n\ndef check(c):\n    assert c() == 1\ncheck(f)")
        self.assertTrue(E.exact_match("    return 1\u3000\n", task["canonical_solution"]))
        self.assertFalse(E.exact_match("    return 1\x1c", task["canonical_solution"]), "JavaScript keeps \\x1c")
        sandbox = E.Sandbox.detect(sys.executable, 3.0)
        self.assertEqual(E.run_program(E.build_program(task, "    return 1"), sandbox), "passed")
        self.assertEqual(E.run_program(E.build_program(task, "    return 2"), sandbox), "failed")
        self.assertEqual(E.run_program("while True: pass", E.Sandbox(sandbox.python, sandbox.wrapper, 0.5)), "timeout")


if __name__ == "__main__":
    if sys.argv[1:2] == ["parity"]:
        parity_main()
    elif sys.argv[1:2] == ["contract"]:
        json.dump(contract_view(), sys.stdout)
    else:
        unittest.main()
