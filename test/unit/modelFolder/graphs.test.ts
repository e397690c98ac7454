import { strict as assert } from 'node:assert';
import contract from '../../../src/modelFolder/graphs.json';
import { CACHED_IO, FULL_IO, GRAPHS, SPLIT_CAUSAL_CONTEXT_IO, SPLIT_CONTEXT_IO, SPLIT_DENOISE_IO } from '../../../src/modelFolder/graphs';

describe('modelFolder/graphs: the graph contracts’ tensor names', () => {
  it('lists every graph of graphs.json, in the file’s order', () => {
    assert.deepEqual(Object.keys(GRAPHS), Object.keys(contract).filter((k) => !k.startsWith('$')));
    assert.deepEqual(SPLIT_DENOISE_IO, { inputs: ['canvas_ids', 'canvas_position_ids', 'keys', 'values'], outputs: ['logits'] });
    assert.deepEqual(CACHED_IO.inputs, ['input_ids', 'position_ids', 'past_keys', 'past_values', 'logit_rows']);
  });

  it('names each tensor of a graph once', () => {
    for (const io of [FULL_IO, SPLIT_CONTEXT_IO, SPLIT_CAUSAL_CONTEXT_IO, SPLIT_DENOISE_IO, CACHED_IO]) {
      assert.equal(new Set(io.inputs).size, io.inputs.length);
      assert.equal(new Set(io.outputs).size, io.outputs.length);
    }
  });

  it('the causal context graph has every role of the bidirectional one, under the same name', () => {
    // The split runner feeds either context graph through the causal graph's names.
    for (const side of ['inputs', 'outputs'] as const) {
      for (const [role, name] of Object.entries(GRAPHS.splitContext[side])) {
        assert.equal((GRAPHS.splitCausalContext[side] as Record<string, string>)[role], name, `${side}.${role}`);
      }
    }
  });

  it('the split graphs pass keys and values from context to denoise under one name each', () => {
    assert.equal(GRAPHS.splitDenoise.inputs.keys, GRAPHS.splitContext.outputs.keys);
    assert.equal(GRAPHS.splitDenoise.inputs.values, GRAPHS.splitContext.outputs.values);
  });
});
