import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { ABI_VERSION, RNN_ARGS_FIELDS, TASK_FUNCTIONS, type KernelExports, type TaskFunction } from './abi.js';
import { CONTROL_BYTES, PoolStartError, ThreadPool, type Task } from './pool.js';

/**
 * The WebAssembly kernels, loaded: one compiled module, one shared memory, an instance on the
 * calling thread and (with more than one thread) a pool of workers with instances of their
 * own. Memory layout: the module's own data and stack, then one stack per worker, the pool's
 * control block, and the workspace that each kernel call lays out from scratch.
 */

/** Where the committed module sits relative to this file, from src/kernels/, dist/kernels/ or dist/cli-bundle/. */
const MODULE_URL = new URL('../kernels/rnn.wasm', import.meta.url);

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB: the wasm32 limit, and the module's declared maximum
const WORKER_STACK = 256 * 1024;
const ALIGN = 64;

/** Options for {@link loadKernels}. */
export interface KernelOptions {
  /** Threads for kernel work, the calling one included. Default: the machine's cores, at most 8. */
  threads?: number;
}

/** A kernel call's memory: allocated front to back from the workspace base, reset per call. */
export class Workspace {
  private top: number;
  constructor(private readonly rt: KernelRuntime) {
    this.top = rt.workspaceBase;
  }

  /** Room for `n` 32-bit values; returns its byte offset (64-byte aligned). */
  alloc(n: number): number {
    const at = this.top;
    this.top = align(at + Math.max(0, n) * 4);
    this.rt.ensure(this.top);
    return at;
  }

  /** Copies `data` into freshly allocated memory and returns its offset. */
  put(data: ArrayLike<number>): number {
    const at = this.alloc(data.length);
    this.rt.f32(at, data.length).set(data);
    return at;
  }

  /** Bytes used so far. */
  get used(): number {
    return this.top - this.rt.workspaceBase;
  }
}

const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

export class KernelRuntime {
  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly exports: KernelExports,
    private readonly pool: ThreadPool | null,
    readonly workspaceBase: number,
    /** Why fewer threads than asked for are used, if so. */
    readonly note?: string,
  ) {}

  /** Threads that kernel calls use, the calling one included. */
  get threads(): number {
    return this.pool?.threads ?? 1;
  }

  static async create(opts: KernelOptions = {}): Promise<KernelRuntime> {
    const wanted = opts.threads ?? Math.min(8, availableParallelism());
    if (!Number.isInteger(wanted) || wanted < 1) throw new RangeError(`threads must be a positive whole number, got ${wanted}`);
    const bytes = await readFile(MODULE_URL);
    const module = await WebAssembly.compile(bytes);
    const memory = new WebAssembly.Memory({ initial: 256, maximum: MAX_PAGES, shared: true });
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const exports = instance.exports as unknown as KernelExports;
    if (exports.rnnc_abi_version() !== ABI_VERSION || exports.rnnc_args_fields() !== RNN_ARGS_FIELDS.length) {
      throw new Error(
        `src/kernels/rnn.wasm has ABI ${exports.rnnc_abi_version()} with ${exports.rnnc_args_fields()} argument fields; ` +
          `rnnc expects ABI ${ABI_VERSION} with ${RNN_ARGS_FIELDS.length} (rebuild it with \`npm run build:wasm\`)`,
      );
    }
    // Worker stacks go above the module's own stack, which ends at its initial stack pointer.
    const moduleTop = align(Number(exports.__stack_pointer.value));
    const stackTops = Array.from({ length: wanted - 1 }, (_, k) => moduleTop + (k + 1) * WORKER_STACK);
    const control = moduleTop + (wanted - 1) * WORKER_STACK;
    const workspaceBase = align(control + CONTROL_BYTES);
    growTo(memory, workspaceBase);
    const table = TASK_FUNCTIONS.map((name) => exports[name].bind(exports) as (arg: number) => void);
    let pool: ThreadPool | null = null;
    let note: string | undefined;
    if (wanted > 1) {
      try {
        pool = await ThreadPool.start({ module, memory, control, stackTops, functions: TASK_FUNCTIONS, table });
      } catch (err) {
        if (!(err instanceof PoolStartError)) throw err;
        note = `${err.message}; the kernels run on one thread`;
      }
    }
    return new KernelRuntime(memory, exports, pool, workspaceBase, note);
  }

  /** Grows the memory so that bytes [0, end) exist. */
  ensure(end: number): void {
    if (end > MAX_PAGES * PAGE) {
      throw new RangeError(`the fused kernels need ${(end / 2 ** 30).toFixed(1)} GiB for this batch, over WebAssembly's 4 GiB; use a smaller batch`);
    }
    growTo(this.memory, end);
  }

  /** A Float32Array view of `n` floats at byte offset `at` (valid until the memory grows). */
  f32(at: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, n);
  }

  i32(at: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, at, n);
  }

  /** A fresh workspace for one kernel call; it reuses the memory of the previous call. */
  workspace(): Workspace {
    return new Workspace(this);
  }

  /** Runs tasks (each a kernel function on one argument pointer) across the threads. */
  run(tasks: readonly { fn: TaskFunction; arg: number }[]): void {
    const indexed: Task[] = tasks.map((t) => ({ fn: TASK_FUNCTIONS.indexOf(t.fn), arg: t.arg }));
    if (this.pool) this.pool.run(indexed);
    else for (const t of tasks) this.exports[t.fn](t.arg);
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}

function growTo(memory: WebAssembly.Memory, end: number): void {
  const have = memory.buffer.byteLength;
  if (end > have) memory.grow(Math.ceil((end - have) / PAGE));
}

const runtimes = new Map<number, Promise<KernelRuntime>>();

/**
 * The kernels with `threads` threads, loaded once per process and thread count (the module
 * and its workers are kept for the life of the process; idle workers cost nothing).
 */
export function loadKernels(opts: KernelOptions = {}): Promise<KernelRuntime> {
  const threads = opts.threads ?? Math.min(8, availableParallelism());
  let rt = runtimes.get(threads);
  if (!rt) {
    rt = KernelRuntime.create({ threads });
    runtimes.set(threads, rt);
    rt.catch(() => runtimes.delete(threads));
  }
  return rt;
}
