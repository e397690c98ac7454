"""
Writes a randomly initialised Hugging Face checkpoint folder in a diffusion family's published
format (families.py), so the converter can be tested without downloading 15 GB of real weights:
config.json, generation_config.json, tokenizer_config.json, a small byte-level BPE tokenizer.json
with the family's special tokens, and bf16 safetensors under the published tensor names.

Usage: make_checkpoint.py --family dream|dream-qwen2|llada|sdar|fast-dllm-v2 --out DIR [--seed N] [--dims tiny|0.5b]
"""
import argparse
import json
import os

import torch
from safetensors.torch import save_file
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

import families

# Qwen2's pre-tokenizer split, verbatim: the product must read the real one.
QWEN_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
              r"|\s*[\r\n]+|\s+(?!\S)|\s+")

TRAINING_TEXT = [
    "def add(a, b):\n    return a + b\n\nclass Stack:\n    def __init__(self):\n        self.items = []\n",
    "    def push(self, item):\n        self.items.append(item)\n\n    def pop(self):\n        return self.items.pop()\n",
    "function greet(name: string): string {\n  return `Hello, ${name}!`;\n}\nconst xs = [1, 2, 3].map((x) => x * 2);\n",
    "for (let i = 0; i < n; i++) {\n  if (xs[i] === target) return i;\n}\nreturn -1;\n",
    "fn main() {\n    let v: Vec<i32> = (0..10).collect();\n    println!(\"{:?}\", v);\n}\n",
    "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hello\")\n}\n",
    "import os\nimport sys\n\nif __name__ == '__main__':\n    print(sys.argv[1:], os.getcwd())\n",
]

# Dimensions: tiny for the parity test (2 layers, GQA for Dream), 0.5b = Open-dCoder-0.5B's real shape.
DIMS = {
    "tiny": {"hidden": 64, "heads": 4, "kv_heads": 2, "layers": 2, "intermediate": 128, "max_pos": 512},
    "0.5b": {"hidden": 896, "heads": 14, "kv_heads": 2, "layers": 24, "intermediate": 4864, "max_pos": 32768,
             "vocab": 151936},
}


def train_tokenizer(specials, merges_target, texts=None):
    """A byte-level BPE like Qwen's (NFC, regex split, byte-level), specials appended after the BPE ids;
    trained on `texts` (default: the short snippets above)."""
    tok = Tokenizer(models.BPE(byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    trainer = trainers.BpeTrainer(vocab_size=merges_target, special_tokens=[], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(TRAINING_TEXT * 4 if texts is None else texts, trainer=trainer)
    tok.add_special_tokens(specials)
    ids = {s: tok.token_to_id(s) for s in specials}
    return tok, ids


def random_weights(names, shapes, seed):
    """normal(0, 0.02) matrices; norms 1 ± 0.1 and biases ± 0.05 so that a dropped one shows."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name in names:
        shape = shapes(name)
        if name.endswith(".bias"):
            t = torch.randn(shape, generator=g) * 0.05
        elif "norm" in name or name.endswith("ln_f.weight"):
            t = 1.0 + torch.randn(shape, generator=g) * 0.1
        else:
            t = torch.randn(shape, generator=g) * 0.02
        out[name] = t.to(torch.bfloat16).contiguous()
    return out


def save_sharded(tensors, out, shards):
    """One model.safetensors, or N shards and model.safetensors.index.json as the 7-8 B checkpoints ship."""
    if shards <= 1:
        save_file(tensors, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
        return
    names = sorted(tensors)
    weight_map, total = {}, 0
    for k in range(shards):
        part = names[k::shards]
        file = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
        save_file({n: tensors[n] for n in part}, os.path.join(out, file), metadata={"format": "pt"})
        for n in part:
            weight_map[n] = file
            total += tensors[n].numel() * tensors[n].element_size()
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    write_json(os.path.join(out, "model.safetensors.index.json"), index)


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


def added_tokens_decoder(ids):
    return {str(i): {"content": s, "lstrip": False, "normalized": False, "rstrip": False,
                     "single_word": False, "special": True} for s, i in sorted(ids.items(), key=lambda kv: kv[1])}


def padded_vocab(n):
    """Round the tokenizer's size up, leaving rows no token uses (as the published checkpoints do)."""
    return (n + 16 + 63) // 64 * 64


def qwen_shapes(vocab, h, heads, kv, hd, inter):
    """Shapes of a Qwen-shaped checkpoint's tensors by name: Qwen2's q/k/v biases, Qwen3's per-head q/k norms."""
    def shape(name):
        if name.endswith("embed_tokens.weight") or name == "lm_head.weight":
            return (vocab, h)
        if name.endswith(("q_norm.weight", "k_norm.weight")):
            return (hd,)
        if "norm" in name:
            return (h,)
        if name.endswith("q_proj.weight"):
            return (heads * hd, h)
        if name.endswith(("k_proj.weight", "v_proj.weight")):
            return (kv * hd, h)
        if name.endswith("q_proj.bias"):
            return (heads * hd,)
        if name.endswith(("k_proj.bias", "v_proj.bias")):
            return (kv * hd,)
        if name.endswith("o_proj.weight"):
            return (h, heads * hd)
        if name.endswith(("gate_proj.weight", "up_proj.weight")):
            return (inter, h)
        if name.endswith("down_proj.weight"):
            return (h, inter)
        raise KeyError(name)
    return shape


def make_dream(out, seed, d, qwen2, texts=None, merges_target=300):
    """Dream's layout (Open-dCoder's qwen2 config with qwen2); d may also state rope_theta; the tokenizer
    is trained on `texts` up to `merges_target` ids (default: the snippets above, 300)."""
    os.makedirs(out, exist_ok=True)
    specials = families.QWEN2_SPECIALS if qwen2 else families.DREAM_SPECIALS
    tok, ids = train_tokenizer(specials, merges_target, texts)
    vocab = d.get("vocab") or padded_vocab(tok.get_vocab_size())
    eot = ids["<|endoftext|>"]
    mask = ids["<M>"] if qwen2 else ids["<|mask|>"]
    h, heads, kv, inter, layers = d["hidden"], d["heads"], d["kv_heads"], d["intermediate"], d["layers"]
    hd = h // heads
    base = families.QWEN2_CONFIG if qwen2 else families.DREAM_CONFIG
    config = dict(base, hidden_size=h, intermediate_size=inter, num_attention_heads=heads,
                  num_hidden_layers=layers, num_key_value_heads=kv, max_position_embeddings=d["max_pos"],
                  max_window_layers=layers, vocab_size=vocab, bos_token_id=eot, eos_token_id=eot)
    if "rope_theta" in d:
        config["rope_theta"] = d["rope_theta"]
    if not qwen2:
        config.update(mask_token_id=mask, pad_token_id=eot)
    config = dict(sorted(config.items()))
    tied = bool(config["tie_word_embeddings"])

    shape = qwen_shapes(vocab, h, heads, kv, hd, inter)

    weights = random_weights(families.dream_weight_names(layers, tied), shape, seed)
    save_sharded(weights, out, 1 if qwen2 else 3)
    write_json(os.path.join(out, "config.json"), config)
    if qwen2:
        generation = {"bos_token_id": eot, "eos_token_id": eot, "transformers_version": "4.44.0"}
        tok_config = {"add_bos_token": False, "added_tokens_decoder": added_tokens_decoder(ids),
                      "bos_token": None, "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
                      "mask_token": "<M>", "errors": "replace", "model_max_length": 32768,
                      "split_special_tokens": False, "tokenizer_class": "Qwen2Tokenizer",
                      "clean_up_tokenization_spaces": False}
    else:
        generation = {"_from_model_config": True, "alg": "origin", "alg_temp": None, "bos_token_id": eot,
                      "eos_token_id": eot, "eps": 0.001, "mask_token_id": None, "output_history": False,
                      "pad_token_id": eot, "steps": 512, "temperature": 0.0, "top_k": None, "top_p": None,
                      "transformers_version": "4.46.2"}
        tok_config = {"add_bos_token": False, "added_tokens_decoder": added_tokens_decoder(ids),
                      "auto_map": {"AutoTokenizer": ["tokenization_dream.DreamTokenizer", None]},
                      "bos_token": "<|beginoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
                      "mask_token": "<|mask|>", "errors": "replace", "model_max_length": 131072,
                      "split_special_tokens": False, "tokenizer_class": "DreamTokenizer",
                      "clean_up_tokenization_spaces": False}
    write_json(os.path.join(out, "generation_config.json"), generation)
    write_json(os.path.join(out, "tokenizer_config.json"), tok_config)
    tok.save(os.path.join(out, "tokenizer.json"))


def make_llada(out, seed, d):
    os.makedirs(out, exist_ok=True)
    tok, ids = train_tokenizer(families.LLADA_SPECIALS, 300)
    vocab = padded_vocab(tok.get_vocab_size())
    h, heads, inter, layers = d["hidden"], d["heads"], d["intermediate"], d["layers"]
    eot, mask = ids["<|endoftext|>"], ids["<|mdm_mask|>"]
    config = dict(families.LLADA_CONFIG, d_model=h, n_heads=heads, n_kv_heads=heads, n_layers=layers,
                  mlp_hidden_size=inter, max_sequence_length=d["max_pos"], vocab_size=vocab,
                  embedding_size=vocab, eos_token_id=eot, pad_token_id=eot, mask_token_id=mask)
    config = dict(sorted(config.items()))

    def shape(name):
        if name.endswith(("wte.weight", "transformer.ff_out.weight")):
            return (vocab, h)
        if "norm" in name or name.endswith("ln_f.weight"):
            return (h,)
        if name.endswith(("q_proj.weight", "k_proj.weight", "v_proj.weight", "attn_out.weight")):
            return (h, h)
        if name.endswith(("ff_proj.weight", "up_proj.weight")):
            return (inter, h)
        if name.endswith("ff_out.weight"):
            return (h, inter)
        raise KeyError(name)

    weights = random_weights(families.llada_weight_names(layers), shape, seed)
    save_sharded(weights, out, 2)
    write_json(os.path.join(out, "config.json"), config)
    write_json(os.path.join(out, "generation_config.json"),
               {"_from_model_config": True, "bos_token_id": ids["<|startoftext|>"], "eos_token_id": eot,
                "pad_token_id": eot, "transformers_version": "4.46.3"})
    write_json(os.path.join(out, "tokenizer_config.json"),
               {"add_bos_token": False, "add_eos_token": False, "added_tokens_decoder": added_tokens_decoder(ids),
                "bos_token": "<|startoftext|>", "cls_token": "[CLS]", "eos_token": "<|endoftext|>",
                "pad_token": "<|endoftext|>", "gmask_token": "[gMASK]", "clean_up_tokenization_spaces": False,
                "model_max_length": 1000000000000000019884624838656, "tokenizer_class": "PreTrainedTokenizerFast"})
    tok.save(os.path.join(out, "tokenizer.json"))


def make_fast_dllm_v2(out, seed, d, block):
    """Dream's Qwen2 layout under Fast-dLLM v2's config keys, with blocks of `block` tokens (32 published)."""
    make_dream(out, seed, d, False)
    path = os.path.join(out, "config.json")
    with open(path) as f:
        config = json.load(f)
    config.update(families.FAST_DLLM_V2_KEYS, bd_size=block)
    write_json(path, dict(sorted(config.items())))


def make_sdar(out, seed, d):
    """SDAR-4B-Chat's layout at tiny size: a stated head_dim unlike hidden / heads, as the 4B's 128 ≠ 2560 / 32."""
    os.makedirs(out, exist_ok=True)
    tok, ids = train_tokenizer(families.SDAR_SPECIALS, 300)
    vocab = padded_vocab(tok.get_vocab_size())
    h, heads, kv, inter, layers = d["hidden"], d["heads"], d["kv_heads"], d["intermediate"], d["layers"]
    hd = h // heads + 8
    eot, mask = ids["<|endoftext|>"], ids["<MASK>"]
    config = dict(families.SDAR_CONFIG, hidden_size=h, intermediate_size=inter, num_attention_heads=heads,
                  num_hidden_layers=layers, num_key_value_heads=kv, head_dim=hd, max_position_embeddings=d["max_pos"],
                  max_window_layers=layers, vocab_size=vocab, bos_token_id=eot, eos_token_id=eot, mask_token_id=mask)
    config = dict(sorted(config.items()))
    tied = bool(config["tie_word_embeddings"])
    shape = qwen_shapes(vocab, h, heads, kv, hd, inter)
    save_sharded(random_weights(families.sdar_weight_names(layers, tied), shape, seed), out, 2)
    write_json(os.path.join(out, "config.json"), config)
    write_json(os.path.join(out, "generation_config.json"),
               {"bos_token_id": eot, "do_sample": True, "eos_token_id": [ids["<|im_end|>"], eot], "pad_token_id": eot,
                "temperature": 0.6, "top_k": 20, "top_p": 0.95, "transformers_version": "4.51.0"})
    write_json(os.path.join(out, "tokenizer_config.json"),
               {"add_bos_token": False, "add_prefix_space": False, "added_tokens_decoder": added_tokens_decoder(ids),
                "bos_token": None, "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "errors": "replace",
                "model_max_length": 131072, "split_special_tokens": False, "tokenizer_class": "Qwen2Tokenizer",
                "clean_up_tokenization_spaces": False})
    tok.save(os.path.join(out, "tokenizer.json"))


def main():
    ap = argparse.ArgumentParser(description=(__doc__ or "").strip().splitlines()[0])
    ap.add_argument("--family", required=True, choices=["dream", "dream-qwen2", "llada", "sdar", "fast-dllm-v2"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dims", default="tiny", choices=sorted(DIMS))
    args = ap.parse_args()
    d = DIMS[args.dims]
    if args.family in ("llada", "sdar", "fast-dllm-v2") and args.dims != "tiny":
        ap.error("--dims 0.5b is Open-dCoder's shape: use it with --family dream-qwen2")
    if args.family == "llada":
        make_llada(args.out, args.seed, d)
    elif args.family == "sdar":
        make_sdar(args.out, args.seed, d)
    elif args.family == "fast-dllm-v2":
        # Blocks of 8 so that the tiny parity sequence spans several.
        make_fast_dllm_v2(args.out, args.seed, d, 8)
    else:
        make_dream(args.out, args.seed, d, args.family == "dream-qwen2")


if __name__ == "__main__":
    main()
