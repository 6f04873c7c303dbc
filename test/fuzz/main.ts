import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { replayInput, runTarget, type CaseFailure, type TargetReport } from './runner.js';
import { createTargets, type Target } from './targets.js';

/**
 * `npm run fuzz`: the fuzz targets for a long run, in worker threads (one target per worker,
 * `--jobs` at a time) watched for hangs. scripts/fuzz.mjs bundles this file and calls `main`.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const USAGE = `usage: npm run fuzz -- [options]

  --cases N      cases in total, shared by the targets by weight (default 100000; env RNNC_FUZZ_CASES)
  --seed N       fast-check seed (default: random, printed; env RNNC_FUZZ_SEED)
  --target A,B   only these targets (see --list)
  --jobs N       targets run in parallel (default: cores, at most 2)
  --slow-ms N    a case slower than this fails the run (default 1000)
  --hang-ms N    a case still running after this is stopped and reported (default 60000)
  --out DIR      where reproducers are written (default $TMPDIR/rnnc-fuzz)
  --replay FILE  run the case saved in FILE (a .json reproducer) once and report
  --list         list the targets`;

interface Options {
  cases: number;
  seed: number;
  targets: string[] | undefined;
  jobs: number;
  slowMs: number;
  hangMs: number;
  out: string;
  replay: string | undefined;
  list: boolean;
}

function parseOptions(argv: string[]): Options | string {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        cases: { type: 'string' },
        seed: { type: 'string' },
        target: { type: 'string' },
        jobs: { type: 'string' },
        'slow-ms': { type: 'string' },
        'hang-ms': { type: 'string' },
        out: { type: 'string' },
        replay: { type: 'string' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    return `${(e as Error).message}\n${USAGE}`;
  }
  if (values.help) return USAGE;
  const int = (name: string, v: string | undefined, fallback: number, min: number): number | string => {
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    return Number.isSafeInteger(n) && n >= min ? n : `--${name} must be a whole number ≥ ${min}, got ${v}`;
  };
  const cases = int('cases', values.cases ?? process.env['RNNC_FUZZ_CASES'], 100_000, 1);
  const seed = int('seed', values.seed ?? process.env['RNNC_FUZZ_SEED'], Math.floor(Math.random() * 2 ** 31), 0);
  const jobs = int('jobs', values.jobs, Math.min(2, availableParallelism()), 1);
  const slowMs = int('slow-ms', values['slow-ms'], 1000, 1);
  const hangMs = int('hang-ms', values['hang-ms'], 60_000, 1000);
  for (const v of [cases, seed, jobs, slowMs, hangMs]) if (typeof v === 'string') return v;
  return {
    cases: cases as number,
    seed: seed as number,
    targets: values.target?.split(',').map((s) => s.trim()),
    jobs: jobs as number,
    slowMs: slowMs as number,
    hangMs: hangMs as number,
    out: values.out ?? join(tmpdir(), 'rnnc-fuzz'),
    replay: values.replay,
    list: values.list ?? false,
  };
}

/** Cases per target: the total shared by weight, each target at least one. */
export function shareCases(targets: readonly Target[], total: number): Map<string, number> {
  const sum = targets.reduce((n, t) => n + t.weight, 0);
  return new Map(targets.map((t) => [t.name, Math.max(1, Math.round((total * t.weight) / sum))]));
}

function shortForm(v: unknown, max = 160): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s;
}

/** Writes a case as `NAME.json` (target, seed, index, input) and, when it has one, its text as `NAME.rnn[.json]`. */
function saveCase(out: string, name: string, t: Target, seed: number, index: number, input: unknown, message?: string): string {
  mkdirSync(out, { recursive: true });
  const file = join(out, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ target: t.name, seed, index, message, input }, null, 1)}\n`);
  const text = t.text(input);
  if (text !== undefined) writeFileSync(join(out, `${name}.${t.name.startsWith('json') ? 'rnn.json' : 'rnn'}`), text);
  return file;
}

// --- worker -----------------------------------------------------------------------------------

interface Job {
  target: string;
  seed: number;
  cases: number;
  slowMs: number;
  /** index[0]: the case running now (read by the watchdog). */
  index: Int32Array;
}

type WorkerMessage = { progress: number } | { report: TargetReport };

async function workerMain(job: Job): Promise<void> {
  const t = createTargets(ROOT).find((x) => x.name === job.target)!;
  const report = await runTarget(t, {
    seed: job.seed,
    cases: job.cases,
    slowMs: job.slowMs,
    shrinkMs: 30_000,
    onCase: (i) => Atomics.store(job.index, 0, i),
    onProgress: (done) => parentPort!.postMessage({ progress: done } satisfies WorkerMessage),
  });
  parentPort!.postMessage({ report } satisfies WorkerMessage);
}

if (!isMainThread && (workerData as { rnncFuzz?: Job } | null)?.rnncFuzz) {
  await workerMain((workerData as { rnncFuzz: Job }).rnncFuzz);
}

// --- main -------------------------------------------------------------------------------------

function runInWorker(entry: URL, job: Job, hangMs: number, targets: Target[], log: (s: string) => void): Promise<TargetReport> {
  return new Promise((resolve) => {
    const worker = new Worker(entry, { workerData: { rnncFuzz: job } });
    let done = 0;
    let lastIndex = -1;
    let since = performance.now();
    let lastLog = performance.now();
    let settled = false;
    const finish = (r: TargetReport): void => {
      clearInterval(watch);
      if (!settled) resolve(r);
      settled = true;
    };
    const lost = (message: string, ms: number): void => {
      const index = Atomics.load(job.index, 0);
      const t = targets.find((x) => x.name === job.target)!;
      const failure: CaseFailure = { kind: 'crash', index, message, ms, input: replayInput(t, job.seed, index) };
      finish({ target: job.target, seed: job.seed, cases: done, failures: [failure], crashes: 1, slow: 0, slowest: { index, ms, input: failure.input }, ms: 0 });
    };
    const watch = setInterval(() => {
      const i = Atomics.load(job.index, 0);
      const now = performance.now();
      if (i !== lastIndex) {
        lastIndex = i;
        since = now;
      } else if (now - since > hangMs) {
        void worker.terminate();
        lost(`hung: case ${i} still running after ${hangMs} ms`, now - since);
      }
      if (now - lastLog > 15_000) {
        lastLog = now;
        log(`  ${job.target}: ${done}/${job.cases}`);
      }
    }, 500);
    worker.on('message', (m: WorkerMessage) => {
      if ('progress' in m) done = m.progress;
      else {
        finish(m.report);
        void worker.terminate();
      }
    });
    worker.on('error', (e) => lost(`the worker died: ${e.stack ?? e.message}`, performance.now() - since));
    worker.on('exit', (code) => {
      if (code !== 0 && !settled) lost(`the worker exited with code ${code} (out of memory?)`, performance.now() - since);
    });
  });
}

async function replay(file: string, targets: Target[]): Promise<number> {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { target: string; seed: number; index: number; input?: unknown };
  const t = targets.find((x) => x.name === saved.target);
  if (!t) {
    console.error(`unknown target ${saved.target}`);
    return 2;
  }
  const input = saved.input !== undefined ? saved.input : replayInput(t, saved.seed, saved.index);
  const t0 = performance.now();
  let code = 0;
  try {
    await t.run(input);
    console.log(`${t.name}: passed`);
  } catch (e) {
    console.log(`${t.name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    code = 1;
  }
  console.log(`${(performance.now() - t0).toFixed(1)} ms`);
  t.dispose?.();
  return code;
}

export async function main(argv: string[], entry: URL = new URL(import.meta.url)): Promise<number> {
  const opts = parseOptions(argv);
  if (typeof opts === 'string') {
    (opts === USAGE ? console.log : console.error)(opts);
    return opts === USAGE ? 0 : 2;
  }
  const all = createTargets(ROOT);
  if (opts.list) {
    for (const t of all) console.log(`${t.name.padEnd(14)} weight ${String(t.weight).padStart(2)}  ${t.description}`);
    return 0;
  }
  if (opts.replay) return replay(opts.replay, all);
  const unknown = opts.targets?.filter((n) => !all.some((t) => t.name === n)) ?? [];
  if (unknown.length) {
    console.error(`unknown target(s): ${unknown.join(', ')} (--list shows them)`);
    return 2;
  }
  const selected = opts.targets ? all.filter((t) => opts.targets!.includes(t.name)) : all;
  const shares = shareCases(selected, opts.cases);
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  log(`rnnc fuzz: ${opts.cases} cases, seed ${opts.seed}, ${selected.length} targets, ${opts.jobs} at a time`);

  const t0 = performance.now();
  const queue = [...selected];
  const reports: TargetReport[] = [];
  const lane = async (): Promise<void> => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const job: Job = { target: t.name, seed: opts.seed, cases: shares.get(t.name)!, slowMs: opts.slowMs, index: new Int32Array(new SharedArrayBuffer(4)) };
      const r = await runInWorker(entry, job, opts.hangMs, all, log);
      log(`  ${t.name}: done in ${(r.ms / 1000).toFixed(1)} s`);
      reports.push(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.jobs, selected.length) }, lane));
  const wall = (performance.now() - t0) / 1000;
  reports.sort((a, b) => selected.findIndex((t) => t.name === a.target) - selected.findIndex((t) => t.name === b.target));

  console.log(`\n${'target'.padEnd(14)} ${'cases'.padStart(7)} ${'crashes'.padStart(7)} ${'slow'.padStart(5)} ${'slowest'.padStart(10)} ${'time'.padStart(8)}`);
  for (const r of reports) {
    const slowest = r.slowest ? `${r.slowest.ms.toFixed(1)} ms` : '-';
    console.log(`${r.target.padEnd(14)} ${String(r.cases).padStart(7)} ${String(r.crashes).padStart(7)} ${String(r.slow).padStart(5)} ${slowest.padStart(10)} ${`${(r.ms / 1000).toFixed(1)} s`.padStart(8)}`);
  }
  console.log(`\n${reports.reduce((n, r) => n + r.cases, 0)} cases in ${wall.toFixed(1)} s (seed ${opts.seed})`);

  let failed = false;
  for (const r of reports) {
    const t = all.find((x) => x.name === r.target)!;
    if (r.slowest) {
      const file = saveCase(opts.out, `${r.target}-slowest`, t, r.seed, r.slowest.index, r.slowest.input);
      console.log(`\n${r.target}: slowest case #${r.slowest.index}, ${r.slowest.ms.toFixed(1)} ms: ${shortForm(t.text(r.slowest.input) ?? r.slowest.input)}\n  saved: ${file}`);
    }
    r.failures.forEach((f, k) => {
      failed = true;
      const file = saveCase(opts.out, `${r.target}-${f.kind}-${k + 1}`, t, r.seed, f.index, f.input, f.message);
      console.log(`\n${r.target}: ${f.kind} in case #${f.index} (${f.ms.toFixed(0)} ms): ${f.message}\n  input: ${shortForm(t.text(f.input) ?? f.input)}\n  saved: ${file}`);
      if (f.shrunk) {
        const small = saveCase(opts.out, `${r.target}-${f.kind}-${k + 1}-shrunk`, t, r.seed, f.index, f.shrunk.input, f.shrunk.message);
        console.log(`  shrunk: ${shortForm(t.text(f.shrunk.input) ?? f.shrunk.input)}\n  saved: ${small}`);
      }
    });
    if (r.crashes > 0 || r.slow > 0) failed = true;
  }
  console.log(failed ? '\nFAILED: crashes or slow cases above; rerun one with --replay FILE' : '\nno crash, no case over the time limit');
  return failed ? 1 : 0;
}
