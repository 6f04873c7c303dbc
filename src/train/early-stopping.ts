/**
 * Keras's `EarlyStopping(monitor='val_loss', restore_best_weights=True)` with min_delta 0, as a
 * pure function of where the run stands and the epoch's validation loss.
 */
export interface StoppingState {
  bestEpoch: number;
  /** Infinity before the first validation. */
  bestValLoss: number;
  /** Epochs since the best one. */
  wait: number;
}

export interface StoppingDecision extends StoppingState {
  /** This epoch is the new best: keep its weights. */
  improved: boolean;
  /** Stop after this epoch. */
  stop: boolean;
}

/**
 * The decision after `epoch` of `epochs` with validation loss `valLoss` (undefined without
 * validation data: every epoch is then the "best", and the run never stops early). `patience`
 * 0 never stops early. A NaN loss is never an improvement.
 */
export function afterEpoch(state: StoppingState, epoch: number, epochs: number, valLoss: number | undefined, patience: number): StoppingDecision {
  if (valLoss === undefined) return { bestEpoch: epoch, bestValLoss: state.bestValLoss, wait: 0, improved: true, stop: false };
  const improved = valLoss < state.bestValLoss;
  const next = improved ? { bestEpoch: epoch, bestValLoss: valLoss, wait: 0 } : { ...state, wait: state.wait + 1 };
  return { ...next, improved, stop: !improved && patience > 0 && next.wait >= patience && epoch < epochs };
}
