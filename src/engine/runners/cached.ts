/**
 * The full contract's cached mode (models/README.md, "Cached mode"; Fast-dLLM's DualCache): for a
 * bidirectional model the context's keys and values depend on the canvas, so caching them is an
 * approximation, refreshed every `refreshEvery` passes. A refresh runs the `context` graph over
 * the whole sequence with the current canvas (all masks on the first pass) and keeps the keys and
 * values of every position outside the query block; every pass runs the `denoise` graph on the
 * query block only, against them. With refreshEvery 1 every pass is exact.
 *
 * The query block is the canvas, and for shifted logits (Dream) also the token before it, whose
 * row predicts canvas position 0: that row is then computed the same way as the canvas's own, from
 * fresh canvas keys/values and the cached ones, never from a stale context pass.
 */
import * as ort from 'onnxruntime-node';
import type { KvCacheShape } from '../model/manifest';
import { logitRows } from './full';
import { CanvasModel, CanvasPass, SequenceLayout, canvasOffset } from './model';
import { expectDims, int64Tensor } from './split';

export const CACHED_CONTEXT_IO = { inputs: ['input_ids'], outputs: ['keys', 'values'] } as const;

export class CachedModel implements CanvasModel {
  constructor(
    private readonly context: ort.InferenceSession,
    private readonly denoise: ort.InferenceSession,
    readonly vocabSize: number,
    private readonly kv: KvCacheShape,
    private readonly shiftedLogits: boolean,
    /** Passes between context refreshes, at least 1. */
    readonly refreshEvery: number,
  ) {
    if (!Number.isInteger(refreshEvery) || refreshEvery < 1) throw new Error(`refreshEvery must be an integer >= 1, got ${refreshEvery}`);
  }

  async begin(layout: SequenceLayout): Promise<CanvasPass> {
    const n = layout.canvasLength;
    const offset = canvasOffset(layout);
    const sequence = [...layout.head, ...layout.prefix, ...new Array<number>(n).fill(0), ...layout.suffix, ...layout.tail];
    const ids = BigInt64Array.from(sequence, (x) => BigInt(x));
    const rows = logitRows(offset, n, this.shiftedLogits);
    const start = Math.min(offset, rows[0] ?? offset);
    const q = offset + n - start;
    const queryPositions = int64Tensor(Array.from({ length: q }, (_, i) => start + i));
    const v = this.vocabSize;
    const { denoise, refreshEvery } = this;
    const encode = (): Promise<{ keys: ort.Tensor; values: ort.Tensor }> => this.encode(ids, start, q);
    let passes = 0;
    let encodeMs = 0;
    let cached: { keys: ort.Tensor; values: ort.Tensor } | undefined;
    return {
      get encodeMs(): number {
        return encodeMs;
      },
      async forward(canvas: Int32Array): Promise<Float32Array> {
        for (let j = 0; j < n; j++) ids[offset + j] = BigInt(canvas[j] ?? 0);
        if (passes++ % refreshEvery === 0) {
          const started = performance.now();
          cached = await encode();
          encodeMs += performance.now() - started;
        }
        const out = await denoise.run({
          canvas_ids: new ort.Tensor('int64', ids.slice(start, start + q), [1, q]),
          canvas_position_ids: queryPositions,
          keys: cached!.keys,
          values: cached!.values,
        });
        const logits = out.logits as ort.Tensor;
        expectDims(logits, [1, q, v], 'denoise graph "logits"');
        const all = logits.data as Float32Array;
        const picked = new Float32Array(n * v);
        for (let j = 0; j < n; j++) picked.set(all.subarray((rows[j]! - start) * v, (rows[j]! - start + 1) * v), j * v);
        return picked;
      },
      release(): void {
        cached = undefined;
      },
    };
  }

  /** The context pass over `ids`: keys and values of every position but the q from `start`. */
  private async encode(ids: BigInt64Array, start: number, q: number): Promise<{ keys: ort.Tensor; values: ort.Tensor }> {
    const total = ids.length;
    const out = await this.context.run({ input_ids: new ort.Tensor('int64', ids, [1, total]) });
    const dims = [this.kv.layers, 1, this.kv.heads, total, this.kv.headDim];
    const kept = [this.kv.layers, 1, this.kv.heads, total - q, this.kv.headDim];
    const cut = (t: ort.Tensor, what: string): ort.Tensor => {
      expectDims(t, dims, `context graph "${what}"`);
      return new ort.Tensor('float32', withoutPositions(t.data as Float32Array, this.kv.layers * this.kv.heads, total, this.kv.headDim, start, q), kept);
    };
    return { keys: cut(out.keys as ort.Tensor, 'keys'), values: cut(out.values as ort.Tensor, 'values') };
  }

  async dispose(): Promise<void> {
    await Promise.all([this.context.release(), this.denoise.release()]);
  }
}

/**
 * `blocks` blocks of [tokens, d] (layers × heads of a cache) less the `count` positions from
 * `start`: attention has no mask, so the order of the positions left does not matter, and the
 * denoise graph appends the query block's own keys and values after them.
 */
export function withoutPositions(data: Float32Array, blocks: number, tokens: number, d: number, start: number, count: number): Float32Array {
  const left = tokens - count;
  const out = new Float32Array(blocks * left * d);
  for (let b = 0; b < blocks; b++) {
    const from = b * tokens * d;
    const to = b * left * d;
    out.set(data.subarray(from, from + start * d), to);
    out.set(data.subarray(from + (start + count) * d, from + tokens * d), to + start * d);
  }
  return out;
}
