import { ModelFolder } from '../artifacts/model-folder.js';
import { CHECKPOINT_BIN, CHECKPOINT_JSON, METRICS_JSON, SPEC_JSON, VOCAB_JSON, WEIGHTS_BIN } from '../artifacts/layout.js';
import { publish, resumeSource } from '../artifacts/store.js';
import { packWeights, sliceWeights, type WeightValues } from '../artifacts/weights.js';
import { fail, reasonOf } from '../diagnostics/error.js';
import type { Program } from '../ir/types.js';
import type { Vocab } from '../text/vocab.js';
import type { Metrics } from './metrics.js';
import type { OptimizerState } from './optimizer.js';
import { RunState } from './run-state.js';
import type { CoverageRecord, ValidationMistakes } from './run-details.js';

/** rnnc's version, written into metrics.json. */
export const RNNC_VERSION = '0.1.0';

/** Where the data came from, for metrics.json and messages. */
export interface DataDescription {
  /** The `--data` path (absolute) or the demo corpus's name. */
  source: string;
  format: string;
  /** Rows read (usable examples). */
  examples: number;
  /** Rows that could not be used (reported by the reader). */
  problems: number;
  valFile?: string;
}

/** What metrics.json says about a run besides its state. */
export interface RunFacts {
  /** `label_counts`: examples per label of each split, in the order of `labels`. */
  data: DataDescription & { train: number; validation: number; labels: string[]; label_counts: { train: number[]; validation: number[] } };
  /** `validation_coverage`: of the validation texts by the vocabulary (absent without validation data). */
  vocab: { size: number; input_dim: number; maxlen: number; distinct_words?: number; kept_words?: number; validation_coverage?: CoverageRecord };
  params: { total: number; trainable: number; non_trainable: number };
  backend: string;
  kernels: string;
  startedAt: Date;
}

/**
 * metrics.json: the run's history, settings, data and final metrics, for people and tools
 * (`rnnc report` draws its page from it). `mistakes` are the kept weights' most confident wrong
 * validation predictions.
 */
export function metricsJson(state: RunState, facts: RunFacts, validation: Metrics | undefined, mistakes?: ValidationMistakes): object {
  const { history } = state;
  return {
    format: 'rnnc-metrics',
    version: 1,
    complete: state.done,
    interrupted: !state.done && state.step > 0,
    stopped_early: state.stoppedEarly,
    epochs_run: state.epoch,
    best_epoch: state.bestEpoch,
    final: {
      validation: validation ?? null,
      train: history.find((h) => h.epoch === state.bestEpoch) ?? history[history.length - 1] ?? null,
    },
    ...(mistakes ? { validation_mistakes: mistakes } : {}),
    history,
    settings: state.identity.settings,
    backend: facts.backend,
    kernels: facts.kernels,
    data: facts.data,
    vocab: facts.vocab,
    ...(state.embedding ? { embedding: state.embedding } : {}),
    params: facts.params,
    time: { started: facts.startedAt.toISOString(), saved: new Date().toISOString(), train_seconds: state.trainSeconds },
    rnnc: RNNC_VERSION,
  };
}

/** Everything one save of a run writes. */
export interface RunSnapshot {
  /** model.json + weights.bin of the weights to keep (the best epoch's). */
  model: Record<string, string | Buffer>;
  /** The last weights, in `model.weights` order, with their names. */
  last: { name: string; shape: number[]; values: WeightValues }[];
  optimizer: OptimizerState;
  vocab: Vocab;
  spec: Program;
  metrics: object;
}

/**
 * Writes the run's model folder in one atomic step (artifacts/store.ts): the model, vocab.json,
 * spec.json, metrics.json and the checkpoint (checkpoint.json + checkpoint.bin: the last weights,
 * then the optimizer's). A finished run replaces the folder; an unfinished one replaces it only
 * if it holds no finished model, so a killed retrain keeps the last finished one.
 */
export async function saveRun(dir: string, state: RunState, snap: RunSnapshot): Promise<void> {
  const last = packWeights(snap.last);
  const opt = packWeights(snap.optimizer.weights);
  state.weights = last.manifest;
  state.optimizerWeights = opt.manifest;
  state.adamBetaPowers = snap.optimizer.adamBetaPowers;
  await publish(
    dir,
    {
      ...snap.model,
      [VOCAB_JSON]: `${JSON.stringify(snap.vocab.toJSON())}\n`,
      [SPEC_JSON]: `${JSON.stringify(snap.spec, null, 2)}\n`,
      [METRICS_JSON]: `${JSON.stringify(snap.metrics, null, 2)}\n`,
      [CHECKPOINT_JSON]: `${JSON.stringify(state.toJSON())}\n`,
      [CHECKPOINT_BIN]: Buffer.concat([last.bytes, opt.bytes]),
    },
    { finished: state.done },
  );
}

/** A checkpoint read back for `--resume`. */
export interface Checkpoint {
  folder: ModelFolder;
  state: RunState;
  vocab: Vocab;
  /** The last weights and the optimizer's, as saved. */
  last: WeightValues[];
  optimizer: OptimizerState;
  /** The kept (best) weights: the folder's model. */
  best: () => Promise<Float32Array[]>;
}

const RESTART = 'start a new run without --resume (or in another folder)';

/** Reads the checkpoint `--resume` continues: the unfinished run beside `dir` if any, else `dir`'s. */
export async function readCheckpoint(dir: string): Promise<Checkpoint> {
  const path = await resumeSource(dir);
  if (!path) throw fail('BadModelDir', `no checkpoint to resume from: ${dir} does not exist`, { file: dir, help: 'run without --resume to start' });
  const folder = ModelFolder.at(dir, path);
  const state = RunState.fromJSON(await folder.json(CHECKPOINT_JSON), folder.shown(CHECKPOINT_JSON));
  const vocab = await folder.vocab(false);
  const bytes = await folder.bytes(CHECKPOINT_BIN);
  let last: WeightValues[];
  let opt: WeightValues[];
  try {
    const w = sliceWeights(state.weights, bytes);
    last = w.values;
    const o = sliceWeights(state.optimizerWeights, bytes, w.end);
    opt = o.values;
    if (o.end !== bytes.length) throw new RangeError(`it holds ${bytes.length} bytes, ${CHECKPOINT_JSON} describes ${o.end}`);
  } catch (e) {
    throw fail('BadModelDir', `cannot resume from ${dir}: ${folder.shown(CHECKPOINT_BIN)} does not match ${CHECKPOINT_JSON} (${reasonOf(e)})`, {
      file: folder.shown(CHECKPOINT_BIN),
      help: RESTART,
    });
  }
  const optimizer: OptimizerState = {
    weights: state.optimizerWeights.map((w, i) => ({ name: w.name, shape: w.shape, values: opt[i]! })),
    ...(state.adamBetaPowers ? { adamBetaPowers: state.adamBetaPowers } : {}),
  };
  const best = async (): Promise<Float32Array[]> => {
    try {
      return await folder.weightValues();
    } catch (e) {
      throw fail('BadModelDir', `cannot resume from ${dir}: ${reasonOf(e)}`, { file: folder.shown(WEIGHTS_BIN), help: RESTART, cause: e });
    }
  };
  return { folder, state, vocab, last, optimizer, best };
}
