import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_JSON, METRICS_JSON } from '../../src/artifacts/layout.js';
import { ModelFolder } from '../../src/artifacts/model-folder.js';
import { RunState } from '../../src/train/run-state.js';
import { seededRandom } from '../../src/util/random.js';
import { fixtureDir } from '../fixtures.js';
import { rnnc, type Run } from './run.js';

// kill -9 at random moments during `compile` and `train` (#8): the output folder always holds
// the old complete artifacts or the new ones, never a mix or nothing, and `--resume` continues.

const { dir } = fixtureDir('kill');
const spec = join(dir, 'tiny.rnn');
writeFileSync(spec, 'embed(8, vocab: 200) |> gru(4) |> dense(1)\n');
const random = seededRandom(8);

/** Runs rnnc and kills it with SIGKILL `delayMs` after stderr first matches `after`. */
function killed(args: string[], after: RegExp, delayMs: number): Promise<Run> {
  let armed = false;
  return rnnc(args, {
    onStderr: (err, signal) => {
      if (!armed && after.test(err)) {
        armed = true;
        setTimeout(() => signal('SIGKILL'), delayMs);
      }
    },
  });
}

/** Checks a model folder as a whole, without TensorFlow: manifest and weights agree, every file reads. */
async function complete(out: string, trained: boolean): Promise<{ weights: Buffer; metrics?: { complete: boolean; epochs_run: number } }> {
  const folder = await ModelFolder.open(out);
  const { bytes } = await folder.weights();
  await folder.spec();
  if (!trained) return { weights: bytes };
  await folder.vocab();
  RunState.fromJSON(await folder.json(CHECKPOINT_JSON), CHECKPOINT_JSON);
  return { weights: bytes, metrics: (await folder.json(METRICS_JSON)) as { complete: boolean; epochs_run: number } };
}

describe('kill -9 during compile', () => {
  it('leaves the earlier complete model, or the new one', async () => {
    const out = join(dir, 'compiled');
    expect((await rnnc(['compile', spec, '-o', out])).code).toBe(0);
    for (let trial = 0; trial < 4; trial++) {
      const r = await killed(['compile', spec, '-o', out], /./, Math.floor(random() * 1500));
      expect(r.code === 0 || r.code === null).toBe(true);
      await complete(out, false);
    }
  });
});

describe('kill -9 during train', () => {
  it('keeps a complete folder at every moment; --resume finishes the run; a killed retrain keeps the finished model', async () => {
    const out = join(dir, 'trained');
    const args = ['train', spec, '-o', out, '--maxlen', '8', '--epochs', '4', '--quiet'];
    // Killed some time after the first epoch ended: the folder is absent (not yet saved) or whole.
    await killed(args, /^epoch 1\/4 /m, Math.floor(random() * 400));
    if (existsSync(out)) expect((await complete(out, true)).metrics?.complete).toBe(false);
    // Killed again while resuming (or starting, if nothing was saved).
    await killed([...args, ...(existsSync(out) ? ['--resume'] : [])], /^epoch \d\/4 /m, Math.floor(random() * 400));
    if (existsSync(out)) await complete(out, true);
    const done = await rnnc([...args, ...(existsSync(out) ? ['--resume'] : [])]);
    expect(done.code).toBe(0);
    const finished = await complete(out, true);
    expect(finished.metrics).toMatchObject({ complete: true, epochs_run: 4 });

    // A new run into the same folder, killed after its first checkpoint: the finished model stays.
    const retrain = [...args, '--seed', '7'];
    const r = await killed(retrain, /^epoch 2\/4 /m, Math.floor(random() * 200));
    expect(r.stderr).toContain(`note: ${out} keeps its finished model until this run finishes`);
    const kept = await complete(out, true);
    expect(kept.metrics).toMatchObject({ complete: true, epochs_run: 4 });
    expect(kept.weights.equals(finished.weights)).toBe(true);
    // --resume continues the new run (not the finished one), and its end replaces the folder.
    const resumed = await rnnc([...retrain, '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/^resuming at epoch [2-4]/m);
    const replaced = await complete(out, true);
    expect(replaced.metrics).toMatchObject({ complete: true, epochs_run: 4 });
    expect(replaced.weights.equals(finished.weights)).toBe(false);
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).settings.seed).toBe(7);
  });
});
