import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

/**
 * The ONNX protobuf schema, encoded with protobufjs from the vendored `onnx.proto` (ONNX 1.23.1,
 * Apache-2.0; see the comment at its top). The schema is parsed once, on first use, with field
 * names kept as the .proto spells them, so the objects below read like the ONNX spec
 * (`op_type`, `raw_data`, `opset_import`). Only the fields rnnc writes are typed here.
 */

// Beside this module in src/export/ and dist/export/; scripts/bundle.mjs copies it there, and
// the CLI bundle (dist/cli-bundle/) finds it at the same relative path.
const SCHEMA_URL = new URL('../export/onnx.proto', import.meta.url);

/** TensorProto.DataType values rnnc uses. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** AttributeProto.AttributeType values rnnc uses. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export interface TensorProto {
  name?: string;
  dims: number[];
  data_type: DataTypeCode;
  /** Little-endian element bytes. */
  raw_data: Uint8Array;
}

export interface AttributeProto {
  name: string;
  type: (typeof AttributeType)[keyof typeof AttributeType];
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
}

export interface NodeProto {
  name: string;
  op_type: string;
  input: string[];
  output: string[];
  attribute: AttributeProto[];
  doc_string?: string;
}

/** A dimension: a fixed size or a symbolic name (`batch`). */
export type Dim = { dim_value: number } | { dim_param: string };

export interface ValueInfoProto {
  name: string;
  doc_string?: string;
  type: { tensor_type: { elem_type: DataTypeCode; shape: { dim: Dim[] } } };
}

export interface GraphProto {
  name: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  doc_string?: string;
}

export interface ModelProto {
  ir_version: number;
  opset_import: { domain: string; version: number }[];
  producer_name: string;
  producer_version: string;
  doc_string?: string;
  graph: GraphProto;
  metadata_props: { key: string; value: string }[];
}

let modelType: protobuf.Type | undefined;

function schema(): protobuf.Type {
  if (!modelType) {
    const { root } = protobuf.parse(readFileSync(SCHEMA_URL, 'utf8'), { keepCase: true });
    modelType = root.lookupType('onnx.ModelProto');
  }
  return modelType;
}

/** The model's protobuf bytes (what a `.onnx` file holds). */
export function encodeModel(model: ModelProto): Uint8Array {
  const type = schema();
  // verify() catches a field of the wrong type here rather than as a corrupt file later.
  const problem = type.verify(model);
  if (problem) throw new Error(`ONNX model does not fit the schema: ${problem}`);
  return type.encode(type.fromObject(model)).finish();
}

/** Decodes `.onnx` bytes back into plain objects (tests, and checks of what was written). */
export function decodeModel(bytes: Uint8Array): Record<string, unknown> {
  const type = schema();
  return type.toObject(type.decode(bytes), { longs: Number, bytes: Array, defaults: false });
}
