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
import type { KvCacheShape } from '../../modelFolder/manifest';
import { GRAPHS } from '../../modelFolder/graphs';
export { CACHED_IO } from '../../modelFolder/graphs';
import { logitRows } from './full';
import { CanvasModel, CanvasPass, SequenceLayout, canvasOffset } from './model';
import { expectDims } from './split';

const { inputs: IN, outputs: OUT } = GRAPHS.cached;
import { LaidOut, Move, alignSequences, joinPositions, rotateKeys, slicePositions, uncovered } from './cachedReuse';
import { LRUCache } from 'lru-cache';


interface Kv {
  keys: ort.Tensor;
  values: ort.Tensor;
}

/** A document's keys and values of every position at its last refresh, for its next request. */
interface Snapshot {
  laid: LaidOut;
  /** [layers · heads, tokens, headDim], positions in order. */
  keys: Float32Array;
  values: Float32Array;
  /** Passes run since that refresh (the refresh included). */
  age: number;
}

export interface CachedModelOptions {
  /** Passes between refreshes; 0: every pass is a refresh (exact mode). */
  refreshEvery: number;
  /** The rotary base, which moves a reused key to a new position; absent: only tokens that keep their position are reused. */
  ropeTheta?: number;
  /** Memory for the documents' snapshots; 0 keeps none. */
  maxDocumentBytes?: number;
}

export class CachedModel implements CanvasModel {
  readonly refreshEvery: number;
  private readonly documents: LRUCache<string, Snapshot> | undefined;

  constructor(
    private readonly graph: ort.InferenceSession,
    readonly vocabSize: number,
    private readonly kv: KvCacheShape,
    private readonly shiftedLogits: boolean,
    private readonly options: CachedModelOptions,
  ) {
    const { refreshEvery, maxDocumentBytes = 0 } = options;
    if (!Number.isInteger(refreshEvery) || refreshEvery < 0) throw new Error(`refreshEvery must be an integer >= 0, got ${refreshEvery}`);
    this.refreshEvery = refreshEvery;
    this.documents = refreshEvery > 0 && maxDocumentBytes > 0 ? new LRUCache({ maxSize: maxDocumentBytes, sizeCalculation: (s) => Math.max(1, s.keys.byteLength * 2) }) : undefined;
  }

  begin(layout: SequenceLayout, document?: string): Promise<CanvasPass> {
    const n = layout.canvasLength;
    const offset = canvasOffset(layout);
    const sequence = [...layout.head, ...layout.prefix, ...new Array<number>(n).fill(0), ...layout.suffix, ...layout.tail];
    const ids = BigInt64Array.from(sequence, (x) => BigInt(x));
    const total = ids.length;
    const rows = logitRows(offset, n, this.shiftedLogits);
    const start = Math.min(offset, rows[0] ?? offset);
    const q = offset + n - start;
    const laid: LaidOut = { ids, head: layout.head.length, canvasStart: offset, canvasEnd: offset + n };
    const allPositions = range(0, total);
    const blockPositions = range(start, q);
    const allRows = BigInt64Array.from(rows, (r) => BigInt(r));
    const blockRows = BigInt64Array.from(rows, (r) => BigInt(r - start));
    const every = Math.max(1, this.refreshEvery);
    let warm = document === undefined ? undefined : this.warmStart(document, laid, start, q, every);
    let encodeMs = 0;
    let snapshot: Snapshot | undefined;
    let cached: Kv | undefined;
    const keep = (all: { keys: Float32Array; values: Float32Array }, age: number): void => {
      if (this.refreshEvery === 0) return;
      snapshot = { laid: { ...laid, ids: ids.slice() }, ...all, age };
      cached = this.withoutBlock(all, total, start, q);
    };
    return Promise.resolve({
      get encodeMs(): number {
        return encodeMs;
      },
      contextReused: warm?.reused ?? 0,
      forward: async (canvas: Int32Array): Promise<Float32Array> => {
        for (let j = 0; j < n; j++) ids[offset + j] = BigInt(canvas[j] ?? 0);
        if (warm) {
          const { plan } = warm;
          warm = undefined;
          const started = performance.now();
          const out = await this.run(BigInt64Array.from(plan.query, (p) => ids[p]!), BigInt64Array.from(plan.query, BigInt), plan.past, plan.rows);
          keep(this.placeAll(plan, out.present, total), plan.age + 1);
          encodeMs += performance.now() - started;
          return out.logits;
        }
        if (!cached || !snapshot || snapshot.age >= every) {
          const started = performance.now();
          const out = await this.run(ids, allPositions, this.emptyCache(), allRows);
          keep({ keys: out.present.keys.data as Float32Array, values: out.present.values.data as Float32Array }, 1);
          encodeMs += performance.now() - started;
          return out.logits;
        }
        snapshot.age++;
        return (await this.run(ids.slice(start, start + q), blockPositions, cached, blockRows)).logits;
      },
      release: (): void => {
        if (document !== undefined && snapshot) this.documents?.set(document, snapshot);
        cached = undefined;
      },
    });
  }

  /** A document's earlier keys and values that this request can take, as its first pass's plan. */
  private warmStart(document: string, laid: LaidOut, start: number, q: number, every: number): { plan: WarmPlan; reused: number } | undefined {
    const earlier = this.documents?.get(document);
    if (!earlier || earlier.age >= every) return undefined;
    const theta = this.options.ropeTheta;
    const moves = alignSequences(earlier.laid, laid).filter((m) => theta !== undefined || m.from === m.to);
    // Moves never cover the canvas; the token before it (shifted logits) is recomputed with it.
    const kept = moves.map((m) => clip(m, start, start + q)).filter((m) => m.count > 0);
    const reused = kept.reduce((sum, m) => sum + m.count, 0);
    const total = laid.ids.length;
    // Worth it only when most of the context comes along.
    if (reused * 2 < total - q) return undefined;
    const { layers, heads, headDim } = this.kv;
    const blocks = layers * heads;
    const tokens = earlier.laid.ids.length;
    const take = (data: Float32Array, rotate: boolean): Float32Array =>
      joinPositions(
        kept.map((m) => {
          const slice = slicePositions(data, blocks, tokens, headDim, m.from, m.count);
          return { data: rotate ? rotateKeys(slice, headDim, m.to - m.from, theta ?? 1) : slice, tokens: m.count };
        }),
        blocks,
        headDim,
      );
    const query = uncovered(total, kept);
    const dims = [layers, 1, heads, reused, headDim];
    const past = { keys: new ort.Tensor('float32', take(earlier.keys, true), dims), values: new ort.Tensor('float32', take(earlier.values, false), dims) };
    const rowOf = new Map(query.map((p, i) => [p, i]));
    const rows = BigInt64Array.from(logitRows(laid.canvasStart, laid.canvasEnd - laid.canvasStart, this.shiftedLogits), (r) => BigInt(rowOf.get(r)!));
    return { plan: { kept, query, past, rows, age: earlier.age }, reused };
  }

  /** Every position's keys and values in order: the reused ones where they moved, the query's own at theirs. */
  private placeAll(plan: WarmPlan, present: Kv, total: number): { keys: Float32Array; values: Float32Array } {
    const { layers, heads, headDim: d } = this.kv;
    const blocks = layers * heads;
    const place = (past: ort.Tensor, own: ort.Tensor): Float32Array => {
      const out = new Float32Array(blocks * total * d);
      const pastData = past.data as Float32Array;
      const ownData = own.data as Float32Array;
      const reused = past.dims[3]!;
      const q = plan.query.length;
      for (let b = 0; b < blocks; b++) {
        let at = 0;
        for (const m of plan.kept) {
          out.set(pastData.subarray((b * reused + at) * d, (b * reused + at + m.count) * d), (b * total + m.to) * d);
          at += m.count;
        }
        plan.query.forEach((p, i) => out.set(ownData.subarray((b * q + i) * d, (b * q + i + 1) * d), (b * total + p) * d));
      }
      return out;
    };
    return { keys: place(plan.past.keys, present.keys), values: place(plan.past.values, present.values) };
  }

  forget(document: string): void {
    this.documents?.delete(document);
  }

  /** One run of the graph: the `rows` logits [rows × V] and the run's own keys and values. */
  private async run(ids: BigInt64Array, positions: BigInt64Array, past: Kv, rows: BigInt64Array): Promise<{ logits: Float32Array; present: Kv }> {
    const out = await this.graph.run({
      [IN.ids]: new ort.Tensor('int64', ids, [1, ids.length]),
      [IN.positions]: new ort.Tensor('int64', positions, [1, positions.length]),
      [IN.pastKeys]: past.keys,
      [IN.pastValues]: past.values,
      [IN.logitRows]: new ort.Tensor('int64', rows, [rows.length]),
    });
    const logits = out[OUT.logits] as ort.Tensor;
    expectDims(logits, [1, rows.length, this.vocabSize], `cached graph "${OUT.logits}"`);
    const present = { keys: out[OUT.keys] as ort.Tensor, values: out[OUT.values] as ort.Tensor };
    const dims = [this.kv.layers, 1, this.kv.heads, ids.length, this.kv.headDim];
    expectDims(present.keys, dims, `cached graph "${OUT.keys}"`);
    expectDims(present.values, dims, `cached graph "${OUT.values}"`);
    return { logits: logits.data as Float32Array, present };
  }

  private emptyCache(): Kv {
    const dims = [this.kv.layers, 1, this.kv.heads, 0, this.kv.headDim];
    return { keys: new ort.Tensor('float32', new Float32Array(0), dims), values: new ort.Tensor('float32', new Float32Array(0), dims) };
  }

  /** Keys and values of all `total` positions, less the q of the query block from `start`. */
  private withoutBlock(all: { keys: Float32Array; values: Float32Array }, total: number, start: number, q: number): Kv {
    const { layers, heads, headDim } = this.kv;
    const kept = [layers, 1, heads, total - q, headDim];
    const cut = (data: Float32Array): ort.Tensor => new ort.Tensor('float32', withoutPositions(data, layers * heads, total, headDim, start, q), kept);
    return { keys: cut(all.keys), values: cut(all.values) };
  }

  async dispose(): Promise<void> {
    this.documents?.clear();
    await this.graph.release();
  }
}

/** A warm request's first pass: the query positions, the reused keys/values, the canvas rows among the query's. */
interface WarmPlan {
  kept: Move[];
  query: number[];
  past: Kv;
  rows: BigInt64Array;
  age: number;
}

/** The part of a move outside [from, to) of the new sequence, where it is one run (a move never spans the block). */
function clip(m: Move, from: number, to: number): Move {
  if (m.to + m.count <= from || m.to >= to) return m;
  // Only the prefix's move can reach into the block, from before it.
  const count = Math.max(0, from - m.to);
  return { ...m, count };
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
