/**
 * The SDAR family (SDAR-1.7B / 4B / 8B-Chat): Qwen3-shaped block diffusion models, causal across
 * blocks of `block_size` tokens and bidirectional within one, with no logit shift. Facts from
 * JetAstra/SDAR training/model/SDAR-4B-Chat (config.json, configuration_sdar.py, modeling_sdar.py)
 * and generate.py: q/k/v/o projections without biases (attention_bias false); RMSNorm on each
 * query and key head (q_norm, k_norm over head_dim) before rotary embedding; head_dim stated in the
 * config, not derived (4B: hidden 2560, 32 heads, head_dim 128); the inference mask is
 * tril(ones(blocks, blocks)) repeated block_size times along both axes, blocks counted from the
 * sequence's first token; the sampler reads each position's own row of logits.
 */
import { ConfigFields, Json } from '../configFields';
import { checkHeads, Family, FamilyPlan, namedBy, qwenLayerWeights, refuseQwenExtras } from './family';

function plan(config: Json): FamilyPlan {
  const c = new ConfigFields(config);
  refuseQwenExtras(c);
  // attention_bias would add a bias to o_proj as well, which the shared layer has no place for.
  c.expect('attention_bias', [false], false, 'attention biases');
  c.expect('num_experts', [null, 0], null, 'mixture-of-experts layers');
  const hidden = c.int('hidden_size');
  const heads = c.int('num_attention_heads');
  const shape = checkHeads({
    hidden,
    layers: c.int('num_hidden_layers'),
    heads,
    kvHeads: c.int('num_key_value_heads', heads),
    // SDARConfig's default; the modelling code reads it as given, whatever hidden / heads is.
    headDim: c.int('head_dim', 128),
    ffn: c.int('intermediate_size'),
    vocab: c.int('vocab_size'),
    normEps: c.positive('rms_norm_eps', 1e-6),
    ropeTheta: c.positive('rope_theta', 10000),
    maxPositions: c.int('max_position_embeddings', 32768),
  });
  // The block size the model was trained with; SDARConfig has no default, so none is guessed.
  const blockLength = c.int('block_size');
  const layers = qwenLayerWeights(shape.layers, { headNorms: true });
  const embed = 'model.embed_tokens.weight';
  const tied = c.bool('tie_word_embeddings', false);
  return {
    shape,
    weights: { embed, finalNorm: 'model.norm.weight', head: tied ? embed : 'lm_head.weight', layers },
    shiftedLogits: false,
    blockLength,
  };
}

export const sdar: Family = {
  id: 'sdar',
  covers: 'SDAR-1.7B / 4B / 8B-Chat (block-causal)',
  recognises: namedBy('sdar', 'SDARForCausalLM'),
  plan,
  // Qwen3's tokenizer adds no bos (SDAR's generate.py encodes with add_special_tokens=False).
  bosFirstDefault: false,
};
