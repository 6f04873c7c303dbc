import type * as Tf from '@tensorflow/tfjs';
import { checkWritable } from '../artifacts/store.js';
import { kernelsLabel, loadTf, prepareModel, type BackendName, type LoadedTf, type RuntimeOptions } from '../compile/backend.js';
import { specForSaving } from '../compile/compile.js';
import { buildModel, countParams, type ParamCounts } from '../compile/layers.js';
import { modelFiles } from '../compile/save.js';
import { fail } from '../diagnostics/error.js';
import { isRecurrentKind } from '../ir/semantics.js';
import type { Program } from '../ir/types.js';
import { checkTokenPattern } from '../text/tokenizer.js';
import { Vocab } from '../text/vocab.js';
import { deriveSeed, withMathRandom } from '../util/random.js';
import { readCheckpoint, metricsJson, saveRun, type Checkpoint, type DataDescription, type RunFacts } from './checkpoint.js';
import { initEmbedding, type EmbeddingInitReport } from './embedding-init.js';
import type { EpochRecord, TrainEvent } from './events.js';
import { batchIds, classIndices, evaluateWithPredictions, masksPadding } from './inference.js';
import { runLoop } from './loop.js';
import type { HeadKind, Metrics } from './metrics.js';
import { makeOptimizer, readOptimizerState, restoreOptimizerState, setWeightValues, weightValues } from './optimizer.js';
import type { Example } from '../data/readers.js';
import { coverageRecord, labelCounts, validationMistakes, type ValidationMistakes } from './run-details.js';
import { RunState, type RunIdentity } from './run-state.js';
import { fingerprint, headOf, labelsOf, lossFor, seededSplit, STREAM_INIT, STREAM_STEP } from './setup.js';
import type { EffectiveSettings } from './settings.js';

type TfModule = typeof Tf;

export type { DataDescription } from './checkpoint.js';
export type { EpochRecord, TrainEvent } from './events.js';
export { evaluate, loadTrained, predictProbabilities, type TrainedModel } from './inference.js';
export { headOf, labelsOf, seededSplit } from './setup.js';

/** Everything one training run needs. */
export interface TrainOptions {
  /** A checked, normalized program. */
  program: Program;
  /** The spec's folder: relative source paths in the spec are resolved against it. */
  baseDir: string;
  settings: EffectiveSettings;
  /** The training data; split into train and validation by `settings.val_split` unless `valExamples` is given. */
  examples: Example[];
  /** Validation data from `val_file`. */
  valExamples?: Example[];
  data: DataDescription;
  /** Writes the model, vocab.json, spec.json, metrics.json and checkpoints here, atomically. */
  outDir?: string;
  /** Continue from the checkpoint in `outDir`. */
  resume?: boolean;
  /** Backend, kernels and threads (flags). */
  runtime?: RuntimeOptions;
  /** A tfjs already loaded (experiment reuses one). */
  loaded?: LoadedTf;
  onEvent?: (e: TrainEvent) => void;
  /** Polled after every step; true stops the run after saving a checkpoint (Ctrl-C). */
  shouldStop?: () => boolean;
}

/** What a run produced. */
export interface TrainResult {
  tf: TfModule;
  model: Tf.LayersModel;
  vocab: Vocab;
  labels: string[];
  head: HeadKind;
  backend: BackendName;
  /** `fused, N threads` or `stock`. */
  kernels: string;
  history: EpochRecord[];
  /** Epoch whose weights the model holds (best validation loss; the last epoch without validation). */
  bestEpoch: number;
  stoppedEarly: boolean;
  interrupted: boolean;
  /** Validation metrics of the returned weights (undefined without validation data). */
  validation?: Metrics;
  params: ParamCounts;
  /** Wall time spent in training steps and validation, over all sessions of the run. */
  trainSeconds: number;
  embedding?: EmbeddingInitReport;
  trainCount: number;
  valCount: number;
  /** Nothing was trained: the checkpoint had already finished. */
  alreadyDone?: boolean;
}

/**
 * Trains a program: seeded split (or the `val_file` data), vocabulary from the training texts,
 * a model built with seeded initial weights, its embedding filled from a pretrained source,
 * then the loop (loop.ts): seeded shuffled batches, validation after each epoch, early stopping
 * with the best weights kept, and the model folder written after every epoch (checkpoint.ts).
 * Each step's randomness (dropout) comes from a PRNG seeded by (seed, epoch, step), so a run is
 * repeatable and a resumed run continues exactly as an uninterrupted one would have.
 * Throws an RnncError for anything the user can fix.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { program, settings } = opts;
  const emit = opts.onEvent ?? (() => undefined);
  const head = headOf(program);

  // Data: the split is a pure function of (examples, seed, val_split).
  const split = opts.valExamples ? { kept: opts.examples, held: opts.valExamples } : seededSplit(opts.examples, settings.val_split, settings.seed);
  const trainSet = split.kept;
  const valSet = split.held;
  if (trainSet.length === 0) throw fail('BadData', 'no training examples left after the validation split');
  const labels = labelsOf(trainSet);
  const lossName = lossFor(head, labels, settings);
  const trainTruth = classIndices(trainSet, labels, 'the training data');
  // Fails before training on a validation label the training data lacks.
  classIndices(valSet, labels, opts.valExamples ? `validation file ${settings.val_file ?? ''}` : 'the validation split');
  const embedding = program.layers[0];
  if (!embedding || embedding.kind !== 'embedding') throw fail('NotTrainable', 'the model must start with `embed`');
  const savedSpec = specForSaving(program, opts.baseDir);
  const identity: RunIdentity = { settings, dataFingerprint: fingerprint(opts.examples), valFingerprint: fingerprint(valSet), layers: savedSpec.layers };

  // Resume (the checkpoint must describe this very run) or start.
  let checkpoint: Checkpoint | undefined;
  let state: RunState;
  let vocab: Vocab;
  if (opts.resume) {
    if (!opts.outDir) throw fail('BadModelDir', 'nothing to resume: no output folder given');
    checkpoint = await readCheckpoint(opts.outDir);
    checkpoint.state.checkResumable(identity, opts.outDir);
    state = checkpoint.state;
    state.identity = identity;
    vocab = checkpoint.vocab;
  } else {
    if (opts.outDir) await checkWritable(opts.outDir);
    const problem = checkTokenPattern(settings.token_pattern);
    if (problem) throw fail('BadTrainValue', `token_pattern ${JSON.stringify(settings.token_pattern)}: ${problem}`);
    const tokenizer = { lowercase: settings.lowercase, tokenPattern: settings.token_pattern };
    vocab = Vocab.build(
      trainSet.map((e) => e.text),
      { size: embedding.input_dim, maxlen: settings.maxlen, labels, tokenizer },
    );
    state = new RunState(identity);
  }
  emit({ type: 'data', train: trainSet.length, val: valSet.length, labels, vocabSize: vocab.size, distinctWords: vocab.stats?.distinctWords ?? vocab.size - 2 });

  // Backend and model. Variable-length input (maxlen lives in vocab.json): batches are cut to their longest text.
  const loaded = opts.loaded ?? (await loadTf(opts.runtime));
  const { tf } = loaded;
  const model = withMathRandom(deriveSeed(settings.seed, STREAM_INIT), () => buildModel(tf, program, { maxlen: null }));
  const where = prepareModel(loaded, model);
  emit({ type: 'backend', ...where });
  // tfjs-layers' own recurrent layers cannot differentiate a one-step sequence (their tf.stack
  // of the steps fails). Masked models get a second, masked step (batchIds); without a mask that
  // would change the result, so such a run needs the fused kernels.
  const trim = masksPadding(model);
  const stockRecurrent = loaded.kernels === null ? program.layers.some((l) => isRecurrentKind(l.kind)) : where.stockLayers.length > 0;
  if (settings.maxlen === 1 && !trim && stockRecurrent) {
    model.dispose();
    throw fail('BadTrainValue', "maxlen 1 without a padding mask needs the fused kernels: tfjs-layers' own recurrent layers cannot train on one-step sequences", {
      help: loaded.kernels === null ? 'drop --kernels stock, or use a maxlen of 2 or more' : 'use a maxlen of 2 or more',
    });
  }
  if (!checkpoint) {
    try {
      state.embedding = await initEmbedding(tf, model, program, vocab, { baseDir: opts.baseDir, seed: settings.seed });
    } catch (e) {
      model.dispose();
      throw e;
    }
    if (state.embedding) emit({ type: 'embedding', report: state.embedding });
  }
  const optimizer = makeOptimizer(tf, settings, loaded.kernels);
  model.compile({ optimizer, loss: lossName, metrics: ['accuracy'] });
  const params = countParams(model);
  const hasVal = valSet.length > 0;
  const steps = Math.ceil(trainSet.length / settings.batch);

  let bestWeights: Float32Array[] | undefined;
  let validation: Metrics | undefined;
  let mistakes: ValidationMistakes | undefined;
  // The validation predictions of the weights last validated, for their mistakes if they are kept.
  let lastValidation: { probs: Float32Array; truth: Int32Array } | undefined;
  const validate = async (): Promise<Metrics> => {
    const r = await evaluateWithPredictions(tf, model, vocab, valSet, head.kind, 'the validation data');
    lastValidation = r;
    return r.metrics;
  };
  const keep = (m: Metrics): void => {
    validation = m;
    mistakes = lastValidation && validationMistakes(valSet, lastValidation.probs, lastValidation.truth, labels, head.kind, state.bestEpoch);
  };
  if (checkpoint) {
    setWeightValues(tf, model, checkpoint.last as Float32Array[]);
    await restoreOptimizerState(tf, optimizer, checkpoint.optimizer);
    if (state.bestEpoch > 0 && hasVal) {
      // The best epoch's weights are the saved model; its metrics are recomputed from them.
      bestWeights = await checkpoint.best();
      setWeightValues(tf, model, bestWeights);
      keep(await validate());
      setWeightValues(tf, model, checkpoint.last as Float32Array[]);
    }
    emit({ type: 'resume', epoch: state.epoch + 1, step: state.step, steps });
  }

  const facts: RunFacts = {
    data: { ...opts.data, train: trainSet.length, validation: valSet.length, labels, label_counts: { train: labelCounts(trainSet, labels), validation: labelCounts(valSet, labels) } },
    vocab: {
      size: vocab.size,
      input_dim: embedding.input_dim,
      maxlen: settings.maxlen,
      ...(vocab.stats ? { distinct_words: vocab.stats.distinctWords, kept_words: vocab.stats.keptWords } : {}),
      ...(hasVal ? { validation_coverage: coverageRecord(vocab, valSet) } : {}),
    },
    params: { total: params.total, trainable: params.trainable, non_trainable: params.nonTrainable },
    backend: loaded.backend,
    kernels: kernelsLabel(loaded),
    startedAt: new Date(),
  };
  const trainIds = vocab.encodeBatch(trainSet.map((e) => e.text), settings.maxlen);
  const targets = (rows: readonly number[]): Tf.Tensor => {
    if (lossName === 'categoricalCrossentropy') {
      const oneHot = new Float32Array(rows.length * labels.length);
      rows.forEach((r, k) => (oneHot[k * labels.length + trainTruth[r]!] = 1));
      return tf.tensor2d(oneHot, [rows.length, labels.length]);
    }
    return tf.tensor2d(Float32Array.from(rows, (r) => trainTruth[r]!), [rows.length, 1]);
  };

  const finish = (interrupted: boolean, alreadyDone = false): TrainResult => {
    if (bestWeights && !interrupted) setWeightValues(tf, model, bestWeights);
    return {
      tf,
      model,
      vocab,
      labels,
      head: head.kind,
      backend: loaded.backend,
      kernels: kernelsLabel(loaded),
      history: state.history,
      bestEpoch: state.bestEpoch,
      stoppedEarly: state.stoppedEarly,
      interrupted,
      ...(validation ? { validation } : {}),
      params,
      trainSeconds: state.trainSeconds,
      ...(state.embedding ? { embedding: state.embedding } : {}),
      trainCount: trainSet.length,
      valCount: valSet.length,
      ...(alreadyDone ? { alreadyDone } : {}),
    };
  };
  if (checkpoint && state.finishedFor(settings.epochs)) return finish(false, true);

  const { interrupted } = await runLoop(
    state,
    { examples: trainSet.length, batch: settings.batch, epochs: settings.epochs, seed: settings.seed, patience: hasVal ? settings.patience : 0 },
    {
      step: async (rows, epoch, step) => {
        const x = batchIds(tf, settings.maxlen, trainIds, rows, trim);
        const y = targets(rows);
        const out = await withMathRandom(deriveSeed(settings.seed, STREAM_STEP, epoch, step), () => model.trainOnBatch(x, y));
        tf.dispose([x, y]);
        const [loss, accuracy] = Array.isArray(out) ? out : [out, Number.NaN];
        return { loss: loss!, accuracy: accuracy! };
      },
      validate: async () => (hasVal ? validate() : undefined),
      keepBest: async (m) => {
        bestWeights = await weightValues(model);
        if (m) keep(m);
      },
      save: async () => {
        if (!opts.outDir) return;
        // The model file holds the best weights; the checkpoint, the last ones.
        const current = await weightValues(model);
        if (bestWeights) setWeightValues(tf, model, bestWeights);
        let files: Record<string, string | Buffer>;
        try {
          files = await modelFiles(model);
        } finally {
          if (bestWeights) setWeightValues(tf, model, current);
        }
        await saveRun(opts.outDir, state, {
          model: files,
          last: model.weights.map((w, i) => ({ name: w.originalName, shape: w.shape as number[], values: current[i]! })),
          optimizer: await readOptimizerState(optimizer),
          vocab,
          spec: savedSpec,
          metrics: metricsJson(state, facts, validation, mistakes),
        });
      },
      emit,
      shouldStop: () => opts.shouldStop?.() ?? false,
    },
  );
  return finish(interrupted);
}
