/**
 * The Dream family: Qwen2-shaped bidirectional models with shifted logits (Dream-v0, Dream-Coder-v0,
 * DreamOn-v0, DiffuCoder; Open-dCoder, whose config says qwen2, with `--family dream`). Facts from
 * Dream's modeling_dream.py / configuration_dream.py: q/k/v projections carry biases and o_proj
 * does not; head size = hidden_size / num_attention_heads; defaults rms_norm_eps 1e-6, rope_theta
 * 10000, max_position_embeddings 32768, untied head; the sampler reads logits shifted by one
 * (`torch.cat([logits[:, :1], logits[:, :-1]])` in its generation code).
 */
import { ConfigFields, Json } from '../configFields';
import { ConvertError } from '../errors';
import { checkHeads, Family, FamilyPlan, headDim, namedBy, qwenLayerWeights, refuseQwenExtras } from './family';

function plan(config: Json): FamilyPlan {
  const c = new ConfigFields(config);
  refuseQwenExtras(c);
  const hidden = c.int('hidden_size');
  const heads = c.int('num_attention_heads');
  const hd = headDim(hidden, heads);
  // Newer Qwen2 configs may state head_dim; Dream's code derives it, so a different one cannot be honoured.
  if (c.has('head_dim') && c.int('head_dim') !== hd) {
    throw new ConvertError(`config.json "head_dim" ${String(config.head_dim)} differs from hidden_size / num_attention_heads = ${hd}`);
  }
  const shape = checkHeads({
    hidden,
    layers: c.int('num_hidden_layers'),
    heads,
    kvHeads: c.int('num_key_value_heads', heads),
    headDim: hd,
    ffn: c.int('intermediate_size'),
    vocab: c.int('vocab_size'),
    normEps: c.positive('rms_norm_eps', 1e-6),
    ropeTheta: c.positive('rope_theta', 10000),
    maxPositions: c.int('max_position_embeddings', 32768),
  });
  const tied = c.bool('tie_word_embeddings', false);
  const layers = qwenLayerWeights(shape.layers, { biases: true });
  const embed = 'model.embed_tokens.weight';
  return {
    shape,
    weights: { embed, finalNorm: 'model.norm.weight', head: tied ? embed : 'lm_head.weight', layers },
    shiftedLogits: true,
  };
}

export const dream: Family = {
  id: 'dream',
  covers: 'Dream-v0, Dream-Coder-v0, DreamOn-v0, DiffuCoder, Open-dCoder',
  recognises: namedBy('Dream', 'DreamModel'),
  plan,
  // Qwen2's tokenizer adds no bos; Dream prompts start with their first text token.
  bosFirstDefault: false,
  // DreamOn-v0: an `<|expand|>` token in its tokenizer (src/convert/tokens.ts).
  editsLength: true,
};
