import type { BackendName, KernelMode, RuntimeOptions } from '../compile/backend.js';
import { optString, UsageError, type OptionSpec, type ParsedArgs } from './args.js';

/** Where a model runs: the options of every command that builds or runs one. */
export const RUNTIME_OPTIONS: OptionSpec[] = [
  { name: 'backend', value: 'string', help: 'node, wasm or cpu (default: node if installed, else wasm)' },
  { name: 'kernels', value: 'string', help: "fused (default: rnnc's WebAssembly recurrent kernels) or stock (tfjs-layers' own)" },
  { name: 'threads', value: 'int', help: 'threads for the fused kernels (default: the cores, at most 8)' },
];

export const MAX_THREADS = 32;

/** Checks the runtime flags of a parsed command line (UsageError on bad values). */
export function checkRuntimeArgs(args: ParsedArgs): void {
  const backend = optString(args, 'backend');
  if (backend !== undefined && !['node', 'wasm', 'cpu'].includes(backend)) throw new UsageError(`--backend must be node, wasm or cpu, got ${backend}`);
  const kernels = optString(args, 'kernels');
  if (kernels !== undefined && kernels !== 'fused' && kernels !== 'stock') throw new UsageError(`--kernels must be fused or stock, got ${kernels}`);
  const threads = optString(args, 'threads');
  if (threads !== undefined && !(Number(threads) >= 1 && Number(threads) <= MAX_THREADS)) {
    throw new UsageError(`--threads must be between 1 and ${MAX_THREADS}, got ${threads}`);
  }
}

export function runtimeFromArgs(args: ParsedArgs): RuntimeOptions {
  const backend = optString(args, 'backend') as BackendName | undefined;
  const kernels = optString(args, 'kernels') as KernelMode | undefined;
  const threads = optString(args, 'threads');
  return {
    ...(backend ? { backend } : {}),
    ...(kernels ? { kernels } : {}),
    ...(threads !== undefined ? { threads: Number(threads) } : {}),
  };
}

/** What the run uses, for stderr: `backend: wasm; kernels: fused (2 threads)`, then a note per layer left on stock kernels. */
export function runtimeLines(r: {
  backend: BackendName;
  note?: string;
  kernels: string;
  kernelNote?: string;
  stockLayers?: readonly { layer: string; reason: string }[];
}): string[] {
  const lines = [`backend: ${r.backend}${r.note ? ` (${r.note})` : ''}; kernels: ${r.kernels}${r.kernelNote ? ` (${r.kernelNote})` : ''}`];
  for (const s of r.stockLayers ?? []) lines.push(`note: layer \`${s.layer}\` runs on stock tfjs kernels: ${s.reason}`);
  return lines;
}
