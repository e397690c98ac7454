/**
 * The split contract: the `context` graph encodes prefix+suffix once per request into keys and
 * values (context tokens never attend to the canvas, so this cache is exact), and the `denoise`
 * graph runs only the N canvas positions against them, once per pass. A `causalSuffixFirst`
 * context graph also takes the keys and values of earlier context tokens (`past_keys`,
 * `past_values`); a request encodes its whole context at once, so the past is empty.
 */
import * as ort from 'onnxruntime-node';
import type { ContextAttention, KvCacheShape } from '../../modelFolder/manifest';
import { GRAPHS, SPLIT_CAUSAL_CONTEXT_IO, type GraphIO, SPLIT_CONTEXT_IO, SPLIT_DENOISE_IO } from '../../modelFolder/graphs';
import { CanvasModel, CanvasPass, ExtendableContext, KvBlock, SequenceLayout, canvasOffset, contextTokens } from './model';

export { SPLIT_CAUSAL_CONTEXT_IO, SPLIT_CONTEXT_IO, SPLIT_DENOISE_IO };
// The causal context graph's roles include every one of the bidirectional graph's, under the same names.
const CONTEXT = GRAPHS.splitCausalContext;
const DENOISE = GRAPHS.splitDenoise;

/** The context graph's inputs and outputs for a manifest's `contextAttention`. */
export function splitContextIO(attention: ContextAttention): GraphIO {
  return attention === 'causalSuffixFirst' ? SPLIT_CAUSAL_CONTEXT_IO : SPLIT_CONTEXT_IO;
}

/** Keys and values `[layers, 1, heads, tokens, headDim]` of context tokens. */
export interface ContextKv {
  keys: ort.Tensor;
  values: ort.Tensor;
}

export class SplitModel implements CanvasModel, ExtendableContext {
  constructor(
    private readonly context: ort.InferenceSession,
    private readonly denoise: ort.InferenceSession,
    readonly vocabSize: number,
    readonly kv: KvCacheShape,
    readonly contextAttention: ContextAttention = 'bidirectional',
  ) {}

  get extendable(): ExtendableContext | undefined {
    return this.contextAttention === 'causalSuffixFirst' ? this : undefined;
  }

  /**
   * Keys and values of context tokens `ids` at document `positions`, given in the model's order
   * (`contextTokens`). A causal model's tokens also attend to `past`, the K/V of the context tokens
   * before them (empty when absent); the result covers the new tokens only.
   */
  async encodeContext(ids: readonly number[], positions: readonly number[], past?: ContextKv): Promise<ContextKv> {
    const causal = this.contextAttention === 'causalSuffixFirst';
    if (past !== undefined && !causal) throw new Error('past keys/values need a causalSuffixFirst context');
    // No tokens: an empty cache, no context pass.
    if (ids.length === 0) return { keys: this.emptyKv(), values: this.emptyKv() };
    const feeds: Record<string, ort.Tensor> = { [CONTEXT.inputs.ids]: int64Tensor(ids), [CONTEXT.inputs.positions]: int64Tensor(positions) };
    if (causal) {
      feeds[CONTEXT.inputs.pastKeys] = past?.keys ?? this.emptyKv();
      feeds[CONTEXT.inputs.pastValues] = past?.values ?? this.emptyKv();
    }
    const out = await this.context.run(feeds);
    const keys = out[CONTEXT.outputs.keys] as ort.Tensor;
    const values = out[CONTEXT.outputs.values] as ort.Tensor;
    const dims = [this.kv.layers, 1, this.kv.heads, ids.length, this.kv.headDim];
    expectDims(keys, dims, `context graph "${CONTEXT.outputs.keys}"`);
    expectDims(values, dims, `context graph "${CONTEXT.outputs.values}"`);
    return { keys, values };
  }

  async extend(ids: readonly number[], positions: readonly number[], past: KvBlock): Promise<KvBlock> {
    const kv = await this.encodeContext(ids, positions, { keys: this.kvTensor(past.keys, past.tokens), values: this.kvTensor(past.values, past.tokens) });
    return { keys: kv.keys.data as Float32Array, values: kv.values.data as Float32Array, tokens: ids.length };
  }

  async begin(layout: SequenceLayout): Promise<CanvasPass> {
    const started = performance.now();
    const { ids, positions } = contextTokens(layout, this.contextAttention);
    const { keys, values } = await this.encodeContext(ids, positions);
    return this.passOver(layout, keys, values, performance.now() - started);
  }

  beginWith(layout: SequenceLayout, context: KvBlock, encodeMs: number): CanvasPass {
    return this.passOver(layout, this.kvTensor(context.keys, context.tokens), this.kvTensor(context.values, context.tokens), encodeMs);
  }

  private passOver(layout: SequenceLayout, keys: ort.Tensor, values: ort.Tensor, encodeMs: number): CanvasPass {
    const n = layout.canvasLength;
    const offset = canvasOffset(layout);
    const canvasPositions = int64Tensor(Array.from({ length: n }, (_, j) => offset + j));
    const canvasIds = new BigInt64Array(n);
    const v = this.vocabSize;
    const denoise = this.denoise;
    return {
      encodeMs,
      async forward(canvas: Int32Array): Promise<Float32Array> {
        for (let j = 0; j < n; j++) canvasIds[j] = BigInt(canvas[j] ?? 0);
        const out = await denoise.run({
          [DENOISE.inputs.canvas]: new ort.Tensor('int64', canvasIds, [1, n]),
          [DENOISE.inputs.canvasPositions]: canvasPositions,
          [DENOISE.inputs.keys]: keys,
          [DENOISE.inputs.values]: values,
        });
        const logits = out[DENOISE.outputs.logits] as ort.Tensor;
        expectDims(logits, [1, n, v], `denoise graph "${DENOISE.outputs.logits}"`);
        return logits.data as Float32Array;
      },
      release(): void {
        keys.dispose();
        values.dispose();
      },
    };
  }

  async dispose(): Promise<void> {
    await Promise.all([this.context.release(), this.denoise.release()]);
  }

  private emptyKv(): ort.Tensor {
    return this.kvTensor(new Float32Array(0), 0);
  }

  /** A tensor over `data` (not copied), `tokens` context tokens long. */
  private kvTensor(data: Float32Array, tokens: number): ort.Tensor {
    return new ort.Tensor('float32', data, [this.kv.layers, 1, this.kv.heads, tokens, this.kv.headDim]);
  }
}

export function int64Tensor(values: readonly number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(values, (x) => BigInt(x)), [1, values.length]);
}

/** Fails with the graph's actual shape when it is not the one the manifest promised. */
export function expectDims(t: ort.Tensor, dims: readonly number[], what: string): void {
  if (t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i])) {
    throw new Error(`${what} has shape [${t.dims.join(', ')}], expected [${dims.join(', ')}] (does dllm.json match the model?)`);
  }
}
