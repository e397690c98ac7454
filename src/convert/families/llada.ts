/**
 * The LLaDA family (LLaDA-8B Base / Instruct, LLaDA-1.5): OLMo-derived block names, no logit shift.
 * Facts from LLaDA's modeling_llada.py / configuration_llada.py: a missing config key takes the
 * OLMo ModelConfig default (so a config that leaves block_type, activation_type, layer_norm_type or
 * rope out describes a model this graph is not); the "llama" block is
 * x + attn_out(attn(attn_norm(x))), then h + ff_out(silu(ff_proj(ff_norm(h))) · up_proj(ff_norm(h)));
 * RMSNorm in fp32 with rms_norm_eps; non-interleaved RoPE over d_model / n_heads; no attention
 * mask; logits span embedding_size rows (not cut to vocab_size); the head is transformer.ff_out
 * unless weight_tying.
 */
import { ConfigFields, Json } from '../configFields';
import { ConvertError } from '../errors';
import { checkHeads, Family, FamilyPlan, headDim, LayerWeights, namedBy } from './family';

/** OLMo's effective_n_kv_heads: multi_query_attention forces 1, or must agree with n_kv_heads. */
function kvHeads(c: ConfigFields, config: Json, heads: number): number {
  const mqa = config.multi_query_attention;
  const kv = c.has('n_kv_heads') ? c.int('n_kv_heads') : mqa === true ? 1 : heads;
  if ((mqa === true && kv !== 1) || (mqa === false && kv !== heads)) {
    throw new ConvertError(`config.json "multi_query_attention" ${String(mqa)} contradicts "n_kv_heads" ${kv}`);
  }
  return kv;
}

function plan(config: Json): FamilyPlan {
  const c = new ConfigFields(config);
  c.expect('block_type', ['llama'], 'sequential', 'the transformer block');
  c.expect('activation_type', ['silu'], 'swiglu', 'the MLP activation');
  c.expect('layer_norm_type', ['rms'], 'default', 'the normalisation');
  c.expect('layer_norm_with_affine', [true], true, 'norm weights');
  c.expect('rope', [true], false, 'rotary embeddings');
  c.expect('alibi', [false], false, 'ALiBi attention biases');
  c.expect('attention_layer_norm', [false], false, 'query/key layer norms');
  c.expect('input_emb_norm', [false], false, 'scaled input embeddings');
  c.expect('scale_logits', [false], false, 'scaled logits');
  c.expect('include_bias', [false], false, 'biases in every linear layer');
  c.expect('bias_for_layer_norm', [null, false], null, 'norm biases');
  c.expect('block_group_size', [1], 1, 'grouped blocks');
  c.expect('clip_qkv', [null], null, 'clipped queries, keys and values');
  const hidden = c.int('d_model', 768);
  const heads = c.int('n_heads', 12);
  const vocabSize = c.int('vocab_size', 50257);
  const shape = checkHeads({
    hidden,
    layers: c.int('n_layers', 12),
    heads,
    kvHeads: kvHeads(c, config, heads),
    headDim: headDim(hidden, heads),
    ffn: c.has('mlp_hidden_size') ? c.int('mlp_hidden_size') : c.int('mlp_ratio', 4) * hidden,
    // The embedding (and the logits) may be padded past the tokenizer's vocabulary.
    vocab: c.has('embedding_size') ? c.int('embedding_size') : vocabSize,
    normEps: c.positive('rms_norm_eps', 1e-5),
    ropeTheta: c.positive('rope_theta', 10000),
    maxPositions: c.int('max_sequence_length', 1024),
  });
  if (shape.vocab < vocabSize) throw new ConvertError(`config.json "embedding_size" ${shape.vocab} is below "vocab_size" ${vocabSize}`);
  const qkvBias = c.bool('include_qkv_bias', false);
  const layers: LayerWeights[] = [];
  for (let i = 0; i < shape.layers; i++) {
    const p = `model.transformer.blocks.${i}`;
    layers.push({
      attnNorm: `${p}.attn_norm.weight`,
      q: `${p}.q_proj.weight`,
      k: `${p}.k_proj.weight`,
      v: `${p}.v_proj.weight`,
      ...(qkvBias ? { qBias: `${p}.q_proj.bias`, kBias: `${p}.k_proj.bias`, vBias: `${p}.v_proj.bias` } : {}),
      o: `${p}.attn_out.weight`,
      mlpNorm: `${p}.ff_norm.weight`,
      gate: `${p}.ff_proj.weight`,
      up: `${p}.up_proj.weight`,
      down: `${p}.ff_out.weight`,
    });
  }
  const embed = 'model.transformer.wte.weight';
  const tied = c.bool('weight_tying', true);
  return {
    shape,
    weights: { embed, finalNorm: 'model.transformer.ln_f.weight', head: tied ? embed : 'model.transformer.ff_out.weight', layers },
    shiftedLogits: false,
  };
}

export const llada: Family = {
  id: 'llada',
  covers: 'LLaDA-8B Base / Instruct, LLaDA-1.5',
  recognises: namedBy('llada', 'LLaDAModelLM'),
  plan,
  // LLaDA's tokenizer puts <|startoftext|> first when its files do not say otherwise.
  bosFirstDefault: true,
};
