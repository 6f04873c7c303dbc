import { beforeAll, describe, expect, it } from 'vitest';
import type * as Tf from '@tensorflow/tfjs';
import { loadTf } from '../../src/compile/backend.js';
import { fillNormal, orthogonalRows } from '../../src/kernels/orthogonal.js';
import { loadKernels, type KernelRuntime } from '../../src/kernels/runtime.js';
import { withMathRandom } from '../../src/util/random.js';

// Keras's Orthogonal initializer, computed by a blocked QR on the kernels' matrix product
// (#8: `lstm(3000)` ran WebAssembly out of memory in tfjs's QR; `lstm(2000)` took minutes).

let rt: KernelRuntime;
let tf: typeof Tf;
beforeAll(async () => {
  rt = await loadKernels({ threads: 2 });
  tf = (await loadTf({ backend: 'wasm', threads: 2 })).tf;
});

/** max |Q·Qᵀ − I| over all pairs of rows. */
function orthonormalError(q: Float32Array, rows: number, cols: number): number {
  let worst = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < cols; k++) s += q[i * cols + k]! * q[j * cols + k]!;
      worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
    }
  }
  return worst;
}

describe('orthogonalRows', () => {
  it.each([
    [1, 1],
    [3, 12],
    [33, 33],
    [32, 96],
    [65, 260],
    [100, 100],
  ])('%i × %i: orthonormal rows to 1e-6', (rows, cols) => {
    const q = withMathRandom(7, () => orthogonalRows(rt, rows, cols, 1));
    expect(orthonormalError(q, rows, cols)).toBeLessThan(1e-6);
  });

  it('is the Q of the LQ factorization of the seeded normal matrix, with L’s diagonal positive (Keras’s sign fix)', () => {
    const [rows, cols] = [70, 150];
    const q = withMathRandom(11, () => orthogonalRows(rt, rows, cols, 1));
    const g = new Float32Array(rows * cols);
    withMathRandom(11, () => fillNormal(g));
    // L = G·Qᵀ must be lower triangular with a positive diagonal (then Q is unique).
    for (let i = 0; i < rows; i++) {
      for (let j = i; j < rows; j++) {
        let s = 0;
        for (let k = 0; k < cols; k++) s += g[i * cols + k]! * q[j * cols + k]!;
        if (j === i) expect(s).toBeGreaterThan(0);
        else expect(Math.abs(s)).toBeLessThan(1e-4);
      }
    }
  });

  it('is repeatable for a seed, scales by the gain, and has entries of variance 1/cols', () => {
    const a = withMathRandom(3, () => orthogonalRows(rt, 40, 160, 1));
    const b = withMathRandom(3, () => orthogonalRows(rt, 40, 160, 2));
    expect(b).toEqual(a.map((x) => x * 2));
    expect(withMathRandom(4, () => orthogonalRows(rt, 40, 160, 1))).not.toEqual(a);
    const variance = a.reduce((s, x) => s + x * x, 0) / a.length;
    expect(variance * 160).toBeCloseTo(1, 6);
  });
});

describe('tfjs-layers’ Orthogonal initializer, patched', () => {
  it('a 1024 × 4096 recurrent kernel (lstm(1024)) is orthogonal, fast (tfjs’s own QR took about a minute)', () => {
    const t = tf.initializers.orthogonal({}).apply([1024, 4096]);
    const q = t.dataSync() as Float32Array;
    t.dispose();
    // A sample of row pairs: the full product is 4 G multiply-adds in plain JS.
    let worst = 0;
    for (let i = 0; i < 1024; i += 97) {
      for (let j = 0; j < 1024; j += 89) {
        let s = 0;
        for (let k = 0; k < 4096; k++) s += q[i * 4096 + k]! * q[j * 4096 + k]!;
        worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
      }
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('tall shapes get orthonormal columns, and the layer config still says Orthogonal', () => {
    const t = tf.initializers.orthogonal({ gain: 1 }).apply([50, 20]);
    const q = t.transpose().dataSync() as Float32Array;
    t.dispose();
    expect(orthonormalError(q, 20, 50)).toBeLessThan(1e-6);
    const layer = tf.layers.lstm({ units: 4 });
    expect((layer.getConfig()['recurrentInitializer'] as { className: string }).className).toBe('Orthogonal');
  });
});
