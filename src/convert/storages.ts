/**
 * The weight storages a conversion can write, and which one suits a device: the one owner of that
 * choice for the converter, the download catalogue and the extension. No imports, so the extension
 * bundle can read it without taking in the converter.
 */

/**
 * How the weight matrices are stored; vectors (norms, biases) always stay fp32. int8 and int4 store
 * the Linear layers for MatMulNBits (the embedding table stays fp16).
 */
export type WeightStorage = 'fp32' | 'fp16' | 'int8' | 'int4';

export const WEIGHT_STORAGES: readonly WeightStorage[] = ['fp32', 'fp16', 'int8', 'int4'];

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
