import { beforeAll, describe, expect, it } from 'vitest';
import { readDataset, type Example } from '../../src/data/readers.js';
import { seededSplit, type TrainResult } from '../../src/train/trainer.js';
import { hasSharedData, sharedFile } from '../support/real-data.js';
import { quickSettings, specIn, tempDir, trainIn } from '../train-e2e/helpers.js';

/**
 * Fused and stock kernels training the same model on real data from the same seed (needs
 * `../shared/data`, as the other real-data tests). The weights start equal and the steps see the
 * same batches and dropout masks' seeds; only the arithmetic's rounding differs, so the runs
 * should end within noise of each other.
 */

describe.skipIf(!hasSharedData)('Rotten Tomatoes slice: fused and stock training from one seed', () => {
  const dir = tempDir('fused-stock');
  const runs: Record<'fused' | 'stock', TrainResult> = {} as never;

  beforeAll(async () => {
    const all: Example[] = (await readDataset(sharedFile('rt-polarity', 'rt-polarity.tsv'))).examples;
    const rows = seededSplit(all, 2500 / all.length, 3, 'test').held;
    const { program } = specIn(dir, 'rt.rnn', 'embed(32, vocab: 3000) |> bi(lstm(16)) |> dense(1)\n');
    const settings = quickSettings({ epochs: 2, maxlen: 30, lr: 0.003, val_split: 0.2, patience: 0 });
    for (const kernels of ['fused', 'stock'] as const) {
      runs[kernels] = await trainIn(program, dir, rows, { settings, runtime: { backend: 'wasm', kernels, threads: 2 } });
    }
  }, 240_000);

  it('ran on the kernels asked for', () => {
    expect(runs.fused.kernels).toBe('fused, 2 threads');
    expect(runs.stock.kernels).toBe('stock');
  });

  it('both learn, and end within noise of each other (500 validation sentences)', () => {
    const f = runs.fused.validation!.accuracy;
    const s = runs.stock.validation!.accuracy;
    expect(f).toBeGreaterThan(0.6);
    expect(s).toBeGreaterThan(0.6);
    // One standard error of an accuracy near 0.65 on 500 sentences is 2.1 points.
    expect(Math.abs(f - s)).toBeLessThan(0.021);
    // The first epoch's training loss agrees to the third decimal: the runs track each other.
    expect(Math.abs(runs.fused.history[0]!.loss - runs.stock.history[0]!.loss)).toBeLessThan(1e-3);
  });
});
