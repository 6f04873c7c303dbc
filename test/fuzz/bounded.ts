import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { runTarget, type TargetReport } from './runner.js';
import { createTargets } from './targets.js';

/**
 * The fuzz targets as bounded tests: a fixed seed (RNNC_FUZZ_SEED tries another) and a case
 * count small enough for the suite. `npm run fuzz` runs the same targets for long.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SEED = Number(process.env['RNNC_FUZZ_SEED'] ?? 8);

/** One line per failure, with the input in short: what a failing test prints. */
function failures(r: TargetReport): string[] {
  return r.failures.map((f) => {
    const input = f.shrunk?.input ?? f.input;
    const shown = JSON.stringify(input) ?? String(input);
    return `${f.kind} in case #${f.index}: ${(f.shrunk?.message ?? f.message).split('\n')[0]}\n  input: ${shown.length > 300 ? `${shown.slice(0, 300)}…` : shown}`;
  });
}

/** A test running `cases` cases of the target `name`; no case may fail, none take over 10 s. */
export function fuzzTest(name: string, cases: number): void {
  test(`${name}: ${cases} cases (seed ${SEED})`, async () => {
    const target = createTargets(ROOT).find((t) => t.name === name)!;
    // A generous bound per case: only a pathological slowdown fails under load; the long run
    // holds cases to one second.
    const report = await runTarget(target, { seed: SEED, cases, slowMs: 10_000, shrinkMs: 5_000 });
    expect(failures(report)).toEqual([]);
    expect(report.cases).toBe(cases);
  });
}
