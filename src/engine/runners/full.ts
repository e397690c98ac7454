/**
 * The full contract: one graph over the whole sequence every pass (LLaDA, Dream, … exports).
 * With `shiftedLogits` (Dream family) the token at position i is predicted by logits[i − 1].
 */
import * as ort from 'onnxruntime-node';
import { FULL_IO, GRAPHS } from '../../modelFolder/graphs';
import { CanvasModel, CanvasPass, SequenceLayout, canvasOffset } from './model';
import { expectDims } from './split';

export { FULL_IO };
const { inputs: IN, outputs: OUT } = GRAPHS.full;

export class FullModel implements CanvasModel {
  constructor(
    private readonly model: ort.InferenceSession,
    readonly vocabSize: number,
    private readonly shiftedLogits: boolean,
  ) {}

  begin(layout: SequenceLayout): Promise<CanvasPass> {
    const n = layout.canvasLength;
    const offset = canvasOffset(layout);
    const sequence = [...layout.head, ...layout.prefix, ...new Array<number>(n).fill(0), ...layout.suffix, ...layout.tail];
    const ids = BigInt64Array.from(sequence, (x) => BigInt(x));
    const total = ids.length;
    const v = this.vocabSize;
    const rows = logitRows(offset, n, this.shiftedLogits);
    const model = this.model;
    return Promise.resolve({
      encodeMs: 0,
      async forward(canvas: Int32Array): Promise<Float32Array> {
        for (let j = 0; j < n; j++) ids[offset + j] = BigInt(canvas[j] ?? 0);
        const out = await model.run({ [IN.ids]: new ort.Tensor('int64', ids, [1, total]) });
        const logits = out[OUT.logits] as ort.Tensor;
        expectDims(logits, [1, total, v], `model graph "${OUT.logits}"`);
        const all = logits.data as Float32Array;
        const picked = new Float32Array(n * v);
        for (let j = 0; j < n; j++) picked.set(all.subarray(rows[j]! * v, (rows[j]! + 1) * v), j * v);
        return picked;
      },
      release(): void {},
    });
  }

  async dispose(): Promise<void> {
    await this.model.release();
  }
}

/**
 * Which logits row predicts each canvas position. Shifted: the row before it; a canvas at
 * position 0 has no row before it, so it borrows row 0 (only when there is no head or prefix).
 */
export function logitRows(offset: number, n: number, shifted: boolean): number[] {
  return Array.from({ length: n }, (_, j) => (shifted ? Math.max(0, offset + j - 1) : offset + j));
}
