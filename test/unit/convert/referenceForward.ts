/**
 * Test helper: the families' forward pass written out as loops over small matrices, in float64,
 * straight from the published modelling code's description (no graph code shared), to check the
 * converter's ONNX graph against. Returns logits [L][V]. SDAR adds RMSNorm on each query and key
 * head and its block-causal rule: position i sees j only when j's block is not after i's.
 */
import { type TinySpec, headSize } from './tinyCheckpoint';

type Matrix = number[][];

/** x · Wᵀ + b for a Linear weight W stored [out, in]. */
function linear(x: Matrix, w: Float32Array, out: number, bias?: Float32Array): Matrix {
  const inn = w.length / out;
  return x.map((row) =>
    Array.from({ length: out }, (_, o) => {
      let s = bias ? bias[o]! : 0;
      for (let i = 0; i < inn; i++) s += row[i]! * w[o * inn + i]!;
      return s;
    }),
  );
}

function rmsNorm(x: Matrix, w: Float32Array, eps: number): Matrix {
  return x.map((row) => {
    const ms = row.reduce((a, v) => a + v * v, 0) / row.length;
    const r = 1 / Math.sqrt(ms + eps);
    return row.map((v, i) => v * r * w[i]!);
  });
}

/** Rotary embedding of one head's vector at `pos`: rotate_half pairs element i with i + d/2. */
function rope(v: number[], pos: number, theta: number): number[] {
  const d = v.length;
  const half = d / 2;
  const out = v.slice();
  for (let i = 0; i < half; i++) {
    const angle = pos * (1 / theta ** ((2 * i) / d));
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    out[i] = v[i]! * c - v[i + half]! * s;
    out[i + half] = v[i + half]! * c + v[i]! * s;
  }
  return out;
}

const silu = (x: number): number => x / (1 + Math.exp(-x));

function names(spec: TinySpec, i: number) {
  if (spec.family !== 'llada') {
    const p = `model.layers.${i}.`;
    return {
      attnNorm: `${p}input_layernorm.weight`, q: `${p}self_attn.q_proj.`, k: `${p}self_attn.k_proj.`, v: `${p}self_attn.v_proj.`,
      o: `${p}self_attn.o_proj.weight`, mlpNorm: `${p}post_attention_layernorm.weight`, gate: `${p}mlp.gate_proj.weight`,
      up: `${p}mlp.up_proj.weight`, down: `${p}mlp.down_proj.weight`, bias: spec.family !== 'sdar',
      ...(spec.family === 'sdar' ? { qNorm: `${p}self_attn.q_norm.weight`, kNorm: `${p}self_attn.k_norm.weight` } : {}),
    };
  }
  const p = `model.transformer.blocks.${i}.`;
  return {
    attnNorm: `${p}attn_norm.weight`, q: `${p}q_proj.`, k: `${p}k_proj.`, v: `${p}v_proj.`, o: `${p}attn_out.weight`,
    mlpNorm: `${p}ff_norm.weight`, gate: `${p}ff_proj.weight`, up: `${p}up_proj.weight`, down: `${p}ff_out.weight`,
    bias: spec.qkvBias ?? false,
  };
}

export function referenceLogits(spec: TinySpec, weights: ReadonlyMap<string, Float32Array>, ids: readonly number[]): Matrix {
  const w = (name: string): Float32Array => {
    const t = weights.get(name);
    if (!t) throw new Error(`reference: no ${name}`);
    return t;
  };
  // SDAR keeps Dream's (Qwen's) names.
  const dream = spec.family !== 'llada';
  const { hidden: h, heads, kvHeads } = spec;
  const d = headSize(spec);
  const block = (pos: number): number => (spec.blockLength === undefined ? 0 : Math.floor(pos / spec.blockLength));
  /** One head's query or key: its own RMSNorm when the family has one, then the rotation. */
  const headVector = (v: number[], pos: number, norm?: string): number[] => rope(norm ? rmsNorm([v], w(norm), spec.eps)[0]! : v, pos, spec.ropeTheta);
  const embed = w(dream ? 'model.embed_tokens.weight' : 'model.transformer.wte.weight');
  let x: Matrix = ids.map((id) => Array.from(embed.subarray(id * h, (id + 1) * h)));
  const L = ids.length;
  for (let layer = 0; layer < spec.layers; layer++) {
    const n = names(spec, layer);
    const xn = rmsNorm(x, w(n.attnNorm), spec.eps);
    const q = linear(xn, w(`${n.q}weight`), heads * d, n.bias ? w(`${n.q}bias`) : undefined);
    const k = linear(xn, w(`${n.k}weight`), kvHeads * d, n.bias ? w(`${n.k}bias`) : undefined);
    const v = linear(xn, w(`${n.v}weight`), kvHeads * d, n.bias ? w(`${n.v}bias`) : undefined);
    const ctx: Matrix = Array.from({ length: L }, () => new Array<number>(heads * d).fill(0));
    for (let hh = 0; hh < heads; hh++) {
      const kv = Math.floor(hh / (heads / kvHeads));
      const qh = q.map((row, pos) => headVector(row.slice(hh * d, (hh + 1) * d), pos, n.qNorm));
      const kh = k.map((row, pos) => headVector(row.slice(kv * d, (kv + 1) * d), pos, n.kNorm));
      for (let i = 0; i < L; i++) {
        // Bidirectional, or no key from a later block than the query's (exp(−∞) = 0).
        const scores = kh.map((kr, j) => (block(j) > block(i) ? -Infinity : kr.reduce((a, kv2, c) => a + kv2 * qh[i]![c]!, 0) / Math.sqrt(d)));
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const sum = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j < L; j++) for (let c = 0; c < d; c++) ctx[i]![hh * d + c]! += (e[j]! / sum) * v[j]![kv * d + c]!;
      }
    }
    const attn = linear(ctx, w(n.o), h);
    x = x.map((row, i) => row.map((val, c) => val + attn[i]![c]!));
    const hn = rmsNorm(x, w(n.mlpNorm), spec.eps);
    const gate = linear(hn, w(n.gate), spec.ffn);
    const up = linear(hn, w(n.up), spec.ffn);
    const act = gate.map((row, i) => row.map((g, c) => silu(g) * up[i]![c]!));
    const down = linear(act, w(n.down), h);
    x = x.map((row, i) => row.map((val, c) => val + down[i]![c]!));
  }
  const normed = rmsNorm(x, w(dream ? 'model.norm.weight' : 'model.transformer.ln_f.weight'), spec.eps);
  const headName = spec.tied ? (dream ? 'model.embed_tokens.weight' : 'model.transformer.wte.weight') : dream ? 'lm_head.weight' : 'model.transformer.ff_out.weight';
  return linear(normed, w(headName), spec.vocab);
}
