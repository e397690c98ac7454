/**
 * The split contract: the `context` graph encodes prefix+suffix once per request into keys and
 * values (context tokens never attend to the canvas, so this cache is exact), and the `denoise`
 * graph runs only the N canvas positions against them, once per pass.
 */
import * as ort from 'onnxruntime-node';
import type { KvCacheShape } from '../manifest';
import { CanvasModel, CanvasPass, SequenceLayout, canvasOffset, contextTokens } from './model';

export const SPLIT_CONTEXT_IO = { inputs: ['input_ids', 'position_ids'], outputs: ['keys', 'values'] } as const;
export const SPLIT_DENOISE_IO = { inputs: ['canvas_ids', 'canvas_position_ids', 'keys', 'values'], outputs: ['logits'] } as const;

export class SplitModel implements CanvasModel {
  constructor(
    private readonly context: ort.InferenceSession,
    private readonly denoise: ort.InferenceSession,
    readonly vocabSize: number,
    private readonly kv: KvCacheShape,
  ) {}

  async begin(layout: SequenceLayout): Promise<CanvasPass> {
    const started = performance.now();
    const { ids, positions } = contextTokens(layout);
    let keys: ort.Tensor;
    let values: ort.Tensor;
    if (ids.length === 0) {
      // No context at all: an empty cache, no context pass.
      const dims = [this.kv.layers, 1, this.kv.heads, 0, this.kv.headDim];
      keys = new ort.Tensor('float32', new Float32Array(0), dims);
      values = new ort.Tensor('float32', new Float32Array(0), dims);
    } else {
      const out = await this.context.run({
        input_ids: int64Tensor(ids),
        position_ids: int64Tensor(positions),
      });
      keys = out.keys as ort.Tensor;
      values = out.values as ort.Tensor;
      expectDims(keys, [this.kv.layers, 1, this.kv.heads, ids.length, this.kv.headDim], 'context graph "keys"');
    }
    const encodeMs = performance.now() - started;

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
          canvas_ids: new ort.Tensor('int64', canvasIds, [1, n]),
          canvas_position_ids: canvasPositions,
          keys,
          values,
        });
        const logits = out.logits as ort.Tensor;
        expectDims(logits, [1, n, v], 'denoise graph "logits"');
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
