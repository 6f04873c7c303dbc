import { Worker } from 'node:worker_threads';

/**
 * Worker threads that run kernel tasks on the module's shared memory, synchronously from the
 * caller's point of view: tfjs ops are synchronous, so the calling thread publishes the tasks,
 * runs its own share, and blocks (Atomics.wait) until the workers have done theirs.
 *
 * Protocol, over an Int32Array control block in the shared memory:
 * - the caller writes the task list and resets the counters, then bumps the wake word of each
 *   worker taking part and notifies it;
 * - every thread, the caller included, claims tasks from an atomic counter (NEXT) until none
 *   are left, so a thread the machine runs slower simply takes fewer tasks;
 * - each worker then adds one to EXITED and notifies; the caller waits until every woken worker
 *   has exited its loop, so no worker is still looking at the task list when it is rewritten.
 */

/** Control block layout, in 32-bit words. */
export const CONTROL = {
  COUNT: 0,
  NEXT: 1,
  EXITED: 2,
  ERRORS: 3,
  SHUTDOWN: 4,
  /** Word WAKE + k is worker k's wake counter (k ≥ 1; the caller is thread 0). */
  WAKE: 8,
  /** Task i is (function index, argument pointer) at TASKS + 2i. */
  TASKS: 64,
} as const;

export const MAX_THREADS = 32;
export const MAX_TASKS = 256;
export const CONTROL_BYTES = (CONTROL.TASKS + 2 * MAX_TASKS) * 4;

export interface Task {
  /** Index into the function table given to the pool. */
  fn: number;
  /** The task's one argument: a pointer into the shared memory. */
  arg: number;
}

interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: number;
  stackTop: number;
  index: number;
  functions: readonly string[];
  layout: typeof CONTROL;
  controlWords: number;
}

// The worker's program. It runs from its source text (`eval: true`), so it is self-contained:
// no imports, no references outside its body. Plain JavaScript semantics only.
function workerMain(): void {
  // An eval'd worker is a CommonJS script with a global `require`. Reached through globalThis
  // so that bundlers, which rewrite a bare `require(…)` into a helper of their own, leave it be.
  const threads = (globalThis as unknown as { require: NodeRequire }).require('node:worker_threads') as typeof import('node:worker_threads');
  const data = threads.workerData as WorkerData;
  const L = data.layout;
  const instance = new WebAssembly.Instance(data.module, { env: { memory: data.memory } });
  const exports = instance.exports;
  (exports['__stack_pointer'] as WebAssembly.Global).value = data.stackTop;
  const table = data.functions.map((name) => exports[name] as (arg: number) => void);
  const ctrl = new Int32Array(data.memory.buffer, data.control, data.controlWords);
  const wake = L.WAKE + data.index;
  let seen = Atomics.load(ctrl, wake);
  threads.parentPort!.postMessage('ready');
  for (;;) {
    Atomics.wait(ctrl, wake, seen);
    seen = Atomics.load(ctrl, wake);
    if (Atomics.load(ctrl, L.SHUTDOWN) !== 0) return;
    const count = Atomics.load(ctrl, L.COUNT);
    for (let i = Atomics.add(ctrl, L.NEXT, 1); i < count; i = Atomics.add(ctrl, L.NEXT, 1)) {
      try {
        table[ctrl[L.TASKS + 2 * i]!]!(ctrl[L.TASKS + 2 * i + 1]!);
      } catch {
        Atomics.add(ctrl, L.ERRORS, 1);
      }
    }
    Atomics.add(ctrl, L.EXITED, 1);
    Atomics.notify(ctrl, L.EXITED);
  }
}

const WORKER_SOURCE = `(${workerMain.toString()})();`;

/** A thread could not start; the runtime then uses fewer threads. */
export class PoolStartError extends Error {}

export class ThreadPool {
  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly control: number,
    private readonly workers: Worker[],
    private readonly table: readonly ((arg: number) => void)[],
  ) {}

  /** Threads taking part, the caller's included. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Starts `threads - 1` workers, each with its own instance of `module` on `memory` and its
   * own stack below `stackTops[k - 1]`. Resolves once every worker is ready.
   */
  static async start(opts: {
    module: WebAssembly.Module;
    memory: WebAssembly.Memory;
    control: number;
    stackTops: readonly number[];
    functions: readonly string[];
    table: readonly ((arg: number) => void)[];
    timeoutMs?: number;
  }): Promise<ThreadPool> {
    const threads = opts.stackTops.length + 1;
    if (threads > MAX_THREADS) throw new PoolStartError(`at most ${MAX_THREADS} threads`);
    new Int32Array(opts.memory.buffer, opts.control, CONTROL_BYTES / 4).fill(0);
    const workers: Worker[] = [];
    try {
      await Promise.all(
        opts.stackTops.map((stackTop, k) => {
          const data: WorkerData = {
            module: opts.module,
            memory: opts.memory,
            control: opts.control,
            stackTop,
            index: k + 1,
            functions: opts.functions,
            layout: CONTROL,
            controlWords: CONTROL_BYTES / 4,
          };
          const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: data });
          workers.push(worker);
          return new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new PoolStartError('a worker thread did not start in time')), opts.timeoutMs ?? 20_000);
            worker.once('message', () => {
              clearTimeout(timer);
              resolve();
            });
            worker.once('error', (err) => {
              clearTimeout(timer);
              reject(new PoolStartError(`a worker thread failed to start: ${err.message}`));
            });
          });
        }),
      );
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    // Idle workers block in Atomics.wait; they must not keep the process alive.
    for (const w of workers) w.unref();
    return new ThreadPool(opts.memory, opts.control, workers, opts.table);
  }

  /** Runs the tasks on up to `threads` threads and returns when all are done. */
  run(tasks: readonly Task[]): void {
    if (tasks.length > MAX_TASKS) throw new Error(`at most ${MAX_TASKS} kernel tasks per call`);
    const n = Math.min(this.threads, tasks.length);
    if (n <= 1) {
      for (const t of tasks) this.table[t.fn]!(t.arg);
      return;
    }
    const ctrl = new Int32Array(this.memory.buffer, this.control, CONTROL_BYTES / 4);
    tasks.forEach((t, i) => {
      ctrl[CONTROL.TASKS + 2 * i] = t.fn;
      ctrl[CONTROL.TASKS + 2 * i + 1] = t.arg;
    });
    Atomics.store(ctrl, CONTROL.COUNT, tasks.length);
    Atomics.store(ctrl, CONTROL.NEXT, 0);
    Atomics.store(ctrl, CONTROL.EXITED, 0);
    Atomics.store(ctrl, CONTROL.ERRORS, 0);
    for (let k = 1; k < n; k++) {
      Atomics.add(ctrl, CONTROL.WAKE + k, 1);
      Atomics.notify(ctrl, CONTROL.WAKE + k);
    }
    let failure: unknown;
    for (let i = Atomics.add(ctrl, CONTROL.NEXT, 1); i < tasks.length; i = Atomics.add(ctrl, CONTROL.NEXT, 1)) {
      try {
        this.table[tasks[i]!.fn]!(tasks[i]!.arg);
      } catch (err) {
        failure ??= err;
      }
    }
    // Wait for the workers even after a failure: their tasks still use the memory.
    for (let e = Atomics.load(ctrl, CONTROL.EXITED); e < n - 1; e = Atomics.load(ctrl, CONTROL.EXITED)) {
      Atomics.wait(ctrl, CONTROL.EXITED, e);
    }
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows whatever the task threw, unchanged
    if (failure !== undefined) throw failure;
    const errors = Atomics.load(ctrl, CONTROL.ERRORS);
    if (errors > 0) throw new Error(`${errors} kernel task${errors === 1 ? '' : 's'} failed on a worker thread`);
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    const ctrl = new Int32Array(this.memory.buffer, this.control, CONTROL_BYTES / 4);
    Atomics.store(ctrl, CONTROL.SHUTDOWN, 1);
    for (let k = 1; k <= this.workers.length; k++) {
      Atomics.add(ctrl, CONTROL.WAKE + k, 1);
      Atomics.notify(ctrl, CONTROL.WAKE + k);
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
