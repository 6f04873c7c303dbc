import { float, floats, type AttrValue, type GraphBuilder } from './graph.js';
import { GATES, transposeGates, type Activation, type CellKind, type CellWeights, type DenseLayer, type EmbeddingLayer, type RecurrentLayer } from './keras.js';

/**
 * The ONNX nodes of each layer. Between layers a value is either a sequence, time-major
 * `[time, batch, features]` (what ONNX's RNN operators read and write, so stacked layers need
 * no transposes), or, after the top recurrent layer, a `[batch, features]` matrix.
 */
export interface Flow {
  value: string;
  rank: 'sequence' | 'vector';
  /** Per-example count of real (non-padding) steps, int32 `[batch]`; null without masking. */
  lengths: string | null;
}

/**
 * The ids input to embedded vectors. With `mask_zero`, tfjs skips every step whose id is 0,
 * wherever it is; ONNX's recurrent operators instead take a length per example and read the
 * first `length` steps. The graph bridges the two exactly: it moves each row's non-zero ids to
 * the front, in order (a stable sort on "is padding", done with TopK on `isPad × time + position`),
 * and counts them. For rnnc's own end ("post") padding this changes nothing; for start ("pre")
 * padding, or a 0 in the middle of a row, it gives the same result as tfjs's mask.
 */
export function embedding(g: GraphBuilder, ids: string, layer: EmbeddingLayer): Flow {
  const n = layer.name;
  const table = g.initializer(`${n}/embeddings`, [layer.inputDim, layer.outputDim], layer.embeddings);
  let rows = ids;
  let lengths: string | null = null;
  if (layer.maskZero) {
    const isPad = g.op('Equal', [ids, g.int64s([0], true)], `${n}/is_padding`);
    const real = g.op('Cast', [g.op('Not', [isPad], `${n}/is_real`)], `${n}/is_real_i32`, { to: 6 });
    lengths = g.op('ReduceSum', [real, g.int64s([1])], `${n}/lengths`, { keepdims: 0 });
    const time = g.op('Shape', [ids], `${n}/time`, { start: 1, end: 2 });
    const timeScalar = g.op('Squeeze', [time, g.int64s([0])], `${n}/time_scalar`);
    const position = g.op('Range', [g.int64s([0], true), timeScalar, g.int64s([1], true)], `${n}/position`);
    const padKey = g.op('Mul', [g.op('Cast', [isPad], `${n}/is_padding_i64`, { to: 7 }), timeScalar], `${n}/padding_key`);
    const key = g.op('Add', [padKey, position], `${n}/order_key`);
    const [, order] = g.node('TopK', [key, time], [`${n}/order_key_sorted`, `${n}/order`], { axis: 1, largest: 0, sorted: 1 }, `${n}/order`);
    rows = g.op('GatherElements', [ids, order!], `${n}/ids_real_first`, { axis: 1 });
  }
  const timeMajor = g.op('Transpose', [rows], `${n}/ids_time_major`, { perm: [1, 0] });
  return { value: g.op('Gather', [table, timeMajor], `${n}/vectors`, { axis: 0 }), rank: 'sequence', lengths };
}

/** ONNX gate order per cell, as indices into Keras's: LSTM i,o,f,c from Keras i,f,c,o; GRU z,r,h as is. */
const GATE_ORDER: Record<CellKind, readonly number[]> = { simple_rnn: [0], lstm: [0, 3, 1, 2], gru: [0, 1, 2] };
const OP: Record<CellKind, string> = { simple_rnn: 'RNN', lstm: 'LSTM', gru: 'GRU' };

/** ONNX activation names and their alpha/beta, for the recurrent operators' `activations`. */
function rnnActivation(a: Activation): { name: string; alpha?: number; beta?: number } {
  switch (a) {
    case 'tanh':
      return { name: 'Tanh' };
    case 'sigmoid':
      return { name: 'Sigmoid' };
    case 'relu':
      return { name: 'Relu' };
    case 'linear':
      return { name: 'Affine', alpha: 1, beta: 0 };
    case 'hard_sigmoid':
      // tfjs: clip(0.2 x + 0.5, 0, 1), ONNX HardSigmoid's defaults.
      return { name: 'HardSigmoid', alpha: 0.2, beta: 0.5 };
    case 'softmax':
      throw new Error('softmax reached the recurrent exporter (keras.ts refuses it)');
  }
}

/**
 * A SimpleRNN, LSTM or GRU layer (one direction, or both for `bi(…)`) as ONNX's RNN, LSTM or GRU
 * operator. Keras's bias goes into ONNX's input bias Wb and the recurrent bias Rb is zero; the
 * GRU is the reset_after = false form (`linear_before_reset = 0`). With masking, the lengths
 * make each direction read only the real steps: ONNX's Y_h is the state after the last real
 * step (forward) and after the first (backward), as tfjs's masked RNN returns.
 */
export function recurrent(g: GraphBuilder, flow: Flow, layer: RecurrentLayer): Flow {
  if (flow.rank !== 'sequence') throw new Error(`layer ${layer.name}: a recurrent layer needs a sequence`);
  const n = layer.name;
  const { cell, units, inputSize } = layer;
  const dirs = layer.directions.length;
  const gu = GATES[cell] * units;
  const W = new Float32Array(dirs * gu * inputSize);
  const R = new Float32Array(dirs * gu * units);
  const B = new Float32Array(dirs * 2 * gu);
  layer.directions.forEach((d: CellWeights, k) => {
    transposeGates(GATE_ORDER[cell], units, inputSize, d.kernel, W, k * gu * inputSize);
    transposeGates(GATE_ORDER[cell], units, units, d.recurrent, R, k * gu * units);
    if (d.bias) {
      const bias = d.bias;
      GATE_ORDER[cell].forEach((kg, og) => B.set(bias.subarray(kg * units, (kg + 1) * units), k * 2 * gu + og * units));
    }
  });
  const acts = cell === 'simple_rnn' ? [layer.activation] : cell === 'lstm' ? [layer.recurrentActivation, layer.activation, layer.activation] : [layer.recurrentActivation, layer.activation];
  const specs = Array.from({ length: dirs }, () => acts.map(rnnActivation)).flat();
  const attrs: Record<string, AttrValue> = {
    hidden_size: units,
    direction: dirs === 2 ? 'bidirectional' : 'forward',
    activations: specs.map((s) => s.name),
  };
  const alphas = specs.filter((s) => s.alpha !== undefined).map((s) => s.alpha!);
  if (alphas.length > 0) {
    attrs['activation_alpha'] = floats(alphas);
    attrs['activation_beta'] = floats(specs.filter((s) => s.beta !== undefined).map((s) => s.beta!));
  }
  if (cell === 'gru') attrs['linear_before_reset'] = 0;
  const inputs = [
    flow.value,
    g.initializer(`${n}/W`, [dirs, gu, inputSize], W),
    g.initializer(`${n}/R`, [dirs, gu, units], R),
    g.initializer(`${n}/B`, [dirs, 2 * gu], B),
    flow.lengths ?? '',
  ];
  if (layer.returnSequences) {
    // Y: [time, directions, batch, units]; steps past an example's length are zeros, which the
    // next recurrent layer never reads (it gets the same lengths).
    const [y] = g.node(OP[cell], inputs, [`${n}/Y`], attrs, n);
    return { value: mergeDirections(g, y!, layer, 1), rank: 'sequence', lengths: flow.lengths };
  }
  // Y_h: [directions, batch, units], the final state of each direction.
  const [, yh] = g.node(OP[cell], inputs, ['', `${n}/Y_h`], attrs, n);
  return { value: mergeDirections(g, yh!, layer, 0), rank: 'vector', lengths: null };
}

/**
 * Drops the directions axis (`axis`: 1 in Y, 0 in Y_h), merging forward and backward as Keras's
 * Bidirectional does: concat puts forward's units first; ave is (forward + backward) × 0.5.
 */
function mergeDirections(g: GraphBuilder, value: string, layer: RecurrentLayer, axis: 0 | 1): string {
  const n = layer.name;
  const squeeze = (v: string, out: string) => g.op('Squeeze', [v, g.int64s([axis])], out);
  if (layer.directions.length === 1) return squeeze(value, `${n}/output`);
  if (layer.merge === 'concat') {
    // Directions next to units, then one axis: [.., batch, 2, units] → [.., batch, 2 × units].
    const perm = axis === 1 ? [0, 2, 1, 3] : [1, 0, 2];
    const t = g.op('Transpose', [value], `${n}/directions_last`, { perm });
    return g.op('Reshape', [t, g.int64s(axis === 1 ? [0, 0, -1] : [0, -1])], `${n}/output`);
  }
  const [fw, bw] = g.node('Split', [value], [`${n}/forward`, `${n}/backward`], { axis }, `${n}/split`);
  const op = layer.merge === 'mul' ? 'Mul' : 'Add';
  let merged = g.op(op, [fw!, bw!], `${n}/merged`);
  if (layer.merge === 'ave') merged = g.op('Mul', [merged, g.float32(0.5)], `${n}/average`);
  return squeeze(merged, `${n}/output`);
}

/** A Dense layer: per time step on a sequence (as Keras's Dense on 3-D input), or on a matrix. */
export function dense(g: GraphBuilder, flow: Flow, layer: DenseLayer): Flow {
  const n = layer.name;
  const kernel = g.initializer(`${n}/kernel`, [layer.inputSize, layer.units], layer.kernel);
  let y = g.op('MatMul', [flow.value, kernel], `${n}/MatMul`);
  if (layer.bias) y = g.op('Add', [y, g.initializer(`${n}/bias`, [layer.units], layer.bias)], `${n}/BiasAdd`);
  return { ...flow, value: activation(g, y, layer.activation, n) };
}

function activation(g: GraphBuilder, x: string, a: Activation, n: string): string {
  switch (a) {
    case 'linear':
      return x;
    case 'relu':
      return g.op('Relu', [x], `${n}/Relu`);
    case 'tanh':
      return g.op('Tanh', [x], `${n}/Tanh`);
    case 'sigmoid':
      return g.op('Sigmoid', [x], `${n}/Sigmoid`);
    case 'softmax':
      return g.op('Softmax', [x], `${n}/Softmax`, { axis: -1 });
    case 'hard_sigmoid':
      return g.op('HardSigmoid', [x], `${n}/HardSigmoid`, { alpha: float(0.2), beta: float(0.5) });
  }
}
