import type * as Tf from '@tensorflow/tfjs';

/**
 * Moving tensor data between tfjs and the kernels' memory with as few copies as the backend
 * allows. On the wasm backend a tensor's values are read in place from its heap and outputs are
 * written straight into a heap tensor (tfjs-backend-wasm's `dataIdMap`, `makeOutput` and
 * `typedArrayFromHeap`, and the engine's `makeTensorFromTensorInfo`: tfjs is pinned and
 * test/kernels/ checks them); elsewhere (cpu, tfjs-node) through `dataSync` and `tf.tensor`.
 */

type TfModule = typeof Tf;

/** A tensor as kernels see it (tfjs's TensorInfo). */
export interface TensorInfo {
  dataId: object;
  shape: number[];
  dtype: Tf.DataType;
}

export type Values = Float32Array | Int32Array | Uint8Array;

/** The parts of tfjs-backend-wasm 4.22's BackendWasm that rnnc uses. */
export interface WasmHeap {
  dataIdMap: { has(dataId: object): boolean };
  makeOutput(shape: number[], dtype: Tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Values;
  disposeData(dataId: object): boolean;
}

interface EngineWithTensorInfo {
  makeTensorFromTensorInfo(info: TensorInfo, backend?: unknown): Tf.Tensor;
}

function wasmHeap(tf: TfModule): WasmHeap | null {
  const b = tf.backend() as unknown as Partial<WasmHeap>;
  return typeof b.typedArrayFromHeap === 'function' && typeof b.makeOutput === 'function' && b.dataIdMap ? (b as WasmHeap) : null;
}

/** The values of `t`, in place where possible: read them before the next tfjs op. */
export function valuesOf(tf: TfModule, t: Tf.Tensor): Values {
  const heap = wasmHeap(tf);
  if (heap && heap.dataIdMap.has(t.dataId)) return heap.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
  return t.dataSync<'float32' | 'int32' | 'bool'>();
}

/** A new float32 tensor of `shape` whose values `fill` writes (into the backend's memory where possible). */
export function makeTensor(tf: TfModule, shape: number[], fill: (dst: Float32Array) => void): Tf.Tensor {
  const heap = wasmHeap(tf);
  if (heap) {
    const info = heap.makeOutput(shape, 'float32');
    fill(heap.typedArrayFromHeap(info) as Float32Array);
    return (tf.engine() as unknown as EngineWithTensorInfo).makeTensorFromTensorInfo(info);
  }
  const values = new Float32Array(shape.reduce((a, d) => a * d, 1));
  fill(values);
  return tf.tensor(values, shape, 'float32');
}

/**
 * New float32 tensors of `shapes` computed from `inputs` by `fn`, in one pass: on wasm the
 * outputs are allocated first and every array is a view of the backend's heap taken after
 * that (allocating can grow the heap, which would detach earlier views).
 */
export function computeTensors(
  tf: TfModule,
  inputs: readonly Tf.Tensor[],
  shapes: readonly number[][],
  fn: (ins: Values[], outs: Float32Array[]) => void,
): Tf.Tensor[] {
  const heap = wasmHeap(tf);
  if (heap && inputs.every((t) => heap.dataIdMap.has(t.dataId))) {
    const infos = shapes.map((s) => heap.makeOutput([...s], 'float32'));
    const ins = inputs.map((t) => heap.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }));
    fn(ins, infos.map((i) => heap.typedArrayFromHeap(i) as Float32Array));
    const engine = tf.engine() as unknown as EngineWithTensorInfo;
    return infos.map((i) => engine.makeTensorFromTensorInfo(i));
  }
  const ins = inputs.map((t): Values => t.dataSync<'float32' | 'int32' | 'bool'>());
  const outs = shapes.map((s) => new Float32Array(s.reduce((a, d) => a * d, 1)));
  fn(ins, outs);
  return outs.map((o, i) => tf.tensor(o, [...shapes[i]!], 'float32'));
}
