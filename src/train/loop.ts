import { deriveSeed, seededRandom, shuffleInPlace } from '../util/random.js';
import { afterEpoch } from './early-stopping.js';
import type { EpochRecord, TrainEvent } from './events.js';
import type { Metrics } from './metrics.js';
import type { RunState } from './run-state.js';
import { STREAM_SHUFFLE } from './setup.js';

/** What the loop needs from a run; the trainer provides it with tfjs, tests without. */
export interface LoopHooks {
  /** One training step on the rows (indices into the training set); the batch's loss and accuracy. */
  step(rows: readonly number[], epoch: number, step: number): Promise<{ loss: number; accuracy: number }>;
  /** Validation metrics of the current weights; undefined without validation data. */
  validate(): Promise<Metrics | undefined>;
  /** The current weights are the best so far: keep them (with their validation metrics). */
  keepBest(metrics: Metrics | undefined): Promise<void>;
  /** Saves the run as `state` describes it (model folder and checkpoint). */
  save(): Promise<void>;
  emit(e: TrainEvent): void;
  /** Polled after every step: true stops the run after saving a checkpoint (Ctrl-C). */
  shouldStop(): boolean;
}

export interface LoopPlan {
  examples: number;
  batch: number;
  epochs: number;
  seed: number;
  patience: number;
}

/** A macrotask turn: a step resolves through microtasks only, which never let a signal in. */
const yieldToEvents = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The training loop, from wherever `state` stands to the last epoch: seeded shuffled batches,
 * running averages, validation after each epoch, early stopping, a save after every epoch and
 * on interruption. Resuming a state saved mid-epoch continues with the very next step, so the
 * run goes on as the uninterrupted one would have. Returns whether it was interrupted.
 */
export async function runLoop(state: RunState, plan: LoopPlan, hooks: LoopHooks, now: () => number = () => performance.now()): Promise<{ interrupted: boolean }> {
  const steps = Math.ceil(plan.examples / plan.batch);
  const prior = state.trainSeconds;
  const t0 = now();
  const save = async (epoch: number, step: number, done: boolean): Promise<void> => {
    state.epoch = epoch;
    state.step = step;
    state.done = done;
    state.trainSeconds = prior + (now() - t0) / 1000;
    await hooks.save();
  };
  const startEpoch = state.epoch + 1;
  for (let epoch = startEpoch; epoch <= plan.epochs; epoch++) {
    const order = shuffleInPlace(
      Array.from({ length: plan.examples }, (_, i) => i),
      seededRandom(deriveSeed(plan.seed, STREAM_SHUFFLE, epoch)),
    );
    hooks.emit({ type: 'epoch-start', epoch, epochs: plan.epochs, steps });
    const firstStep = epoch === startEpoch ? state.step : 0;
    if (firstStep === 0) state.startEpoch();
    const sessionStart = now();
    const epochStart = sessionStart - state.partial.seconds * 1000;
    let lastYield = sessionStart;
    for (let step = firstStep; step < steps; step++) {
      const rows = order.slice(step * plan.batch, (step + 1) * plan.batch);
      const { loss, accuracy } = await hooks.step(rows, epoch, step);
      state.addStep(loss, accuracy, rows.length, (now() - epochStart) / 1000);
      const done = step + 1 - firstStep;
      hooks.emit({
        type: 'step',
        epoch,
        epochs: plan.epochs,
        step: step + 1,
        steps,
        loss: state.epochLoss,
        accuracy: state.epochAccuracy,
        seconds: state.partial.seconds,
        etaSeconds: ((now() - sessionStart) / 1000 / done) * (steps - step - 1),
      });
      if (now() - lastYield > 100) {
        await yieldToEvents();
        lastYield = now();
      }
      if (hooks.shouldStop() && step + 1 < steps) {
        await save(epoch - 1, step + 1, false);
        hooks.emit({ type: 'interrupted', epoch, step: step + 1, steps });
        return { interrupted: true };
      }
    }

    const record: EpochRecord = { epoch, loss: state.epochLoss, accuracy: state.epochAccuracy, seconds: 0 };
    const m = await hooks.validate();
    if (m) Object.assign(record, { val_loss: m.loss, val_accuracy: m.accuracy, val_precision: m.precision, val_recall: m.recall, val_f1: m.f1 });
    const decision = afterEpoch(state, epoch, plan.epochs, m?.loss, plan.patience);
    Object.assign(state, { bestEpoch: decision.bestEpoch, bestValLoss: decision.bestValLoss, wait: decision.wait });
    if (decision.improved && m) await hooks.keepBest(m);
    record.seconds = (now() - epochStart) / 1000;
    state.history.push(record);
    state.startEpoch();
    hooks.emit({ type: 'epoch-end', record, epochs: plan.epochs, best: decision.improved });
    if (decision.stop) {
      state.stoppedEarly = true;
      hooks.emit({ type: 'early-stop', epoch, bestEpoch: state.bestEpoch });
    }
    const last = state.stoppedEarly || epoch === plan.epochs;
    await save(epoch, 0, last);
    if (last) break;
    if (hooks.shouldStop()) {
      hooks.emit({ type: 'interrupted', epoch: epoch + 1, step: 0, steps });
      return { interrupted: true };
    }
  }
  return { interrupted: false };
}
