"""
The published layout of each diffusion family the converter reads, as data: config.json keys,
special tokens, weight names and which tensors carry a bias. make_checkpoint.py writes from it and
reference.py reads checkpoints against it; FAMILIES.md says where each fact was read.
"""

# Dream-v0 / Dream-Coder / DreamOn / DiffuCoder: Qwen2 weights under the DreamModel remote code.
DREAM_CONFIG = {
    "architectures": ["DreamModel"],
    "attention_dropout": 0.0,
    "auto_map": {
        "AutoConfig": "configuration_dream.DreamConfig",
        "AutoModel": "modeling_dream.DreamModel",
    },
    "hidden_act": "silu",
    "initializer_range": 0.02,
    "model_type": "Dream",
    "rms_norm_eps": 1e-06,
    "rope_scaling": None,
    "rope_theta": 1000000.0,
    "sliding_window": None,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "transformers_version": "4.46.2",
    "use_cache": False,
    "use_sliding_window": False,
}

# Open-dCoder-0.5B: a plain qwen2 config (Qwen2.5-Coder-0.5B's), tied embeddings.
QWEN2_CONFIG = {
    "architectures": ["Qwen2ForCausalLM"],
    "attention_dropout": 0.0,
    "hidden_act": "silu",
    "initializer_range": 0.02,
    "model_type": "qwen2",
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "sliding_window": 32768,
    "tie_word_embeddings": True,
    "torch_dtype": "bfloat16",
    "transformers_version": "4.44.0",
    "use_cache": True,
    "use_mrope": False,
    "use_sliding_window": False,
}

# LLaDA-8B-Base / Instruct / 1.5: the OLMo-derived config, keys as the checkpoints spell them.
LLADA_CONFIG = {
    "activation_type": "silu",
    "alibi": False,
    "alibi_bias_max": 8.0,
    "architectures": ["LLaDAModelLM"],
    "attention_dropout": 0.0,
    "attention_layer_norm": False,
    "attention_layer_norm_with_affine": True,
    "auto_map": {
        "AutoConfig": "configuration_llada.LLaDAConfig",
        "AutoModelForCausalLM": "modeling_llada.LLaDAModelLM",
        "AutoModel": "modeling_llada.LLaDAModelLM",
    },
    "bias_for_layer_norm": False,
    "block_group_size": 1,
    "block_type": "llama",
    "embedding_dropout": 0.0,
    "flash_attention": False,
    "include_bias": False,
    "include_qkv_bias": False,
    "init_cutoff_factor": None,
    "init_device": "meta",
    "init_fn": "mitchell",
    "init_std": 0.02,
    "input_emb_norm": False,
    "layer_norm_type": "rms",
    "layer_norm_with_affine": True,
    "mlp_ratio": 4,
    "model_type": "llada",
    "multi_query_attention": None,
    "precision": "amp_bf16",
    "residual_dropout": 0.0,
    "rms_norm_eps": 1e-05,
    "rope": True,
    "rope_full_precision": True,
    "rope_theta": 500000.0,
    "scale_logits": False,
    "transformers_version": "4.46.3",
    "use_cache": False,
    "weight_tying": False,
}

# Fast-dLLM v2 (7B, 1.5B): Qwen2.5 weights under the Fast_dLLM_QwenForCausalLM remote code; the rest of
# its config is Qwen2.5's, as Dream's above.
FAST_DLLM_V2_KEYS = {
    "architectures": ["Fast_dLLM_QwenForCausalLM"],
    "auto_map": {
        "AutoConfig": "configuration.Fast_dLLM_QwenConfig",
        "AutoModel": "modeling.Fast_dLLM_QwenModel",
        "AutoModelForCausalLM": "modeling.Fast_dLLM_QwenForCausalLM",
    },
    "bd_size": 32,
    "model_type": "Fast_dLLM_Qwen",
}

# SDAR-1.7B / 4B / 8B-Chat: Qwen3 weights under the SDARForCausalLM remote code, trained in blocks of
# block_size tokens (causal across blocks, bidirectional within one). Keys as SDAR-4B-Chat's config.json.
SDAR_CONFIG = {
    "architectures": ["SDARForCausalLM"],
    "attention_bias": False,
    "attention_dropout": 0.0,
    "attn_implementation": "flex_attention",
    "auto_map": {
        "AutoConfig": "configuration_sdar.SDARConfig",
        "AutoModel": "modeling_sdar.SDARModel",
        "AutoModelForCausalLM": "modeling_sdar.SDARForCausalLM",
    },
    "block_size": 4,
    "debug": False,
    "ep_size": 1,
    "fuse_cross_entropy": True,
    "hidden_act": "silu",
    "initializer_range": 0.02,
    "micro_forward": False,
    "model_type": "sdar",
    "rms_norm_eps": 1e-06,
    "rope_scaling": None,
    "rope_theta": 1000000,
    "skip_checkpoint": False,
    "sliding_window": None,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "transformers_version": "4.52.4",
    "use_cache": False,
    "use_deepep": False,
    "use_sliding_window": False,
}

# Special tokens in the order the tokenizer appends them after its regular vocabulary (Qwen's
# and LLaDA's vocabularies both put their special tokens after the BPE tokens).
DREAM_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|beginoftext|>", "<|mask|>"]
LLADA_SPECIALS = [
    "<|startoftext|>", "<|endoftext|>", "[CLS]", "[gMASK]", "<|mdm_mask|>",
    "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
]
QWEN2_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<M>"]
# SDAR keeps Qwen3's specials (think and tool tokens among them) and appends <MASK> last.
SDAR_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>", "<MASK>"]


def dream_weight_names(layers: int, tied: bool):
    """(name, has_bias) for each Qwen2-layout Linear/Embedding/Norm, Dream and Open-dCoder alike."""
    names = ["model.embed_tokens.weight", "model.norm.weight"]
    for i in range(layers):
        p = f"model.layers.{i}"
        names += [f"{p}.input_layernorm.weight", f"{p}.post_attention_layernorm.weight"]
        for proj in ("q_proj", "k_proj", "v_proj"):
            names += [f"{p}.self_attn.{proj}.weight", f"{p}.self_attn.{proj}.bias"]
        names += [f"{p}.self_attn.o_proj.weight"]
        names += [f"{p}.mlp.{m}.weight" for m in ("gate_proj", "up_proj", "down_proj")]
    if not tied:
        names.append("lm_head.weight")
    return names


def llada_weight_names(layers: int):
    names = ["model.transformer.wte.weight", "model.transformer.ln_f.weight", "model.transformer.ff_out.weight"]
    for i in range(layers):
        p = f"model.transformer.blocks.{i}"
        names += [f"{p}.{n}.weight" for n in
                  ("attn_norm", "q_proj", "k_proj", "v_proj", "attn_out", "ff_norm", "ff_proj", "up_proj", "ff_out")]
    return names


def sdar_weight_names(layers: int, tied: bool):
    """Qwen3's layout: no projection biases, an RMSNorm per query and key head (q_norm, k_norm)."""
    names = ["model.embed_tokens.weight", "model.norm.weight"]
    for i in range(layers):
        p = f"model.layers.{i}"
        names += [f"{p}.input_layernorm.weight", f"{p}.post_attention_layernorm.weight"]
        names += [f"{p}.self_attn.{n}.weight" for n in ("q_proj", "k_proj", "v_proj", "o_proj", "q_norm", "k_norm")]
        names += [f"{p}.mlp.{m}.weight" for m in ("gate_proj", "up_proj", "down_proj")]
    if not tied:
        names.append("lm_head.weight")
    return names
