import type { CellKind, Layer, LayerKind } from './types.js';

export function isRecurrentKind(kind: LayerKind): kind is CellKind | 'bidirectional' {
  return kind === 'simple_rnn' || kind === 'lstm' || kind === 'gru' || kind === 'bidirectional';
}

/**
 * The stacking rule, in one place: a recurrent layer returns its whole sequence of states
 * exactly when another recurrent layer comes later in the pipeline; the top one returns only
 * its last state (for `bi`, the forward and backward final states, merged). Users never
 * write `return_sequences`.
 */
export function returnSequencesFlags(layers: readonly Layer[]): boolean[] {
  const flags = new Array<boolean>(layers.length).fill(false);
  let recurrentAbove = false;
  for (let i = layers.length - 1; i >= 0; i--) {
    const recurrent = isRecurrentKind(layers[i]!.kind);
    flags[i] = recurrent && recurrentAbove;
    if (recurrent) recurrentAbove = true;
  }
  return flags;
}
