import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ABI_VERSION, RNN_ARGS_FIELDS, TASK_FUNCTIONS } from '../../src/kernels/abi.js';
import { loadKernels, type KernelRuntime } from '../../src/kernels/runtime.js';
import { relErr, rng } from './helpers.js';

// The WebAssembly module and its runtime: the ABI the TypeScript side relies on, the matrix
// product every kernel is built on, the thread pool and the memory.

let one: KernelRuntime;
let two: KernelRuntime;
beforeAll(async () => {
  one = await loadKernels({ threads: 1 });
  two = await loadKernels({ threads: 2 });
});

describe('the committed module', () => {
  it('reports the ABI version and RnnArgs field count src/kernels/abi.ts expects, and exports every task function', () => {
    expect(one.exports.rnnc_abi_version()).toBe(ABI_VERSION);
    expect(one.exports.rnnc_args_fields()).toBe(RNN_ARGS_FIELDS.length);
    for (const f of TASK_FUNCTIONS) expect(typeof one.exports[f]).toBe('function');
  });

  it('is small, and imports only a shared memory (no libc, no host functions)', async () => {
    const bytes = readFileSync(new URL('../../src/kernels/rnn.wasm', import.meta.url));
    expect(bytes.length).toBeLessThan(200_000);
    const imports = WebAssembly.Module.imports(await WebAssembly.compile(bytes));
    expect(imports).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
  });

  it('loads once per thread count and process', async () => {
    expect(await loadKernels({ threads: 2 })).toBe(two);
    expect(two.threads).toBe(2);
    expect(one.threads).toBe(1);
  });
});

describe('rnnc_gemm', () => {
  // C (=|+=) A·B with A through (row, k) strides: A·B with (K, 1), Aᵀ·B with (1, M).
  const cases = [
    { M: 1, N: 1, K: 1 },
    { M: 3, N: 5, K: 7 },
    { M: 4, N: 8, K: 16 },
    { M: 9, N: 13, K: 300 }, // K over one 256 block
    { M: 6, N: 600, K: 20 }, // N over one 512 block
    { M: 33, N: 64, K: 64 },
  ];
  it.each(cases.flatMap((c) => [false, true].flatMap((transposed) => [0, 1].map((accumulate) => ({ ...c, transposed, accumulate })))))(
    'M=$M N=$N K=$K transposedA=$transposed accumulate=$accumulate',
    ({ M, N, K, transposed, accumulate }) => {
      const rand = rng(M * 1000 + N * 10 + K);
      const A = Float32Array.from({ length: M * K }, () => rand());
      const B = Float32Array.from({ length: K * N }, () => rand());
      const C0 = Float32Array.from({ length: M * N }, () => rand());
      const at = (m: number, k: number) => (transposed ? A[k * M + m]! : A[m * K + k]!);
      const want = new Float64Array(M * N);
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          let s = accumulate ? C0[m * N + n]! : 0;
          for (let k = 0; k < K; k++) s += at(m, k) * B[k * N + n]!;
          want[m * N + n] = s;
        }
      }
      const ws = one.workspace();
      const a = ws.put(A);
      const b = ws.put(B);
      const c = ws.put(C0);
      one.exports.rnnc_gemm(M, N, K, a, transposed ? 1 : K, transposed ? M : 1, b, N, c, N, accumulate);
      expect(relErr(one.f32(c, M * N), want)).toBeLessThan(1e-6);
    },
  );
});

describe('the thread pool', () => {
  it('reports a task that traps on a worker thread, and keeps working afterwards', () => {
    const ws = two.workspace();
    const args = ws.alloc(RNN_ARGS_FIELDS.length);
    // Pointers past the end of memory: the kernel traps (memory access out of bounds).
    two.i32(args, RNN_ARGS_FIELDS.length).set(RNN_ARGS_FIELDS.map((f) => (f === 'batch' || f === 'time' || f === 'in' || f === 'units' ? 2 : f === 'cell' ? 1 : 0xfffffff0)));
    expect(() => two.run([{ fn: 'rnnc_forward', arg: args }, { fn: 'rnnc_forward', arg: args }])).toThrow(/out of bounds|failed on a worker thread/);
    // A correct product afterwards, on both threads' memory view.
    const m = ws.put([1, 2, 3, 4]);
    const out = ws.alloc(4);
    two.exports.rnnc_gemm(2, 2, 2, m, 2, 1, m, 2, out, 2, 0);
    expect(Array.from(two.f32(out, 4))).toEqual([7, 10, 15, 22]);
  });

  it('workers see memory grown after they started', () => {
    const ws = two.workspace();
    const before = two.memory.buffer.byteLength;
    ws.alloc((before + 64 * 1024 * 1024) / 4); // forces growth; what follows lies beyond the old end
    expect(two.memory.buffer.byteLength).toBeGreaterThan(before);
    // Two one-unit SimpleRNN tasks (one per thread) over one step: h = tanh(x·w + b).
    const outs = [0.5, -1.5].map((xv) => {
      const args: Record<string, number> = Object.fromEntries(RNN_ARGS_FIELDS.map((f) => [f, 0]));
      Object.assign(args, { cell: 0, act: 1, batch: 1, time: 1, in: 1, units: 1, out_stride: 1 });
      Object.assign(args, { x: ws.put([xv]), kernel: ws.put([2]), rkernel: ws.put([0]), bias: ws.put([0.25]), gates: ws.alloc(1), out_last: ws.alloc(1) });
      args['scratch'] = ws.alloc(one.exports.rnnc_scratch_floats(0, 1, 1, 1, 1, 0, 0));
      const at = ws.alloc(RNN_ARGS_FIELDS.length);
      two.i32(at, RNN_ARGS_FIELDS.length).set(RNN_ARGS_FIELDS.map((f) => args[f]!));
      expect(at).toBeGreaterThan(before);
      return { at, out: args['out_last']! };
    });
    two.run(outs.map((o) => ({ fn: 'rnnc_forward' as const, arg: o.at })));
    expect(two.f32(outs[0]!.out, 1)[0]).toBeCloseTo(Math.tanh(1.25), 6);
    expect(two.f32(outs[1]!.out, 1)[0]).toBeCloseTo(Math.tanh(-2.75), 6);
  });

  it('refuses a workspace beyond WebAssembly’s 4 GiB with a message naming the batch', () => {
    expect(() => one.workspace().alloc(2 ** 30 + 1)).toThrow(/over WebAssembly's 4 GiB$/);
  });
});
