import type { Activation, Layer, Program, RecurrentLayer } from './types.js';

/** Default vocabulary size when neither `vocab:`, `--vocab` nor `train { vocab }` gives one. */
export const DEFAULT_VOCAB = 10000;

/** The activation a `dense` without one gets: the classifier head when it is the last layer. */
export function headActivation(units: number, isLast: boolean): Activation {
  if (!isLast) return 'linear';
  return units === 1 ? 'sigmoid' : 'softmax';
}

function normalizeCell(cell: RecurrentLayer): RecurrentLayer {
  // Keras note: Keras 3 defaults are tanh / sigmoid, no dropout; tfjs's hardSigmoid default is not used.
  const out: RecurrentLayer = {
    ...cell,
    activation: cell.activation ?? 'tanh',
    dropout: cell.dropout ?? 0,
    recurrent_dropout: cell.recurrent_dropout ?? 0,
  };
  if (cell.kind !== 'simple_rnn') out.recurrent_activation = cell.recurrent_activation ?? 'sigmoid';
  if (cell.kind === 'gru') out.reset_after = false;
  return out;
}

/**
 * Fills every default and gives every layer a stable Keras-style name (`lstm`, `lstm_1`, …),
 * so a hand-written IR and a lowered one look the same to the back end. Pure: returns a copy.
 */
export function normalizeProgram(program: Program): Program {
  const counters = new Map<string, number>();
  const taken = new Set(program.layers.map((l) => l.name).filter((n): n is string => !!n));
  const nameFor = (kind: string, given: string | undefined): string => {
    if (given) return given;
    for (;;) {
      const n = counters.get(kind) ?? 0;
      counters.set(kind, n + 1);
      const name = n === 0 ? kind : `${kind}_${n}`;
      if (!taken.has(name)) {
        taken.add(name);
        return name;
      }
    }
  };
  const last = program.layers.length - 1;
  const layers = program.layers.map((layer, i): Layer => {
    switch (layer.kind) {
      case 'embedding':
        return {
          ...layer,
          name: nameFor('embedding', layer.name),
          mask_zero: layer.mask_zero ?? true,
          trainable: layer.trainable ?? true,
        };
      case 'simple_rnn':
      case 'lstm':
      case 'gru':
        return { ...normalizeCell(layer), name: nameFor(layer.kind, layer.name) };
      case 'bidirectional': {
        const name = nameFor('bidirectional', layer.name);
        const inner = normalizeCell(layer.layer);
        return {
          ...layer,
          name,
          merge_mode: layer.merge_mode ?? 'concat',
          layer: { ...inner, name: inner.name ?? `${inner.kind}_of_${name}` },
        };
      }
      case 'dense':
        return {
          ...layer,
          name: nameFor('dense', layer.name),
          activation: layer.activation ?? headActivation(layer.units, i === last),
        };
      case 'dropout':
        return { ...layer, name: nameFor('dropout', layer.name) };
    }
  });
  return { ...program, layers };
}
