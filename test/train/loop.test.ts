import { describe, expect, it } from 'vitest';
import { RnncError } from '../../src/diagnostics/error.js';
import { afterEpoch } from '../../src/train/early-stopping.js';
import type { TrainEvent } from '../../src/train/events.js';
import { runLoop, type LoopHooks, type LoopPlan } from '../../src/train/loop.js';
import type { Metrics } from '../../src/train/metrics.js';
import { RunState, type RunIdentity } from '../../src/train/run-state.js';
import { DEFAULT_SETTINGS } from '../../src/train/settings.js';

// The training loop, run-state and early stopping without TensorFlow: a fake "model" whose loss
// is a function of the rows it sees, so every number the loop computes can be checked exactly.

const identity: RunIdentity = { settings: { ...DEFAULT_SETTINGS }, dataFingerprint: 'd', valFingerprint: 'v', layers: [] };
const metrics = (loss: number): Metrics => ({ loss, accuracy: 1 - loss, precision: 0.5, recall: 0.5, f1: 0.5 }) as unknown as Metrics;

interface Fake {
  hooks: LoopHooks;
  steps: string[];
  events: TrainEvent[];
  saves: { epoch: number; step: number; done: boolean; json: string }[];
}

/** Hooks whose step loss is the mean row index / 100 and whose validation losses are given. */
function fake(state: RunState, valLosses: (number | undefined)[], stopAfter?: { epoch: number; step: number }): Fake {
  const f: Fake = { steps: [], events: [], saves: [], hooks: undefined as unknown as LoopHooks };
  let current = { epoch: 0, step: 0 };
  f.hooks = {
    step: async (rows, epoch, step) => {
      current = { epoch, step };
      f.steps.push(`${epoch}.${step}:${rows.join(',')}`);
      const mean = rows.reduce((a, r) => a + r, 0) / rows.length;
      return { loss: mean / 100, accuracy: rows.length / 10 };
    },
    validate: async () => {
      const l = valLosses[current.epoch - 1];
      return l === undefined ? undefined : metrics(l);
    },
    keepBest: async () => undefined,
    save: async () => {
      f.saves.push({ epoch: state.epoch, step: state.step, done: state.done, json: JSON.stringify(state.toJSON()) });
    },
    emit: (e) => f.events.push(e),
    shouldStop: () => stopAfter !== undefined && current.epoch === stopAfter.epoch && current.step === stopAfter.step,
  };
  return f;
}

const plan: LoopPlan = { examples: 10, batch: 4, epochs: 6, seed: 42, patience: 2 };
const clock = (): (() => number) => {
  let t = 0;
  return () => (t += 10);
};
const withoutTimes = (s: RunState): unknown => ({ ...s.toJSON(), trainSeconds: 0, partial: { ...s.partial, seconds: 0 }, history: s.history.map((h) => ({ ...h, seconds: 0 })) });

describe('early stopping', () => {
  it('is Keras’s EarlyStopping(val_loss, restore_best_weights): best epoch, patience, min_delta 0', () => {
    let s = { bestEpoch: 0, bestValLoss: Infinity, wait: 0 };
    const seen = [1, 0.8, 0.8, 0.9, 0.7].map((loss, i) => {
      const d = afterEpoch(s, i + 1, 10, loss, 2);
      s = d;
      return [d.improved, d.wait, d.stop, d.bestEpoch];
    });
    expect(seen).toEqual([
      [true, 0, false, 1],
      [true, 0, false, 2],
      [false, 1, false, 2], // equal is not better
      [false, 2, true, 2],
      [true, 0, false, 5],
    ]);
    expect(afterEpoch({ bestEpoch: 1, bestValLoss: 1, wait: 5 }, 2, 10, 2, 0).stop).toBe(false); // patience 0 never stops
    expect(afterEpoch({ bestEpoch: 1, bestValLoss: 1, wait: 1 }, 10, 10, 2, 2).stop).toBe(false); // nothing left to stop
    expect(afterEpoch({ bestEpoch: 1, bestValLoss: 1, wait: 0 }, 2, 10, Number.NaN, 2).improved).toBe(false);
    expect(afterEpoch({ bestEpoch: 1, bestValLoss: 1, wait: 0 }, 2, 10, undefined, 2)).toMatchObject({ improved: true, bestEpoch: 2, stop: false });
  });
});

describe('the training loop', () => {
  it('averages steps into epochs, validates, stops early, and saves after every epoch', async () => {
    const state = new RunState(identity);
    const f = fake(state, [0.5, 0.4, 0.45, 0.46, 0.3, 0.2]);
    expect(await runLoop(state, plan, f.hooks, clock())).toEqual({ interrupted: false });
    // 10 examples in batches of 4: steps of 4, 4 and 2 rows; every row once per epoch.
    expect(f.steps.filter((s) => s.startsWith('1.'))).toHaveLength(3);
    const rows = f.steps.filter((s) => s.startsWith('1.')).flatMap((s) => s.split(':')[1]!.split(',').map(Number));
    expect(rows.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Shuffled differently each epoch, the same way every run (seeded).
    expect(f.steps[0]).not.toBe(f.steps[3]);
    // The epoch's loss is the row-weighted mean of the step losses: the mean row index / 100.
    expect(state.history[0]!.loss).toBeCloseTo(0.045, 12);
    expect(state.history.map((h) => h.val_loss)).toEqual([0.5, 0.4, 0.45, 0.46]);
    expect(state).toMatchObject({ epoch: 4, step: 0, done: true, stoppedEarly: true, bestEpoch: 2, bestValLoss: 0.4, wait: 2 });
    expect(f.saves.map((s) => [s.epoch, s.step, s.done])).toEqual([
      [1, 0, false],
      [2, 0, false],
      [3, 0, false],
      [4, 0, true],
    ]);
    expect(f.events.filter((e) => e.type === 'early-stop')).toEqual([{ type: 'early-stop', epoch: 4, bestEpoch: 2 }]);
    expect(f.events.filter((e) => e.type === 'epoch-end').map((e) => (e as { best: boolean }).best)).toEqual([true, true, false, false]);
  });

  it('without validation data keeps the last epoch and never stops early', async () => {
    const state = new RunState(identity);
    const f = fake(state, []);
    await runLoop(state, { ...plan, epochs: 3 }, f.hooks, clock());
    expect(state).toMatchObject({ epoch: 3, done: true, stoppedEarly: false, bestEpoch: 3 });
  });

  it('stopped mid-epoch and resumed from the saved state, continues exactly as the run would have', async () => {
    const whole = new RunState(identity);
    const w = fake(whole, [0.5, 0.4, 0.3, 0.2, 0.1, 0.05]);
    await runLoop(whole, plan, w.hooks, clock());

    const first = new RunState(identity);
    const a = fake(first, [0.5, 0.4, 0.3, 0.2, 0.1, 0.05], { epoch: 3, step: 0 });
    expect(await runLoop(first, plan, a.hooks, clock())).toEqual({ interrupted: true });
    expect(a.events.at(-1)).toEqual({ type: 'interrupted', epoch: 3, step: 1, steps: 3 });
    const saved = a.saves.at(-1)!;
    expect([saved.epoch, saved.step, saved.done]).toEqual([2, 1, false]);

    // What --resume does: the state back from checkpoint.json, then the loop again.
    const resumed = RunState.fromJSON(JSON.parse(saved.json), 'checkpoint.json');
    const b = fake(resumed, [0.5, 0.4, 0.3, 0.2, 0.1, 0.05]);
    await runLoop(resumed, plan, b.hooks, clock());
    expect([...a.steps, ...b.steps]).toEqual(w.steps);
    expect(withoutTimes(resumed)).toEqual(withoutTimes(whole));
    expect(b.events[0]).toEqual({ type: 'epoch-start', epoch: 3, epochs: 6, steps: 3 });
  });

  it('stopped between epochs, resumes with the next one', async () => {
    const first = new RunState(identity);
    const a = fake(first, [], { epoch: 2, step: 2 });
    expect(await runLoop(first, plan, a.hooks, clock())).toEqual({ interrupted: true });
    expect(a.events.at(-1)).toEqual({ type: 'interrupted', epoch: 3, step: 0, steps: 3 });
    const resumed = RunState.fromJSON(JSON.parse(a.saves.at(-1)!.json), 'checkpoint.json');
    expect([resumed.epoch, resumed.step]).toEqual([2, 0]);
    const b = fake(resumed, []);
    await runLoop(resumed, plan, b.hooks, clock());
    expect(b.steps[0]).toMatch(/^3\.0:/);
    expect(resumed.finishedFor(6)).toBe(true);
    expect(resumed.finishedFor(7)).toBe(false);
  });
});

describe('the run state', () => {
  it('refuses a checkpoint.json that is not one, naming the file (E4006)', () => {
    for (const bad of [null, [], { format: 'x' }, { ...new RunState(identity).toJSON(), epoch: 'one' }, { ...new RunState(identity).toJSON(), weights: [{ name: 1 }] }]) {
      const e = (() => {
        try {
          RunState.fromJSON(bad, 'out/checkpoint.json');
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(RnncError);
      expect((e as RnncError).code).toBe('E4006');
      expect((e as RnncError).message).toMatch(/^out\/checkpoint\.json is not an rnnc checkpoint/);
    }
  });

  it('refuses to resume another model, other data or a changed fixed setting (E4008)', () => {
    const s = new RunState(identity);
    const resumeWith = (next: RunIdentity): string => {
      try {
        s.checkResumable(next, 'out');
        return 'ok';
      } catch (e) {
        return `${(e as RnncError).code} ${(e as RnncError).message}`;
      }
    };
    expect(resumeWith({ ...identity, settings: { ...identity.settings, epochs: 20, patience: 5 } })).toBe('ok');
    expect(resumeWith({ ...identity, settings: { ...identity.settings, lr: 0.1 } })).toBe('E4008 cannot change lr when resuming: the checkpoint was trained with lr = 0.001, not 0.1');
    expect(resumeWith({ ...identity, dataFingerprint: 'other' })).toMatch(/^E4008 the data differs/);
    expect(resumeWith({ ...identity, layers: [{ kind: 'dropout', rate: 0.5 } as never] })).toMatch(/^E4008 the spec's model differs/);
  });
});
