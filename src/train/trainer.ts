import { createHash } from 'node:crypto';
import { formatCount } from '../util/numbers.js';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import { kernelsLabel, loadTf, prepareModel, type BackendName, type LoadedTf, type RuntimeOptions, type RuntimeReport } from '../compile/backend.js';
import { specForSaving } from '../compile/compile.js';
import { buildModel, countParams, type ParamCounts } from '../compile/layers.js';
import { fusedAdam } from '../kernels/adam.js';
import type { KernelRuntime } from '../kernels/runtime.js';
import { loadModel, saveModel } from '../compile/save.js';
import { isRecurrentKind } from '../ir/semantics.js';
import type { Layer, Program } from '../ir/types.js';
import { initEmbedding, type EmbeddingInitReport } from './embedding-init.js';
import { computeMetrics, type HeadKind, type Metrics } from './metrics.js';
import { deriveSeed, seededRandom, shuffleInPlace, withMathRandom } from '../util/random.js';
import { compareLabels, type DataProblem, type Example } from './readers.js';
import { RESUME_FIXED, flagName, type EffectiveSettings } from './settings.js';
import { checkTokenPattern } from './tokenizer.js';
import { Vocab } from './vocab.js';
import { fail, reasonOf, RnncError } from '../diagnostics/error.js';

type TfModule = typeof Tf;

/** rnnc's version, written into metrics.json. */
export const RNNC_VERSION = '0.1.0';

export const CHECKPOINT_JSON = 'checkpoint.json';
export const CHECKPOINT_BIN = 'checkpoint.bin';
export const METRICS_JSON = 'metrics.json';
export const VOCAB_JSON = 'vocab.json';
export const SPEC_JSON = 'spec.json';

/** Rows per forward pass in validation, eval and predict. */
export const PREDICT_BATCH = 128;

// Seeds for the independent random streams of one run, mixed with the run's seed.
const STREAM_SPLIT = 0x5911;
const STREAM_TEST = 0x7e57;
const STREAM_INIT = 0x1417;
const STREAM_SHUFFLE = 0x5b0f;
const STREAM_STEP = 0x57e9;

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

/** One epoch's numbers. `val_*` are absent without validation data. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  val_loss?: number;
  val_accuracy?: number;
  val_precision?: number;
  val_recall?: number;
  val_f1?: number;
  seconds: number;
}

/** Progress of a run, for the CLI's progress bar and plain lines. */
export type TrainEvent =
  | ({ type: 'backend' } & RuntimeReport)
  | { type: 'data'; train: number; val: number; labels: string[]; vocabSize: number; distinctWords: number }
  | { type: 'embedding'; report: EmbeddingInitReport }
  | { type: 'resume'; epoch: number; step: number; steps: number }
  | { type: 'epoch-start'; epoch: number; epochs: number; steps: number }
  | { type: 'step'; epoch: number; epochs: number; step: number; steps: number; loss: number; accuracy: number; seconds: number; etaSeconds: number }
  | { type: 'epoch-end'; record: EpochRecord; epochs: number; best: boolean }
  | { type: 'early-stop'; epoch: number; bestEpoch: number }
  | { type: 'interrupted'; epoch: number; step: number; steps: number };

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
  /** Wall time spent in training steps and validation, this process only. */
  trainSeconds: number;
  embedding?: EmbeddingInitReport;
  trainCount: number;
  valCount: number;
  /** Nothing was trained: the checkpoint had already finished. */
  alreadyDone?: boolean;
}

/** The classifier head of a program: sigmoid (1 unit) or softmax (k units). Throws NotTrainable (E3029) otherwise. */
export function headOf(program: Program): { kind: HeadKind; units: number } {
  const last: Layer | undefined = program.layers[program.layers.length - 1];
  if (!last || last.kind !== 'dense') {
    throw fail('NotTrainable', 'cannot train: the model does not end with a `dense` classifier head', { help: 'end the pipeline with `dense(1)` (binary) or `dense(N)` (N classes)' });
  }
  if (last.units === 1 && last.activation === 'sigmoid') return { kind: 'sigmoid', units: 1 };
  if (last.units > 1 && last.activation === 'softmax') return { kind: 'softmax', units: last.units };
  throw fail('NotTrainable', `cannot train: the head \`dense(${last.units}, ${last.activation})\` is not a classifier (sigmoid with 1 unit, or softmax with one unit per class)`, { help: 'leave out the activation of the last `dense`: rnnc picks sigmoid or softmax' });
}

/** Checks that the labels fit the head and the loss; returns the tfjs loss name. */
function lossFor(head: { kind: HeadKind; units: number }, labels: readonly string[], settings: EffectiveSettings): string {
  const shown = labels.length <= 6 ? `: ${labels.map((l) => JSON.stringify(l)).join(', ')}` : '';
  if (labels.length < 2) {
    throw fail('BadData', `the training data has ${labels.length === 0 ? 'no labels' : `only one label${shown}`}; a classifier needs at least two`);
  }
  if (head.kind === 'sigmoid' && labels.length !== 2) {
    throw fail('BadData', `the data has ${labels.length} labels${shown}, but the model's head \`dense(1)\` is binary (two labels)`, { help: `end the model with \`dense(${labels.length})\` (softmax over ${labels.length} classes)` });
  }
  if (head.kind === 'softmax' && labels.length !== head.units) {
    throw fail('BadData', `the data has ${labels.length} labels${shown}, but the model's head \`dense(${head.units})\` has ${head.units} classes`, { help: `end the model with \`dense(${labels.length === 2 ? 1 : labels.length})\`` });
  }
  const loss = settings.loss === 'auto' ? (head.kind === 'sigmoid' ? 'binary_crossentropy' : 'sparse_categorical_crossentropy') : settings.loss;
  if ((loss === 'binary_crossentropy') !== (head.kind === 'sigmoid')) {
    throw fail('BadTrainValue', `loss ${loss} does not fit the model's ${head.kind === 'sigmoid' ? 'sigmoid (binary)' : 'softmax'} head`, { help: 'use `loss: auto`' });
  }
  return { binary_crossentropy: 'binaryCrossentropy', categorical_crossentropy: 'categoricalCrossentropy', sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy' }[loss];
}

/** Distinct labels in reader order (numbers numerically, then text). */
export function labelsOf(...sets: Example[][]): string[] {
  const s = new Set<string>();
  for (const set of sets) for (const e of set) s.add(e.label);
  return [...s].sort(compareLabels);
}

/**
 * Splits examples into train and held-out parts with a seeded shuffle: `fraction` of them
 * (rounded) are held out. `stream` separates the test split of `rnnc experiment` from the
 * validation split, so both are fixed by the same seed without being the same rows.
 */
export function seededSplit(examples: readonly Example[], fraction: number, seed: number, stream: 'val' | 'test' = 'val'): { kept: Example[]; held: Example[] } {
  const order = shuffleInPlace(
    examples.map((_, i) => i),
    seededRandom(deriveSeed(seed, stream === 'val' ? STREAM_SPLIT : STREAM_TEST)),
  );
  const nHeld = Math.round(examples.length * fraction);
  const heldIdx = new Set(order.slice(0, nHeld));
  const kept: Example[] = [];
  const held: Example[] = [];
  // Original order within each part: the split only chooses rows.
  examples.forEach((e, i) => (heldIdx.has(i) ? held : kept).push(e));
  return { kept, held };
}

function fingerprint(examples: readonly Example[]): string {
  const h = createHash('sha256');
  for (const e of examples) h.update(`${e.label}\t${e.text}\n`);
  return h.digest('hex');
}

/**
 * Ids of texts for one batch. With masked padding, trailing pad columns change nothing, so the
 * batch is cut to its longest text (faster); without a mask the RNN reads padding, so every
 * batch keeps the full maxlen and a text's result never depends on its batch companions.
 * Never narrower than 2 steps: tfjs's RNN gradient fails on a one-step sequence (tf.stack of
 * a single step), and a masked extra pad column is free.
 */
function batchIds(tf: TfModule, maxlen: number, encoded: Int32Array, rows: readonly number[], trim: boolean): Tf.Tensor2D {
  let len = trim ? Math.min(2, maxlen) : maxlen;
  if (trim) {
    for (const r of rows) {
      for (let j = maxlen - 1; j >= len; j--) {
        if (encoded[r * maxlen + j] !== 0) {
          len = j + 1;
          break;
        }
      }
    }
  }
  const width = Math.max(len, trim ? 2 : 1);
  const out = new Int32Array(rows.length * width);
  rows.forEach((r, k) => out.set(encoded.subarray(r * maxlen, r * maxlen + len), k * width));
  return tf.tensor2d(out, [rows.length, width], 'int32');
}

/** Whether the model's embedding masks id 0, so that batches may be cut to their longest text. */
function masksPadding(model: Tf.LayersModel): boolean {
  return model.layers[0]?.getConfig()['maskZero'] === true;
}

/**
 * Probabilities for `texts`: n values for a sigmoid head, n × k row-major for softmax. Texts are
 * encoded with the vocabulary's tokenizer and maxlen and run in fixed batches of
 * {@link PREDICT_BATCH}; each batch is cut to its longest text (end padding is masked, so the
 * cut changes no probability). Used by validation, eval, predict and experiment alike.
 */
export async function predictProbabilities(tf: TfModule, model: Tf.LayersModel, vocab: Vocab, texts: readonly string[]): Promise<Float32Array> {
  const maxlen = vocab.maxlen;
  if (maxlen === undefined) throw fail('BadModelDir', 'vocab.json has no maxlen');
  const encoded = vocab.encodeBatch(texts, maxlen);
  const width = (model.outputs[0]!.shape[1] as number | null) ?? 1;
  const out = new Float32Array(texts.length * width);
  const trim = masksPadding(model);
  for (let b = 0; b < texts.length; b += PREDICT_BATCH) {
    const rows = Array.from({ length: Math.min(PREDICT_BATCH, texts.length - b) }, (_, k) => b + k);
    const x = batchIds(tf, maxlen, encoded, rows, trim);
    const y = model.predict(x) as Tf.Tensor;
    out.set(await y.data(), b * width);
    tf.dispose([x, y]);
  }
  return out;
}

/** Class indices of examples under `labels`; an unknown label is BadData (E4007) naming it. */
function classIndices(examples: readonly Example[], labels: readonly string[], what: string): Int32Array {
  const index = new Map(labels.map((l, i) => [l, i]));
  const out = new Int32Array(examples.length);
  examples.forEach((e, i) => {
    const c = index.get(e.label);
    if (c === undefined) {
      throw fail('BadData', `${what} has label ${JSON.stringify(e.label)}, which the model does not know (its labels: ${labels.map((l) => JSON.stringify(l)).join(', ')})`);
    }
    out[i] = c;
  });
  return out;
}

/** Evaluates a model on labelled examples with the shared metric conventions (metrics.ts). */
export async function evaluate(tf: TfModule, model: Tf.LayersModel, vocab: Vocab, examples: readonly Example[], head: HeadKind, what = 'the data'): Promise<Metrics> {
  const truth = classIndices(examples, vocab.labels, what);
  const probs = await predictProbabilities(tf, model, vocab, examples.map((e) => e.text));
  return computeMetrics(probs, truth, vocab.labels, head);
}

function makeOptimizer(tf: TfModule, s: EffectiveSettings, kernels: KernelRuntime | null): Tf.Optimizer {
  // Keras note: Keras 3's defaults, passed explicitly: Adam(β1 0.9, β2 0.999, ε 1e-7),
  // RMSprop(ρ 0.9, momentum 0, ε 1e-7), Adagrad(initial accumulator 0.1), plain SGD.
  switch (s.optimizer) {
    case 'adam':
      // With the fused kernels, Adam's update is one pass per variable too (kernels/adam.ts).
      return kernels ? fusedAdam(tf, kernels, s.lr, 0.9, 0.999, 1e-7) : tf.train.adam(s.lr, 0.9, 0.999, 1e-7);
    case 'sgd':
      return tf.train.sgd(s.lr);
    case 'rmsprop':
      return tf.train.rmsprop(s.lr, 0.9, 0, 1e-7, false);
    case 'adagrad':
      return tf.train.adagrad(s.lr, 0.1);
  }
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
}

/** checkpoint.json: where a run is, so `--resume` continues exactly there. */
interface CheckpointState {
  format: 'rnnc-checkpoint';
  version: 1;
  /** Completed epochs. */
  epoch: number;
  /** Steps done in epoch `epoch + 1` (non-zero only after an interruption). */
  step: number;
  /** Running sums of that partial epoch, so its averages continue exactly. */
  partial: { lossSum: number; accSum: number; count: number; seconds: number };
  done: boolean;
  stoppedEarly: boolean;
  bestEpoch: number;
  bestValLoss: number | null;
  /** Epochs since the best one (early stopping). */
  wait: number;
  history: EpochRecord[];
  settings: EffectiveSettings;
  dataFingerprint: string;
  valFingerprint: string;
  /** Layers of spec.json: resuming with a different model is refused. */
  layers: Layer[];
  /** checkpoint.bin: the last weights (model.weights order), then the optimizer's weights. */
  weights: WeightEntry[];
  optimizerWeights: WeightEntry[];
  /** Adam's β powers, restored bit-exactly (tfjs recomputes them with pow(), which rounds differently). */
  adamBetaPowers?: [number, number];
  trainSeconds: number;
  /** How the embedding was filled at the start, kept for metrics.json. */
  embedding?: EmbeddingInitReport;
}

async function tensorBytes(entries: { name: string; tensor: Tf.Tensor }[]): Promise<{ bytes: Buffer; manifest: WeightEntry[] }> {
  const parts: Buffer[] = [];
  const manifest: WeightEntry[] = [];
  for (const { name, tensor } of entries) {
    const dtype = tensor.dtype === 'int32' ? 'int32' : 'float32';
    const data = await tensor.data();
    const typed = dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data);
    parts.push(Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength));
    manifest.push({ name, shape: [...tensor.shape], dtype });
  }
  return { bytes: Buffer.concat(parts), manifest };
}

function bytesToTensors(tf: TfModule, bytes: Buffer, manifest: readonly WeightEntry[], offset = 0): { list: { name: string; tensor: Tf.Tensor }[]; end: number } {
  const list: { name: string; tensor: Tf.Tensor }[] = [];
  let pos = offset;
  for (const w of manifest) {
    const n = w.shape.reduce((a, d) => a * d, 1);
    if (pos + n * 4 > bytes.length) throw new Error('checkpoint.bin is shorter than checkpoint.json describes');
    // Copy into an aligned buffer: `bytes` may start at any offset of Node's pool.
    const copy = new Uint8Array(bytes.subarray(pos, pos + n * 4)).buffer;
    const values = w.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    list.push({ name: w.name, tensor: tf.tensor(values, w.shape, w.dtype) });
    pos += n * 4;
  }
  return { list, end: pos };
}

async function weightValues(model: Tf.LayersModel): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const w of model.weights) out.push(Float32Array.from(await w.read().data()));
  return out;
}

function setWeightValues(tf: TfModule, model: Tf.LayersModel, values: readonly Float32Array[]): void {
  const tensors = model.weights.map((w, i) => tf.tensor(values[i]!, w.shape as number[], 'float32'));
  model.setWeights(tensors);
  tf.dispose(tensors);
}

// Adam's private β-power variables (tfjs-core `adam_optimizer.ts`); other optimizers have none.
interface AdamInternals {
  accBeta1?: Tf.Variable;
  accBeta2?: Tf.Variable;
}

async function readJson<T>(path: string, what: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw fail(missing ? 'BadModelDir' : 'CannotRead', missing ? `${what}: ${path} does not exist` : `cannot read ${path}: ${reasonOf(e)}`, { file: path });
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw fail('BadModelDir', `${path} is not valid JSON (${reasonOf(e)})`, { file: path });
  }
}

/** Reads a model folder's vocab.json; a malformed one is BadModelDir naming the file. */
async function readVocab(path: string, what: string): Promise<Vocab> {
  const json = await readJson<unknown>(path, what);
  try {
    return Vocab.fromJSON(json);
  } catch (e) {
    if (e instanceof RnncError) throw fail('BadModelDir', `${path}: ${e.message}`, { file: path });
    throw e;
  }
}

/** Reads model.json's manifest + weights.bin of a saved model as float32 arrays in manifest order. */
async function readSavedWeights(dir: string): Promise<Float32Array[]> {
  const json = await readJson<{ weightsManifest?: { weights: WeightEntry[] }[] }>(join(dir, 'model.json'), 'saved model');
  const file = join(dir, 'weights.bin');
  const bytes = await readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw fail('BadModelDir', `cannot resume from ${dir}: ${e.code === 'ENOENT' ? 'its weights.bin is missing' : `cannot read ${file} (${e.message})`}`, { help: 'start a new run without --resume (or in another folder)' });
  });
  const manifest = (json.weightsManifest ?? []).flatMap((g) => g.weights);
  const expected = manifest.reduce((n, w) => n + w.shape.reduce((a, d) => a * d, 1) * 4, 0);
  if (bytes.length !== expected) {
    throw fail('BadModelDir', `cannot resume from ${dir}: its weights.bin holds ${bytes.length} bytes, its model.json describes ${expected}`, { help: 'start a new run without --resume (or in another folder)' });
  }
  const out: Float32Array[] = [];
  let pos = 0;
  for (const w of manifest) {
    const n = w.shape.reduce((a, d) => a * d, 1);
    out.push(new Float32Array(new Uint8Array(bytes.subarray(pos, pos + n * 4)).buffer));
    pos += n * 4;
  }
  return out;
}

/**
 * Fails before any training when `dir` could not take the output: saveModel replaces only an
 * earlier model directory or an empty one, and finding that out after the first epoch would
 * waste it.
 */
async function checkOutDir(dir: string): Promise<void> {
  let entries: string[];
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw fail('CannotWrite', `cannot write the model to ${dir}: it exists and is not a directory`);
    entries = await readdir(dir);
  } catch (e) {
    if (e instanceof RnncError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fail('CannotWrite', `cannot write the model to ${dir}: ${(e as Error).message}`);
  }
  if (entries.length > 0 && !entries.includes('model.json')) {
    throw fail('CannotWrite', `cannot write the model to ${dir}: it is a folder with other files (no model.json); refusing to replace it`, { help: 'choose a new -o directory' });
  }
}

// ---------------------------------------------------------------------------------------------
// The run

/**
 * Trains a program: seeded split (or the `val_file` data), vocabulary from the training texts,
 * a model built with seeded initial weights, its embedding filled from a pretrained source,
 * then epochs of seeded shuffled batches (`trainOnBatch`), validation after each epoch, early
 * stopping on validation loss with the best weights kept, and a checkpoint in `outDir` after
 * every epoch (and on `shouldStop`). Each step's randomness (dropout) comes from a PRNG seeded
 * by (seed, epoch, step), so a run is repeatable and a resumed run continues exactly as an
 * uninterrupted one would have.
 * Throws an RnncError for anything the user can fix.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { program, settings } = opts;
  const emit = opts.onEvent ?? (() => undefined);
  const head = headOf(program);

  // Data: the split is a pure function of (examples, seed, val_split).
  let trainSet: Example[];
  let valSet: Example[];
  if (opts.valExamples) {
    trainSet = opts.examples;
    valSet = opts.valExamples;
  } else {
    const s = seededSplit(opts.examples, settings.val_split, settings.seed);
    trainSet = s.kept;
    valSet = s.held;
  }
  if (trainSet.length === 0) throw fail('BadData', 'no training examples left after the validation split');
  const dataFingerprint = fingerprint(opts.examples);
  const valFingerprint = fingerprint(valSet);
  const labels = labelsOf(trainSet);
  const lossName = lossFor(head, labels, settings);
  const trainTruth = classIndices(trainSet, labels, 'the training data');
  // Fails before training on a validation label the training data lacks.
  classIndices(valSet, labels, opts.valExamples ? `validation file ${settings.val_file ?? ''}` : 'the validation split');

  const embedding = program.layers[0];
  if (!embedding || embedding.kind !== 'embedding') throw fail('NotTrainable', 'the model must start with `embed`');
  const savedSpec = specForSaving(program, opts.baseDir);

  // Resume: the checkpoint must describe this very run.
  let state: CheckpointState | undefined;
  let vocab: Vocab;
  if (opts.resume) {
    if (!opts.outDir) throw fail('BadModelDir', '--resume needs the output directory of the run to continue');
    state = await readJson<CheckpointState>(join(opts.outDir, CHECKPOINT_JSON), 'no checkpoint to resume from');
    if (state.format !== 'rnnc-checkpoint' || state.version !== 1) throw fail('BadModelDir', `${join(opts.outDir, CHECKPOINT_JSON)} is not an rnnc checkpoint`);
    if (JSON.stringify(state.layers) !== JSON.stringify(savedSpec.layers)) {
      throw fail('ResumeMismatch', `the spec's model differs from the one in ${opts.outDir}; resume with the same spec`);
    }
    for (const k of RESUME_FIXED) {
      if (JSON.stringify(state.settings[k]) !== JSON.stringify(settings[k])) {
        throw fail('ResumeMismatch', `cannot change ${k} when resuming: the checkpoint was trained with ${k} = ${JSON.stringify(state.settings[k])}, not ${JSON.stringify(settings[k])}`, { help: `drop ${flagName(k)} or start a new run in another directory` });
      }
    }
    if (state.dataFingerprint !== dataFingerprint || state.valFingerprint !== valFingerprint) {
      throw fail('ResumeMismatch', `the data differs from the data the checkpoint in ${opts.outDir} was trained on; resume with the same --data`);
    }
    vocab = await readVocab(join(opts.outDir, VOCAB_JSON), 'checkpoint vocabulary');
  } else {
    if (opts.outDir) await checkOutDir(opts.outDir);
    const problem = checkTokenPattern(settings.token_pattern);
    if (problem) throw fail('BadTrainValue', `token_pattern ${JSON.stringify(settings.token_pattern)}: ${problem}`);
    vocab = Vocab.build(
      trainSet.map((e) => e.text),
      {
        size: embedding.input_dim,
        maxlen: settings.maxlen,
        labels,
        tokenizer: { lowercase: settings.lowercase, tokenPattern: settings.token_pattern },
      },
    );
  }
  emit({ type: 'data', train: trainSet.length, val: valSet.length, labels, vocabSize: vocab.size, distinctWords: vocab.stats?.distinctWords ?? vocab.size - 2 });

  // Backend and model.
  const loaded = opts.loaded ?? (await loadTf(opts.runtime));
  const { tf } = loaded;

  // Variable-length input (maxlen lives in vocab.json): batches are cut to their longest text.
  const model = withMathRandom(deriveSeed(settings.seed, STREAM_INIT), () => buildModel(tf, program, { maxlen: null }));
  const where = prepareModel(loaded, model);
  emit({ type: 'backend', ...where });
  // tfjs-layers' own recurrent layers cannot differentiate a one-step sequence (their tf.stack
  // of the steps fails). Masked models get a second, masked step (batchIds); without a mask that
  // would change the result, so such a run needs the fused kernels.
  const stockRecurrent = loaded.kernels === null ? program.layers.some((l) => isRecurrentKind(l.kind)) : where.stockLayers.length > 0;
  if (settings.maxlen === 1 && !masksPadding(model) && stockRecurrent) {
    model.dispose();
    throw fail('BadTrainValue', "maxlen 1 without a padding mask needs the fused kernels: tfjs-layers' own recurrent layers cannot train on one-step sequences", { help: loaded.kernels === null ? 'drop --kernels stock, or use a maxlen of 2 or more' : 'use a maxlen of 2 or more' });
  }
  let embeddingReport: EmbeddingInitReport | undefined;
  try {
    if (!state) {
      embeddingReport = await initEmbedding(tf, model, program, vocab, { baseDir: opts.baseDir, seed: settings.seed });
      if (embeddingReport) emit({ type: 'embedding', report: embeddingReport });
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  const optimizer = makeOptimizer(tf, settings, loaded.kernels);
  model.compile({ optimizer, loss: lossName, metrics: ['accuracy'] });
  const params = countParams(model);

  const maxlen = settings.maxlen;
  const trainIds = vocab.encodeBatch(trainSet.map((e) => e.text), maxlen);
  const trim = masksPadding(model);
  const steps = Math.ceil(trainSet.length / settings.batch);
  const hasVal = valSet.length > 0;

  let history: EpochRecord[] = [];
  let bestEpoch = 0;
  let bestValLoss = Infinity;
  let bestWeights: Float32Array[] | undefined;
  let wait = 0;
  let stoppedEarly = false;
  let startEpoch = 1;
  let startStep = 0;
  let partial = { lossSum: 0, accSum: 0, count: 0, seconds: 0 };
  let priorSeconds = 0;
  let validation: Metrics | undefined;

  if (state) {
    const bytes = await readFile(join(opts.outDir!, CHECKPOINT_BIN)).catch((e: Error) => {
      throw fail('BadModelDir', `cannot read ${join(opts.outDir!, CHECKPOINT_BIN)}: ${e.message}`, { file: join(opts.outDir!, CHECKPOINT_BIN) });
    });
    const corrupt = (e: unknown): RnncError =>
      fail('BadModelDir', `cannot resume from ${opts.outDir}: ${reasonOf(e)}`, { help: 'start a new run without --resume (or in another folder)' });
    let w: ReturnType<typeof bytesToTensors>;
    try {
      w = bytesToTensors(tf, bytes, state.weights);
    } catch (e) {
      throw corrupt(e);
    }
    model.setWeights(w.list.map((x) => x.tensor));
    tf.dispose(w.list.map((x) => x.tensor));
    if (state.optimizerWeights.length > 0) {
      let o: ReturnType<typeof bytesToTensors>;
      try {
        o = bytesToTensors(tf, bytes, state.optimizerWeights, w.end);
      } catch (e) {
        throw corrupt(e);
      }
      // setWeights adopts these tensors as the optimizer's variables: not disposed here.
      await optimizer.setWeights(o.list);
      const adam = optimizer as unknown as AdamInternals;
      if (state.adamBetaPowers && adam.accBeta1 && adam.accBeta2) {
        adam.accBeta1.assign(tf.scalar(state.adamBetaPowers[0]));
        adam.accBeta2.assign(tf.scalar(state.adamBetaPowers[1]));
      }
    }
    history = state.history;
    bestEpoch = state.bestEpoch;
    bestValLoss = state.bestValLoss ?? Infinity;
    if (bestEpoch > 0 && hasVal) {
      // The best epoch's weights are the saved model; its metrics are recomputed from them.
      bestWeights = await readSavedWeights(opts.outDir!);
      const current = await weightValues(model);
      setWeightValues(tf, model, bestWeights);
      validation = await evaluate(tf, model, vocab, valSet, head.kind, 'the validation data');
      setWeightValues(tf, model, current);
    }
    wait = state.wait;
    stoppedEarly = state.stoppedEarly;
    startEpoch = state.epoch + 1;
    startStep = state.step;
    partial = state.partial;
    priorSeconds = state.trainSeconds;
    embeddingReport = state.embedding;
    emit({ type: 'resume', epoch: startEpoch, step: startStep, steps });
  }

  const startedAt = new Date();
  const t0 = performance.now();
  const elapsed = (): number => (performance.now() - t0) / 1000;

  /** Writes the output directory: best (or current) weights as the model, the checkpoint beside them. */
  const save = async (position: { epoch: number; step: number; done: boolean }): Promise<void> => {
    if (!opts.outDir) return;
    const current = await weightValues(model);
    const last = await tensorBytes(model.weights.map((w) => ({ name: w.originalName, tensor: w.read() })));
    const optWeights = await optimizer.getWeights();
    const opt = await tensorBytes(optWeights);
    // getWeights() made a fresh `iter` scalar; the rest are the optimizer's live variables.
    optWeights[0]?.tensor.dispose();
    const adam = optimizer as unknown as AdamInternals;
    const adamBetaPowers: [number, number] | undefined =
      adam.accBeta1 && adam.accBeta2 ? [(await adam.accBeta1.data())[0]!, (await adam.accBeta2.data())[0]!] : undefined;
    const checkpoint: CheckpointState = {
      format: 'rnnc-checkpoint',
      version: 1,
      epoch: position.epoch,
      step: position.step,
      partial,
      done: position.done,
      stoppedEarly,
      bestEpoch,
      bestValLoss: Number.isFinite(bestValLoss) ? bestValLoss : null,
      wait,
      history,
      settings,
      dataFingerprint,
      valFingerprint,
      layers: savedSpec.layers,
      weights: last.manifest,
      optimizerWeights: opt.manifest,
      ...(adamBetaPowers ? { adamBetaPowers } : {}),
      trainSeconds: priorSeconds + elapsed(),
      ...(embeddingReport ? { embedding: embeddingReport } : {}),
    };
    const metrics = {
      format: 'rnnc-metrics',
      version: 1,
      complete: position.done,
      interrupted: !position.done && position.step > 0,
      stopped_early: stoppedEarly,
      epochs_run: position.epoch,
      best_epoch: bestEpoch,
      final: {
        validation: validation ?? null,
        train: history.find((h) => h.epoch === bestEpoch) ?? history[history.length - 1] ?? null,
      },
      history,
      settings,
      backend: loaded.backend,
      kernels: kernelsLabel(loaded),
      data: { ...opts.data, train: trainSet.length, validation: valSet.length, labels },
      vocab: { size: vocab.size, input_dim: embedding.input_dim, maxlen, ...(vocab.stats ? { distinct_words: vocab.stats.distinctWords, kept_words: vocab.stats.keptWords } : {}) },
      ...(embeddingReport ? { embedding: embeddingReport } : {}),
      params: { total: params.total, trainable: params.trainable, non_trainable: params.nonTrainable },
      time: { started: startedAt.toISOString(), saved: new Date().toISOString(), train_seconds: checkpoint.trainSeconds },
      rnnc: RNNC_VERSION,
    };
    if (bestWeights) setWeightValues(tf, model, bestWeights);
    try {
      await saveModel(model, opts.outDir, {
        [VOCAB_JSON]: `${JSON.stringify(vocab.toJSON())}\n`,
        [SPEC_JSON]: `${JSON.stringify(savedSpec, null, 2)}\n`,
        [METRICS_JSON]: `${JSON.stringify(metrics, null, 2)}\n`,
        [CHECKPOINT_JSON]: `${JSON.stringify(checkpoint)}\n`,
        [CHECKPOINT_BIN]: Buffer.concat([last.bytes, opt.bytes]),
      });
    } finally {
      if (bestWeights) setWeightValues(tf, model, current);
    }
  };

  const finish = async (interrupted: boolean, alreadyDone = false): Promise<TrainResult> => {
    if (bestWeights && !interrupted) setWeightValues(tf, model, bestWeights);
    return {
      tf,
      model,
      vocab,
      labels,
      head: head.kind,
      backend: loaded.backend,
      kernels: kernelsLabel(loaded),
      history,
      bestEpoch,
      stoppedEarly,
      interrupted,
      ...(validation ? { validation } : {}),
      params,
      trainSeconds: priorSeconds + elapsed(),
      ...(embeddingReport ? { embedding: embeddingReport } : {}),
      trainCount: trainSet.length,
      valCount: valSet.length,
      ...(alreadyDone ? { alreadyDone } : {}),
    };
  };

  if (state && (stoppedEarly || (state.done && state.epoch >= settings.epochs))) return finish(false, true);

  const yTensor = (rows: readonly number[]): Tf.Tensor => {
    if (lossName === 'categoricalCrossentropy') {
      const oneHot = new Float32Array(rows.length * labels.length);
      rows.forEach((r, k) => (oneHot[k * labels.length + trainTruth[r]!] = 1));
      return tf.tensor2d(oneHot, [rows.length, labels.length]);
    }
    return tf.tensor2d(Float32Array.from(rows, (r) => trainTruth[r]!), [rows.length, 1]);
  };

  for (let epoch = startEpoch; epoch <= settings.epochs; epoch++) {
    const order = shuffleInPlace(
      trainSet.map((_, i) => i),
      seededRandom(deriveSeed(settings.seed, STREAM_SHUFFLE, epoch)),
    );
    emit({ type: 'epoch-start', epoch, epochs: settings.epochs, steps });
    const sessionStart = performance.now();
    const epochStart = sessionStart - partial.seconds * 1000;
    const firstStep = epoch === startEpoch ? startStep : 0;
    let lastYield = performance.now();
    if (firstStep === 0) partial = { lossSum: 0, accSum: 0, count: 0, seconds: 0 };
    for (let step = firstStep; step < steps; step++) {
      const rows = order.slice(step * settings.batch, (step + 1) * settings.batch);
      const x = batchIds(tf, maxlen, trainIds, rows, trim);
      const y = yTensor(rows);
      const out = await withMathRandom(deriveSeed(settings.seed, STREAM_STEP, epoch, step), () => model.trainOnBatch(x, y));
      tf.dispose([x, y]);
      const [loss, acc] = Array.isArray(out) ? out : [out, Number.NaN];
      partial.lossSum += loss! * rows.length;
      partial.accSum += acc! * rows.length;
      partial.count += rows.length;
      const seconds = (performance.now() - epochStart) / 1000;
      partial.seconds = seconds;
      const done = step + 1 - firstStep;
      emit({
        type: 'step',
        epoch,
        epochs: settings.epochs,
        step: step + 1,
        steps,
        loss: partial.lossSum / partial.count,
        accuracy: partial.accSum / partial.count,
        seconds,
        etaSeconds: ((performance.now() - sessionStart) / 1000 / done) * (steps - step - 1),
      });
      // A step resolves through microtasks only, which never let the event loop deliver a signal:
      // without a macrotask turn now and then, Ctrl-C would be seen only at the epoch's end.
      if (performance.now() - lastYield > 100) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = performance.now();
      }
      if (opts.shouldStop?.() && step + 1 < steps) {
        await save({ epoch: epoch - 1, step: step + 1, done: false });
        emit({ type: 'interrupted', epoch, step: step + 1, steps });
        return finish(true);
      }
    }

    const record: EpochRecord = {
      epoch,
      loss: partial.lossSum / partial.count,
      accuracy: partial.accSum / partial.count,
      seconds: 0,
    };
    let best = false;
    if (hasVal) {
      const m = await evaluate(tf, model, vocab, valSet, head.kind, 'the validation data');
      record.val_loss = m.loss;
      record.val_accuracy = m.accuracy;
      record.val_precision = m.precision;
      record.val_recall = m.recall;
      record.val_f1 = m.f1;
      // Keras's EarlyStopping(monitor='val_loss', restore_best_weights=True), min_delta 0.
      if (m.loss < bestValLoss) {
        bestValLoss = m.loss;
        bestEpoch = epoch;
        bestWeights = await weightValues(model);
        validation = m;
        wait = 0;
        best = true;
      } else {
        wait++;
      }
    } else {
      bestEpoch = epoch;
      best = true;
    }
    record.seconds = (performance.now() - epochStart) / 1000;
    history.push(record);
    partial = { lossSum: 0, accSum: 0, count: 0, seconds: 0 };
    emit({ type: 'epoch-end', record, epochs: settings.epochs, best });
    if (hasVal && settings.patience > 0 && wait >= settings.patience && epoch < settings.epochs) {
      stoppedEarly = true;
      emit({ type: 'early-stop', epoch, bestEpoch });
    }
    const last = stoppedEarly || epoch === settings.epochs;
    await save({ epoch, step: 0, done: last });
    if (last) break;
    if (opts.shouldStop?.()) {
      emit({ type: 'interrupted', epoch: epoch + 1, step: 0, steps });
      return finish(true);
    }
  }
  return finish(false);
}

/** A trained model directory loaded for eval and predict. */
export interface TrainedModel extends RuntimeReport {
  tf: TfModule;
  model: Tf.LayersModel;
  vocab: Vocab;
  head: HeadKind;
}

/**
 * Loads a directory written by `rnnc train` (model.json, weights.bin, vocab.json, spec.json)
 * on the chosen backend, with the fused kernels under its recurrent layers unless `stock`.
 */
export async function loadTrained(dir: string, runtime: RuntimeOptions = {}): Promise<TrainedModel> {
  const kind = await stat(dir).then(
    (s) => (s.isDirectory() ? 'folder' : 'file'),
    () => 'missing',
  );
  if (kind !== 'folder') {
    throw fail('BadModelDir', kind === 'missing' ? `no model folder ${dir}` : `${dir} is a file, not a model folder`, { help: 'give the folder that `rnnc train -o DIR` wrote (it holds model.json, weights.bin and vocab.json)' });
  }
  const vocab = await readVocab(join(dir, VOCAB_JSON), `not a trained rnnc model (no ${VOCAB_JSON})`);
  if (vocab.maxlen === undefined) throw fail('BadModelDir', `${join(dir, VOCAB_JSON)} has no maxlen`);
  const loaded = await loadTf(runtime);
  const model = await loadModel(loaded.tf, dir);
  // vocab.json and the model must belong together: an id past the embedding's rows would fail
  // inside tfjs's gather, mid-prediction.
  const rows = Number(model.layers[0]?.getConfig()['inputDim']);
  if (Number.isInteger(rows) && vocab.size > rows) {
    model.dispose();
    throw fail('BadModelDir', `${dir}: vocab.json has ${formatCount(vocab.size)} ids but the model's embedding has ${formatCount(rows)} rows: they are not from one training run`);
  }
  const width = model.outputs[0]!.shape[1];
  const head: HeadKind = width === 1 ? 'sigmoid' : 'softmax';
  const expected = head === 'sigmoid' ? 2 : width;
  if (vocab.labels.length !== expected) {
    throw fail('BadModelDir', `${dir}: the model has ${width} output${width === 1 ? '' : 's'} but vocab.json lists ${vocab.labels.length} labels`);
  }
  return { tf: loaded.tf, model, vocab, head, ...prepareModel(loaded, model) };
}

/** Summarizes reader problems for messages: the first `limit` with file:line, then a count. */
export function problemLines(problems: readonly DataProblem[], limit = 10): string[] {
  const lines = problems.slice(0, limit).map((p) => `${p.file}:${p.line}: warning: ${p.message} (row skipped)`);
  if (problems.length > limit) lines.push(`… and ${problems.length - limit} more problem rows`);
  if (problems.length > 0) lines.push(`${problems.length} row${problems.length === 1 ? '' : 's'} could not be used`);
  return lines;
}
