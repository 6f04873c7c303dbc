import type * as Tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTf } from '../../src/compile/backend.js';
import { fusedAdam } from '../../src/kernels/adam.js';
import { loadKernels, type KernelRuntime } from '../../src/kernels/runtime.js';
import { relErr, rng } from './helpers.js';

// The one-pass Adam against tfjs's own, on wasm and on cpu: the same trajectory within float
// rounding, the same slots and β powers, and the same serialised form.

let tf: typeof Tf;
let rt: KernelRuntime;
beforeAll(async () => {
  tf = (await loadTf({ backend: 'wasm', kernels: 'stock' })).tf;
  rt = await loadKernels({ threads: 2 });
});

/** Runs 20 steps of `opt` on three variables with seeded gradients; returns the variables' values. */
function run(opt: Tf.Optimizer, seed: number, tag: string): Float32Array[] {
  const rand = rng(seed);
  const shapes = [[9000, 8], [4], [3, 2]]; // the first in chunks across threads
  const vars = shapes.map((s, i) => tf.variable(tf.tensor(Float32Array.from({ length: s.reduce((a, d) => a * d, 1) }, () => rand()), s), true, `adam_${tag}_${i}`));
  for (let step = 0; step < 20; step++) {
    tf.tidy(() => {
      const grads = vars.map((v) => ({ name: v.name, tensor: tf.tensor(Float32Array.from({ length: v.size }, () => rand() * (step % 3 === 0 ? 0 : 1)), v.shape) }));
      opt.applyGradients(grads);
    });
  }
  const out = vars.map((v) => v.dataSync() as Float32Array);
  vars.forEach((v) => v.dispose());
  return out;
}

describe('fused Adam', () => {
  it.each(['wasm', 'cpu'])('%s: 20 steps equal tfjs Adam within 1e-4, with the same slots and step count', async (backend) => {
    await tf.setBackend(backend);
    try {
      const stock = tf.train.adam(0.01, 0.9, 0.999, 1e-7);
      const fused = fusedAdam(tf, rt, 0.01, 0.9, 0.999, 1e-7);
      const a = run(stock, 3, `stock_${backend}`);
      const b = run(fused, 3, `fused_${backend}`);
      // 20 steps compound the rounding of two different float32 formulas for the same update.
      a.forEach((x, i) => expect(relErr(b[i]!, x)).toBeLessThan(1e-4));
      const ws = await stock.getWeights();
      const wf = await fused.getWeights();
      expect(wf.map((w) => w.name.replace('fused', 'X'))).toEqual(ws.map((w) => w.name.replace('stock', 'X')));
      expect(wf[0]!.tensor.dataSync()[0]).toBe(20); // iterations
      for (let i = 1; i < ws.length; i++) expect(relErr(wf[i]!.tensor.dataSync(), ws[i]!.tensor.dataSync())).toBeLessThan(1e-4);
    } finally {
      await tf.setBackend('wasm');
    }
  });

  it('serialises as tfjs Adam', () => {
    const fused = fusedAdam(tf, rt, 0.002, 0.8, 0.99, 1e-6);
    expect(fused.getClassName()).toBe('Adam');
    expect(fused.getConfig()).toEqual(tf.train.adam(0.002, 0.8, 0.99, 1e-6).getConfig());
  });
});
