import type * as Tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTf } from '../../src/compile/backend.js';
import { fuseLayer } from '../../src/kernels/fuse.js';
import { loadKernels, type KernelRuntime } from '../../src/kernels/runtime.js';
import { makeLayer, maskRows, relErr, rng, type CellName, type DirectionMode, type LayerCase, type MaskPattern } from './helpers.js';

// The fused kernels against stock tfjs-layers, layer by layer: the same weights, inputs and
// masks must give outputs and gradients (input and every weight) within 1e-5 of the reference's
// scale, for every cell, direction, merge mode, mask pattern and return mode, on 1 and 2 threads.

let tf: typeof Tf;
const runtimes: KernelRuntime[] = [];
beforeAll(async () => {
  tf = (await loadTf({ backend: 'wasm', kernels: 'stock' })).tf;
  runtimes.push(await loadKernels({ threads: 1 }), await loadKernels({ threads: 2 }));
});

const TOL = 1e-5;

interface Compared {
  forward: number;
  grads: number[];
  names: string[];
}

/** Runs a stock layer and a fused copy with the same weights on the same input; returns the errors. */
function compare(c: LayerCase, opts: { batch: number; time: number; features: number; mask: MaskPattern; seed: number; rt: KernelRuntime }): Compared {
  return tf.tidy(() => {
    const rand = rng(opts.seed);
    const { batch: B, time: T, features: D } = opts;
    const x = tf.tensor3d(Float32Array.from({ length: B * T * D }, () => rand() * 2), [B, T, D]);
    const mask = opts.mask === 'none' ? undefined : tf.tensor2d(maskRows(opts.mask, B, T, rand), [B, T], 'bool');
    const stock = makeLayer(tf, c);
    const fused = makeLayer(tf, c);
    stock.apply(x);
    fused.apply(x);
    fused.setWeights(stock.getWeights());
    expect(fuseLayer(tf, fused, opts.rt)).toBe('fused');

    const kwargs = mask ? { mask } : {};
    const ys = stock.apply(x, kwargs) as Tf.Tensor;
    const yf = fused.apply(x, kwargs) as Tf.Tensor;
    expect(yf.shape).toEqual(ys.shape);
    const forward = relErr(yf.dataSync(), ys.dataSync());

    // Gradients of Σ y ⊙ r with respect to the input and every weight.
    const r = tf.tensor(Float32Array.from({ length: ys.size }, () => rand()), ys.shape);
    const xv = tf.variable(x, true, `x${opts.seed}_${Math.random()}`);
    const gradsOf = (layer: Tf.layers.Layer): Tf.Tensor[] => {
      const vars = [xv, ...layer.weights.map((w) => w.read() as Tf.Variable)];
      const { grads } = tf.variableGrads(() => tf.sum<Tf.Scalar>(tf.mul(layer.apply(xv, kwargs) as Tf.Tensor, r)), vars);
      return vars.map((v) => grads[v.name]!);
    };
    const gs = gradsOf(stock);
    const gf = gradsOf(fused);
    xv.dispose();
    return {
      forward,
      grads: gs.map((g, i) => relErr(gf[i]!.dataSync(), g.dataSync())),
      names: ['input', ...stock.weights.map((w) => w.originalName.split('/').slice(-2).join('/'))],
    };
  });
}

function expectClose(res: Compared): void {
  expect(res.forward).toBeLessThan(TOL);
  res.grads.forEach((e, i) => expect(e, `gradient of ${res.names[i]}`).toBeLessThan(TOL));
}

const CELLS: CellName[] = ['lstm', 'gru', 'simpleRNN'];
const MODES: DirectionMode[] = ['forward', 'go_backwards', 'concat', 'sum', 'mul', 'ave'];
const MASKS: MaskPattern[] = ['none', 'end', 'start', 'holes'];

const grid = CELLS.flatMap((cell) =>
  MODES.flatMap((mode) => [true, false].flatMap((returnSequences) => MASKS.map((mask) => ({ cell, mode, returnSequences, mask })))),
);

describe('fused layers equal stock tfjs-layers (outputs and gradients within 1e-5)', () => {
  it.each(grid.map((g, i) => ({ ...g, i })))('$cell $mode returnSequences=$returnSequences mask=$mask', ({ cell, mode, returnSequences, mask, i }) => {
    // Units 5 exercise the scalar tails of the SIMD loops, 8 the vector path; threads alternate.
    const units = i % 2 === 0 ? 5 : 8;
    expectClose(compare({ cell, mode, returnSequences, units }, { batch: 5, time: 6, features: 3, mask, seed: i + 1, rt: runtimes[i % 2]! }));
  });

  it.each(CELLS)('%s: one-step sequences (the reference: stock on a second, masked step)', (cell) => {
    // tfjs-layers' own RNN gradient fails on a one-step sequence (its tf.stack of the steps),
    // so the reference reads the same step followed by one padding step, which changes nothing.
    tf.tidy(() => {
      for (const [k, mode] of (['forward', 'go_backwards', 'concat'] as const).entries()) {
        const rand = rng(90 + k);
        const [B, D] = [3, 2];
        const x1 = tf.tensor3d(Float32Array.from({ length: B * D }, () => rand()), [B, 1, D]);
        const x2 = tf.concat<Tf.Tensor3D>([x1, tf.zerosLike(x1)], 1);
        const mask2 = tf.tensor2d(Array.from({ length: B }, () => [1, 0]), [B, 2], 'bool');
        const c: LayerCase = { cell, mode, returnSequences: false, units: 4 };
        const stock = makeLayer(tf, c);
        const fused = makeLayer(tf, c);
        stock.apply(x2);
        fused.apply(x1);
        fused.setWeights(stock.getWeights());
        fuseLayer(tf, fused, runtimes[1]!);
        const grads = (layer: Tf.layers.Layer, x: Tf.Tensor3D, kwargs: object) => {
          const xv = tf.variable(x);
          const vars = [xv, ...layer.weights.map((w) => w.read() as Tf.Variable)];
          const { value, grads: g } = tf.variableGrads(() => tf.sum<Tf.Scalar>(tf.square(layer.apply(xv, kwargs) as Tf.Tensor)), vars);
          const out = [value, ...vars.map((v) => g[v.name]!)];
          xv.dispose();
          return out;
        };
        const gs = grads(stock, x2, { mask: mask2 });
        const gf = grads(fused, x1, {});
        gs[1] = tf.slice(gs[1]!, [0, 0, 0], [B, 1, D]); // the input gradient of the real step
        gs.forEach((g, i) => expect(relErr(gf[i]!.dataSync(), g.dataSync()), `${mode}: output ${i}`).toBeLessThan(TOL));
      }
    });
  });

  it.each([
    { cell: 'lstm' as const, activation: 'relu', recurrentActivation: 'hardSigmoid' },
    { cell: 'lstm' as const, activation: 'linear', recurrentActivation: 'tanh' },
    { cell: 'gru' as const, activation: 'sigmoid', recurrentActivation: 'hardSigmoid' },
    { cell: 'gru' as const, activation: 'relu', recurrentActivation: 'linear' },
    { cell: 'simpleRNN' as const, activation: 'relu' },
    { cell: 'simpleRNN' as const, activation: 'linear' },
    { cell: 'simpleRNN' as const, activation: 'sigmoid' },
  ])('$cell with activation $activation, recurrent activation $recurrentActivation', (c) => {
    expectClose(compare({ ...c, mode: 'concat', returnSequences: true, units: 6 }, { batch: 4, time: 5, features: 3, mask: 'end', seed: 77, rt: runtimes[1]! }));
  });

  it.each(CELLS)('%s without a bias', (cell) => {
    expectClose(compare({ cell, mode: 'forward', returnSequences: true, units: 4, useBias: false }, { batch: 3, time: 4, features: 2, mask: 'end', seed: 55, rt: runtimes[0]! }));
  });

  it('a larger layer: lstm(64) both ways over 32 × 40 steps of 48 features, end-padded', () => {
    expectClose(compare({ cell: 'lstm', mode: 'concat', returnSequences: false, units: 64 }, { batch: 32, time: 40, features: 48, mask: 'end', seed: 7, rt: runtimes[1]! }));
  });

  it('input dropout is inactive at inference: equal to stock', () => {
    expectClose(compare({ cell: 'gru', mode: 'concat', returnSequences: true, units: 5, dropout: 0.4 }, { batch: 4, time: 5, features: 3, mask: 'end', seed: 11, rt: runtimes[1]! }));
  });

  it('1 and 2 threads give bit-identical outputs', () => {
    const run = (rt: KernelRuntime): Float32Array =>
      tf.tidy(() => {
        const rand = rng(5);
        const x = tf.tensor3d(Float32Array.from({ length: 6 * 7 * 4 }, () => rand()), [6, 7, 4]);
        const layer = makeLayer(tf, { cell: 'lstm', mode: 'forward', returnSequences: true, units: 8 });
        layer.apply(x);
        layer.setWeights(layer.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => rand()), w.shape)));
        fuseLayer(tf, layer, rt);
        return (layer.apply(x) as Tf.Tensor).dataSync() as Float32Array;
      });
    expect(Array.from(run(runtimes[1]!))).toEqual(Array.from(run(runtimes[0]!)));
  });
});

describe('input dropout while training', () => {
  // One training call: its output, and from its input gradient the multipliers it drew (a
  // dropped feature gets no gradient at any step).
  const trainingCall = (layer: Tf.layers.Layer, x: Tf.Tensor3D) => {
    const xv = tf.variable(x);
    let out: Tf.Tensor | undefined;
    const { grads } = tf.variableGrads(() => {
      out = tf.keep(layer.apply(xv, { training: true }) as Tf.Tensor);
      return tf.sum<Tf.Scalar>(out);
    }, [xv]);
    const dx = grads[xv.name]!.arraySync() as number[][][];
    xv.dispose();
    return { out: out!, dx };
  };

  it.each(['forward', 'concat'] as const)('%s: one multiplier per row and feature, the same at every step', (mode) => {
    tf.tidy(() => {
      const rand = rng(21);
      const [B, T, D] = [6, 5, 8];
      const x = tf.tensor3d(Float32Array.from({ length: B * T * D }, () => rand() + 2), [B, T, D]);
      const layer = makeLayer(tf, { cell: 'lstm', mode, returnSequences: true, units: 4, dropout: 0.5 });
      layer.apply(x);
      fuseLayer(tf, layer, runtimes[1]!);
      const { dx } = trainingCall(layer, x);
      let dropped = 0;
      for (let b = 0; b < B; b++) {
        for (let d = 0; d < D; d++) {
          const zeros = dx[b]!.filter((row) => row[d] === 0).length;
          expect(zeros === 0 || zeros === T, `row ${b} feature ${d}: dropped at every step or at none`).toBe(true);
          if (zeros === T) dropped++;
        }
      }
      expect(dropped).toBeGreaterThan(0);
      expect(dropped).toBeLessThan(B * D);
    });
  });

  it.each(CELLS)('%s: the output equals a dropout-free layer on the masked input scaled by 1/(1 − rate)', (cell) => {
    tf.tidy(() => {
      const rate = 0.3;
      const rand = rng(33);
      const [B, T, D] = [5, 4, 6];
      const x = tf.tensor3d(Float32Array.from({ length: B * T * D }, () => rand() + 2), [B, T, D]);
      const layer = makeLayer(tf, { cell, mode: 'forward', returnSequences: true, units: 5, dropout: rate });
      const plain = makeLayer(tf, { cell, mode: 'forward', returnSequences: true, units: 5 });
      layer.apply(x);
      plain.apply(x);
      plain.setWeights(layer.getWeights());
      fuseLayer(tf, layer, runtimes[0]!);
      const { out, dx } = trainingCall(layer, x);
      const xs = x.arraySync();
      const scaled = tf.tensor3d(xs.map((rows, b) => rows.map((row, t) => row.map((v, d) => (dx[b]![t]![d] === 0 ? 0 : v / (1 - rate))))));
      expect(relErr(out.dataSync(), (plain.apply(scaled) as Tf.Tensor).dataSync())).toBeLessThan(TOL);
    });
  });
});

describe('on a backend other than wasm (cpu: the generic path tfjs-node takes too)', () => {
  // The kernels read tensors through dataSync and build outputs with tf.tensor there.
  it.each([
    { cell: 'lstm' as const, mode: 'concat' as const, mask: 'end' as const },
    { cell: 'gru' as const, mode: 'forward' as const, mask: 'holes' as const },
    { cell: 'simpleRNN' as const, mode: 'ave' as const, mask: 'start' as const },
  ])('$cell $mode mask=$mask', async ({ cell, mode, mask }) => {
    await tf.setBackend('cpu');
    try {
      expect(tf.getBackend()).toBe('cpu');
      expectClose(compare({ cell, mode, returnSequences: true, units: 5 }, { batch: 5, time: 6, features: 3, mask, seed: 300, rt: runtimes[1]! }));
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
