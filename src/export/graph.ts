import { AttributeType, DataType, type AttributeProto, type DataTypeCode, type GraphProto, type NodeProto, type TensorProto, type ValueInfoProto, type Dim } from './proto.js';

/** An attribute value as written in a node: numbers are ints unless wrapped with {@link float}. */
export type AttrValue = number | string | number[] | string[] | { float: number } | { floats: number[] } | { tensor: TensorProto };

/** Marks a number attribute as a float (`alpha: float(0.2)`); plain numbers are ints. */
export const float = (f: number): { float: number } => ({ float: f });
export const floats = (fs: number[]): { floats: number[] } => ({ floats: fs });

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function attribute(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error(`attribute ${name}: ${v} is not an integer (wrap floats with float())`);
    return { name, type: AttributeType.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: utf8(v) };
  if (Array.isArray(v)) {
    if (v.every((x): x is string => typeof x === 'string')) return { name, type: AttributeType.STRINGS, strings: v.map(utf8) };
    return { name, type: AttributeType.INTS, ints: v };
  }
  if ('float' in v) return { name, type: AttributeType.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: AttributeType.FLOATS, floats: v.floats };
  return { name, type: AttributeType.TENSOR, t: v.tensor };
}

function bytesOf(data: Float32Array | Int32Array | BigInt64Array): Uint8Array {
  // ONNX raw_data is little-endian, as are the typed arrays of every platform Node runs on.
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

export function tensor(dims: readonly number[], data: Float32Array | Int32Array | BigInt64Array, name?: string): TensorProto {
  const data_type: DataTypeCode = data instanceof Float32Array ? DataType.FLOAT : data instanceof Int32Array ? DataType.INT32 : DataType.INT64;
  const count = dims.reduce((a, d) => a * d, 1);
  if (count !== data.length) throw new Error(`tensor ${name ?? ''}: ${data.length} values for shape [${dims.join(', ')}]`);
  return { ...(name !== undefined ? { name } : {}), dims: [...dims], data_type, raw_data: bytesOf(data) };
}

export function valueInfo(name: string, elem_type: DataTypeCode, dims: readonly (number | string)[], doc?: string): ValueInfoProto {
  const dim: Dim[] = dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return { name, ...(doc !== undefined ? { doc_string: doc } : {}), type: { tensor_type: { elem_type, shape: { dim } } } };
}

/**
 * Builds one ONNX graph: nodes in topological order (the order they are added), initializers
 * and unique value names. Every value gets a readable name from the layer that makes it
 * (`lstm/Y`, `dense_1/MatMul`), so the graph reads like the model in Netron.
 */
export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();

  /** A fresh value name starting with `base`. */
  name(base: string): string {
    let n = base;
    for (let k = 1; this.used.has(n); k++) n = `${base}_${k}`;
    this.used.add(n);
    return n;
  }

  /** Reserves names given from outside (the graph's inputs). */
  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`value name ${name} is taken`);
    this.used.add(name);
    return name;
  }

  /** Adds a weight; returns its name. */
  initializer(base: string, dims: readonly number[], data: Float32Array | Int32Array | BigInt64Array): string {
    const name = this.name(base);
    this.initializers.push(tensor(dims, data, name));
    return name;
  }

  /** A small int64 constant (shapes, axes), shared by every node that needs the same value. */
  int64s(values: readonly number[], scalar = false): string {
    const key = `i64:${scalar ? 's' : 'v'}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.initializer(`const_${scalar ? '' : 'v'}${values.join('_').replace(/-/g, 'm') || 'empty'}`, scalar ? [] : [values.length], BigInt64Array.from(values, BigInt));
    this.constants.set(key, name);
    return name;
  }

  /** A float32 scalar constant, shared likewise. */
  float32(value: number): string {
    const key = `f32:${value}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.initializer(`const_f${String(value).replace(/[^0-9a-z]/gi, '_')}`, [], Float32Array.of(value));
    this.constants.set(key, name);
    return name;
  }

  /**
   * Adds a node. `outputs` are base names (made unique) or, for an optional output left out, ''.
   * Returns the output names in order.
   */
  node(op: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, AttrValue> = {}, scope = op): string[] {
    const out = outputs.map((o) => (o === '' ? '' : this.name(o)));
    // Trailing optional inputs left out are dropped; inner ones stay as '' (ONNX's "absent").
    const ins = [...inputs];
    while (ins.length > 0 && ins[ins.length - 1] === '') ins.pop();
    this.nodes.push({
      name: this.name(`node:${scope}`),
      op_type: op,
      input: ins,
      output: out,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /** A one-output node; returns its output. */
  op(op: string, inputs: readonly string[], out: string, attrs: Record<string, AttrValue> = {}): string {
    return this.node(op, inputs, [out], attrs, out)[0]!;
  }

  /** Names a value as a graph output reserved earlier (an Identity node into `name`). */
  output(value: string, name: string): void {
    if (!this.used.has(name)) throw new Error(`output ${name} was not reserved`);
    this.nodes.push({ name: this.name(`node:${name}`), op_type: 'Identity', input: [value], output: [name], attribute: [] });
  }

  graph(name: string, inputs: ValueInfoProto[], outputs: ValueInfoProto[], doc?: string): GraphProto {
    return { name, node: this.nodes, initializer: this.initializers, input: inputs, output: outputs, ...(doc !== undefined ? { doc_string: doc } : {}) };
  }
}
