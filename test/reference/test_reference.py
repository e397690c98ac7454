"""
Checks on the reference itself, so the converter's parity test compares against something proven:
the checkpoints match the published layout, attention is bidirectional (a later token changes the
logits at position 0), the hand-written LLaDA equals transformers' Llama run bidirectionally, and
the Dream shift picks the row before each canvas position.

Run: .cache/pyref/bin/python -m unittest test/reference/test_reference.py
"""
import json
import os
import tempfile
import unittest

import torch
from safetensors import safe_open

import families
import make_checkpoint
import reference

HERE = os.path.dirname(os.path.abspath(__file__))

IDS = [5, 17, 42, 99, 120, 7, 64, 33, 250, 3]


def build(family, folder, seed=0):
    d = make_checkpoint.DIMS["tiny"]
    if family == "llada":
        make_checkpoint.make_llada(folder, seed, d)
    else:
        make_checkpoint.make_dream(folder, seed, d, family == "dream-qwen2")


def stored_names(folder):
    names = {}
    for file in os.listdir(folder):
        if file.endswith(".safetensors"):
            with safe_open(os.path.join(folder, file), "pt") as f:
                for k in f.keys():
                    names[k] = str(f.get_slice(k).get_dtype())
    return names


class Checkpoints(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dirs = {}
        for fam in ("dream", "dream-qwen2", "llada"):
            cls.dirs[fam] = os.path.join(cls.tmp.name, fam)
            build(fam, cls.dirs[fam])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_published_names_bf16_and_index(self):
        expected = {
            "dream": set(families.dream_weight_names(2, tied=False)),
            "dream-qwen2": set(families.dream_weight_names(2, tied=True)),
            "llada": set(families.llada_weight_names(2)),
        }
        for fam, folder in self.dirs.items():
            names = stored_names(folder)
            self.assertEqual(set(names), expected[fam], fam)
            self.assertEqual(set(names.values()), {"BF16"}, fam)
            index = os.path.join(folder, "model.safetensors.index.json")
            if fam != "dream-qwen2":
                with open(index) as f:
                    self.assertEqual(set(json.load(f)["weight_map"]), expected[fam])

    def test_special_ids_match_the_tokenizer(self):
        from tokenizers import Tokenizer
        for fam, folder in self.dirs.items():
            config = reference.read_config(folder)
            tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
            self.assertLess(tok.get_vocab_size(), config.get("vocab_size"), f"{fam}: padded rows exist")
            eot = tok.token_to_id("<|endoftext|>")
            self.assertEqual(config["eos_token_id"], eot, fam)
            if fam == "dream":
                self.assertEqual(config["mask_token_id"], tok.token_to_id("<|mask|>"))
                self.assertEqual(config["pad_token_id"], eot)
            if fam == "llada":
                self.assertEqual(config["mask_token_id"], tok.token_to_id("<|mdm_mask|>"))

    def test_attention_is_bidirectional(self):
        for fam, folder in self.dirs.items():
            _, _, a = reference.logits_for(folder, IDS)
            _, _, b = reference.logits_for(folder, IDS[:-1] + [IDS[-1] + 1])
            self.assertGreater((a[0] - b[0]).abs().max().item(), 1e-4, f"{fam}: position 0 ignores a later token")

    def test_llada_equals_bidirectional_llama(self):
        """The hand-written LLaDA against transformers' Llama (same equations, other names)."""
        from transformers import LlamaConfig, LlamaForCausalLM
        folder = self.dirs["llada"]
        c = reference.read_config(folder)
        w = reference.read_weights(folder)
        cfg = LlamaConfig(vocab_size=c["vocab_size"], hidden_size=c["d_model"], intermediate_size=c["mlp_hidden_size"],
                          num_hidden_layers=c["n_layers"], num_attention_heads=c["n_heads"],
                          num_key_value_heads=c["n_kv_heads"], rms_norm_eps=c["rms_norm_eps"],
                          rope_theta=c["rope_theta"],  # pyright: ignore[reportCallIssue]
                          max_position_embeddings=c["max_sequence_length"],
                          tie_word_embeddings=False,
                          attn_implementation="eager")  # pyright: ignore[reportCallIssue]
        llama = LlamaForCausalLM(cfg).eval()
        renamed = {"model.embed_tokens.weight": w["model.transformer.wte.weight"],
                   "model.norm.weight": w["model.transformer.ln_f.weight"],
                   "lm_head.weight": w["model.transformer.ff_out.weight"]}
        pairs = {"attn_norm": "input_layernorm", "ff_norm": "post_attention_layernorm",
                 "q_proj": "self_attn.q_proj", "k_proj": "self_attn.k_proj", "v_proj": "self_attn.v_proj",
                 "attn_out": "self_attn.o_proj", "ff_proj": "mlp.gate_proj", "up_proj": "mlp.up_proj",
                 "ff_out": "mlp.down_proj"}
        for i in range(c["n_layers"]):
            for src, dst in pairs.items():
                renamed[f"model.layers.{i}.{dst}.weight"] = w[f"model.transformer.blocks.{i}.{src}.weight"]
        llama.load_state_dict(renamed, strict=True)
        for m in llama.modules():
            if hasattr(m, "is_causal"):
                m.is_causal = False  # pyright: ignore[reportArgumentType] (a flag, not a submodule)
        n = len(IDS)
        with torch.no_grad():
            want = llama(input_ids=torch.tensor([IDS]),
                         attention_mask=torch.zeros(1, 1, n, n)).logits[0]  # 4D: used as given
        _, shifted, got = reference.logits_for(folder, IDS)
        self.assertFalse(shifted)
        self.assertLess((want - got).abs().max().item(), 1e-5)

    def test_dream_shift_reads_the_row_before(self):
        self.assertEqual(reference.canvas_rows(True, 4, 3), [3, 4, 5])
        self.assertEqual(reference.canvas_rows(False, 4, 3), [4, 5, 6])
        self.assertEqual(reference.canvas_rows(True, 0, 2), [0, 0])


class BlockCausal(unittest.TestCase):
    """SDAR's and Fast-dLLM v2's tiny checkpoints and their block-causal references (blocks of 4 here)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.folder = os.path.join(cls.tmp.name, "sdar")
        make_checkpoint.make_sdar(cls.folder, 0, make_checkpoint.DIMS["tiny"])
        cls.fast = os.path.join(cls.tmp.name, "fast-dllm-v2")
        make_checkpoint.make_fast_dllm_v2(cls.fast, 0, make_checkpoint.DIMS["tiny"], 4)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_published_names_head_norms_and_mask(self):
        from tokenizers import Tokenizer
        names = stored_names(self.folder)
        self.assertEqual(set(names), set(families.sdar_weight_names(2, tied=False)))
        self.assertEqual(set(names.values()), {"BF16"})
        config = reference.read_config(self.folder)
        self.assertNotEqual(config["head_dim"], config["hidden_size"] // config["num_attention_heads"])
        tok = Tokenizer.from_file(os.path.join(self.folder, "tokenizer.json"))
        self.assertEqual(config["mask_token_id"], tok.token_to_id("<MASK>"))

    def test_attention_is_block_causal(self):
        """A change at position 6 (block 1 of 4-token blocks) reaches rows 4-9, never rows 0-3."""
        family, shifted, a = reference.logits_for(self.folder, IDS)
        _, _, b = reference.logits_for(self.folder, IDS[:6] + [IDS[6] + 1] + IDS[7:])
        self.assertEqual((family, shifted), ("sdar", False))
        diff = (a - b).abs().max(-1).values
        self.assertEqual(diff[:4].max().item(), 0.0)
        self.assertGreater(diff[4:].min().item(), 1e-5)

    def test_fast_dllm_v2_is_shifted_and_block_causal(self):
        family, shifted, a = reference.logits_for(self.fast, IDS)
        _, _, b = reference.logits_for(self.fast, IDS[:6] + [IDS[6] + 1] + IDS[7:])
        self.assertEqual((family, shifted), ("fast-dllm-v2", True))
        diff = (a - b).abs().max(-1).values
        self.assertEqual(diff[:4].max().item(), 0.0)
        self.assertGreater(diff[4:].min().item(), 1e-5)


if __name__ == "__main__":
    unittest.main()
