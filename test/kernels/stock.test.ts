import type * as Tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTf } from '../../src/compile/backend.js';
import { registerKernelFixes } from '../../src/kernels/stock.js';
import { relErr, rng } from './helpers.js';

// rnnc's replacements for wasm kernels of tfjs 4.22 (src/kernels/stock.ts) against the cpu
// backend's own kernels: exact for the data-movement kernels, 1e-5 for matrix products.

let tf: typeof Tf;
beforeAll(async () => {
  tf = (await loadTf({ backend: 'wasm', kernels: 'stock' })).tf;
  await tf.setBackend('cpu');
  await tf.setBackend('wasm');
});

/** `f` on the cpu backend and on wasm, as nested arrays (one or several outputs). */
async function both<T>(f: () => T): Promise<{ cpu: unknown; wasm: unknown }> {
  const read = (t: unknown): unknown => (Array.isArray(t) ? t.map(read) : (t as Tf.Tensor).arraySync());
  await tf.setBackend('cpu');
  const cpu = tf.tidy(() => read(f()) as never);
  await tf.setBackend('wasm');
  const wasm = tf.tidy(() => read(f()) as never);
  return { cpu, wasm };
}

const rand = rng(4);
const data = (shape: number[]) => Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => Math.round(rand() * 100));

describe('the replaced wasm kernels are registered, once', () => {
  it('wraps Slice, SplitV, Unpack, GatherV2, Reverse and BatchMatMul on wasm; a second call changes nothing', () => {
    expect(registerKernelFixes(tf)).toEqual([]);
    for (const name of ['Slice', 'SplitV', 'Unpack', 'GatherV2', 'Reverse', 'BatchMatMul']) expect(tf.getKernel(name, 'wasm')).toBeDefined();
  });

  it('relies on BackendWasm methods that tfjs-backend-wasm 4.22 has', () => {
    const b = tf.backend() as unknown as Record<string, unknown>;
    for (const m of ['makeOutput', 'typedArrayFromHeap', 'disposeData']) expect(typeof b[m], m).toBe('function');
    expect(typeof (b['dataIdMap'] as { get?: unknown }).get).toBe('function');
  });
});

describe('wasm results equal cpu results', () => {
  it.each([
    { shape: [7, 5], begin: [2, 1], size: [3, -1] },
    { shape: [4, 6, 3], begin: [1, 0, 0], size: [2, 6, 3] },
    { shape: [4, 6, 3], begin: [0, 2, 1], size: [4, 1, 2] },
    { shape: [2, 3, 4, 5], begin: [1, 1, 0, 2], size: [1, 2, 4, 3] },
    { shape: [2, 2, 3, 2, 3], begin: [0, 1, 1, 0, 1], size: [2, 1, 2, 2, 1] },
    { shape: [10], begin: [3], size: [0] },
  ])('slice $shape from $begin size $size', async ({ shape, begin, size }) => {
    const x = data(shape);
    const r = await both(() => [tf.slice(tf.tensor(x, shape), begin, size), tf.slice(tf.tensor(x, shape, 'int32'), begin, size)]);
    expect(r.wasm).toEqual(r.cpu);
  });

  it('slice of a bool tensor and with a scalar begin', async () => {
    const x = data([5, 2]);
    const r = await both(() => [tf.slice(tf.tensor2d([[1, 0, 1], [0, 0, 1]], [2, 3], 'bool'), [0, 1], [2, 2]), tf.slice(tf.tensor2d(x, [5, 2]), 2)]);
    expect(r.wasm).toEqual(r.cpu);
  });

  it.each([
    { shape: [6, 4], splits: [1, -1, 2], axis: 0 },
    { shape: [3, 8, 2], splits: 4, axis: 1 },
    { shape: [3, 4, 6], splits: [2, 4], axis: -1 },
  ])('split $shape into $splits on axis $axis', async ({ shape, splits, axis }) => {
    const x = data(shape);
    const r = await both(() => tf.split(tf.tensor(x, shape), splits, axis));
    expect(r.wasm).toEqual(r.cpu);
  });

  it.each([0, 1, 2])('unstack a [4, 5, 3] tensor on axis %i', async (axis) => {
    const x = data([4, 5, 3]);
    const r = await both(() => tf.unstack(tf.tensor3d(x, [4, 5, 3]), axis));
    expect(r.wasm).toEqual(r.cpu);
  });

  it.each([
    { shape: [10, 4], ids: [[3, 0], [9, 9]], axis: 0 },
    { shape: [3, 7, 2], ids: [6, 0, 2], axis: 1 },
    { shape: [3, 7], ids: [1, 1, 0], axis: 1 },
  ])('gather $ids from $shape on axis $axis', async ({ shape, ids, axis }) => {
    const x = data(shape);
    const r = await both(() => [tf.gather(tf.tensor(x, shape), tf.tensor(ids, undefined, 'int32'), axis), tf.gather(tf.tensor(x, shape, 'int32'), tf.tensor(ids, undefined, 'int32'), axis)]);
    expect(r.wasm).toEqual(r.cpu);
  });

  it('gather refuses an index out of range with tfjs’s message', () => {
    expect(() => tf.gather(tf.tensor2d([[1], [2]]), tf.tensor1d([2], 'int32'))).toThrow('GatherV2: the index value 2 is not in [0, 1]');
  });

  it.each([[[1]], [[0, 2]], [[1, 2]], [[0]], [[2]], [[0, 1, 2]]])('reverse a [3, 4, 2] tensor on axes %j', async (axes) => {
    const x = data([3, 4, 2]);
    const r = await both(() => tf.reverse(tf.tensor3d(x, [3, 4, 2]), axes));
    expect(r.wasm).toEqual(r.cpu);
  });

  it.each([
    { a: [5, 3], b: [3, 4], ta: false, tb: false },
    { a: [3, 5], b: [3, 4], ta: true, tb: false },
    { a: [5, 3], b: [4, 3], ta: false, tb: true },
    { a: [3, 5], b: [4, 3], ta: true, tb: true },
    { a: [2, 6, 3], b: [2, 6, 4], ta: true, tb: false },
    { a: [2, 3, 6], b: [1, 4, 6], ta: false, tb: true },
  ])('matMul $a × $b, transposeA $ta, transposeB $tb', async ({ a, b, ta, tb }) => {
    const av = data(a).map((v) => v / 100);
    const bv = data(b).map((v) => v / 100);
    const r = await both(() => tf.matMul(tf.tensor(av, a), tf.tensor(bv, b), ta, tb));
    expect(relErr((r.wasm as number[][]).flat(2), (r.cpu as number[][]).flat(2))).toBeLessThan(1e-5);
  });
});
