/**
 * The cached mode's graph (models/README.md, "Cached mode"), built from transformer.ts's pieces and
 * sharing the full graph's weights file. One graph serves every pass, so the weights are loaded once:
 *
 *   input_ids, position_ids int64 [1, Q]; past_keys, past_values float32 [layers, 1, kvHeads, C,
 *   headDim] (after rotary embedding; C may be 0); logit_rows int64 [R]
 *   → logits [1, R, V] of the Q tokens' rows `logit_rows`; keys, values [layers, 1, kvHeads, Q,
 *   headDim] of the Q tokens themselves.
 *
 * The Q tokens attend to the past keys/values and to their own, computed afresh. Run over the
 * whole sequence with no past, it is the full graph (a refresh, which also gives the canvas's
 * logits and every position's keys/values); run over the canvas against the keys/values of every
 * other position of the same sequence, it gives the full graph's canvas rows; with stale ones, an
 * approximation. Only the rows asked for reach the head, whose vocabulary-wide product is the
 * largest single cost of a pass over few rows.
 *
 * A block-causal family masks the Q tokens among themselves as the full graph does and lets them
 * see every past position, which matches the full graph when those all precede the Q tokens (the
 * model takes no suffix).
 */
import type { FamilyPlan } from './families/family';
import { expectedTensors } from './families/family';
import { GraphBuilder } from './graph';
import { DataType, GraphParts, valueInfoProto } from './onnx';
import { canvasBlockMask } from './attentionMask';
import { GRAPHS } from '../modelFolder/graphs';
import { LayerKv, decoderLayer, embedTokens, lmHead, rotaryTables } from './transformer';
import { WeightStorage, WeightsLayout } from './weightsFile';

const { ids: INPUT, positions: POSITIONS, pastKeys: PAST_KEYS, pastValues: PAST_VALUES, logitRows: LOGIT_ROWS } = GRAPHS.cached.inputs;
const { logits: LOGITS, keys: KEYS, values: VALUES } = GRAPHS.cached.outputs;

export function buildCachedGraph(plan: FamilyPlan, storage: WeightStorage, layout: WeightsLayout, metadata?: Record<string, string>): GraphParts {
  const g = new GraphBuilder(layout, storage, expectedTensors(plan));
  const { shape, weights } = plan;
  let x = embedTokens(g, plan, g.op('Reshape', [INPUT, g.ints([-1])], undefined, 'ids'));
  const positions = g.op('Reshape', [POSITIONS, g.ints([-1])], undefined, 'positions');
  const rope = rotaryTables(g, shape, positions);
  const pastLength = g.op('Gather', [g.op('Shape', [PAST_KEYS]), g.ints([3])], { axis: 0 }, 'past_length');
  const mask = plan.blockLength === undefined ? undefined : canvasBlockMask(g, positions, pastLength, plan.blockLength);
  // Layer i's past [kvHeads, C, d]: a scalar Gather drops the layer axis, Squeeze the batch (no -1 reshape, so C may be 0).
  const pastOf = (cache: string, i: number): string => g.op('Squeeze', [g.op('Gather', [cache, g.ints([i], true)], { axis: 0 }), g.ints([0])], undefined, 'past');
  const present: LayerKv[] = [];
  weights.layers.forEach((layer, i) => {
    const { out, kv } = decoderLayer(g, shape, layer, rope, x, { keys: pastOf(PAST_KEYS, i), values: pastOf(PAST_VALUES, i) }, mask);
    present.push(kv);
    x = out;
  });
  const rows = g.op('Gather', [x, LOGIT_ROWS], { axis: 0 }, 'logit_rows');
  g.named('Unsqueeze', [lmHead(g, plan, rows), g.ints([0])], LOGITS);
  // [kvHeads, Q, d] per layer → [layers, 1, kvHeads, Q, d].
  const stack = (parts: string[], output: string): string => g.named('Concat', parts.map((p) => g.op('Unsqueeze', [p, g.ints([0, 1])])), output, { axis: 0 });
  stack(present.map((kv) => kv.keys), KEYS);
  stack(present.map((kv) => kv.values), VALUES);
  const cache = (tokens: string): (number | string)[] => [shape.layers, 1, shape.kvHeads, tokens, shape.headDim];
  return {
    name: 'dllm_cached',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [
      valueInfoProto(INPUT, DataType.INT64, [1, 'Q']),
      valueInfoProto(POSITIONS, DataType.INT64, [1, 'Q']),
      valueInfoProto(PAST_KEYS, DataType.FLOAT, cache('C')),
      valueInfoProto(PAST_VALUES, DataType.FLOAT, cache('C')),
      valueInfoProto(LOGIT_ROWS, DataType.INT64, ['R']),
    ],
    outputs: [valueInfoProto(LOGITS, DataType.FLOAT, [1, 'R', shape.vocab]), valueInfoProto(KEYS, DataType.FLOAT, cache('Q')), valueInfoProto(VALUES, DataType.FLOAT, cache('Q'))],
    metadata,
  };
}
