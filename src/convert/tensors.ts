/**
 * What the graph writer needs of a checkpoint: its tensors' names, shapes and dtypes, and each
 * tensor's values read one at a time (so converting never holds the whole model). The checkpoint
 * reader (checkpoint.ts) implements it over safetensors files; tests implement it in memory.
 */

/** Element types the converter reads (safetensors' names). */
export type SourceDtype = 'F32' | 'F16' | 'BF16';

export interface TensorInfo {
  name: string;
  dtype: SourceDtype;
  /** Row-major, outermost first. */
  shape: readonly number[];
}

export interface TensorSource {
  /** Every tensor, by name. */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** The values of one tensor as fp32 (bf16 and fp16 widen exactly). */
  readFloat32(name: string): Float32Array;
}
