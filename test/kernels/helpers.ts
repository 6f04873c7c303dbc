import type * as Tf from '@tensorflow/tfjs';
import { seededRandom } from '../../src/util/random.js';

type TfModule = typeof Tf;

/** max |a − b| / max |b|: the error relative to the reference's scale (0 when both are 0). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Seeded floats in [-1, 1), so every case is reproducible. */
export function rng(seed: number): () => number {
  const next = seededRandom(seed);
  return () => next() * 2 - 1;
}

export type MaskPattern = 'none' | 'end' | 'start' | 'holes';

/** Row lengths/patterns: a full row, short rows, a length-1 row and an all-padding row. */
export function maskRows(pattern: MaskPattern, batch: number, time: number, rand: () => number): number[][] {
  const lengths = [time, Math.max(1, time - 2), 1, 0, Math.ceil(time / 2)];
  return Array.from({ length: batch }, (_, b) => {
    const len = lengths[b % lengths.length]!;
    return Array.from({ length: time }, (_, t) => {
      if (pattern === 'none') return 1;
      if (pattern === 'end') return t < len ? 1 : 0;
      if (pattern === 'start') return t >= time - len ? 1 : 0;
      return b % lengths.length === 3 ? 0 : rand() > 0.35 ? 1 : 0; // holes; row 3 stays all padding
    });
  });
}

export type CellName = 'lstm' | 'gru' | 'simpleRNN';
export type DirectionMode = 'forward' | 'go_backwards' | 'concat' | 'sum' | 'mul' | 'ave';

export interface LayerCase {
  cell: CellName;
  mode: DirectionMode;
  returnSequences: boolean;
  units: number;
  activation?: string;
  recurrentActivation?: string;
  dropout?: number;
  recurrentDropout?: number;
  useBias?: boolean;
}

/** A stock tfjs-layers recurrent layer (bi-wrapped for the merge modes) for a case. */
export function makeLayer(tf: TfModule, c: LayerCase): Tf.layers.Layer {
  const args: Record<string, unknown> = {
    units: c.units,
    returnSequences: c.returnSequences,
    goBackwards: c.mode === 'go_backwards',
    kernelInitializer: 'glorotUniform',
    recurrentInitializer: 'glorotUniform',
    // Non-zero biases, so a bias gradient error cannot hide behind zeros.
    biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 3 }),
    activation: c.activation ?? 'tanh',
    useBias: c.useBias ?? true,
    dropout: c.dropout ?? 0,
    recurrentDropout: c.recurrentDropout ?? 0,
  };
  if (c.cell !== 'simpleRNN') args['recurrentActivation'] = c.recurrentActivation ?? 'sigmoid';
  // tfjs's factory types differ per cell; the args above are valid for each.
  const inner = (tf.layers[c.cell] as (a: unknown) => Tf.layers.Layer)(args);
  if (c.mode === 'forward' || c.mode === 'go_backwards') return inner;
  return tf.layers.bidirectional({ layer: inner as Tf.RNN, mergeMode: c.mode });
}
