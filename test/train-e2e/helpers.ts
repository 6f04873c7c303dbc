import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { LayersModel } from '@tensorflow/tfjs';
import { checkText } from '../../src/program.js';
import type { Program } from '../../src/ir/types.js';
import { demoCorpus } from '../../src/data/demo.js';
import { DEFAULT_SETTINGS, type EffectiveSettings } from '../../src/train/settings.js';
import { train, type TrainOptions, type TrainResult } from '../../src/train/trainer.js';
import type { Example } from '../../src/data/readers.js';
import { bin, repo, rnnc, runNode, type Run } from '../cli/run.js';

export { bin, repo, rnnc, runNode, type Run };

/** A temporary folder for one test file, removed afterwards. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `rnnc-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Checks a spec written into `dir` (so its relative paths resolve there) and returns the program. */
export function specIn(dir: string, name: string, text: string): { file: string; program: Program } {
  const file = join(dir, name);
  writeFileSync(file, text);
  const r = checkText(text, { fileName: file });
  if (!r.program) throw new Error(`spec does not check:\n${r.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n')}`);
  return { file, program: r.program };
}

/** The first `n` sentences of the embedded demo corpus (already shuffled and balanced). */
export function demoSlice(n: number, seed?: number): Example[] {
  return demoCorpus(seed === undefined ? {} : { seed }).slice(0, n);
}

/** Small, fast settings for tests: few epochs, short texts. */
export function quickSettings(over: Partial<EffectiveSettings> = {}): EffectiveSettings {
  return { ...DEFAULT_SETTINGS, epochs: 2, maxlen: 32, batch: 32, ...over };
}

/** Runs `train` in-process on the wasm backend. */
export function trainIn(program: Program, baseDir: string, examples: Example[], over: Partial<TrainOptions> & { settings?: EffectiveSettings } = {}): Promise<TrainResult> {
  return train({
    program,
    baseDir,
    settings: quickSettings(),
    examples,
    data: { source: 'test', format: 'demo', examples: examples.length, problems: 0 },
    runtime: { backend: 'wasm' },
    ...over,
  });
}

/** Every weight of a model as plain arrays, in model.weights order. */
export async function weightsOf(model: LayersModel): Promise<number[][]> {
  const out: number[][] = [];
  for (const w of model.weights) out.push(Array.from(await w.read().data()));
  return out;
}

/** Epoch records without their wall times (which differ between runs). */
export function historyOf(r: TrainResult): object[] {
  return r.history.map(({ seconds: _seconds, ...rest }) => rest);
}

