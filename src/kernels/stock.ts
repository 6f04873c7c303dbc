import type * as Tf from '@tensorflow/tfjs';
import type { TensorInfo, Values, WasmHeap } from './tensor-io.js';

/**
 * Kernel fixes for what stays on stock tfjs ops (the layers the fused kernels do not cover,
 * the embedding, the dense head, the optimizer), registered with tfjs's kernel registry so
 * every op that uses them gets faster without changing a result:
 *
 * - `UnsortedSegmentSum` (the gradient of the embedding lookup): missing on wasm, and cpu's
 *   loops over the whole vocabulary making tensors (~28 s per step at 10,000 words).
 * - wasm `GatherV2`: its C++ loop computes strides per element (~8 ms to look up 3,200
 *   64-wide rows); here whole rows are copied.
 * - wasm `Slice`, and through it `SplitV` and `Unpack`: tfjs 4.22 copies the whole input out
 *   of the heap for every slice (unstacking T steps is quadratic in T); here the input is read
 *   in place.
 * - wasm `Reverse`: rows copied as blocks instead of an index computed per element.
 * - wasm `BatchMatMul` with transposed operands: tfjs 4.22 hands only untransposed products
 *   to XNNPACK and runs the others in a scalar loop (~2 GFLOP/s); here the operand is
 *   transposed first (the wasm Transpose kernel) and the product goes to XNNPACK.
 *
 * The wasm kernels use the wasm backend's heap directly (`dataIdMap`, `makeOutput`,
 * `typedArrayFromHeap`, public methods of tfjs-backend-wasm 4.22's BackendWasm; the package is
 * pinned and test/kernels/stock.test.ts checks them).
 */

type TfModule = typeof Tf;

type HeapArray = Values;
type WasmBackend = WasmHeap;

// What the kernel registry passes to a kernel function.
interface KernelArgs {
  inputs: Tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: Tf.NamedAttrMap;
}
type KernelFunc = (args: KernelArgs) => TensorInfo | TensorInfo[];

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, d) => a * d, 1);

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

// The two backend methods the cpu path of UnsortedSegmentSum needs (cpu's readSync does not copy).
interface KernelStorage {
  readSync(dataId: object): ArrayLike<number>;
  write(values: Float32Array | Int32Array, shape: number[], dtype: Tf.DataType): object;
}

const isWasm = (backend: unknown): backend is WasmBackend => typeof (backend as Partial<WasmBackend>).typedArrayFromHeap === 'function';

/**
 * `UnsortedSegmentSum`, O(ids × row size): out[ids[i]] += x[i]. Segment ids outside
 * [0, numSegments) are dropped, as in TensorFlow.
 */
export function unsortedSegmentSumKernel(args: KernelArgs): TensorInfo {
  const x = args.inputs['x'] as TensorInfo;
  const segmentIds = args.inputs['segmentIds'] as TensorInfo;
  const numSegments = Number(args.attrs?.['numSegments']);
  const rowShape = x.shape.slice(segmentIds.shape.length);
  const row = sizeOf(rowShape);
  const shape = [numSegments, ...rowShape];
  const accumulate = (xs: ArrayLike<number>, ids: ArrayLike<number>, out: Float32Array | Int32Array): void => {
    for (let i = 0; i < ids.length; i++) {
      const s = ids[i]!;
      if (s < 0 || s >= numSegments) continue;
      const o = s * row;
      const p = i * row;
      for (let j = 0; j < row; j++) out[o + j]! += xs[p + j]!;
    }
  };
  if (isWasm(args.backend)) {
    const backend = args.backend;
    const out = backend.makeOutput(shape, x.dtype);
    const view = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
    view.fill(0);
    accumulate(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(segmentIds), view);
    return out;
  }
  const backend = args.backend as KernelStorage;
  const out = x.dtype === 'int32' ? new Int32Array(numSegments * row) : new Float32Array(numSegments * row);
  accumulate(backend.readSync(x.dataId), backend.readSync(segmentIds.dataId), out);
  return { dataId: backend.write(out, shape, x.dtype), shape, dtype: x.dtype };
}

/** Copies the box [begin, begin + size) of `src` (shape `shape`) into `dst`, in row-major order. */
function copyBox(src: HeapArray, shape: readonly number[], begin: readonly number[], size: readonly number[], dst: HeapArray): void {
  const rank = shape.length;
  const st = strides(shape);
  // Innermost run: the trailing dims taken whole, plus the last partial one.
  let k = rank - 1;
  while (k > 0 && begin[k] === 0 && size[k] === shape[k]) k--;
  const run = sizeOf(size.slice(k));
  const outer = sizeOf(size.slice(0, k));
  const idx = new Array<number>(k).fill(0);
  let o = 0;
  for (let n = 0; n < outer; n++) {
    let from = begin[k]! * st[k]!;
    for (let d = 0; d < k; d++) from += (begin[d]! + idx[d]!) * st[d]!;
    dst.set(src.subarray(from, from + run), o);
    o += run;
    for (let d = k - 1; d >= 0; d--) {
      if (++idx[d]! < size[d]!) break;
      idx[d] = 0;
    }
  }
}

function sliceWasm(backend: WasmBackend, x: TensorInfo, begin: readonly number[], size: readonly number[]): TensorInfo {
  const out = backend.makeOutput([...size], x.dtype);
  if (sizeOf(size) > 0) copyBox(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
  return out;
}

function wasmKernels(tf: TfModule): Record<string, (original: KernelFunc) => KernelFunc> {
  const slice: (original: KernelFunc) => KernelFunc = (original) => (args) => {
    const x = args.inputs['x'] as TensorInfo;
    if (x.dtype === 'string') return original(args);
    const [begin, size] = tf.slice_util.parseSliceParams(x, args.attrs?.['begin'] as number[], args.attrs?.['size'] as number[]) as [number[], number[]];
    return sliceWasm(args.backend as WasmBackend, x, begin, size);
  };
  return {
    Slice: slice,
    SplitV: (original) => (args) => {
      const x = args.inputs['x'] as TensorInfo;
      if (x.dtype === 'string') return original(args);
      const axis = normAxis(args.attrs?.['axis'], x.shape.length);
      const spec = args.attrs?.['numOrSizeSplits'] as number | number[];
      let sizes: number[];
      if (Array.isArray(spec)) {
        const known = spec.filter((s) => s !== -1).reduce((a, s) => a + s, 0);
        sizes = spec.map((s) => (s === -1 ? x.shape[axis]! - known : s));
      } else {
        sizes = new Array<number>(spec).fill(x.shape[axis]! / spec);
      }
      const begin = new Array<number>(x.shape.length).fill(0);
      return sizes.map((s) => {
        const size = [...x.shape];
        size[axis] = s;
        const out = sliceWasm(args.backend as WasmBackend, x, begin, size);
        begin[axis]! += s;
        return out;
      });
    },
    Unpack: (original) => (args) => {
      const x = args.inputs['value'] as TensorInfo;
      if (x.dtype === 'string') return original(args);
      const axis = normAxis(args.attrs?.['axis'], x.shape.length);
      const outShape = x.shape.filter((_, i) => i !== axis);
      const size = [...x.shape];
      size[axis] = 1;
      const begin = new Array<number>(x.shape.length).fill(0);
      return Array.from({ length: x.shape[axis]! }, (_, i) => {
        begin[axis] = i;
        const out = sliceWasm(args.backend as WasmBackend, x, begin, size);
        return { ...out, shape: outShape };
      });
    },
    GatherV2: (original) => (args) => {
      const x = args.inputs['x'] as TensorInfo;
      const indices = args.inputs['indices'] as TensorInfo;
      const batchDims = Number(args.attrs?.['batchDims'] ?? 0);
      if (x.dtype === 'string' || batchDims !== 0) return original(args);
      const axis = normAxis(args.attrs?.['axis'], x.shape.length);
      const backend = args.backend as WasmBackend;
      const ids = backend.typedArrayFromHeap(indices);
      const n = x.shape[axis]!;
      for (let i = 0; i < ids.length; i++) {
        // tfjs's own message for an index out of range.
        if (!(ids[i]! >= 0 && ids[i]! <= n - 1)) throw new Error(`GatherV2: the index value ${ids[i]} is not in [0, ${n - 1}]`);
      }
      const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
      const out = backend.makeOutput(outShape, x.dtype);
      const src = backend.typedArrayFromHeap(x);
      const dst = backend.typedArrayFromHeap(out);
      const inner = sizeOf(x.shape.slice(axis + 1));
      const outer = sizeOf(x.shape.slice(0, axis));
      let o = 0;
      for (let a = 0; a < outer; a++) {
        const base = a * n * inner;
        for (let i = 0; i < ids.length; i++) {
          const from = base + ids[i]! * inner;
          if (inner === 1) dst[o] = src[from]!;
          else dst.set(src.subarray(from, from + inner), o);
          o += inner;
        }
      }
      return out;
    },
    Reverse: (original) => (args) => {
      const x = args.inputs['x'] as TensorInfo;
      if (x.dtype === 'string' || x.shape.length === 0) return original(args);
      const dims = args.attrs?.['dims'];
      const axes = new Set((Array.isArray(dims) ? dims : [dims]).map((d) => normAxis(d, x.shape.length)));
      const backend = args.backend as WasmBackend;
      const out = backend.makeOutput([...x.shape], x.dtype);
      const src = backend.typedArrayFromHeap(x);
      const dst = backend.typedArrayFromHeap(out);
      const last = Math.max(-1, ...axes);
      const run = sizeOf(x.shape.slice(last + 1));
      const lead = x.shape.slice(0, last + 1);
      const st = strides(x.shape);
      const idx = new Array<number>(lead.length).fill(0);
      const total = sizeOf(lead);
      for (let n = 0, o = 0; n < total; n++, o += run) {
        let from = 0;
        for (let d = 0; d < lead.length; d++) from += (axes.has(d) ? lead[d]! - 1 - idx[d]! : idx[d]!) * st[d]!;
        if (run === 1) dst[o] = src[from]!;
        else dst.set(src.subarray(from, from + run), o);
        for (let d = lead.length - 1; d >= 0; d--) {
          if (++idx[d]! < lead[d]!) break;
          idx[d] = 0;
        }
      }
      return out;
    },
    BatchMatMul: (original) => (args) => {
      const transposeA = args.attrs?.['transposeA'] === true;
      const transposeB = args.attrs?.['transposeB'] === true;
      if (!transposeA && !transposeB) return original(args);
      const backend = args.backend as WasmBackend;
      const transpose = tf.getKernel('Transpose', 'wasm').kernelFunc as unknown as KernelFunc;
      const swapLast = (t: TensorInfo): TensorInfo => {
        const r = t.shape.length;
        const perm = [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
        return transpose({ inputs: { x: t }, backend, attrs: { perm } }) as TensorInfo;
      };
      const a = args.inputs['a'] as TensorInfo;
      const b = args.inputs['b'] as TensorInfo;
      const at = transposeA ? swapLast(a) : a;
      const bt = transposeB ? swapLast(b) : b;
      try {
        return original({ ...args, inputs: { a: at, b: bt }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
      } finally {
        if (at !== a) backend.disposeData(at.dataId);
        if (bt !== b) backend.disposeData(bt.dataId);
      }
    },
  };
}

function normAxis(axis: unknown, rank: number): number {
  const a = Number(Array.isArray(axis) ? axis[0] : (axis ?? 0));
  return a < 0 ? a + rank : a;
}

const ours = new WeakSet<object>();
/** The kernels the wrappers replaced, by `Name@backend`, for {@link restoreStockKernels}. */
const originals = new Map<string, Tf.KernelConfig>();

/**
 * Registers rnnc's kernel fixes (see the module comment). Idempotent. Returns the kernels
 * (re)registered, as `Name@backend`.
 */
export function registerKernelFixes(tf: TfModule): string[] {
  const done: string[] = [];
  for (const backendName of ['wasm', 'cpu']) {
    const existing = tf.getKernel('UnsortedSegmentSum', backendName);
    if (existing?.kernelFunc === unsortedSegmentSumKernel) continue;
    if (existing && backendName === 'wasm') continue; // a future tfjs shipping its own: keep it
    if (existing) tf.unregisterKernel('UnsortedSegmentSum', backendName);
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName, kernelFunc: unsortedSegmentSumKernel });
    done.push(`UnsortedSegmentSum@${backendName}`);
  }
  for (const [name, wrap] of Object.entries(wasmKernels(tf))) {
    const existing = tf.getKernel(name, 'wasm');
    if (!existing || ours.has(existing.kernelFunc)) continue;
    const kernelFunc = wrap(existing.kernelFunc as unknown as KernelFunc) as unknown as Tf.KernelFunc;
    ours.add(kernelFunc);
    originals.set(`${name}@wasm`, existing);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...existing, kernelFunc });
    done.push(`${name}@wasm`);
  }
  return done;
}

/**
 * Puts back tfjs's own wasm kernels that {@link registerKernelFixes} wrapped (not
 * UnsortedSegmentSum, without which nothing with an embedding trains on wasm). For the
 * benchmark's "tfjs as shipped" row.
 */
export function restoreStockKernels(tf: TfModule): void {
  for (const [key, config] of originals) {
    const [name, backendName] = key.split('@') as [string, string];
    tf.unregisterKernel(name, backendName);
    tf.registerKernel(config);
  }
  originals.clear();
}
