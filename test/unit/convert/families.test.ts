/**
 * The family registry and each family's reading of config.json: which checkpoints it claims, the
 * shape and weight names it derives, the modelling code's defaults, and the features it refuses.
 */
import * as assert from 'node:assert/strict';
import { ConvertError } from '../../../src/convert/errors';
import { selectFamily } from '../../../src/convert/families';
import { dream } from '../../../src/convert/families/dream';
import { expectedTensors } from '../../../src/convert/families/family';
import { llada } from '../../../src/convert/families/llada';
import { DREAM_SPEC, FAST_DLLM_V2_SPEC, LLADA_SPEC, SDAR_SPEC, configFor, tensorShapes } from './tinyCheckpoint';

function refuses(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof ConvertError && pattern.test(e.message) && !e.message.includes('\n'));
}

describe('convert/families: what each family reads from config.json', () => {
  it('picks the family from architectures or model_type', () => {
    assert.equal(selectFamily({ architectures: ['DreamModel'] }).id, 'dream');
    assert.equal(selectFamily({ model_type: 'Dream' }).id, 'dream');
    assert.equal(selectFamily({ architectures: ['LLaDAModelLM'], model_type: 'llada' }).id, 'llada');
    assert.equal(selectFamily({ architectures: ['SDARForCausalLM'], model_type: 'sdar' }).id, 'sdar');
    assert.equal(selectFamily({ architectures: ['Fast_dLLM_QwenForCausalLM'], model_type: 'Fast_dLLM_Qwen' }).id, 'fast-dllm-v2');
  });

  it('refuses an unknown model by name, and LLaDA-MoE, pointing at --family', () => {
    refuses(() => selectFamily({ model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'] }), /model_type "qwen2", architectures Qwen2ForCausalLM.*dream \(.*\); llada \(.*\).*--family/);
    refuses(() => selectFamily({ model_type: 'lladamoe', architectures: ['LLaDAMoEModelLM'] }), /unsupported model/);
    assert.equal(selectFamily({ model_type: 'qwen2' }, 'dream').id, 'dream');
  });

  it('derives exactly the tensors a Dream checkpoint holds, shapes included', () => {
    const plan = dream.plan(configFor(DREAM_SPEC));
    assert.deepEqual(expectedTensors(plan), tensorShapes(DREAM_SPEC));
    assert.equal(plan.shiftedLogits, true);
    assert.deepEqual(plan.shape, { hidden: 32, layers: 2, heads: 4, kvHeads: 2, headDim: 8, ffn: 48, vocab: 50, normEps: 1e-6, ropeTheta: 10000, maxPositions: 4096 });
  });

  it('derives exactly the tensors a LLaDA checkpoint holds, without a shift', () => {
    const plan = llada.plan(configFor(LLADA_SPEC));
    assert.deepEqual(expectedTensors(plan), tensorShapes(LLADA_SPEC));
    assert.equal(plan.shiftedLogits, false);
    assert.equal(plan.weights.layers[0]!.gate, 'model.transformer.blocks.0.ff_proj.weight');
    assert.equal(plan.weights.layers[0]!.down, 'model.transformer.blocks.0.ff_out.weight');
  });

  it('derives exactly the tensors an SDAR checkpoint holds: head norms, the stated head size, blocks, no shift', () => {
    const sdar = selectFamily(configFor(SDAR_SPEC));
    const plan = sdar.plan(configFor(SDAR_SPEC));
    assert.deepEqual(expectedTensors(plan), tensorShapes(SDAR_SPEC));
    assert.equal(plan.shiftedLogits, false);
    assert.equal(plan.blockLength, 4);
    assert.equal(plan.shape.headDim, 12);
    assert.equal(plan.weights.layers[1]!.qNorm, 'model.layers.1.self_attn.q_norm.weight');
    assert.equal(plan.weights.layers[0]!.qBias, undefined);
    assert.equal(dream.plan(configFor(DREAM_SPEC)).blockLength, undefined);
  });

  it('reads Fast-dLLM v2 as Dream plus its blocks (bd_size, 32 when absent)', () => {
    const family = selectFamily(configFor(FAST_DLLM_V2_SPEC));
    const plan = family.plan(configFor(FAST_DLLM_V2_SPEC));
    assert.deepEqual(expectedTensors(plan), tensorShapes(FAST_DLLM_V2_SPEC));
    assert.equal(plan.shiftedLogits, true);
    assert.equal(plan.blockLength, 3);
    const published = family.plan({ ...configFor(FAST_DLLM_V2_SPEC), bd_size: undefined });
    assert.equal(published.blockLength, 32);
    // Its generation denoises a block in sub-blocks of 8; a block they do not tile is denoised whole.
    assert.equal(published.decodeBlockLength, 8);
    assert.equal(plan.decodeBlockLength, undefined);
    assert.equal(family.plan({ ...configFor(FAST_DLLM_V2_SPEC), bd_size: 12 }).decodeBlockLength, undefined);
    refuses(() => family.plan({ ...configFor(FAST_DLLM_V2_SPEC), use_sliding_window: true }), /sliding-window/);
  });

  it('refuses SDAR features the graph does not implement, and a config without its block size', () => {
    const sdar = selectFamily(configFor(SDAR_SPEC));
    const base = configFor(SDAR_SPEC);
    refuses(() => sdar.plan({ ...base, rope_scaling: { rope_type: 'yarn', factor: 4 } }), /scaled rotary/);
    refuses(() => sdar.plan({ ...base, attention_bias: true }), /attention biases/);
    refuses(() => sdar.plan({ ...base, num_experts: 128 }), /mixture-of-experts/);
    refuses(() => sdar.plan({ ...base, use_sliding_window: true }), /sliding-window/);
    refuses(() => sdar.plan({ ...base, block_size: undefined }), /config\.json has no "block_size"/);
  });

  it('reads a tied head as the embedding table', () => {
    assert.equal(dream.plan({ ...configFor(DREAM_SPEC), tie_word_embeddings: true }).weights.head, 'model.embed_tokens.weight');
    assert.equal(llada.plan({ ...configFor(LLADA_SPEC), weight_tying: true }).weights.head, 'model.transformer.wte.weight');
  });

  it("takes the modelling code's defaults for keys a config leaves out", () => {
    const c = configFor(DREAM_SPEC);
    delete c.num_key_value_heads;
    delete c.rms_norm_eps;
    delete c.rope_theta;
    delete c.tie_word_embeddings;
    const s = dream.plan(c);
    assert.equal(s.shape.kvHeads, 4);
    assert.equal(s.shape.normEps, 1e-6);
    assert.equal(s.shape.ropeTheta, 10000);
    assert.equal(s.weights.head, 'lm_head.weight');
    const l = configFor(LLADA_SPEC);
    delete l.weight_tying; // OLMo's default ties the head
    delete l.mlp_hidden_size;
    assert.equal(llada.plan(l).weights.head, 'model.transformer.wte.weight');
    assert.equal(llada.plan(l).shape.ffn, 4 * 32);
  });

  it('gives LLaDA logits the width of embedding_size, and its effective key/value heads', () => {
    assert.equal(llada.plan({ ...configFor(LLADA_SPEC), embedding_size: 128 }).shape.vocab, 128);
    assert.equal(llada.plan({ ...configFor(LLADA_SPEC), n_kv_heads: null, multi_query_attention: true }).shape.kvHeads, 1);
    refuses(() => llada.plan({ ...configFor(LLADA_SPEC), n_kv_heads: 2, multi_query_attention: true }), /multi_query_attention/);
    refuses(() => llada.plan({ ...configFor(LLADA_SPEC), embedding_size: 32 }), /embedding_size.*below.*vocab_size/);
  });

  it('refuses Dream-family features the graph does not implement', () => {
    const base = configFor(DREAM_SPEC);
    refuses(() => dream.plan({ ...base, rope_scaling: { type: 'yarn', factor: 4 } }), /"rope_scaling".*scaled rotary/);
    refuses(() => dream.plan({ ...base, use_sliding_window: true }), /sliding-window/);
    refuses(() => dream.plan({ ...base, hidden_act: 'gelu' }), /"hidden_act" is "gelu"/);
    refuses(() => dream.plan({ ...base, head_dim: 16 }), /head_dim/);
    refuses(() => dream.plan({ ...base, num_key_value_heads: 3 }), /not a multiple of 3/);
    refuses(() => dream.plan({ ...base, hidden_size: undefined }), /config\.json has no "hidden_size"/);
  });

  it('refuses LLaDA features the graph does not implement, and OLMo defaults it is not', () => {
    const base = configFor(LLADA_SPEC);
    refuses(() => llada.plan({ ...base, attention_layer_norm: true }), /attention_layer_norm.*query\/key layer norms/);
    refuses(() => llada.plan({ ...base, alibi: true }), /ALiBi/);
    refuses(() => llada.plan({ ...base, scale_logits: true }), /scaled logits/);
    refuses(() => llada.plan({ ...base, clip_qkv: 8 }), /clip_qkv/);
    refuses(() => llada.plan({ ...base, include_bias: true }), /include_bias/);
    refuses(() => llada.plan({ ...base, block_group_size: 2 }), /grouped blocks/);
    const noBlockType = { ...base };
    delete noBlockType.block_type;
    refuses(() => llada.plan(noBlockType), /"block_type" is absent, so "sequential"/);
    const noRope = { ...base };
    delete noRope.rope;
    refuses(() => llada.plan(noRope), /"rope" is absent, so false/);
  });
});
