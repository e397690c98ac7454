/**
 * Just enough of the ONNX protobuf format to write a small graph of standard operators in
 * memory (the engine's scoring graph), with initializers inline or as external data (tests of
 * model folders whose graphs share a weights file). Field numbers are those of onnx.proto3.
 */

type Field = Uint8Array;

function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const utf8 = new TextEncoder();

function concat(parts: readonly Field[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Wire type 0: integers and enums. */
export function intField(field: number, value: number | bigint): Field {
  return Uint8Array.from([...varint(field << 3), ...varint(value)]);
}

/** Wire type 2: bytes, strings and embedded messages. */
export function bytesField(field: number, payload: Uint8Array | string): Field {
  const bytes = typeof payload === 'string' ? utf8.encode(payload) : payload;
  return concat([Uint8Array.from([...varint((field << 3) | 2), ...varint(bytes.length)]), bytes]);
}

export function message(...fields: Field[]): Uint8Array {
  return concat(fields);
}

export const TensorType = { float: 1, int64: 7 } as const;

/** ValueInfoProto of a tensor; a string dim is symbolic. */
export function valueInfo(name: string, elemType: number, dims: readonly (number | string)[]): Field {
  const shape = message(...dims.map((d) => bytesField(1, typeof d === 'number' ? intField(1, d) : bytesField(2, d))));
  const tensorType = message(intField(1, elemType), bytesField(2, shape));
  return message(bytesField(1, name), bytesField(2, bytesField(1, tensorType)));
}

export type Attribute = { name: string; int: number } | { name: string; ints: readonly number[] };

/** NodeProto of a default-domain operator. */
export function node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: readonly Attribute[] = []): Field {
  const attrs = attributes.map((a) =>
    'int' in a
      ? message(bytesField(1, a.name), intField(3, a.int), intField(20, 2))
      : message(bytesField(1, a.name), ...a.ints.map((i) => intField(8, i)), intField(20, 7)),
  );
  return message(
    ...inputs.map((i) => bytesField(1, i)),
    ...outputs.map((o) => bytesField(2, o)),
    bytesField(3, `${opType}_${outputs[0]}`),
    bytesField(4, opType),
    ...attrs.map((a) => bytesField(5, a)),
  );
}

/**
 * TensorProto of a float initializer: inline, or external data `{ location, offset }` (relative to
 * the graph's folder) holding `values.length` little-endian floats.
 */
export function floatTensor(name: string, dims: readonly number[], values: Float32Array, external?: { location: string; offset: number }): Field {
  const shape = dims.map((d) => intField(1, d));
  if (external === undefined) {
    const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    return message(...shape, intField(2, TensorType.float), bytesField(8, name), bytesField(9, raw));
  }
  const entry = (key: string, value: string) => bytesField(13, message(bytesField(1, key), bytesField(2, value)));
  return message(
    ...shape,
    intField(2, TensorType.float),
    bytesField(8, name),
    entry('location', external.location),
    entry('offset', String(external.offset)),
    entry('length', String(values.byteLength)),
    intField(14, 1), // data_location EXTERNAL
  );
}

/** ModelProto (IR version 8) of one graph in the default domain at `opset`. */
export function model(
  graph: { name: string; nodes: Field[]; inputs: Field[]; outputs: Field[]; initializers?: Field[] },
  opset: number,
): Uint8Array {
  const g = message(
    ...graph.nodes.map((n) => bytesField(1, n)),
    bytesField(2, graph.name),
    ...(graph.initializers ?? []).map((t) => bytesField(5, t)),
    ...graph.inputs.map((i) => bytesField(11, i)),
    ...graph.outputs.map((o) => bytesField(12, o)),
  );
  return message(intField(1, 8), bytesField(2, 'dllm-complete'), bytesField(7, g), bytesField(8, message(bytesField(1, ''), intField(2, opset))));
}
