import { fail } from '../diagnostics/error.js';
import type { Layer } from '../ir/types.js';
import type { WeightEntry } from '../artifacts/weights.js';
import type { EmbeddingInitReport } from './embedding-init.js';
import type { EpochRecord } from './events.js';
import { flagName, RESUME_FIXED, type EffectiveSettings } from './settings.js';

/** Running sums of a partial epoch, so that its averages continue exactly after a resume. */
export interface PartialEpoch {
  lossSum: number;
  accSum: number;
  count: number;
  seconds: number;
}

/** What a run is: resuming it with anything else is refused. */
export interface RunIdentity {
  settings: EffectiveSettings;
  dataFingerprint: string;
  valFingerprint: string;
  /** Layers of spec.json. */
  layers: Layer[];
}

/** checkpoint.json, version 1. */
interface CheckpointJson extends RunIdentity {
  format: 'rnnc-checkpoint';
  version: 1;
  epoch: number;
  step: number;
  partial: PartialEpoch;
  done: boolean;
  stoppedEarly: boolean;
  bestEpoch: number;
  bestValLoss: number | null;
  wait: number;
  history: EpochRecord[];
  weights: WeightEntry[];
  optimizerWeights: WeightEntry[];
  adamBetaPowers?: [number, number];
  trainSeconds: number;
  embedding?: EmbeddingInitReport;
}

const emptyPartial = (): PartialEpoch => ({ lossSum: 0, accSum: 0, count: 0, seconds: 0 });

/**
 * Where a training run stands: the state Keras and Hugging Face keep in one object, here saved
 * as checkpoint.json (beside checkpoint.bin, which holds the last weights and the optimizer's)
 * and read back by `--resume`, which then continues exactly as the uninterrupted run would have.
 * Pure data: no TensorFlow.
 */
export class RunState {
  /** Completed epochs. */
  epoch = 0;
  /** Steps done in epoch `epoch + 1` (non-zero only after an interruption). */
  step = 0;
  partial: PartialEpoch = emptyPartial();
  done = false;
  stoppedEarly = false;
  /** Epoch whose weights are the model (best validation loss; the last epoch without validation). */
  bestEpoch = 0;
  bestValLoss = Infinity;
  /** Epochs since the best one (early stopping). */
  wait = 0;
  history: EpochRecord[] = [];
  /** Wall time in training and validation over all sessions of the run. */
  trainSeconds = 0;
  /** How the embedding was filled at the start, kept for metrics.json. */
  embedding: EmbeddingInitReport | undefined;
  /** checkpoint.bin's layout: the model's weights, then the optimizer's. */
  weights: WeightEntry[] = [];
  optimizerWeights: WeightEntry[] = [];
  /** Adam's β powers, restored bit-exactly (tfjs recomputes them with pow(), which rounds differently). */
  adamBetaPowers: [number, number] | undefined;

  constructor(public identity: RunIdentity) {}

  /** Starts epoch `epoch` afresh (its running sums reset). */
  startEpoch(): void {
    this.partial = emptyPartial();
  }

  /** Adds one step's batch averages to the epoch's running sums. */
  addStep(loss: number, accuracy: number, rows: number, seconds: number): void {
    this.partial.lossSum += loss * rows;
    this.partial.accSum += accuracy * rows;
    this.partial.count += rows;
    this.partial.seconds = seconds;
  }

  get epochLoss(): number {
    return this.partial.lossSum / this.partial.count;
  }

  get epochAccuracy(): number {
    return this.partial.accSum / this.partial.count;
  }

  /** Whether a resumed run has nothing left to do for `epochs` epochs. */
  finishedFor(epochs: number): boolean {
    return this.stoppedEarly || (this.done && this.epoch >= epochs);
  }

  toJSON(): CheckpointJson {
    return {
      format: 'rnnc-checkpoint',
      version: 1,
      epoch: this.epoch,
      step: this.step,
      partial: this.partial,
      done: this.done,
      stoppedEarly: this.stoppedEarly,
      bestEpoch: this.bestEpoch,
      bestValLoss: Number.isFinite(this.bestValLoss) ? this.bestValLoss : null,
      wait: this.wait,
      history: this.history,
      ...this.identity,
      weights: this.weights,
      optimizerWeights: this.optimizerWeights,
      ...(this.adamBetaPowers ? { adamBetaPowers: this.adamBetaPowers } : {}),
      trainSeconds: this.trainSeconds,
      ...(this.embedding ? { embedding: this.embedding } : {}),
    };
  }

  /** Reads checkpoint.json (parsed); `file` names it in BadModelDir (E4006) errors. */
  static fromJSON(json: unknown, file: string): RunState {
    const bad = (what: string): never => {
      throw fail('BadModelDir', `${file} is not an rnnc checkpoint (${what})`, { file, help: 'start a new run without --resume (or in another folder)' });
    };
    if (json === null || typeof json !== 'object' || Array.isArray(json)) return bad('not an object');
    const o = json as Partial<CheckpointJson>;
    if (o.format !== 'rnnc-checkpoint' || o.version !== 1) return bad('format or version');
    const num = (v: unknown, name: string): number => (typeof v === 'number' && Number.isFinite(v) ? v : bad(`"${name}"`));
    const entries = (v: unknown, name: string): WeightEntry[] =>
      Array.isArray(v) && v.every((w: Partial<Record<keyof WeightEntry, unknown>> | null) => w !== null && typeof w === 'object' && typeof w.name === 'string' && Array.isArray(w.shape) && (w.dtype === 'float32' || w.dtype === 'int32')) ? (v as WeightEntry[]) : bad(`"${name}"`);
    if (typeof o.settings !== 'object' || o.settings === null || !Array.isArray(o.layers) || !Array.isArray(o.history)) return bad('settings, layers or history');
    if (typeof o.dataFingerprint !== 'string' || typeof o.valFingerprint !== 'string') return bad('data fingerprints');
    const p = o.partial;
    if (!p || typeof p !== 'object') return bad('"partial"');
    const s = new RunState({ settings: o.settings, dataFingerprint: o.dataFingerprint, valFingerprint: o.valFingerprint, layers: o.layers });
    s.epoch = num(o.epoch, 'epoch');
    s.step = num(o.step, 'step');
    s.partial = { lossSum: num(p.lossSum, 'partial'), accSum: num(p.accSum, 'partial'), count: num(p.count, 'partial'), seconds: num(p.seconds, 'partial') };
    s.done = o.done === true;
    s.stoppedEarly = o.stoppedEarly === true;
    s.bestEpoch = num(o.bestEpoch, 'bestEpoch');
    s.bestValLoss = o.bestValLoss === null || o.bestValLoss === undefined ? Infinity : num(o.bestValLoss, 'bestValLoss');
    s.wait = num(o.wait, 'wait');
    s.history = o.history;
    s.trainSeconds = num(o.trainSeconds, 'trainSeconds');
    s.embedding = o.embedding;
    s.weights = entries(o.weights, 'weights');
    s.optimizerWeights = entries(o.optimizerWeights, 'optimizerWeights');
    if (o.adamBetaPowers !== undefined) s.adamBetaPowers = [num(o.adamBetaPowers[0], 'adamBetaPowers'), num(o.adamBetaPowers[1], 'adamBetaPowers')];
    return s;
  }

  /** Refuses to resume this run with another model, data or fixed setting: ResumeMismatch (E4008). */
  checkResumable(next: RunIdentity, dir: string): void {
    const mine = this.identity;
    if (JSON.stringify(mine.layers) !== JSON.stringify(next.layers)) {
      throw fail('ResumeMismatch', `the spec's model differs from the one in ${dir}; resume with the same spec`);
    }
    for (const k of RESUME_FIXED) {
      if (JSON.stringify(mine.settings[k]) !== JSON.stringify(next.settings[k])) {
        throw fail(
          'ResumeMismatch',
          `cannot change ${k} when resuming: the checkpoint was trained with ${k} = ${JSON.stringify(mine.settings[k])}, not ${JSON.stringify(next.settings[k])}`,
          { help: `drop ${flagName(k)} or start a new run in another directory` },
        );
      }
    }
    if (mine.dataFingerprint !== next.dataFingerprint || mine.valFingerprint !== next.valFingerprint) {
      throw fail('ResumeMismatch', `the data differs from the data the checkpoint in ${dir} was trained on; resume with the same --data`);
    }
  }
}
