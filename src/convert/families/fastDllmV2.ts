/**
 * The Fast-dLLM v2 family (Fast_dLLM_v2_7B, Fast_dLLM_v2_1_5B): Qwen2.5 weights fine-tuned as block
 * diffusion. It reads like Dream (the same Qwen2 layer, q/k/v biases, the same shifted logits) and
 * differs only in its attention, block-causal over blocks of `bd_size` tokens. Facts from the
 * published modeling.py / configuration.py: the inference mask is q // bd >= kv // bd over absolute
 * positions (eval_block_diff_mask); the sampler shifts each block's logits by one
 * (cat(logits[:, :1], logits[:, :-1])), the first position of a block reading the token before it;
 * Fast_dLLM_QwenConfig's bd_size defaults to 32; generate() denoises each block in sub-blocks of
 * small_block_size = 8 tokens, left to right, by a confidence threshold.
 */
import { ConfigFields, Json } from '../configFields';
import { dream } from './dream';
import { type Family, type FamilyPlan, namedBy } from './family';

/** generate()'s small_block_size: not in config.json, an argument of the published generation code. */
const SUB_BLOCK = 8;

function plan(config: Json): FamilyPlan {
  // Dream's reading of a Qwen2 config (shape, refused features, weight names, the shift), plus the blocks.
  const blockLength = new ConfigFields(config).int('bd_size', 32);
  // A block that sub-blocks of 8 do not tile is denoised whole.
  return { ...dream.plan(config), blockLength, ...(blockLength > SUB_BLOCK && blockLength % SUB_BLOCK === 0 ? { decodeBlockLength: SUB_BLOCK } : {}) };
}

export const fastDllmV2: Family = {
  id: 'fast-dllm-v2',
  covers: 'Fast-dLLM v2 7B / 1.5B (block-causal)',
  recognises: namedBy('Fast_dLLM_Qwen', 'Fast_dLLM_QwenForCausalLM'),
  plan,
  // Qwen2's tokenizer adds no bos.
  bosFirstDefault: false,
};
