import { fail } from '../diagnostics/error.js';
import type * as Tf from '@tensorflow/tfjs';
import { applyKernels, type FuseReport } from '../kernels/fuse.js';
import { installOrthogonal } from '../kernels/orthogonal.js';
import { loadKernels, type KernelRuntime } from '../kernels/runtime.js';
import { registerKernelFixes } from '../kernels/stock.js';

type TfModule = typeof Tf;

export { registerKernelFixes, unsortedSegmentSumKernel } from '../kernels/stock.js';

/** The backends rnnc can run on, fastest first. `node` is `@tensorflow/tfjs-node` (tfjs backend `tensorflow`). */
export type BackendName = 'node' | 'wasm' | 'cpu';

/**
 * How recurrent layers run: `fused`, rnnc's WebAssembly kernels (a whole sequence, forward and
 * backward, as one op; src/kernels/), or `stock`, tfjs-layers' own step-by-step ops.
 */
export type KernelMode = 'fused' | 'stock';
export const KERNEL_MODES: readonly KernelMode[] = ['fused', 'stock'];

/** Options for {@link loadTf}. */
export interface LoadTfOptions {
  /** Use exactly this backend, failing with BackendUnavailable (E4003) if it cannot start. Default: best available. */
  backend?: BackendName;
  /** Imports `@tensorflow/tfjs-node`; injectable so tests can simulate it loading or missing. */
  importNode?: () => Promise<unknown>;
  /** Default `fused`; if the fused kernels cannot start, `stock` with a note. */
  kernels?: KernelMode;
  /** Threads for the fused kernels (default: the machine's cores, at most 8). */
  threads?: number;
}

/** The run-time choices a command takes from its flags: backend, kernels, threads. */
export type RuntimeOptions = Pick<LoadTfOptions, 'backend' | 'kernels' | 'threads'>;

/** A ready tfjs with its backend set. */
export interface LoadedTf {
  tf: TfModule;
  backend: BackendName;
  /** Why a faster backend was skipped, when one was. */
  note?: string;
  /** The fused kernels, or null when recurrent layers run on stock tfjs kernels. */
  kernels: KernelRuntime | null;
  /** Why the fused kernels are not used, or use fewer threads than asked for. */
  kernelNote?: string;
}

/** Where a model runs, for messages: backend, kernels, and the layers left on stock kernels. */
export interface RuntimeReport {
  backend: BackendName;
  note?: string;
  /** `fused, N threads` or `stock`. */
  kernels: string;
  kernelNote?: string;
  /** Recurrent layers that run on stock tfjs kernels although fused ones were asked for, and why. */
  stockLayers: FuseReport['stock'];
}

/** Puts the fused kernels under `model` (unless stock kernels were asked for) and reports where it runs. */
export function prepareModel(loaded: LoadedTf, model: Tf.LayersModel): RuntimeReport {
  const fusion = applyKernels(loaded.tf, model, loaded);
  return {
    backend: loaded.backend,
    ...(loaded.note ? { note: loaded.note } : {}),
    kernels: kernelsLabel(loaded),
    ...(loaded.kernelNote ? { kernelNote: loaded.kernelNote } : {}),
    stockLayers: fusion.stock,
  };
}

/** `fused, 2 threads` or `stock`, for messages and metrics.json. */
export function kernelsLabel(loaded: Pick<LoadedTf, 'kernels'>): string {
  const t = loaded.kernels?.threads;
  return t === undefined ? 'stock' : `fused, ${t} thread${t === 1 ? '' : 's'}`;
}


const TF_BACKEND: Record<BackendName, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

const NODE_PACKAGE = '@tensorflow/tfjs-node';

// A variable specifier keeps TypeScript from resolving an optional package that is usually absent.
const defaultImportNode = (): Promise<unknown> => import(NODE_PACKAGE);

function reason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.trim();
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
 * cannot start throws BackendUnavailable (E4003). tfjs is imported here, lazily, so importing
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
    let kernels: KernelRuntime | null = null;
    let kernelNote: string | undefined;
    if (opts.kernels !== 'stock') {
      try {
        kernels = await loadKernels(opts.threads === undefined ? {} : { threads: opts.threads });
        kernelNote = kernels.note;
      } catch (err) {
        kernelNote = `the fused kernels could not start (${reason(err)}); recurrent layers run on stock tfjs kernels`;
      }
    }
    // Recurrent kernels' orthogonal initial weights come from a blocked QR on the kernels' matrix
    // product (kernels/orthogonal.ts) whichever kernels the layers run on, so a seed gives the
    // same initial model either way; one thread when the fused kernels are not wanted.
    const forInit = kernels ?? (await loadKernels({ threads: 1 }).catch(() => null));
    installOrthogonal(tf, forInit);
    return { tf, backend, ...(note ? { note } : {}), kernels, ...(kernelNote ? { kernelNote } : {}) };
  };

  if (opts.backend) {
    const failure = await starters[opts.backend]();
    if (failure !== null) {
      const help = {
        node: `install ${NODE_PACKAGE} (its install downloads libtensorflow, so it needs internet), or use --backend wasm`,
        wasm: 'use --backend cpu (slower)',
        cpu: undefined,
      }[opts.backend];
      throw fail('BackendUnavailable', `backend \`${opts.backend}\` unavailable: ${failure}`, help === undefined ? {} : { help });
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
  throw fail('BackendUnavailable', `no tfjs backend could start: ${skipped.join('; ')}`);
}
