import type * as Tf from '@tensorflow/tfjs';
import { ModelFolder } from '../artifacts/model-folder.js';
import { VOCAB_JSON } from '../artifacts/layout.js';
import { loadTf, prepareModel, type RuntimeOptions, type RuntimeReport } from '../compile/backend.js';
import { loadModel } from '../compile/save.js';
import { fail } from '../diagnostics/error.js';
import type { Vocab } from '../text/vocab.js';
import { formatCount } from '../util/numbers.js';
import { computeMetrics, type HeadKind, type Metrics } from './metrics.js';
import type { Example } from '../data/readers.js';

type TfModule = typeof Tf;

/** Rows per forward pass in validation, eval and predict. */
export const PREDICT_BATCH = 128;

/**
 * Ids of texts for one batch. With masked padding, trailing pad columns change nothing, so the
 * batch is cut to its longest text (faster); without a mask the RNN reads padding, so every
 * batch keeps the full maxlen and a text's result never depends on its batch companions.
 * Never narrower than 2 steps when masked: tfjs's RNN gradient fails on a one-step sequence
 * (tf.stack of a single step), and a masked extra pad column is free.
 */
export function batchIds(tf: TfModule, maxlen: number, encoded: Int32Array, rows: readonly number[], trim: boolean): Tf.Tensor2D {
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
export function masksPadding(model: Tf.LayersModel): boolean {
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
export function classIndices(examples: readonly Example[], labels: readonly string[], what: string): Int32Array {
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

/** An evaluation with the predictions it was computed from. */
export interface Evaluation {
  metrics: Metrics;
  /** As {@link predictProbabilities} returns them. */
  probs: Float32Array;
  /** True class indices of the examples. */
  truth: Int32Array;
}

/** Evaluates a model on labelled examples with the shared metric conventions (metrics.ts). */
export async function evaluate(tf: TfModule, model: Tf.LayersModel, vocab: Vocab, examples: readonly Example[], head: HeadKind, what = 'the data'): Promise<Metrics> {
  return (await evaluateWithPredictions(tf, model, vocab, examples, head, what)).metrics;
}

/** {@link evaluate}, keeping the probabilities (training's validation reads its mistakes from them). */
export async function evaluateWithPredictions(
  tf: TfModule,
  model: Tf.LayersModel,
  vocab: Vocab,
  examples: readonly Example[],
  head: HeadKind,
  what = 'the data',
): Promise<Evaluation> {
  const truth = classIndices(examples, vocab.labels, what);
  const probs = await predictProbabilities(tf, model, vocab, examples.map((e) => e.text));
  return { metrics: computeMetrics(probs, truth, vocab.labels, head), probs, truth };
}

/** A trained model folder loaded for eval and predict. */
export interface TrainedModel extends RuntimeReport {
  tf: TfModule;
  model: Tf.LayersModel;
  vocab: Vocab;
  head: HeadKind;
}

/**
 * Loads a folder written by `rnnc train` (model.json, weights.bin, vocab.json) on the chosen
 * backend, with the fused kernels under its recurrent layers unless `stock`. The vocabulary is
 * checked against the model before anything runs: an id past the embedding's rows would fail
 * inside tfjs's gather, mid-prediction.
 */
export async function loadTrained(dir: string, runtime: RuntimeOptions = {}): Promise<TrainedModel> {
  const folder = await ModelFolder.open(dir);
  const vocab = await folder.vocab(true);
  const loaded = await loadTf(runtime);
  const model = await loadModel(loaded.tf, folder);
  const file = folder.shown(VOCAB_JSON);
  const rows = Number(model.layers[0]?.getConfig()['inputDim']);
  if (Number.isInteger(rows) && vocab.size > rows) {
    model.dispose();
    throw fail('BadModelDir', `${dir}: vocab.json has ${formatCount(vocab.size)} ids but the model's embedding has ${formatCount(rows)} rows: they are not from one training run`, { file });
  }
  const width = model.outputs[0]!.shape[1];
  const head: HeadKind = width === 1 ? 'sigmoid' : 'softmax';
  const expected = head === 'sigmoid' ? 2 : width;
  if (vocab.labels.length !== expected) {
    model.dispose();
    throw fail('BadModelDir', `${dir}: the model has ${width} output${width === 1 ? '' : 's'} but vocab.json lists ${vocab.labels.length} labels`, { file });
  }
  return { tf: loaded.tf, model, vocab, head, ...prepareModel(loaded, model) };
}
