import type * as Tf from '@tensorflow/tfjs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { loadTf } from '../../src/compile/backend.js';
import { buildModel } from '../../src/compile/layers.js';
import { saveModel } from '../../src/compile/save.js';
import { FoldCache } from '../../src/kernels/fold.js';
import { fuseModel } from '../../src/kernels/fuse.js';
import { loadKernels, type KernelRuntime } from '../../src/kernels/runtime.js';
import type { Program } from '../../src/ir/types.js';
import { withMathRandom } from '../../src/util/random.js';
import { bi, cell, dense, embed, program } from '../compile/helpers.js';
import { relErr, rng } from './helpers.js';

// Whole models: stacked and bidirectional layers over a masked embedding, fused against stock,
// through training, saving and loading in stock tfjs without rnnc.

let tf: typeof Tf;
let rt: KernelRuntime;
beforeAll(async () => {
  tf = (await loadTf({ backend: 'wasm', kernels: 'stock' })).tf;
  rt = await loadKernels({ threads: 2 });
});

const stacked: Program = program(embed(40, 6), bi(cell('lstm', 7)), cell('gru', 5), dense(3), bi(cell('simple_rnn', 4), 'ave'), dense(1));

/** End-padded id rows of different lengths, one of them all padding. */
function batch(seed: number, rows = 6, time = 9): { x: Tf.Tensor2D; y: Tf.Tensor2D } {
  const rand = rng(seed);
  const ids = Array.from({ length: rows }, (_, b) => {
    const len = [time, 4, 1, 0, 7, 2][b % 6]!;
    return Array.from({ length: time }, (_, t) => (t < len ? 2 + Math.floor((rand() + 1) * 19) : 0));
  });
  return { x: tf.tensor2d(ids, [rows, time], 'int32'), y: tf.tensor2d(ids.map((_, b) => [b % 2]), [rows, 1]) };
}

/** The same model twice (same weights); the second one fused. */
function pair(p: Program): { stock: Tf.LayersModel; fused: Tf.LayersModel } {
  const stock = withMathRandom(1, () => buildModel(tf, p));
  const fused = withMathRandom(1, () => buildModel(tf, p));
  fused.setWeights(stock.getWeights());
  const report = fuseModel(tf, fused, rt);
  expect(report.stock).toEqual([]);
  expect(report.fused.length).toBe(p.layers.filter((l) => l.kind !== 'embedding' && l.kind !== 'dense' && l.kind !== 'dropout').length);
  return { stock, fused };
}

describe('a stacked model over a masked embedding', () => {
  it('predicts and differentiates (every weight, the embedding included) as stock does, within 1e-5', () => {
    const { stock, fused } = pair(stacked);
    const { x, y } = batch(3);
    expect(relErr((fused.predict(x) as Tf.Tensor).dataSync(), (stock.predict(x) as Tf.Tensor).dataSync())).toBeLessThan(1e-5);
    const grads = (m: Tf.LayersModel) => {
      const { grads: g } = tf.variableGrads(() => tf.losses.sigmoidCrossEntropy<Tf.Tensor, Tf.Scalar>(y, m.apply(x, { training: true }) as Tf.Tensor));
      return m.trainableWeights.map((w) => g[(w.read() as Tf.Variable).name]!.dataSync());
    };
    const gs = grads(stock);
    const gf = grads(fused);
    expect(gf.length).toBe(stacked.layers.length > 0 ? gs.length : 0);
    gs.forEach((g, i) => expect(relErr(gf[i]!, g), fused.trainableWeights[i]!.originalName).toBeLessThan(1e-5));
  });

  it('trains as stock does: 8 Adam steps from the same weights end within 1e-4', async () => {
    const { stock, fused } = pair(stacked);
    const losses: number[][] = [];
    for (const m of [stock, fused]) {
      m.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
      const l: number[] = [];
      for (let s = 0; s < 8; s++) {
        const { x, y } = batch(10 + s);
        l.push((await m.trainOnBatch(x, y)) as number);
      }
      losses.push(l);
    }
    expect(relErr(losses[1]!, losses[0]!)).toBeLessThan(1e-4);
    expect(losses[1]![7]!).toBeLessThan(losses[1]![0]!);
    const ws = stock.getWeights().map((w) => w.dataSync());
    fused.getWeights().forEach((w, i) => expect(relErr(w.dataSync(), ws[i]!)).toBeLessThan(1e-4));
  });

  it('saved after fused training, loads in stock tfjs (no rnnc code) with the same layers and predictions', async () => {
    const { fused } = pair(stacked);
    fused.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy' });
    for (let s = 0; s < 3; s++) {
      const { x, y } = batch(20 + s);
      await fused.trainOnBatch(x, y);
    }
    const dir = await mkdtemp(join(tmpdir(), 'rnnc-fused-save-'));
    try {
      await saveModel(fused, dir);
      const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as {
        modelTopology: { config: { layers: { class_name: string; config: { layer?: { class_name: string } } }[] } };
        weightsManifest: { weights: { name: string }[] }[];
      };
      const classes = json.modelTopology.config.layers.map((l) => (l.config.layer ? `${l.class_name}(${l.config.layer.class_name})` : l.class_name));
      expect(classes).toEqual(['Embedding', 'Bidirectional(LSTM)', 'GRU', 'Dense', 'Bidirectional(SimpleRNN)', 'Dense']);
      const names = json.weightsManifest[0]!.weights.map((w) => w.name);
      // tfjs's layout for a bidirectional LSTM: each direction's kernel, recurrent kernel, bias.
      expect(names.filter((n) => n.startsWith('bidirectional/'))).toEqual(
        ['forward', 'backward'].flatMap((d) => ['kernel', 'recurrent_kernel', 'bias'].map((w) => `bidirectional/${d}_lstm_of_bidirectional/${w}`)),
      );
      const weights = await readFile(join(dir, 'weights.bin'));
      // Plain tfjs: loadLayersModel on the two files, nothing of rnnc's.
      const reloaded = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: json.modelTopology,
          weightSpecs: json.weightsManifest[0]!.weights as Tf.io.WeightsManifestEntry[],
          weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
        }),
      );
      const { x } = batch(99);
      expect(relErr((reloaded.predict(x) as Tf.Tensor).dataSync(), (fused.predict(x) as Tf.Tensor).dataSync())).toBeLessThan(1e-5);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('layers the kernels do not cover stay on stock kernels, with the reason', () => {
  it('reports recurrent_dropout and leaves the other layers fused; the model still trains', async () => {
    const p = program(embed(40, 4), bi(cell('lstm', 3, { recurrent_dropout: 0.2 })), cell('gru', 3), dense(1));
    const m = buildModel(tf, p);
    const report = fuseModel(tf, m, rt);
    expect(report.stock).toEqual([{ layer: 'bidirectional', reason: 'recurrent_dropout is not fused' }]);
    expect(report.fused).toEqual(['gru']);
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    const { x, y } = batch(5);
    expect(Number.isFinite((await m.trainOnBatch(x, y)) as number)).toBe(true);
  });

  it('reports an activation without a kernel', () => {
    const m = buildModel(tf, program(embed(40, 4), cell('simple_rnn', 3, { activation: 'softmax' }), dense(1)));
    expect(fuseModel(tf, m, rt).stock).toEqual([{ layer: 'simple_rnn', reason: 'activation `softmax` has no fused kernel' }]);
  });
});

describe('embedding folding at inference', () => {
  const withDropout: Program = program(embed(40, 6), { kind: 'dropout', rate: 0.5 }, bi(cell('lstm', 7)), cell('gru', 5), dense(1));

  it('reads E·W + b from a table instead of projecting, with the same predictions to the bit, also after training changes the weights', async () => {
    const { fused } = pair(withDropout);
    const { x, y } = batch(41, 8, 9); // 72 steps ≥ a 40-word vocabulary: worth a table at once
    const spy = vi.spyOn(FoldCache.prototype, 'tablesFor');
    const tableUsed = () => spy.mock.results.some((r) => r.value !== null);
    /** Predictions with the table withheld (one foldable layer: one offer per prediction). */
    const unfolded = (): number[] => {
      spy.mockReturnValueOnce(null);
      return Array.from((fused.predict(x) as Tf.Tensor).dataSync());
    };
    try {
      const folded = Array.from((fused.predict(x) as Tf.Tensor).dataSync());
      expect(tableUsed()).toBe(true);
      expect(folded).toEqual(unfolded());
      fused.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy' });
      await fused.trainOnBatch(x, y);
      spy.mockClear();
      const after = Array.from((fused.predict(x) as Tf.Tensor).dataSync());
      expect(tableUsed()).toBe(true);
      expect(after).toEqual(unfolded());
      expect(after).not.toEqual(folded);
    } finally {
      spy.mockRestore();
    }
  });

  it('builds no table before the layer has projected as many steps as the vocabulary has words', () => {
    const m = withMathRandom(2, () => buildModel(tf, program(embed(1000, 4), cell('lstm', 3), dense(1))));
    fuseModel(tf, m, rt);
    const spy = vi.spyOn(FoldCache.prototype, 'tablesFor');
    try {
      const { x } = batch(43, 2, 5); // 10 steps per call
      for (let i = 0; i < 3; i++) m.predict(x);
      expect(spy.mock.results.map((r) => r.value)).toEqual([null, null, null]);
    } finally {
      spy.mockRestore();
    }
  });
});
