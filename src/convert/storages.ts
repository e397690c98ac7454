/**
 * The weight storages a conversion can write, and which one suits a device: the one owner of that
 * choice for the converter, the download catalogue and the extension. No imports, so the extension
 * bundle can read it without taking in the converter.
 */

/**
 * How the weight matrices are stored; vectors (norms, biases) always stay fp32. int8 and int4 store
 * the Linear layers for MatMulNBits (blocks of 32 weights, each with a scale and a zero point).
 * int8-channel stores them as symmetric int8 with one scale per output channel for
 * DynamicQuantizeMatMul, which quantizes the activations to uint8 per tensor at run time: the
 * fastest on a CPU with AVX-512 VNNI, at the cost of a per-tensor activation scale (an input
 * channel of outsized values coarsens every other one). With every quantized storage the embedding
 * table stays fp16.
 */
export type WeightStorage = 'fp32' | 'fp16' | 'int8' | 'int4' | 'int8-channel';

export const WEIGHT_STORAGES: readonly WeightStorage[] = ['fp32', 'fp16', 'int8', 'int4', 'int8-channel'];

/**
 * int8: measured the fastest on a CPU (faster than int4 and fp32), with a fifth to a tenth of int4's
 * logit drift; int4 is the smaller folder (a 0.5 B model: 820 MiB int8, 578 MiB int4, 947 MiB fp16).
 */
const STORAGE_FOR_CPU: WeightStorage = 'int8';

/**
 * The storage that suits a device: fp16 for a GPU (its providers run fp16 natively); for a CPU,
 * STORAGE_FOR_CPU (measured on a 2-core AVX-512 VNNI CPU, models/README.md "Weights per device").
 */
export function weightsForDevice(device: 'cpu' | 'gpu'): WeightStorage {
  return device === 'gpu' ? 'fp16' : STORAGE_FOR_CPU;
}
