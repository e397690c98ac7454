/**
 * The ONNX protobuf messages the converter writes, through onnx-proto's generated encoder (never a
 * hand-written one): nodes, tensor metadata for weights kept as external data, small inline
 * constants, and the model itself. Only metadata lives in the graph proto, so a model of any size
 * encodes to a few hundred kilobytes.
 */
import { onnx } from 'onnx-proto';

/** The opset the graphs use: LayerNormalization-era operators that onnxruntime 1.30 runs and fuses. */
export const OPSET = 17;
/** IR version 8 is the one that goes with opset 17. */
const IR_VERSION = 8;
/** onnxruntime's contrib operators (MatMulNBits): imported only by graphs that use one. */
export const MS_DOMAIN = 'com.microsoft';
const MS_OPSET = 1;

export const DataType = onnx.TensorProto.DataType;
export type DataType = onnx.TensorProto.DataType;

/** Bytes per element of the element types the converter writes. */
export function elementBytes(type: DataType): number {
  switch (type) {
    case DataType.FLOAT:
      return 4;
    case DataType.FLOAT16:
      return 2;
    case DataType.UINT8:
    case DataType.INT8:
      return 1;
    case DataType.INT64:
      return 8;
    default:
      throw new Error(`no element size for ONNX data type ${type}`);
  }
}

/** A node attribute value: ints, floats, or one of each. */
export type AttributeValue = number | readonly number[] | { float: number };

export interface NodeSpec {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  attributes?: Readonly<Record<string, AttributeValue>>;
  /** The operator's domain; absent for the standard (ai.onnx) operators. */
  domain?: string;
}

export function nodeProto(spec: NodeSpec): onnx.INodeProto {
  const attribute = Object.entries(spec.attributes ?? {}).map(([name, value]) => attributeProto(name, value));
  return { opType: spec.op, input: [...spec.inputs], output: [...spec.outputs], name: spec.name, attribute, ...(spec.domain ? { domain: spec.domain } : {}) };
}

function attributeProto(name: string, value: AttributeValue): onnx.IAttributeProto {
  const Type = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: use { float } for a float value`);
    return { name, type: Type.INT, i: value };
  }
  if ('float' in value) return { name, type: Type.FLOAT, f: value.float };
  return { name, type: Type.INTS, ints: [...value] };
}

/** Where one weight lies in the external data file beside the graph. */
export interface ExternalPlacement {
  location: string;
  offset: number;
  length: number;
}

/** A weight's metadata: its values are at `placement` in the data file, read by onnxruntime at load. */
export function externalTensorProto(name: string, type: DataType, dims: readonly number[], placement: ExternalPlacement): onnx.ITensorProto {
  return {
    name,
    dataType: type,
    dims: [...dims],
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: placement.location },
      { key: 'offset', value: String(placement.offset) },
      { key: 'length', value: String(placement.length) },
    ],
  };
}

/** A small constant stored inside the graph (shapes, axes, scalars). */
export function inlineTensorProto(name: string, type: DataType, dims: readonly number[], values: readonly number[]): onnx.ITensorProto {
  if (type === DataType.INT64) return { name, dataType: type, dims: [...dims], int64Data: [...values] };
  return { name, dataType: type, dims: [...dims], floatData: [...values] };
}

/** A dimension: a number, or a symbolic name (e.g. the sequence length `L`). */
export type Dim = number | string;

export function valueInfoProto(name: string, type: DataType, dims: readonly Dim[]): onnx.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: type, shape: { dim } } } };
}

export interface GraphParts {
  name: string;
  nodes: onnx.INodeProto[];
  initializers: onnx.ITensorProto[];
  inputs: onnx.IValueInfoProto[];
  outputs: onnx.IValueInfoProto[];
  /** Written into the model's metadata_props (what it was converted from, and how). */
  metadata?: Readonly<Record<string, string>>;
}

/** The serialized model, ready to write as `model.onnx`. */
export function encodeModel(parts: GraphParts): Uint8Array {
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'dllm-complete convert',
    opsetImport: [{ domain: '', version: OPSET }, ...(parts.nodes.some((n) => n.domain === MS_DOMAIN) ? [{ domain: MS_DOMAIN, version: MS_OPSET }] : [])],
    graph: {
      name: parts.name,
      node: parts.nodes,
      initializer: parts.initializers,
      input: parts.inputs,
      output: parts.outputs,
    },
    metadataProps: Object.entries(parts.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  return onnx.ModelProto.encode(model).finish();
}
