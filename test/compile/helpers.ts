import { normalizeProgram } from '../../src/ir/normalize.js';
import {
  IR_FORMAT,
  IR_VERSION,
  type BidirectionalLayer,
  type CellKind,
  type DenseLayer,
  type EmbeddingLayer,
  type Layer,
  type MergeMode,
  type Program,
  type RecurrentLayer,
} from '../../src/ir/types.js';

// IR builders for compile tests: only what a test varies; normalizeProgram fills names and defaults.

export const embed = (inputDim: number, outputDim: number, extra: Partial<EmbeddingLayer> = {}): EmbeddingLayer => ({
  kind: 'embedding',
  input_dim: inputDim,
  output_dim: outputDim,
  mask_zero: true,
  trainable: true,
  ...extra,
});

export const cell = (kind: CellKind, units: number, extra: Partial<RecurrentLayer> = {}): RecurrentLayer => ({
  kind,
  units,
  activation: 'tanh',
  dropout: 0,
  recurrent_dropout: 0,
  ...extra,
});

export const bi = (layer: RecurrentLayer, mergeMode: MergeMode = 'concat'): BidirectionalLayer => ({
  kind: 'bidirectional',
  merge_mode: mergeMode,
  layer,
});

export const dense = (units: number, extra: Partial<DenseLayer> = {}): DenseLayer =>
  // Activation left out on purpose so normalization picks the head / linear default.
  ({ kind: 'dense', units, ...extra }) as DenseLayer;

export const program = (...layers: Layer[]): Program =>
  normalizeProgram({ format: IR_FORMAT, version: IR_VERSION, layers });
