import { fail } from '../diagnostics/error.js';
import { sliceWeights, type ModelJson, type WeightEntry } from '../artifacts/weights.js';

/**
 * A tfjs layers model (model.json's Keras-style topology and its weights) read into the few
 * facts the ONNX exporter needs, checked as it goes. model.json, not spec.json, is the source:
 * it is what `rnnc predict` runs, so the ONNX graph computes exactly what tfjs computes.
 * Anything the exporter cannot express is CannotExport (E4014) naming the layer; a model.json
 * whose parts do not fit together is BadModelDir (E4006).
 */

export type Activation = 'tanh' | 'sigmoid' | 'relu' | 'linear' | 'softmax' | 'hard_sigmoid';
const ACTIVATIONS: readonly string[] = ['tanh', 'sigmoid', 'relu', 'linear', 'softmax', 'hard_sigmoid'];

export type CellKind = 'simple_rnn' | 'lstm' | 'gru';
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';

/** Keras's row-major weights of one direction of a recurrent layer. */
export interface CellWeights {
  /** [input, gates × units]. */
  kernel: Float32Array;
  /** [units, gates × units]. */
  recurrent: Float32Array;
  /** [gates × units], or null without a bias. */
  bias: Float32Array | null;
}

export interface EmbeddingLayer {
  kind: 'embedding';
  name: string;
  inputDim: number;
  outputDim: number;
  maskZero: boolean;
  trainable: boolean;
  /** [inputDim, outputDim], row-major. */
  embeddings: Float32Array;
}

export interface RecurrentLayer {
  kind: 'recurrent';
  name: string;
  cell: CellKind;
  units: number;
  inputSize: number;
  activation: Activation;
  /** The gates' activation (lstm, gru). */
  recurrentActivation: Activation;
  returnSequences: boolean;
  /** One entry, or forward and backward for `bi(…)`. */
  directions: CellWeights[];
  /** `bi(…)` only. */
  merge?: MergeMode;
  /** Training only: the rate of the cell's input dropout, and of its recurrent-state dropout. */
  dropout: number;
  recurrentDropout: number;
  trainable: boolean;
}

export interface DenseLayer {
  kind: 'dense';
  name: string;
  units: number;
  inputSize: number;
  activation: Activation;
  /** [inputSize, units]. */
  kernel: Float32Array;
  bias: Float32Array | null;
  trainable: boolean;
}

/** Training only (an inference graph leaves it out). */
export interface DropoutLayer {
  kind: 'dropout';
  name: string;
  rate: number;
}

export type ExportLayer = EmbeddingLayer | RecurrentLayer | DenseLayer | DropoutLayer;

/**
 * The layer whose output is the model's when that output is a sequence (a step-by-step value,
 * not one per text), else undefined: the exports cover models whose top recurrent layer returns
 * its last state.
 */
export function sequenceOutput(layers: readonly ExportLayer[]): string | undefined {
  let sequence = false;
  let last = '';
  for (const l of layers) {
    if (l.kind === 'embedding') sequence = true;
    else if (l.kind === 'recurrent') sequence = l.returnSequences;
    if (l.kind !== 'dropout') last = l.name;
  }
  return sequence ? last : undefined;
}

/** Gates per cell, in Keras's weight layout. */
export const GATES: Record<CellKind, number> = { simple_rnn: 1, lstm: 4, gru: 3 };

/**
 * Keras `[rows, gates × units]` (row-major, gates side by side) to the `[gates × units, rows]`
 * layout ONNX and PyTorch use (transposed, gates stacked), written into `out` at `offset`.
 * `order[k]` is the Keras gate that goes to place k.
 */
export function transposeGates(order: readonly number[], units: number, rows: number, keras: Float32Array, out: Float32Array, offset = 0): void {
  const width = order.length * units;
  order.forEach((kg, og) => {
    for (let u = 0; u < units; u++) {
      const dst = offset + (og * units + u) * rows;
      const col = kg * units + u;
      for (let r = 0; r < rows; r++) out[dst + r] = keras[r * width + col]!;
    }
  });
}

const CELL_CLASSES: Record<string, CellKind> = { SimpleRNN: 'simple_rnn', LSTM: 'lstm', GRU: 'gru' };

interface RawLayer {
  class_name?: unknown;
  config?: Record<string, unknown>;
}

/** What the layers are read for: the messages name it, and ONNX cannot take everything PyTorch can. */
export type ExportTarget = 'ONNX' | 'PyTorch';

/** A model.json's layers and weights, in the exporter's terms. */
export function readKerasModel(json: ModelJson, entries: readonly WeightEntry[], bytes: Uint8Array, file: string, target: ExportTarget = 'ONNX'): ExportLayer[] {
  return readKerasWeights(json, entries, bytes, file, target).layers;
}

/**
 * The same, and every weight in manifest order: the layers' arrays are these arrays, so writing
 * into a layer's weights and saving `values` in order gives the matching weights.bin.
 */
export function readKerasWeights(
  json: ModelJson,
  entries: readonly WeightEntry[],
  bytes: Uint8Array,
  file: string,
  target: ExportTarget = 'ONNX',
): { layers: ExportLayer[]; values: Float32Array[] } {
  const weights = new Weights(entries, bytes, file);
  const topology = json.modelTopology as { class_name?: unknown; config?: unknown };
  if (topology.class_name !== 'Sequential') {
    throw fail('CannotExport', `${file}: the model is a ${String(topology.class_name)}, not a Sequential model: only the layer pipelines rnnc builds export to ${target}`, { file });
  }
  const config = topology.config;
  const raw = Array.isArray(config) ? config : (config as { layers?: unknown } | undefined)?.layers;
  if (!Array.isArray(raw)) throw fail('BadModelDir', `${file}: modelTopology has no list of layers`, { file });
  const layers: ExportLayer[] = [];
  let width = 0;
  for (const item of raw as unknown[]) {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw fail('BadModelDir', `${file}: modelTopology lists a layer that is not an object`, { file });
    const { class_name, config } = item as RawLayer;
    if (config !== undefined && (typeof config !== 'object' || config === null || Array.isArray(config))) throw fail('BadModelDir', `${file}: a ${String(class_name)} layer's config is not an object`, { file });
    const cls = String(class_name);
    const c = config ?? {};
    const name = typeof c['name'] === 'string' ? c['name'] : cls;
    const cannot = (why: string) => fail('CannotExport', `layer \`${name}\` (${cls}): ${why}`, { file });
    if (cls === 'InputLayer') continue;
    if (cls === 'Dropout') {
      const rate = c['rate'];
      if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw fail('BadModelDir', `${file}: layer \`${name}\` has no valid rate`, { file });
      if (layers.length > 0) layers.push({ kind: 'dropout', name, rate });
      continue;
    }
    if (layers.length === 0 && cls !== 'Embedding') throw cannot('the model must start with an Embedding layer to take word ids');
    switch (cls) {
      case 'Embedding': {
        if (layers.length > 0) throw cannot('a second Embedding layer');
        const inputDim = posInt(c['input_dim'], 'input_dim', name, file);
        const outputDim = posInt(c['output_dim'], 'output_dim', name, file);
        const embeddings = weights.take(name, 'embeddings', [inputDim, outputDim]);
        layers.push({ kind: 'embedding', name, inputDim, outputDim, maskZero: c['mask_zero'] === true, trainable: c['trainable'] !== false, embeddings });
        width = outputDim;
        break;
      }
      case 'SimpleRNN':
      case 'LSTM':
      case 'GRU': {
        const layer = recurrent(cls, c, name, width, file, target, cannot, (g, shape) => weights.take(name, g, shape));
        layers.push(layer);
        width = layer.units;
        break;
      }
      case 'Bidirectional': {
        const merge = c['merge_mode'];
        if (merge !== 'concat' && merge !== 'sum' && merge !== 'mul' && merge !== 'ave') throw cannot(`merge mode ${JSON.stringify(merge)} (${target} export covers concat, sum, mul and ave)`);
        const inner = (c['layer'] ?? {}) as RawLayer;
        const innerCls = String(inner.class_name);
        if (!(innerCls in CELL_CLASSES)) throw cannot(`it wraps a ${innerCls}, not a SimpleRNN, LSTM or GRU`);
        const fw = recurrent(innerCls, inner.config ?? {}, name, width, file, target, cannot, (g, shape) => weights.take(name, g, shape, 'forward'));
        const bw = recurrent(innerCls, inner.config ?? {}, name, width, file, target, cannot, (g, shape) => weights.take(name, g, shape, 'backward'));
        layers.push({ ...fw, directions: [...fw.directions, ...bw.directions], merge, trainable: c['trainable'] !== false && fw.trainable });
        width = merge === 'concat' ? 2 * fw.units : fw.units;
        break;
      }
      case 'Dense': {
        const units = posInt(c['units'], 'units', name, file);
        const activation = activationOf(c['activation'], target, cannot);
        const kernel = weights.take(name, 'kernel', [width, units]);
        const bias = c['use_bias'] === false ? null : weights.take(name, 'bias', [units]);
        layers.push({ kind: 'dense', name, units, inputSize: width, activation, kernel, bias, trainable: c['trainable'] !== false });
        width = units;
        break;
      }
      default:
        throw cannot(`${target} export covers Embedding, SimpleRNN, LSTM, GRU, Bidirectional, Dense and Dropout layers`);
    }
  }
  if (layers.length === 0) throw fail('BadModelDir', `${file}: the model has no layers`, { file });
  weights.checkAllUsed();
  return { layers, values: weights.values };
}

function recurrent(
  cls: string,
  c: Record<string, unknown>,
  name: string,
  inputSize: number,
  file: string,
  target: ExportTarget,
  cannot: (why: string) => Error,
  take: (weight: string, shape: number[]) => Float32Array,
): RecurrentLayer {
  const cell = CELL_CLASSES[cls]!;
  const units = posInt(c['units'], 'units', name, file);
  for (const flag of ['go_backwards', 'stateful', 'return_state'] as const) {
    if (c[flag] === true) throw cannot(`\`${flag}\` is set, which ${target} export does not cover`);
  }
  if (cell === 'gru' && c['reset_after'] === true) throw cannot('a reset_after GRU (rnnc and tfjs build reset_after = false)');
  const activation = activationOf(c['activation'], target, cannot);
  // tfjs's own default gate activation is hard_sigmoid; rnnc always writes the one it uses.
  const recurrentActivation = cell === 'simple_rnn' ? activation : activationOf(c['recurrent_activation'] ?? 'hard_sigmoid', target, cannot);
  for (const [what, a] of [['activation', activation], ['recurrent_activation', recurrentActivation]] as const) {
    if (a === 'softmax' && target === 'ONNX') throw cannot(`its ${what} is softmax, which ONNX's ${cls} operator does not offer (it has Sigmoid, Tanh, Relu, Affine, HardSigmoid, …)`);
  }
  const g = GATES[cell] * units;
  const kernel = take('kernel', [inputSize, g]);
  const recurrentKernel = take('recurrent_kernel', [units, g]);
  const bias = c['use_bias'] === false ? null : take('bias', [g]);
  return {
    kind: 'recurrent',
    name,
    cell,
    units,
    inputSize,
    activation,
    recurrentActivation,
    returnSequences: c['return_sequences'] === true,
    directions: [{ kernel, recurrent: recurrentKernel, bias }],
    dropout: rate(c['dropout']),
    recurrentDropout: rate(c['recurrent_dropout']),
    trainable: c['trainable'] !== false,
  };
}

function rate(v: unknown): number {
  return typeof v === 'number' && v > 0 && v < 1 ? v : 0;
}

function activationOf(v: unknown, target: ExportTarget, cannot: (why: string) => Error): Activation {
  const name = v ?? 'linear';
  if (typeof name !== 'string' || !ACTIVATIONS.includes(name)) {
    throw cannot(`activation ${JSON.stringify(name)} (${target} export covers ${ACTIVATIONS.join(', ')})`);
  }
  return name as Activation;
}

function posInt(v: unknown, what: string, layer: string, file: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw fail('BadModelDir', `${file}: layer \`${layer}\` has no valid ${what}`, { file });
  return v;
}

/**
 * The manifest's weights by layer. A weight belongs to layer L when its name starts with `L/`;
 * its kind is the last path segment (tfjs may add `_N` to it: `lstm/kernel_1`), and for a
 * Bidirectional layer the segment before names the direction (`forward_lstm`, `backward_lstm`).
 */
class Weights {
  private readonly byName = new Map<string, { entry: WeightEntry; values: Float32Array }>();
  private readonly used = new Set<string>();
  /** Every weight, in manifest order. */
  readonly values: Float32Array[];

  constructor(
    entries: readonly WeightEntry[],
    bytes: Uint8Array,
    private readonly file: string,
  ) {
    const bad = entries.find((w) => w.dtype !== 'float32');
    if (bad) throw fail('BadModelDir', `${file}: weight ${bad.name} is ${bad.dtype}, not float32`, { file });
    const { values } = sliceWeights(entries, bytes);
    this.values = values as Float32Array[];
    entries.forEach((entry, i) => this.byName.set(entry.name, { entry, values: values[i] as Float32Array }));
  }

  take(layer: string, kind: string, shape: number[], direction?: 'forward' | 'backward'): Float32Array {
    const match = [...this.byName.keys()].filter((n) => {
      if (!n.startsWith(`${layer}/`)) return false;
      const parts = n.slice(layer.length + 1).split('/');
      const last = parts[parts.length - 1]!.replace(/_\d+$/, '');
      if (last !== kind) return false;
      return direction === undefined ? parts.length === 1 || !/^(forward|backward)_/.test(parts[0]!) : parts.length === 2 && parts[0]!.startsWith(`${direction}_`);
    });
    const where = `layer \`${layer}\`${direction ? ` (${direction})` : ''}`;
    if (match.length !== 1) {
      throw fail('BadModelDir', `${this.file}: ${match.length === 0 ? 'no' : 'more than one'} \`${kind}\` weight for ${where} in the weights manifest`, { file: this.file });
    }
    const w = this.byName.get(match[0]!)!;
    if (w.entry.shape.join(',') !== shape.join(',')) {
      throw fail('BadModelDir', `${this.file}: weight ${w.entry.name} has shape [${w.entry.shape.join(', ')}], but ${where} needs [${shape.join(', ')}]`, { file: this.file });
    }
    this.used.add(match[0]!);
    return w.values;
  }

  checkAllUsed(): void {
    const extra = [...this.byName.keys()].filter((n) => !this.used.has(n));
    if (extra.length > 0) throw fail('BadModelDir', `${this.file}: weight ${extra[0]} belongs to no layer the topology describes`, { file: this.file });
  }
}
