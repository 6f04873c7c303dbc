import type * as Tf from '@tensorflow/tfjs';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestEntries, parseModelJson } from '../../src/artifacts/weights.js';
import { loadTf, prepareModel, type LoadedTf } from '../../src/compile/backend.js';
import { buildModel } from '../../src/compile/layers.js';
import { modelFiles } from '../../src/compile/save.js';
import { buildOnnx } from '../../src/export/onnx.js';
import { check } from '../../src/index.js';
import type { CellKind, Layer, MergeMode, Program, RecurrentLayer } from '../../src/ir/types.js';
import { withMathRandom } from '../../src/util/random.js';
import { bi, cell, dense, embed, program } from '../compile/helpers.js';
import { rng } from '../kernels/helpers.js';
import { ort, runOnnx } from '../support/onnx-runtime.js';

// ONNX Runtime on the exported graph against TensorFlow.js on the model it came from: the same
// ids must give outputs within 1e-5 (absolute), for every spec in specs/, every cell, direction,
// merge mode and stacking, and every padding pattern. The reference is tfjs-layers' own kernels
// (the definition) and rnnc's fused kernels (what `rnnc predict` runs). Weights, biases included,
// are random in [-0.5, 0.5), so a gate or bias put in the wrong place cannot hide behind zeros.

const TOL = 1e-5;
const TIME = 9;

let tf: typeof Tf;
let loaded: LoadedTf;
beforeAll(async () => {
  loaded = await loadTf({ backend: 'wasm', kernels: 'fused', threads: 2 });
  tf = loaded.tf;
});

/** Largest |ONNX Runtime − tfjs| seen per group, printed at the end (the numbers the docs quote). */
const worst = new Map<string, number>();
afterAll(() => {
  if (worst.size === 0) return;
  console.log(['max |ONNX Runtime − tfjs| per group:', ...[...worst].map(([g, d]) => `  ${g}: ${d.toExponential(2)}`)].join('\n'));
});

/** Batches of ids in `[2, vocab)`, one per padding pattern; 0 is padding. */
function batches(vocab: number, seed: number): { pattern: string; rows: number[][] }[] {
  const rand = rng(seed);
  const word = () => 2 + Math.floor(((rand() + 1) / 2) * (vocab - 2));
  const row = (keep: (t: number) => boolean) => Array.from({ length: TIME }, (_, t) => (keep(t) ? word() : 0));
  const end = (len: number) => row((t) => t < len);
  return [
    { pattern: 'no padding', rows: [end(TIME), end(TIME), end(TIME)] },
    { pattern: 'some padding', rows: [end(TIME), end(6), end(3), end(TIME - 1)] },
    { pattern: 'an all-padding row', rows: [end(5), end(0), end(TIME)] },
    { pattern: 'a length-1 row', rows: [end(1), end(TIME), end(4)] },
    // Beyond rnnc's own end padding: tfjs skips every 0 wherever it is, and so does the graph.
    { pattern: 'start padding', rows: [row((t) => t >= 4), row((t) => t >= TIME - 1), end(TIME)] },
    { pattern: 'interior zeros', rows: [row((t) => t % 3 !== 1), row((t) => t === 2 || t === 6), end(TIME)] },
  ];
}

/**
 * Random weights in ±0.5, matrices after the embedding in ±1.5/√rows when that is smaller, so
 * that the specs' wider layers (64 units) do not saturate every output at 0 or 1, where a wrong
 * weight could not show.
 */
function randomizeWeights(model: Tf.LayersModel, seed: number): void {
  const rand = rng(seed);
  model.setWeights(
    model.getWeights().map((w, i) => {
      const scale = i > 0 && w.shape.length === 2 ? Math.min(0.5, 1.5 / Math.sqrt(w.shape[0])) : 0.5;
      return tf.tensor(Float32Array.from({ length: w.size }, () => rand() * scale), w.shape);
    }),
  );
}

async function onnxOf(model: Tf.LayersModel): Promise<Uint8Array> {
  const files = await modelFiles(model);
  const json = parseModelJson(files['model.json'], 'model.json');
  return buildOnnx(json, manifestEntries(json), files['weights.bin'], 'model.json').bytes;
}

/**
 * Exports `model` and compares ONNX Runtime with tfjs on every padding pattern: first tfjs's stock
 * kernels, then (the same model, fused in place) rnnc's. Returns the largest difference.
 */
async function compare(model: Tf.LayersModel, group: string, seed: number): Promise<number> {
  randomizeWeights(model, seed);
  const bytes = await onnxOf(model);
  const vocab = Number(model.layers[0]!.getConfig()['inputDim']);
  const cases = batches(vocab, seed + 1);
  const predict = (rows: number[][]) => tf.tidy(() => (model.predict(tf.tensor2d(rows, [rows.length, TIME], 'int32')) as Tf.Tensor).dataSync().slice());
  const stock = cases.map((c) => predict(c.rows));
  prepareModel(loaded, model);
  const fused = cases.map((c) => predict(c.rows));
  // Outputs that differ between texts by far more than the tolerance: a model that says the
  // same for everything (saturated, or all weights near 0) would test little.
  const all = stock.flatMap((s) => Array.from(s));
  expect(Math.max(...all) - Math.min(...all), `${group}: outputs spread`).toBeGreaterThan(50 * TOL);
  let max = 0;
  for (const [i, c] of cases.entries()) {
    const got = await runOnnx(bytes, c.rows);
    expect(got.length, `${group}, ${c.pattern}`).toBe(stock[i]!.length);
    for (const ref of [stock[i]!, fused[i]!]) {
      const d = Math.max(...Array.from(got, (v, k) => Math.abs(v - ref[k]!)));
      expect(d, `${group}, ${c.pattern}: ONNX ${Array.from(got).join(' ')} vs tfjs ${Array.from(ref).join(' ')}`).toBeLessThan(TOL);
      max = Math.max(max, d);
      worst.set(`padding pattern: ${c.pattern}`, Math.max(worst.get(`padding pattern: ${c.pattern}`) ?? 0, d));
    }
  }
  worst.set(group, Math.max(worst.get(group) ?? 0, max));
  model.dispose();
  return max;
}

const build = (p: Program, seed = 1) => withMathRandom(seed, () => buildModel(tf, p));

const CELLS: readonly CellKind[] = ['simple_rnn', 'lstm', 'gru'];
const DIRECTIONS: readonly ('uni' | MergeMode)[] = ['uni', 'concat', 'sum', 'mul', 'ave'];
const recurrentOf = (c: CellKind, d: 'uni' | MergeMode, extra: Partial<RecurrentLayer> = {}): Layer => (d === 'uni' ? cell(c, 4, extra) : bi(cell(c, 4, extra), d));

describe.skipIf(!ort)('ONNX Runtime equals tfjs within 1e-5', () => {
  describe('every cell, direction and merge mode, two stacked layers (the lower returns its sequence)', () => {
    for (const c of CELLS) {
      for (const d of DIRECTIONS) {
        it(`${c}, ${d}`, async () => {
          await compare(build(program(embed(30, 5), recurrentOf(c, d), recurrentOf(c, d), dense(1))), `stacked ${c}`, 11);
        });
      }
    }
  });

  describe('layers between recurrent layers, heads and unmasked padding', () => {
    it('dense and dropout per time step between two recurrent layers, a softmax head over 4 classes', async () => {
      const p = program(embed(30, 5), bi(cell('lstm', 4), 'concat'), dense(3, { activation: 'relu' }), { kind: 'dropout', rate: 0.5 }, cell('gru', 4), dense(6, { activation: 'tanh' }), dense(4));
      await compare(build(p), 'dense between, softmax head', 21);
    });

    it('three stacked layers of different cells and merges', async () => {
      const p = program(embed(30, 6), bi(cell('gru', 5), 'ave'), cell('lstm', 4), bi(cell('simple_rnn', 3), 'mul'), dense(1));
      await compare(build(p), 'mixed stack', 22);
    });

    it.each(CELLS)('mask: false, %s: padding is read as a word, as tfjs reads it', async (c) => {
      const p = program(embed(30, 5, { mask_zero: false }), bi(cell(c, 4), 'sum'), cell(c, 4), dense(1));
      await compare(build(p), 'mask: false', 23);
    });
  });

  describe('activations', () => {
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
      it(`${c} ${JSON.stringify(extra)}`, async () => {
        const p = program(embed(30, 5), recurrentOf(c, 'concat', extra), recurrentOf(c, 'uni', extra), dense(2, { activation: 'linear' }));
        await compare(build(p), 'activations', 31);
      });
    }

    it("tfjs's default gate activation, hard_sigmoid, in a model.json rnnc did not write", async () => {
      const m = withMathRandom(3, () => {
        const s = tf.sequential();
        s.add(tf.layers.embedding({ inputDim: 30, outputDim: 5, maskZero: true, inputShape: [null] }));
        s.add(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 4, returnSequences: true }), mergeMode: 'concat' }));
        s.add(tf.layers.gru({ units: 4 }));
        s.add(tf.layers.dense({ units: 1, activation: 'hardSigmoid' }));
        return s;
      });
      await compare(m, 'activations', 32);
    });
  });

  describe('every spec in specs/', () => {
    const specs = [...readdirSync('specs').filter((f) => f.endsWith('.rnn')).map((f) => `specs/${f}`), ...readdirSync('specs/experiments').map((f) => `specs/experiments/${f}`)];
    for (const file of specs) {
      it(file, async () => {
        const checked = check(readFileSync(file, 'utf8'), { fileName: file });
        expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        await compare(build(checked.program!), 'specs', 41);
      });
    }
  });
});
