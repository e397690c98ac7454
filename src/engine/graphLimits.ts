/**
 * The manifest's token limits checked against the graphs. A graph that fixes a token axis at fewer
 * tokens than dllm.json claims would only fail on the first long request, so it fails the load.
 */
import type * as ort from 'onnxruntime-node';
import type { ModelManifest } from '../modelFolder/manifest';
import { GRAPHS } from '../modelFolder/graphs';

/** An input's token axis and the most tokens the runtime may feed it. */
export interface TokenAxis {
  axis: number;
  tokens: number;
  /** Where `tokens` comes from, as the error names it, e.g. `maxContextTokens = 448`. */
  claim: string;
}

export type TokenAxes = Readonly<Record<string, TokenAxis>>;

/**
 * Token axes of every graph a manifest can name, by the names of modelFolder/graphs.json (FULL_IO, SPLIT_DENOISE_IO,
 * splitContextIO, CACHED_IO). The engine fits head and tail tokens inside maxContextTokens (engine.ts `budget`).
 */
export function graphTokenAxes(m: Pick<ModelManifest, 'maxContextTokens' | 'maxCanvasTokens'>): { context: TokenAxes; denoise: TokenAxes; full: TokenAxes; cached: TokenAxes } {
  const context: TokenAxis = { axis: 1, tokens: m.maxContextTokens, claim: `maxContextTokens = ${m.maxContextTokens}` };
  const canvas: TokenAxis = { axis: 1, tokens: m.maxCanvasTokens, claim: `maxCanvasTokens = ${m.maxCanvasTokens}` };
  // Keys and values are [layers, 1, heads, context tokens, headDim].
  const cache: TokenAxis = { ...context, axis: 3 };
  const total = m.maxContextTokens + m.maxCanvasTokens;
  const sequence: TokenAxis = { axis: 1, tokens: total, claim: `maxContextTokens + maxCanvasTokens = ${total}` };
  const { splitCausalContext: ctx, splitDenoise: den, full, cached } = GRAPHS;
  return {
    context: { [ctx.inputs.ids]: context, [ctx.inputs.positions]: context },
    denoise: { [den.inputs.canvas]: canvas, [den.inputs.canvasPositions]: canvas, [den.inputs.keys]: cache, [den.inputs.values]: cache },
    full: { [full.inputs.ids]: sequence },
    // A refresh runs the whole sequence; a denoising pass the canvas against the rest's keys and values.
    cached: { [cached.inputs.ids]: sequence, [cached.inputs.positions]: sequence, [cached.inputs.pastKeys]: cache, [cached.inputs.pastValues]: cache },
  };
}

/** Why a graph's inputs cannot take as many tokens as dllm.json claims, or undefined when they can. */
export function tokenAxisShortfall(axes: TokenAxes, inputs: readonly ort.InferenceSession.ValueMetadata[]): string | undefined {
  for (const input of inputs) {
    const want = axes[input.name];
    if (want === undefined || !input.isTensor) continue;
    const size = input.shape[want.axis];
    // Symbolic dims are names; onnxruntime may also report an unknown dim as -1.
    if (typeof size === 'number' && size >= 0 && size < want.tokens) {
      return (
        `input "${input.name}" has a fixed size of ${size} on its token axis (${want.axis}), fewer than dllm.json claims (${want.claim}); ` +
        'lower the claim in dllm.json or export the graph with a dynamic token axis'
      );
    }
  }
  return undefined;
}
