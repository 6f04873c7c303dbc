import type * as Tf from '@tensorflow/tfjs';

type TfModule = typeof Tf;

/** The backends rnnc can run on, fastest first. `node` is `@tensorflow/tfjs-node` (tfjs backend `tensorflow`). */
export type BackendName = 'node' | 'wasm' | 'cpu';

/** Options for {@link loadTf}. */
export interface LoadTfOptions {
  /** Use exactly this backend, failing with {@link BackendError} if it cannot start. Default: best available. */
  backend?: BackendName;
  /** Imports `@tensorflow/tfjs-node`; injectable so tests can simulate it loading or missing. */
  importNode?: () => Promise<unknown>;
}

/** A ready tfjs with its backend set. */
export interface LoadedTf {
  tf: TfModule;
  backend: BackendName;
  /** Why a faster backend was skipped, when one was. */
  note?: string;
}

/** A requested backend cannot start. The CLI reports it as E4003 (backend unavailable). */
export class BackendError extends Error {
  override readonly name = 'BackendError';
  constructor(
    readonly backend: BackendName,
    message: string,
    /** Suggested fix, for the diagnostic's `help`. */
    readonly help?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const TF_BACKEND: Record<BackendName, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

const NODE_PACKAGE = '@tensorflow/tfjs-node';

// A variable specifier keeps TypeScript from resolving an optional package that is usually absent.
const defaultImportNode = (): Promise<unknown> => import(NODE_PACKAGE as string);

function reason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.trim();
}

// Kernel inputs/outputs as the kernel registry hands them over (tfjs's `TensorInfo`).
interface TensorInfo {
  dataId: object;
  shape: number[];
  dtype: Tf.DataType;
}

// The two backend methods the kernel needs; both the cpu and the wasm backend have them.
interface KernelStorage {
  readSync(dataId: object): ArrayLike<number>;
  write(values: Float32Array | Int32Array, shape: number[], dtype: Tf.DataType): object;
}

/**
 * `UnsortedSegmentSum` in plain JS, O(ids × row size): out[ids[i]] += x[i]. It is the
 * gradient of `gather`, i.e. of the embedding lookup. wasm has no such kernel (training
 * any embedding model fails), and cpu's loops over every segment — the whole vocabulary —
 * building tensors, which took ~28 s per gradient at a 10,000-word vocabulary. Segment
 * ids outside [0, numSegments) are dropped, as in TensorFlow.
 */
export function unsortedSegmentSumKernel(args: {
  inputs: Tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: Tf.NamedAttrMap;
}): TensorInfo {
  const x = args.inputs['x'] as TensorInfo;
  const segmentIds = args.inputs['segmentIds'] as TensorInfo;
  const numSegments = Number(args.attrs?.['numSegments']);
  // The registry types `backend` as `{}`; cpu and wasm both implement readSync/write.
  const backend = args.backend as KernelStorage;
  const xs = backend.readSync(x.dataId);
  const ids = backend.readSync(segmentIds.dataId);
  const rowShape = x.shape.slice(segmentIds.shape.length);
  const row = rowShape.reduce((a, d) => a * d, 1);
  const out = x.dtype === 'int32' ? new Int32Array(numSegments * row) : new Float32Array(numSegments * row);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const o = s * row;
    const p = i * row;
    for (let j = 0; j < row; j++) out[o + j]! += xs[p + j]!;
  }
  const shape = [numSegments, ...rowShape];
  return { dataId: backend.write(out, shape, x.dtype), shape, dtype: x.dtype };
}

/**
 * Registers rnnc's kernel fixes: `UnsortedSegmentSum` on wasm (missing) and on cpu
 * (replacing the slow one). Idempotent. Everything else an embedding → (bi)RNN → dense
 * model needs to train with masking, dropout and any of rnnc's optimizers and losses is
 * already on wasm in tfjs 4.22 (checked by the tests). Returns the kernels (re)registered.
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
  return done;
}

async function trySetBackend(tf: TfModule, name: string): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

// Imports tfjs-node and switches to it; returns the failure reason, or null on success.
async function startNode(tf: TfModule, importNode: () => Promise<unknown>): Promise<string | null> {
  try {
    await importNode();
  } catch (err) {
    const missing = (err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && reason(err).includes(NODE_PACKAGE);
    // Installed but broken (e.g. libtensorflow missing) is worth the full message; absent is not.
    return missing ? `${NODE_PACKAGE} is not installed` : `${NODE_PACKAGE} could not be loaded (${reason(err)})`;
  }
  if (!tf.findBackendFactory(TF_BACKEND.node)) return `${NODE_PACKAGE} loaded but registered no \`tensorflow\` backend`;
  if (!(await trySetBackend(tf, TF_BACKEND.node))) return `${NODE_PACKAGE} loaded but its backend failed to start`;
  return null;
}

async function startWasm(tf: TfModule): Promise<string | null> {
  try {
    // Registers the `wasm` backend; in Node it finds its .wasm binaries beside itself
    // (the package's `main` is a CJS build that uses __dirname), so no setWasmPaths.
    await import('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    return `@tensorflow/tfjs-backend-wasm could not be loaded (${reason(err)})`;
  }
  if (!(await trySetBackend(tf, TF_BACKEND.wasm))) return 'the wasm backend failed to start';
  return null;
}

async function startCpu(tf: TfModule): Promise<string | null> {
  if (!(await trySetBackend(tf, TF_BACKEND.cpu))) return 'the cpu backend failed to start';
  // The cpu backend prints a "Hi, looks like you are running TensorFlow.js in Node.js"
  // banner on its first tensor; rnnc already reports the backend (and why) in `note`.
  const cpu = tf.backend() as unknown as { firstUse?: boolean };
  cpu.firstUse = false;
  return null;
}

/**
 * Loads tfjs and selects a backend. Default order: tfjs-node if it imports, else wasm,
 * else cpu, with `note` saying why a faster one was skipped. An explicit `backend` that
 * cannot start throws {@link BackendError}. tfjs is imported here, lazily, so importing
 * this module costs nothing (the `check` path never loads tfjs).
 */
export async function loadTf(opts: LoadTfOptions = {}): Promise<LoadedTf> {
  const tf: TfModule = await import('@tensorflow/tfjs');
  const importNode = opts.importNode ?? defaultImportNode;
  const starters: Record<BackendName, () => Promise<string | null>> = {
    node: () => startNode(tf, importNode),
    wasm: () => startWasm(tf),
    cpu: () => startCpu(tf),
  };

  const ready = async (backend: BackendName, note?: string): Promise<LoadedTf> => {
    registerKernelFixes(tf);
    await tf.ready();
    return note ? { tf, backend, note } : { tf, backend };
  };

  if (opts.backend) {
    const failure = await starters[opts.backend]();
    if (failure !== null) {
      const help = {
        node: `install ${NODE_PACKAGE} (its install downloads libtensorflow, so it needs internet), or use --backend wasm`,
        wasm: 'use --backend cpu (slower)',
        cpu: undefined,
      }[opts.backend];
      throw new BackendError(opts.backend, `backend \`${opts.backend}\` unavailable: ${failure}`, help);
    }
    return ready(opts.backend);
  }

  const skipped: string[] = [];
  for (const backend of ['node', 'wasm', 'cpu'] as const) {
    const failure = await starters[backend]();
    if (failure === null) {
      return ready(backend, skipped.length ? `${skipped.join('; ')}; using ${backend}` : undefined);
    }
    skipped.push(failure);
  }
  throw new BackendError('cpu', `no tfjs backend could start: ${skipped.join('; ')}`);
}
