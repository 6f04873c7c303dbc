import { returnSequencesFlags } from '../ir/semantics.js';
import type { Layer, Program, RecurrentLayer } from '../ir/types.js';
import { formatCount } from '../util/numbers.js';

/** A shape as Keras prints it: `(None, 100, 64)`, and a one-element tuple as `(None,)`. */
export function shapeText(shape: readonly (number | null)[]): string {
  const parts = shape.map((d) => (d === null ? 'None' : String(d)));
  return `(${parts.join(', ')}${parts.length === 1 ? ',' : ''})`;
}

/** The Keras class of each IR layer kind, as `summary` and `draw` name layers. */
export const KERAS_CLASS: Readonly<Record<Layer['kind'], string>> = {
  embedding: 'Embedding',
  simple_rnn: 'SimpleRNN',
  lstm: 'LSTM',
  gru: 'GRU',
  bidirectional: 'Bidirectional',
  dense: 'Dense',
  dropout: 'Dropout',
};

/** One layer as `summary` shows it. Shapes use `null` for the batch and any unknown length. */
export interface LayerInfo {
  index: number;
  name: string;
  kind: Layer['kind'];
  outputShape: (number | null)[];
  params: number;
  trainable: boolean;
  /** Keras's formula with this layer's numbers, e.g. `4 × (32 × (32 + 32) + 32)`. */
  formula: string;
  returnSequences: boolean;
}

export interface Analysis {
  layers: LayerInfo[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
}

const gates = { simple_rnn: 1, lstm: 4, gru: 3 } as const;

/** Keras's count for one recurrent cell over inputs of width `i`: g(u(i+u)+u); GRU is the reset_after=false form. */
export function cellParams(cell: RecurrentLayer, i: number): { params: number; formula: string } {
  const u = cell.units;
  const g = gates[cell.kind];
  const core = `${u} × (${i} + ${u}) + ${u}`;
  return { params: g * (u * (i + u) + u), formula: g === 1 ? core : `${g} × (${core})` };
}


/**
 * Shape flow and parameter counts through a normalized program, computed without TensorFlow
 * (so `check` and `summary` stay fast). Assumes the structural rules hold (embed first); the
 * test suite compares every count with the tfjs model's own.
 */
export function analyze(program: Program, maxlen: number | null = null): Analysis {
  const flags = returnSequencesFlags(program.layers);
  const layers: LayerInfo[] = [];
  let width = 0;
  let sequence = true;
  let total = 0;
  let trainableTotal = 0;
  program.layers.forEach((layer, index) => {
    let params = 0;
    let formula = '0';
    let trainable = true;
    switch (layer.kind) {
      case 'embedding':
        params = layer.input_dim * layer.output_dim;
        formula = `${formatCount(layer.input_dim)} × ${layer.output_dim}`;
        width = layer.output_dim;
        sequence = true;
        trainable = layer.trainable;
        break;
      case 'simple_rnn':
      case 'lstm':
      case 'gru': {
        const c = cellParams(layer, width);
        params = c.params;
        formula = c.formula;
        width = layer.units;
        sequence = flags[index]!;
        trainable = layer.trainable ?? true;
        break;
      }
      case 'bidirectional': {
        const c = cellParams(layer.layer, width);
        params = 2 * c.params;
        formula = `2 × ${c.params === 0 ? '0' : `(${c.formula})`}`;
        width = layer.merge_mode === 'concat' ? 2 * layer.layer.units : layer.layer.units;
        sequence = flags[index]!;
        trainable = layer.trainable ?? true;
        break;
      }
      case 'dense':
        params = width * layer.units + layer.units;
        formula = `${width} × ${layer.units} + ${layer.units}`;
        width = layer.units;
        trainable = layer.trainable ?? true;
        break;
      case 'dropout':
        break;
    }
    total += params;
    if (trainable) trainableTotal += params;
    layers.push({
      index,
      name: layer.name ?? `${layer.kind}_${index}`,
      kind: layer.kind,
      outputShape: sequence ? [null, maxlen, width] : [null, width],
      params,
      trainable,
      formula,
      returnSequences: flags[index]!,
    });
  });
  return { layers, totalParams: total, trainableParams: trainableTotal, nonTrainableParams: total - trainableTotal };
}
