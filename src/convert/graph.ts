/**
 * A small builder for the converter's ONNX graphs: each operator call adds one node and returns
 * its output's name, constants go inline, and weights become external initializers placed in the
 * weights layout in the order the graph first uses them (which is the order they are streamed).
 * Weights stored as fp16 are cast to fp32 once where the graph reads them; onnxruntime folds the
 * cast into an fp32 constant at load, so the graph computes in fp32 either way. With int8 / int4
 * storage every Linear is one com.microsoft.MatMulNBits over its quantized matrix instead, with
 * int8-channel one com.microsoft.DynamicQuantizeMatMul over int8 codes per output channel (a tied
 * head gets a quantized copy of the table either way), and the other matrices (the embedding table)
 * stay fp16.
 */
import { onnx } from 'onnx-proto';
import { AttributeValue, DataType, MS_DOMAIN, inlineTensorProto, externalTensorProto, nodeProto } from './onnx';
import { QUANT_BLOCK, QuantBits, quantizedShapes } from './quantize';
import { channelShapes } from './quantizeChannel';
import { QuantPart, WeightStorage, WeightsLayout, storageBits } from './weightsFile';

/**
 * MatMulNBits' accuracy_level 4: activations quantized to int8 per block and multiplied in int8
 * (AVX-512 VNNI / AVX2 / NEON kernels), measured faster than level 0's fp32 compute at a drift
 * within the weights' own (models/README.md).
 */
const ACCURACY_LEVEL = 4;

/** A quantized matrix's initializers, in MatMulNBits' input order. */
interface QuantizedWeight {
  data: string;
  scales: string;
  zeroPoints: string;
  n: number;
  k: number;
  bits: QuantBits;
}

export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private count = 0;
  private readonly stored = new Map<string, { name: string; type: DataType }>();
  private readonly asFloat = new Map<string, string>();
  private readonly quantized = new Map<string, QuantizedWeight>();
  private readonly perChannel = new Map<string, { data: string; scales: string }>();

  constructor(
    private readonly layout: WeightsLayout,
    private readonly storage: WeightStorage,
    /** Every weight's shape, by checkpoint name. */
    private readonly shapes: ReadonlyMap<string, readonly number[]>,
  ) {}

  /** Adds one node with a single output; returns the output's name. */
  op(op: string, inputs: readonly string[], attributes?: Readonly<Record<string, AttributeValue>>, hint?: string): string {
    const [out] = this.opN(op, inputs, 1, attributes, hint);
    return out!;
  }

  /** Adds one node with `n` outputs. */
  opN(op: string, inputs: readonly string[], n: number, attributes?: Readonly<Record<string, AttributeValue>>, hint?: string): string[] {
    const id = `${hint ?? op}_${this.count++}`;
    const outputs = Array.from({ length: n }, (_, i) => (n === 1 ? id : `${id}:${i}`));
    this.nodes.push(nodeProto({ op, inputs, outputs, name: id, attributes }));
    return outputs;
  }

  /** Adds one node whose output has a given name (a graph output). */
  named(op: string, inputs: readonly string[], output: string, attributes?: Readonly<Record<string, AttributeValue>>): string {
    this.nodes.push(nodeProto({ op, inputs, outputs: [output], name: output, attributes }));
    return output;
  }

  /** An inline int64 constant (shapes, axes, indices). */
  ints(values: readonly number[], scalar = false): string {
    const name = `const_${this.count++}`;
    this.initializers.push(inlineTensorProto(name, DataType.INT64, scalar ? [] : [values.length], values));
    return name;
  }

  /** An inline float32 constant. */
  floats(values: readonly number[] | Float32Array, scalar = false): string {
    const name = `const_${this.count++}`;
    this.initializers.push(inlineTensorProto(name, DataType.FLOAT, scalar ? [] : [values.length], Array.from(values)));
    return name;
  }

  /**
   * The weight as stored: matrices in the chosen storage, vectors always fp32 (they are tiny, and
   * norm weights are where fp16's range and precision would cost most).
   */
  storedWeight(name: string): { name: string; type: DataType } {
    const known = this.stored.get(name);
    if (known) return known;
    const dims = this.shapes.get(name);
    if (!dims) throw new Error(`no shape for weight ${name}`);
    const type = this.storage !== 'fp32' && dims.length > 1 ? DataType.FLOAT16 : DataType.FLOAT;
    const planned = this.layout.add(name, dims, type);
    this.initializers.push(externalTensorProto(name, type, dims, planned));
    const entry = { name, type };
    this.stored.set(name, entry);
    return entry;
  }

  /** The weight as fp32, through one Cast when it is stored as fp16. */
  weight(name: string): string {
    const known = this.asFloat.get(name);
    if (known) return known;
    const stored = this.storedWeight(name);
    const out = stored.type === DataType.FLOAT ? stored.name : this.toFloat(stored.name);
    this.asFloat.set(name, out);
    return out;
  }

  toFloat(input: string): string {
    return this.op('Cast', [input], { to: DataType.FLOAT }, 'cast');
  }

  /** x · Wᵀ (+ b) for a Hugging Face Linear weight W [out, in] and x [rows, in]. */
  linear(x: string, weight: string, bias?: string): string {
    if (this.storage === 'int8-channel') {
      const q = this.channelWeight(weight);
      // A [rows, K] · B [K, N] · b_scale, activations quantized to uint8 per tensor at run time; no
      // b_zero_point (symmetric codes); the bias as its fifth input.
      const inputs = [x, q.data, q.scales, ...(bias !== undefined ? ['', this.weight(bias)] : [])];
      const id = `linear_${this.count++}`;
      this.nodes.push(nodeProto({ op: 'DynamicQuantizeMatMul', domain: MS_DOMAIN, inputs, outputs: [id], name: id }));
      return id;
    }
    const bits = storageBits(this.storage);
    if (bits === undefined) {
      const inputs = [x, this.weight(weight), ...(bias !== undefined ? [this.weight(bias)] : [])];
      return this.op('Gemm', inputs, { transB: 1 }, 'linear');
    }
    const q = this.quantizedWeight(weight, bits);
    // A [rows, K] as it is (MatMulNBits takes A [..., K]); no g_idx; the bias as its sixth input.
    const inputs = [x, q.data, q.scales, q.zeroPoints, ...(bias !== undefined ? ['', this.weight(bias)] : [])];
    const id = `linear_${this.count++}`;
    const attributes = { K: q.k, N: q.n, bits: q.bits, block_size: QUANT_BLOCK, accuracy_level: ACCURACY_LEVEL };
    this.nodes.push(nodeProto({ op: 'MatMulNBits', domain: MS_DOMAIN, inputs, outputs: [id], name: id, attributes }));
    return id;
  }

  /** W [N, K] quantized, under its own names (a tied head's copy never clashes with the table). */
  private quantizedWeight(name: string, bits: QuantBits): QuantizedWeight {
    const known = this.quantized.get(name);
    if (known) return known;
    const dims = this.shapes.get(name);
    if (dims?.length !== 2) throw new Error(`no matrix shape for weight ${name}`);
    const [n, k] = dims as [number, number];
    const shapes = quantizedShapes(n, k, bits);
    const part = (suffix: string, partName: QuantPart, type: DataType, partDims: number[]): string => {
      const planned = this.layout.add(`${name}.${suffix}`, partDims, type, { source: name, part: partName, n, k, bits });
      this.initializers.push(externalTensorProto(planned.name, type, partDims, planned));
      return planned.name;
    };
    const q: QuantizedWeight = {
      data: part(`q${bits}`, 'data', DataType.UINT8, shapes.data),
      scales: part('scales', 'scales', DataType.FLOAT, shapes.scales),
      zeroPoints: part('zero_points', 'zeroPoints', DataType.UINT8, shapes.zeroPoints),
      n, k, bits,
    };
    this.quantized.set(name, q);
    return q;
  }

  /** W [N, K] as int8 codes B [K, N] and scales [N], under its own names (as quantizedWeight). */
  private channelWeight(name: string): { data: string; scales: string } {
    const known = this.perChannel.get(name);
    if (known) return known;
    const dims = this.shapes.get(name);
    if (dims?.length !== 2) throw new Error(`no matrix shape for weight ${name}`);
    const [n, k] = dims as [number, number];
    const shapes = channelShapes(n, k);
    const part = (suffix: string, partName: QuantPart, type: DataType, partDims: number[]): string => {
      const planned = this.layout.add(`${name}.${suffix}`, partDims, type, { source: name, part: partName, n, k, bits: 8, perChannel: true });
      this.initializers.push(externalTensorProto(planned.name, type, partDims, planned));
      return planned.name;
    };
    const q = { data: part('q8c', 'data', DataType.INT8, shapes.data), scales: part('channel_scales', 'scales', DataType.FLOAT, shapes.scales) };
    this.perChannel.set(name, q);
    return q;
  }
}
