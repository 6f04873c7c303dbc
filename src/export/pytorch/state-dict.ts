import { fail } from '../../diagnostics/error.js';
import { GATES, transposeGates, type CellKind, type ExportLayer } from '../keras.js';
import type { NamedTensor } from '../safetensors.js';

/**
 * Keras weights ⇄ the PyTorch module's `state_dict` (model.py's names and layouts), both ways:
 * the export writes one, `rnnc import` reads one back. The mapping is a permutation of values
 * plus, on the way back, one sum (PyTorch's two recurrent biases are one in Keras), so a round
 * trip gives the same weights.
 *
 * - Embedding `embeddings [vocab, dim]` → `<layer>.weight`, as is.
 * - A recurrent layer → `<layer>.rnn.weight_ih_l0 [gates × units, input]`, `weight_hh_l0
 *   [gates × units, units]`, `bias_ih_l0` (Keras's bias) and `bias_hh_l0` (zeros), and the same
 *   under `<layer>.rnn_reverse.` for `bi`'s backward direction: each direction is a
 *   one-directional nn.LSTM / nn.RNN (names and layout). Gates in PyTorch's order: LSTM
 *   i, f, g, o (Keras's i, f, c, o), GRU r, z, n (Keras's z, r, h).
 * - Dense `kernel [in, units]` → `<layer>.linear.weight [units, in]`, `bias` → `.linear.bias`.
 */

/** The submodule of each direction of a recurrent layer (model_base.py's Recurrent). */
const DIRECTIONS = ['rnn', 'rnn_reverse'] as const;

/** PyTorch's gate order per cell, as indices into Keras's. Its own inverse for each cell. */
const TORCH_GATES: Record<CellKind, readonly number[]> = { simple_rnn: [0], lstm: [0, 1, 2, 3], gru: [1, 0, 2] };

/** Python attribute names that a layer must not take (they would shadow nn.Module's own). */
const RESERVED = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield ' +
    'T_destination forward training train eval parameters modules children state_dict load_state_dict to cpu cuda float double half type apply zero_grad buffers named_buffers named_children ' +
    'named_modules named_parameters requires_grad_ register_buffer register_parameter register_module add_module extra_repr labels output_activation get_submodule get_parameter share_memory bfloat16 ' +
    'xpu ipu mtia to_empty get_buffer get_extra_state set_extra_state dump_patches compile call_super_init register_forward_hook register_forward_pre_hook register_backward_hook ' +
    'register_full_backward_hook register_full_backward_pre_hook register_load_state_dict_post_hook register_load_state_dict_pre_hook register_state_dict_pre_hook register_state_dict_post_hook'
  ).split(' '),
);

/** The module attribute of each layer: its Keras name when that is a plain Python identifier, otherwise a spelling of it that is. */
export function attributeNames(layers: readonly ExportLayer[]): string[] {
  const used = new Set<string>();
  return layers.map((l) => {
    let base = l.name.replace(/[^A-Za-z0-9_]/g, '_');
    if (!/^[A-Za-z_]/.test(base) || RESERVED.has(base) || base.startsWith('_')) base = `layer_${base}`;
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  });
}

function transpose(rows: number, cols: number, m: Float32Array): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c]!;
  return out;
}

function permuteBias(order: readonly number[], units: number, bias: Float32Array): Float32Array {
  const out = new Float32Array(order.length * units);
  order.forEach((kg, og) => out.set(bias.subarray(kg * units, (kg + 1) * units), og * units));
  return out;
}

/** The state_dict of the exported module, in module order. */
export function torchStateDict(layers: readonly ExportLayer[]): NamedTensor[] {
  const names = attributeNames(layers);
  const out: NamedTensor[] = [];
  layers.forEach((l, i) => {
    const a = names[i]!;
    switch (l.kind) {
      case 'embedding':
        out.push({ name: `${a}.weight`, shape: [l.inputDim, l.outputDim], data: l.embeddings });
        break;
      case 'recurrent': {
        const order = TORCH_GATES[l.cell];
        const gu = GATES[l.cell] * l.units;
        l.directions.forEach((d, k) => {
          const m = `${a}.${DIRECTIONS[k]}`;
          const wih = new Float32Array(gu * l.inputSize);
          const whh = new Float32Array(gu * l.units);
          transposeGates(order, l.units, l.inputSize, d.kernel, wih);
          transposeGates(order, l.units, l.units, d.recurrent, whh);
          out.push({ name: `${m}.weight_ih_l0`, shape: [gu, l.inputSize], data: wih }, { name: `${m}.weight_hh_l0`, shape: [gu, l.units], data: whh });
          if (d.bias) {
            out.push({ name: `${m}.bias_ih_l0`, shape: [gu], data: permuteBias(order, l.units, d.bias) }, { name: `${m}.bias_hh_l0`, shape: [gu], data: new Float32Array(gu) });
          }
        });
        break;
      }
      case 'dense':
        out.push({ name: `${a}.linear.weight`, shape: [l.units, l.inputSize], data: transpose(l.inputSize, l.units, l.kernel) });
        if (l.bias) out.push({ name: `${a}.linear.bias`, shape: [l.units], data: l.bias });
        break;
      case 'dropout':
        break;
    }
  });
  return out;
}

/**
 * Writes a state_dict of the exported module back into `layers`' Keras weights, in place (the
 * arrays `readKerasWeights` returned, so the caller can save them in model.json's manifest
 * order). A missing, extra or wrongly shaped tensor is BadModelDir (E4006) naming it and `file`;
 * nothing is written then.
 */
export function loadStateDict(layers: readonly ExportLayer[], tensors: ReadonlyMap<string, NamedTensor>, file: string): void {
  const names = attributeNames(layers);
  const used = new Set<string>();
  const take = (name: string, shape: number[]): Float32Array => {
    const t = tensors.get(name);
    if (!t) throw fail('BadModelDir', `${file}: no tensor ${name}, which the model needs`, { file });
    if (t.shape.join(',') !== shape.join(',')) throw fail('BadModelDir', `${file}: ${name} has shape [${t.shape.join(', ')}], but the model needs [${shape.join(', ')}]`, { file });
    used.add(name);
    return t.data;
  };
  const writes: [Float32Array, Float32Array][] = [];
  layers.forEach((l, i) => {
    const a = names[i]!;
    switch (l.kind) {
      case 'embedding':
        writes.push([l.embeddings, take(`${a}.weight`, [l.inputDim, l.outputDim])]);
        break;
      case 'recurrent': {
        const order = TORCH_GATES[l.cell]; // each order is its own inverse
        const gu = GATES[l.cell] * l.units;
        // PyTorch [gates × units, rows] → Keras [rows, gates × units]: transpose, then put the gates back.
        const back = (m: Float32Array, rows: number) => {
          const keras = transpose(gu, rows, m);
          const out = new Float32Array(rows * gu);
          for (let r = 0; r < rows; r++) out.set(permuteBias(order, l.units, keras.subarray(r * gu, (r + 1) * gu)), r * gu);
          return out;
        };
        l.directions.forEach((d, k) => {
          const m = `${a}.${DIRECTIONS[k]}`;
          writes.push([d.kernel, back(take(`${m}.weight_ih_l0`, [gu, l.inputSize]), l.inputSize)]);
          writes.push([d.recurrent, back(take(`${m}.weight_hh_l0`, [gu, l.units]), l.units)]);
          if (d.bias) {
            const ih = take(`${m}.bias_ih_l0`, [gu]);
            const hh = take(`${m}.bias_hh_l0`, [gu]);
            writes.push([d.bias, permuteBias(order, l.units, Float32Array.from(ih, (v, j) => v + hh[j]!))]);
          }
        });
        break;
      }
      case 'dense':
        writes.push([l.kernel, transpose(l.units, l.inputSize, take(`${a}.linear.weight`, [l.units, l.inputSize]))]);
        if (l.bias) writes.push([l.bias, take(`${a}.linear.bias`, [l.units])]);
        break;
      case 'dropout':
        break;
    }
  });
  const extra = [...tensors.keys()].find((n) => !used.has(n));
  if (extra !== undefined) throw fail('BadModelDir', `${file}: tensor ${extra} belongs to no layer of the model`, { file });
  for (const [to, from] of writes) to.set(from);
}
