/**
 * Scoring on onnxruntime instead of in JavaScript: the softmax over the vocabulary for every
 * canvas position is most of a pass's non-model time in JS (N × V exponentials), and a tiny
 * graph of standard operators does it vectorised. Same results as sampler/scoring.ts at
 * temperature 0 (float32 rounding aside); temperature > 0 stays in JS, which needs the whole
 * distribution.
 *
 * Graph: x = logits + bias (bias: 0, or -inf for banned tokens); p = Softmax(x);
 * best = ArgMax(x); confidence = ReduceMax(p); current = GatherElements(p, tokens).
 */
import * as ort from 'onnxruntime-node';
import type { Canvas } from '../canvas';
import type { Scores } from '../sampler/scoring';
import { TensorType, model, node, valueInfo } from './onnxProto';

export function scoringGraph(): Uint8Array {
  return model(
    {
      name: 'canvas_scoring',
      inputs: [valueInfo('logits', TensorType.float, ['N', 'V']), valueInfo('bias', TensorType.float, ['V']), valueInfo('tokens', TensorType.int64, ['N', 1])],
      outputs: [valueInfo('best', TensorType.int64, ['N']), valueInfo('confidence', TensorType.float, ['N']), valueInfo('current', TensorType.float, ['N', 1])],
      nodes: [
        node('Add', ['logits', 'bias'], ['x']),
        node('Softmax', ['x'], ['p'], [{ name: 'axis', int: -1 }]),
        node('ArgMax', ['x'], ['best'], [{ name: 'axis', int: -1 }, { name: 'keepdims', int: 0 }]),
        node('ReduceMax', ['p'], ['confidence'], [{ name: 'axes', ints: [-1] }, { name: 'keepdims', int: 0 }]),
        node('GatherElements', ['p', 'tokens'], ['current'], [{ name: 'axis', int: 1 }]),
      ],
    },
    13,
  );
}

export class OnnxScorer {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly bias: ort.Tensor,
    private readonly vocabSize: number,
  ) {}

  /** A scorer for a vocabulary with `banned` tokens, on the CPU with `threads` threads. */
  static async create(banned: Uint8Array, threads: number): Promise<OnnxScorer> {
    const session = await ort.InferenceSession.create(scoringGraph(), {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
    });
    const bias = Float32Array.from(banned, (b) => (b ? -Infinity : 0));
    return new OnnxScorer(session, new ort.Tensor('float32', bias, [banned.length]), banned.length);
  }

  /** Scores positions [0, limit) like scoreCanvas at temperature 0. logits: [N × V]. */
  async score(logits: Float32Array, canvas: Canvas, limit: number, scoreCommitted: boolean): Promise<Scores> {
    const n = canvas.length;
    const v = this.vocabSize;
    const candidate = new Int32Array(n).fill(-1);
    const confidence = new Float32Array(n);
    const currentProb = new Float32Array(n).fill(Number.NaN);
    // Only the rows that need scoring, packed.
    const rows: number[] = [];
    for (let i = 0; i < Math.min(limit, n); i++) if (!canvas.committed[i] || scoreCommitted) rows.push(i);
    if (rows.length === 0) return { candidate, confidence, currentProb };
    let packed = logits.subarray(0, n * v);
    if (rows.length < n) {
      packed = new Float32Array(rows.length * v);
      rows.forEach((i, r) => packed.set(logits.subarray(i * v, (i + 1) * v), r * v));
    }
    const tokens = BigInt64Array.from(rows, (i) => BigInt(canvas.committed[i] ? canvas.ids[i]! : 0));
    const out = await this.session.run({
      logits: new ort.Tensor('float32', packed, [rows.length, v]),
      bias: this.bias,
      tokens: new ort.Tensor('int64', tokens, [rows.length, 1]),
    });
    const best = out.best!.data as BigInt64Array;
    const conf = out.confidence!.data as Float32Array;
    const current = out.current!.data as Float32Array;
    rows.forEach((i, r) => {
      if (canvas.committed[i]) {
        currentProb[i] = current[r]!;
      } else {
        candidate[i] = Number(best[r]);
        confidence[i] = conf[r]!;
      }
    });
    return { candidate, confidence, currentProb };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
