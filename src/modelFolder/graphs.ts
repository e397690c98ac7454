/**
 * The graph contracts' input and output names (graphs.json): the converter writes them
 * (src/convert), the engine's runners feed and read them (src/engine/runners), and the pipeline's
 * export (models/train) reads the same file. No imports but the JSON, so the converter takes it
 * without onnxruntime.
 */
import contract from './graphs.json';

/** A graph's tensor names by role, in the graph's order. */
interface RoleNames {
  readonly inputs: Readonly<Record<string, string>>;
  readonly outputs: Readonly<Record<string, string>>;
}

/** The names a session must have, in order: what session.ts checks a graph against. */
export interface GraphIO {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

function io(graph: RoleNames): GraphIO {
  return { inputs: Object.values(graph.inputs), outputs: Object.values(graph.outputs) };
}

/** Each graph's names by role: `GRAPHS.splitDenoise.inputs.canvas` is `canvas_ids`. */
export const GRAPHS = {
  full: contract.full,
  splitContext: contract.splitContext,
  splitCausalContext: contract.splitCausalContext,
  splitDenoise: contract.splitDenoise,
  cached: contract.cached,
} as const;

/** `full`: the whole sequence in, logits for every position out. */
export const FULL_IO = io(GRAPHS.full);
/** `split`, bidirectional context: encodes prefix and suffix into keys and values. */
export const SPLIT_CONTEXT_IO = io(GRAPHS.splitContext);
/** `split`, causal context (`causalSuffixFirst`): also takes the keys and values of earlier context tokens. */
export const SPLIT_CAUSAL_CONTEXT_IO = io(GRAPHS.splitCausalContext);
/** `split`'s denoise graph: the canvas against the context's keys and values. */
export const SPLIT_DENOISE_IO = io(GRAPHS.splitDenoise);
/** The cached mode (models/README.md, "Cached mode"): one graph that extends a key/value past. */
export const CACHED_IO = io(GRAPHS.cached);
