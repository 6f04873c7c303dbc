import { fail } from '../diagnostics/error.js';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { ABI_VERSION, RNN_ARGS_FIELDS, TASK_FUNCTIONS, type KernelExports, type TaskFunction } from './abi.js';
import { Heap } from './heap.js';
import { CONTROL_BYTES, PoolStartError, ThreadPool, type Task } from './pool.js';

/**
 * The WebAssembly kernels, loaded: one compiled module, one shared memory, an instance on the
 * calling thread and (with more than one thread) a pool of workers with instances of their
 * own. Memory layout: the module's own data and stack, then one stack per worker, the pool's
 * control block, and the heap the kernel calls allocate from.
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

/**
 * The memory of one kernel call: blocks from the runtime's heap, all freed by {@link release}
 * except those handed over with {@link keep} (a forward pass's saved states).
 */
export class Workspace {
  private readonly blocks = new Set<number>();
  constructor(private readonly rt: KernelRuntime) {}

  /** Room for `n` 32-bit values; returns its byte offset (64-byte aligned). */
  alloc(n: number): number {
    const at = this.rt.heap.alloc(Math.max(0, n) * 4);
    this.blocks.add(at);
    return at;
  }

  /** Copies `data` into freshly allocated memory and returns its offset. */
  put(data: ArrayLike<number>): number {
    const at = this.alloc(data.length);
    this.rt.f32(at, data.length).set(data);
    return at;
  }

  /** Takes the block at `at` out of this workspace: {@link release} leaves it; free it with `rt.heap.release`. */
  keep(at: number): number {
    if (at !== 0) this.blocks.delete(at);
    return at;
  }

  /** Frees every block not kept. */
  release(): void {
    for (const at of this.blocks) this.rt.heap.release(at);
    this.blocks.clear();
  }
}

const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

export class KernelRuntime {
  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly exports: KernelExports,
    private readonly pool: ThreadPool | null,
    heapBase: number,
    /** Why fewer threads than asked for are used, if so. */
    readonly note?: string,
  ) {
    this.heap = new Heap(heapBase, (end) => this.ensure(end), ALIGN);
    this.reclaim = new FinalizationRegistry<number[]>((blocks) => blocks.forEach((b) => this.heap.release(b)));
  }

  /** Where kernel calls allocate their buffers. */
  readonly heap: Heap;

  /**
   * Frees heap blocks when the object they were registered with is garbage-collected: for
   * blocks kept beyond one call (a forward pass's saved states, a folding table) whose owner
   * may be dropped without freeing them.
   */
  readonly reclaim: FinalizationRegistry<number[]>;

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
    const heapBase = align(control + CONTROL_BYTES);
    growTo(memory, heapBase);
    const table = TASK_FUNCTIONS.map((name) => exports[name].bind<(arg: number) => void>(exports));
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
    return new KernelRuntime(memory, exports, pool, heapBase, note);
  }

  /** Grows the memory so that bytes [0, end) exist. */
  ensure(end: number): void {
    if (end > MAX_PAGES * PAGE) {
      throw fail('ResourceLimit', `the fused kernels need ${(end / 2 ** 30).toFixed(1)} GiB for this batch, over WebAssembly's 4 GiB`, {
        help: 'use a smaller batch, a shorter maxlen or fewer units',
      });
    }
    growTo(this.memory, end);
  }

  /** A Float32Array view of `n` floats at byte offset `at` (valid until the memory grows). */
  f32(at: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, n);
  }

  /**
   * A copy of `n` floats at `at`, in ordinary memory. (Not `f32(at, n).slice()`: V8's slice of
   * a shared-memory view is ~50× slower than `set`, measured here: 2–10 ms per 3 MB.)
   */
  copyOut(at: number, n: number): Float32Array {
    const out = new Float32Array(n);
    out.set(this.f32(at, n));
    return out;
  }

  i32(at: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, at, n);
  }

  /** A fresh workspace for one kernel call; release it when the call is done. */
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
