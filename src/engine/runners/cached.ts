/**
 * The full contract's cached mode (models/README.md, "Cached mode"; Fast-dLLM's DualCache), over the
 * one cached graph. For a bidirectional model the context's keys and values depend on the canvas,
 * so caching them is an approximation, refreshed every `refreshEvery` passes. A refresh runs the
 * graph over the whole sequence with the current canvas (all masks on the first pass): it gives
 * that pass's canvas logits, exactly as the full graph would, and the keys and values of every
 * position, of which those outside the query block are kept. Every other pass runs the graph on
 * the query block only, against them. refreshEvery 0 refreshes every pass and keeps nothing: exact
 * mode, with the head computed for the canvas rows only.
 *
 * The query block is the canvas, and for shifted logits (Dream) also the token before it, whose
 * row predicts canvas position 0: that row is then computed the same way as the canvas's own, from
 * fresh canvas keys/values and the cached ones, never from a stale context pass.
 */
import * as ort from 'onnxruntime-node';
import type { KvCacheShape } from '../model/manifest';
export { CACHED_IO } from '../model/cachedGraphNames';
import { logitRows } from './full';
import { CanvasModel, CanvasPass, SequenceLayout, canvasOffset } from './model';
import { expectDims } from './split';


interface Kv {
  keys: ort.Tensor;
  values: ort.Tensor;
}

export class CachedModel implements CanvasModel {
  constructor(
    private readonly graph: ort.InferenceSession,
    readonly vocabSize: number,
    private readonly kv: KvCacheShape,
    private readonly shiftedLogits: boolean,
    /** Passes between refreshes; 0: every pass is a refresh (exact mode). */
    readonly refreshEvery: number,
  ) {
    if (!Number.isInteger(refreshEvery) || refreshEvery < 0) throw new Error(`refreshEvery must be an integer >= 0, got ${refreshEvery}`);
  }

  async begin(layout: SequenceLayout): Promise<CanvasPass> {
    const n = layout.canvasLength;
    const offset = canvasOffset(layout);
    const sequence = [...layout.head, ...layout.prefix, ...new Array<number>(n).fill(0), ...layout.suffix, ...layout.tail];
    const ids = BigInt64Array.from(sequence, (x) => BigInt(x));
    const total = ids.length;
    const rows = logitRows(offset, n, this.shiftedLogits);
    const start = Math.min(offset, rows[0] ?? offset);
    const q = offset + n - start;
    const allPositions = range(0, total);
    const blockPositions = range(start, q);
    const allRows = BigInt64Array.from(rows, (r) => BigInt(r));
    const blockRows = BigInt64Array.from(rows, (r) => BigInt(r - start));
    const noPast = this.emptyCache();
    const keep = this.refreshEvery > 0;
    const every = Math.max(1, this.refreshEvery);
    let passes = 0;
    let encodeMs = 0;
    let cached: Kv | undefined;
    return {
      get encodeMs(): number {
        return encodeMs;
      },
      forward: async (canvas: Int32Array): Promise<Float32Array> => {
        for (let j = 0; j < n; j++) ids[offset + j] = BigInt(canvas[j] ?? 0);
        if (passes++ % every === 0 || !cached) {
          const started = performance.now();
          const out = await this.run(ids, allPositions, noPast, allRows);
          if (keep) cached = this.withoutBlock(out.present, total, start, q);
          encodeMs += performance.now() - started;
          return out.logits;
        }
        return (await this.run(ids.slice(start, start + q), blockPositions, cached, blockRows)).logits;
      },
      release(): void {
        cached = undefined;
      },
    };
  }

  /** One run of the graph: the `rows` logits [rows × V] and the run's own keys and values. */
  private async run(ids: BigInt64Array, positions: BigInt64Array, past: Kv, rows: BigInt64Array): Promise<{ logits: Float32Array; present: Kv }> {
    const out = await this.graph.run({
      input_ids: new ort.Tensor('int64', ids, [1, ids.length]),
      position_ids: new ort.Tensor('int64', positions, [1, positions.length]),
      past_keys: past.keys,
      past_values: past.values,
      logit_rows: new ort.Tensor('int64', rows, [rows.length]),
    });
    const logits = out.logits as ort.Tensor;
    expectDims(logits, [1, rows.length, this.vocabSize], 'cached graph "logits"');
    return { logits: logits.data as Float32Array, present: { keys: out.keys as ort.Tensor, values: out.values as ort.Tensor } };
  }

  private emptyCache(): Kv {
    const dims = [this.kv.layers, 1, this.kv.heads, 0, this.kv.headDim];
    return { keys: new ort.Tensor('float32', new Float32Array(0), dims), values: new ort.Tensor('float32', new Float32Array(0), dims) };
  }

  /** A refresh's keys and values of all `total` positions, less the q of the query block from `start`. */
  private withoutBlock(present: Kv, total: number, start: number, q: number): Kv {
    const { layers, heads, headDim } = this.kv;
    const dims = [layers, 1, heads, total, headDim];
    const kept = [layers, 1, heads, total - q, headDim];
    const cut = (t: ort.Tensor, what: string): ort.Tensor => {
      expectDims(t, dims, `cached graph "${what}"`);
      return new ort.Tensor('float32', withoutPositions(t.data as Float32Array, layers * heads, total, headDim, start, q), kept);
    };
    return { keys: cut(present.keys, 'keys'), values: cut(present.values, 'values') };
  }

  async dispose(): Promise<void> {
    await this.graph.release();
  }
}

/** Positions from, from + 1, … (count of them). */
function range(from: number, count: number): BigInt64Array {
  return BigInt64Array.from({ length: count }, (_, i) => BigInt(from + i));
}

/**
 * `blocks` blocks of [tokens, d] (layers × heads of a cache) less the `count` positions from
 * `start`: attention has no mask, so the order of the positions left does not matter, and the
 * graph appends the query block's own keys and values after them.
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
