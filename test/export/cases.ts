import type * as Tf from '@tensorflow/tfjs';
import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { buildModel } from '../../src/compile/layers.js';
import { check } from '../../src/index.js';
import type { CellKind, Layer, MergeMode, Program, RecurrentLayer } from '../../src/ir/types.js';
import { withMathRandom } from '../../src/util/random.js';
import { bi, cell, dense, embed, program } from '../compile/helpers.js';
import { rng } from '../kernels/helpers.js';

// The models every exporter is held to (ONNX: equivalence.test.ts, PyTorch:
// pytorch-equivalence.test.ts): every cell, direction, merge mode and stacking, layers between
// recurrent layers, heads, activations, a model.json rnnc did not write, every spec in specs/;
// and the padding patterns they run on. Weights, biases included, are random, so a gate or bias
// put in the wrong place cannot hide behind zeros.

export const TIME = 9;

/** Batches of ids in `[2, vocab)`, one per padding pattern; 0 is padding. */
export function batches(vocab: number, seed: number): { pattern: string; rows: number[][] }[] {
  const rand = rng(seed);
  const word = () => 2 + Math.floor(((rand() + 1) / 2) * (vocab - 2));
  const row = (keep: (t: number) => boolean) => Array.from({ length: TIME }, (_, t) => (keep(t) ? word() : 0));
  const end = (len: number) => row((t) => t < len);
  return [
    { pattern: 'no padding', rows: [end(TIME), end(TIME), end(TIME)] },
    { pattern: 'some padding', rows: [end(TIME), end(6), end(3), end(TIME - 1)] },
    { pattern: 'an all-padding row', rows: [end(5), end(0), end(TIME)] },
    { pattern: 'a length-1 row', rows: [end(1), end(TIME), end(4)] },
    // Beyond rnnc's own end padding: tfjs skips every 0 wherever it is, and so must an export.
    { pattern: 'start padding', rows: [row((t) => t >= 4), row((t) => t >= TIME - 1), end(TIME)] },
    { pattern: 'interior zeros', rows: [row((t) => t % 3 !== 1), row((t) => t === 2 || t === 6), end(TIME)] },
  ];
}

/**
 * Random weights in ±0.5, matrices after the embedding in ±1.5/√rows when that is smaller, so
 * that the specs' wider layers (64 units) do not saturate every output at 0 or 1, where a wrong
 * weight could not show.
 */
export function randomizeWeights(tf: typeof Tf, model: Tf.LayersModel, seed: number): void {
  const rand = rng(seed);
  model.setWeights(
    model.getWeights().map((w, i) => {
      const scale = i > 0 && w.shape.length === 2 ? Math.min(0.5, 1.5 / Math.sqrt(w.shape[0])) : 0.5;
      return tf.tensor(Float32Array.from({ length: w.size }, () => rand() * scale), w.shape);
    }),
  );
}

/**
 * Outputs that differ between texts by far more than the tolerance: a model that says the same
 * for everything (saturated, or all weights near 0) would test little.
 */
export function expectSpread(outputs: readonly ArrayLike<number>[], tol: number, group: string): void {
  const all = outputs.flatMap((s) => Array.from(s));
  expect(Math.max(...all) - Math.min(...all), `${group}: outputs spread`).toBeGreaterThan(50 * tol);
}

export const CELLS: readonly CellKind[] = ['simple_rnn', 'lstm', 'gru'];
export const DIRECTIONS: readonly ('uni' | MergeMode)[] = ['uni', 'concat', 'sum', 'mul', 'ave'];
const recurrentOf = (c: CellKind, d: 'uni' | MergeMode, extra: Partial<RecurrentLayer> = {}): Layer => (d === 'uni' ? cell(c, 4, extra) : bi(cell(c, 4, extra), d));

export interface ExportCase {
  /** The describe block it belongs to. */
  section: string;
  name: string;
  /** Largest differences are reported per group. */
  group: string;
  seed: number;
  /** False for a model ONNX cannot express (it refuses it: export.test.ts). */
  onnx?: boolean;
  build(tf: typeof Tf): Tf.LayersModel;
}

const fromProgram = (p: Program, seed = 1) => (tf: typeof Tf) => withMathRandom(seed, () => buildModel(tf, p));

/** The spec files under specs/ (and specs/experiments/). */
export function specFiles(): string[] {
  return [...readdirSync('specs').filter((f) => f.endsWith('.rnn')).map((f) => `specs/${f}`), ...readdirSync('specs/experiments').map((f) => `specs/experiments/${f}`)];
}

export function exportCases(): ExportCase[] {
  const cases: ExportCase[] = [];
  const stacked = 'every cell, direction and merge mode, two stacked layers (the lower returns its sequence)';
  for (const c of CELLS) {
    for (const d of DIRECTIONS) {
      cases.push({ section: stacked, name: `${c}, ${d}`, group: `stacked ${c}`, seed: 11, build: fromProgram(program(embed(30, 5), recurrentOf(c, d), recurrentOf(c, d), dense(1))) });
    }
  }
  const between = 'layers between recurrent layers, heads and unmasked padding';
  cases.push({
    section: between,
    name: 'dense and dropout per time step between two recurrent layers, a softmax head over 4 classes',
    group: 'dense between, softmax head',
    seed: 21,
    build: fromProgram(program(embed(30, 5), bi(cell('lstm', 4), 'concat'), dense(3, { activation: 'relu' }), { kind: 'dropout', rate: 0.5 }, cell('gru', 4), dense(6, { activation: 'tanh' }), dense(4))),
  });
  cases.push({
    section: between,
    name: 'three stacked layers of different cells and merges',
    group: 'mixed stack',
    seed: 22,
    build: fromProgram(program(embed(30, 6), bi(cell('gru', 5), 'ave'), cell('lstm', 4), bi(cell('simple_rnn', 3), 'mul'), dense(1))),
  });
  for (const c of CELLS) {
    cases.push({
      section: between,
      name: `mask: false, ${c}: padding is read as a word, as tfjs reads it`,
      group: 'mask: false',
      seed: 23,
      build: fromProgram(program(embed(30, 5, { mask_zero: false }), bi(cell(c, 4), 'sum'), cell(c, 4), dense(1))),
    });
  }
  const variants: [CellKind, Partial<RecurrentLayer>][] = [
    ['simple_rnn', { activation: 'relu' }],
    ['simple_rnn', { activation: 'linear' }],
    ['simple_rnn', { activation: 'sigmoid' }],
    ['lstm', { activation: 'relu', recurrent_activation: 'tanh' }],
    ['lstm', { activation: 'linear', recurrent_activation: 'sigmoid' }],
    ['gru', { activation: 'sigmoid', recurrent_activation: 'relu' }],
    ['gru', { activation: 'linear', recurrent_activation: 'linear' }],
  ];
  for (const [c, extra] of variants) {
    cases.push({
      section: 'activations',
      name: `${c} ${JSON.stringify(extra)}`,
      group: 'activations',
      seed: 31,
      build: fromProgram(program(embed(30, 5), recurrentOf(c, 'concat', extra), recurrentOf(c, 'uni', extra), dense(2, { activation: 'linear' }))),
    });
  }
  cases.push({
    section: 'activations',
    name: 'lstm and simple_rnn with a softmax activation (the PyTorch module has it; ONNX has no such operator)',
    group: 'activations',
    seed: 33,
    onnx: false,
    build: fromProgram(program(embed(30, 5), bi(cell('lstm', 4, { activation: 'softmax' }), 'concat'), cell('simple_rnn', 3, { activation: 'softmax' }), dense(1))),
  });
  cases.push({
    section: 'activations',
    name: "tfjs's default gate activation, hard_sigmoid, in a model.json rnnc did not write",
    group: 'activations',
    seed: 32,
    build: (tf) =>
      withMathRandom(3, () => {
        const s = tf.sequential();
        s.add(tf.layers.embedding({ inputDim: 30, outputDim: 5, maskZero: true, inputShape: [null] }));
        s.add(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 4, returnSequences: true }), mergeMode: 'concat' }));
        s.add(tf.layers.gru({ units: 4 }));
        s.add(tf.layers.dense({ units: 1, activation: 'hardSigmoid' }));
        return s;
      }),
  });
  for (const file of specFiles()) {
    cases.push({
      section: 'every spec in specs/',
      name: file,
      group: 'specs',
      seed: 41,
      build: (tf) => {
        const checked = check(readFileSync(file, 'utf8'), { fileName: file });
        expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        return fromProgram(checked.program!)(tf);
      },
    });
  }
  return cases;
}
