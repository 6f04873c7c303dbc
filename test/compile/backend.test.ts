import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type * as Tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { RnncError } from '../../src/diagnostics/error.js';
import { loadTf, registerKernelFixes, unsortedSegmentSumKernel } from '../../src/compile/backend.js';
import { buildModel } from '../../src/compile/layers.js';
import type { Program } from '../../src/ir/types.js';
import { bi, cell, dense, embed, program } from './helpers.js';

let tf: typeof Tf;
beforeAll(async () => {
  tf = await import('@tensorflow/tfjs');
});

const absent = () => Promise.reject(new Error("Cannot find package '@tensorflow/tfjs-node' imported from backend.js"));

const nodeInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

describe('loadTf backend selection', () => {
  it('takes the node path when tfjs-node imports (simulated: the importer registers `tensorflow`)', async () => {
    const importNode = vi.fn(async () => {
      tf.registerBackend('tensorflow', () => new MathBackendCPU());
      return {};
    });
    try {
      const loaded = await loadTf({ importNode });
      expect(loaded.backend).toBe('node');
      expect(loaded.note).toBeUndefined();
      expect(loaded.tf.getBackend()).toBe('tensorflow');
      expect(importNode).toHaveBeenCalledOnce();
    } finally {
      tf.removeBackend('tensorflow');
    }
  });

  it('falls back to wasm when tfjs-node is absent, and says why', async () => {
    const loaded = await loadTf({ importNode: absent });
    expect(loaded.backend).toBe('wasm');
    expect(loaded.tf.getBackend()).toBe('wasm');
    expect(loaded.note).toBe(
      "@tensorflow/tfjs-node could not be loaded (Cannot find package '@tensorflow/tfjs-node' imported from backend.js); using wasm",
    );
  });

  it.skipIf(nodeInstalled)('with the real importer on this machine (no tfjs-node): wasm', async () => {
    const loaded = await loadTf();
    expect(loaded.backend).toBe('wasm');
    expect(loaded.note).toBe('@tensorflow/tfjs-node is not installed; using wasm');
  });

  it('a tfjs-node that is installed but fails to load is reported with its error', async () => {
    const broken = () => Promise.reject(new Error('libtensorflow.so.2: cannot open shared object file\n    at Module._load'));
    const loaded = await loadTf({ importNode: broken });
    expect(loaded.note).toBe('@tensorflow/tfjs-node could not be loaded (libtensorflow.so.2: cannot open shared object file); using wasm');
  });

  it('an importer that registers no backend is not taken for tfjs-node', async () => {
    const loaded = await loadTf({ importNode: async () => ({}) });
    expect(loaded.backend).toBe('wasm');
    expect(loaded.note).toMatch(/registered no `tensorflow` backend; using wasm$/);
  });

  it('explicit cpu: no tfjs-node import attempted', async () => {
    const importNode = vi.fn(absent);
    const loaded = await loadTf({ backend: 'cpu', importNode });
    expect(loaded).toMatchObject({ backend: 'cpu' });
    expect(loaded.note).toBeUndefined();
    expect(loaded.tf.getBackend()).toBe('cpu');
    expect(importNode).not.toHaveBeenCalled();
  });

  it('explicit wasm', async () => {
    const loaded = await loadTf({ backend: 'wasm', importNode: absent });
    expect(loaded.backend).toBe('wasm');
    expect(loaded.tf.getBackend()).toBe('wasm');
  });

  it('explicit node without tfjs-node: BackendUnavailable (E4003) with a help line', async () => {
    const err = await loadTf({ backend: 'node', importNode: absent }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RnncError);
    const e = err as RnncError;
    expect(e.code).toBe('E4003');
    expect(e.message).toBe(
      "backend `node` unavailable: @tensorflow/tfjs-node could not be loaded (Cannot find package '@tensorflow/tfjs-node' imported from backend.js)",
    );
    expect(e.diagnostic.help).toMatch(/--backend wasm/);
  });

  it('importing src/compile loads no tfjs (only calling loadTf does)', async () => {
    // Bundle each module with packages left external, so a top-level tfjs import would have
    // to be resolved from a folder with no node_modules and fail; then list loaded CJS modules.
    const out = await mkdtemp(join(tmpdir(), 'rnnc-lazy-'));
    try {
      const names = ['backend', 'layers', 'save'];
      await build({
        entryPoints: names.map((n) => `src/compile/${n}.ts`),
        bundle: true,
        packages: 'external',
        format: 'esm',
        platform: 'node',
        outdir: out,
        logLevel: 'silent',
      });
      const script = `
        import { createRequire } from 'node:module';
        for (const n of ${JSON.stringify(names)}) await import('./' + n + '.js');
        const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('@tensorflow'));
        console.log(JSON.stringify(loaded));`;
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: out });
      expect(JSON.parse(stdout)).toEqual([]);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('UnsortedSegmentSum (the embedding gradient)', () => {
  beforeAll(async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    registerKernelFixes(tf);
  });

  it('is registered on wasm and replaces cpu’s, once', async () => {
    await loadTf({ backend: 'wasm', importNode: absent });
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')?.kernelFunc).toBe(unsortedSegmentSumKernel);
    expect(tf.getKernel('UnsortedSegmentSum', 'cpu')?.kernelFunc).toBe(unsortedSegmentSumKernel);
    expect(registerKernelFixes(tf)).toEqual([]);
  });

  it.each(['wasm', 'cpu'])('%s: sums rows into segments, drops out-of-range ids, keeps dtype', async (backend) => {
    await tf.setBackend(backend);
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]);
    const out = tf.unsortedSegmentSum(x, tf.tensor1d([2, 0, 2, -1, 5], 'int32'), 4);
    expect(out.shape).toEqual([4, 2]);
    expect(out.arraySync()).toEqual([[3, 4], [0, 0], [6, 8], [0, 0]]);
    const ints = tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([1, 1, 0], 'int32'), 2);
    expect(ints.dtype).toBe('int32');
    expect(ints.arraySync()).toEqual([3, 3]);
  });

  it.each(['wasm', 'cpu'])('%s: gather gradient equals oneHot(ids)ᵀ·dy within 1e-6', async (backend) => {
    await tf.setBackend(backend);
    const V = 50;
    const table = tf.randomNormal([V, 6]);
    const ids = tf.tensor2d([[1, 7, 7, 0], [49, 3, 1, 1]], [2, 4], 'int32');
    const dy = tf.randomNormal([2, 4, 6]);
    const grad = tf.grad((w: Tf.Tensor) => tf.gather(w, ids).mul(dy).sum())(table);
    const reference = tf.matMul(tf.oneHot(ids.flatten(), V).toFloat(), dy.reshape([8, 6]), true, false);
    const diff = tf.max(tf.abs(grad.sub(reference))).dataSync()[0]!;
    expect(diff).toBeLessThan(1e-6);
  });

  it('cpu: a 10,000-word embedding gradient takes well under a second (tfjs’s own took ~28 s)', async () => {
    await tf.setBackend('cpu');
    const table = tf.randomNormal([10000, 32]);
    const ids = tf.randomUniform([32 * 20], 0, 10000, 'int32');
    const t0 = performance.now();
    tf.grad((w: Tf.Tensor) => tf.gather(w, ids).sum())(table).dataSync();
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('training on wasm', () => {
  // Toy separable problem: class 1 uses ids 2–9, class 0 ids 10–19; lengths vary, end-padded with 0.
  const toy = () => {
    const rows: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 16; i++) {
      const y = i % 2;
      const len = 2 + (i % 5);
      rows.push(Array.from({ length: 7 }, (_, t) => (t < len ? (y ? 2 + ((i + t) % 8) : 10 + ((i + 3 * t) % 10)) : 0)));
      labels.push(y);
    }
    return { x: tf.tensor2d(rows, [16, 7], 'int32'), y: tf.tensor2d(labels, [16, 1]) };
  };
  const biLstm: Program = program(embed(20, 8), bi(cell('lstm', 8)), dense(1));

  it('embed |> bi(lstm) |> dense with masking: loss falls under Adam', async () => {
    await loadTf({ backend: 'wasm', importNode: absent });
    const { x, y } = toy();
    const model = buildModel(tf, biLstm);
    model.compile({ optimizer: tf.train.adam(0.03), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const h = await model.fit(x, y, { epochs: 12, batchSize: 16, verbose: 0, shuffle: false });
    const loss = h.history['loss'] as number[];
    expect(loss[11]!).toBeLessThan(0.75 * loss[0]!);
    expect((h.history['acc'] as number[])[11]).toBe(1);
  });

  it('fails without the registered kernel (so the registration is what makes it work)', async () => {
    await loadTf({ backend: 'wasm', importNode: absent });
    const { x, y } = toy();
    const model = buildModel(tf, biLstm);
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    tf.unregisterKernel('UnsortedSegmentSum', 'wasm');
    try {
      await expect(model.trainOnBatch(x, y)).rejects.toThrow("Kernel 'UnsortedSegmentSum' not registered for backend 'wasm'");
    } finally {
      registerKernelFixes(tf);
    }
    await model.trainOnBatch(x, y);
  });

  it('gradients of a whole masked bi-LSTM model match cpu within 1e-6', async () => {
    const { x, y } = toy();
    await tf.setBackend('cpu');
    const model = buildModel(tf, biLstm);
    const gradsOn = async (backend: string) => {
      await tf.setBackend(backend);
      const { grads } = tf.variableGrads(() => tf.losses.sigmoidCrossEntropy<Tf.Tensor, Tf.Scalar>(y, model.apply(x, { training: true }) as Tf.Tensor));
      return Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, Array.from(g.dataSync())]));
    };
    const cpu = await gradsOn('cpu');
    const wasm = await gradsOn('wasm');
    expect(Object.keys(wasm).sort()).toEqual(Object.keys(cpu).sort());
    expect(Object.keys(cpu).some((k) => k.startsWith('embedding/'))).toBe(true);
    for (const k of Object.keys(cpu)) {
      const diff = Math.max(...cpu[k]!.map((v, i) => Math.abs(v - wasm[k]![i]!)));
      expect(diff, k).toBeLessThan(1e-6);
    }
  });

  it('every cell, dropout, recurrent dropout, dense between RNNs, each optimizer and loss runs on wasm', async () => {
    await loadTf({ backend: 'wasm', importNode: absent });
    const { x } = toy();
    const labels = tf.tensor2d(Array.from({ length: 16 }, (_, i) => [i % 3]));
    for (const kind of ['simple_rnn', 'lstm', 'gru'] as const) {
      const p = program(
        embed(20, 4),
        bi(cell(kind, 3, { dropout: 0.2, recurrent_dropout: 0.2 }), 'ave'),
        dense(3, { activation: 'relu' }),
        { kind: 'dropout', rate: 0.2 },
        cell(kind, 3),
        dense(3),
      );
      for (const [optimizer, loss, target] of [
        [tf.train.adam(0.01), 'sparseCategoricalCrossentropy', labels],
        [tf.train.sgd(0.1), 'categoricalCrossentropy', tf.oneHot(labels.flatten().toInt(), 3)],
        [tf.train.rmsprop(0.01), 'sparseCategoricalCrossentropy', labels],
        [tf.train.adagrad(0.1), 'sparseCategoricalCrossentropy', labels],
      ] as const) {
        const model = buildModel(tf, p);
        model.compile({ optimizer, loss, metrics: ['accuracy'] });
        const h = await model.fit(x, target, { epochs: 1, batchSize: 8, verbose: 0 });
        expect(Number.isFinite((h.history['loss'] as number[])[0]), `${kind} ${loss}`).toBe(true);
      }
    }
  });
});
