import type { Example } from '../data/readers.js';
import type { Vocab } from '../text/vocab.js';
import type { HeadKind, Metrics } from '../train/metrics.js';
import { optString, UsageError, type OptionSpec, type ParsedArgs } from './args.js';
import { runtimeFromArgs, runtimeLines } from './runtime.js';

// main.ts imports this module for ENGINE_OPTION, so the engines themselves are imported only
// when a command opens a model (`rnnc check` must not load them).

/** `--engine`: what `predict` and `eval` run a trained model on. */
export const ENGINE_OPTION: OptionSpec = {
  name: 'engine',
  value: 'string',
  help: 'tfjs (default: TensorFlow.js) or onnx (ONNX Runtime, when onnxruntime-node is installed)',
};

export type Engine = 'tfjs' | 'onnx';

/** A trained model ready to classify texts, on either engine. */
export interface Predictor {
  vocab: Vocab;
  head: HeadKind;
  /** What it runs on, for standard error. */
  lines: string[];
  /** n values for a sigmoid head, n × k row-major for softmax. */
  probabilities(texts: readonly string[]): Promise<Float32Array>;
  close(): Promise<void>;
}

export function engineFromArgs(args: ParsedArgs): Engine {
  const engine = optString(args, 'engine') ?? 'tfjs';
  if (engine !== 'tfjs' && engine !== 'onnx') throw new UsageError(`--engine must be tfjs or onnx, got ${engine}`);
  if (engine === 'onnx') {
    for (const flag of ['backend', 'kernels']) {
      if (args.options.has(flag)) throw new UsageError(`--${flag} chooses how TensorFlow.js runs; leave it out with --engine onnx`);
    }
  }
  return engine;
}

/**
 * Opens the model folder `dir` on the engine the flags choose. TensorFlow.js stays the default
 * although ONNX Runtime predicts a BiLSTM ×2 several times faster on 2 cores (`npm run bench`):
 * on tfjs, `eval` reproduces to the bit the validation metrics `train` reported (the tests hold
 * it to that), and a default that changed with an optional package would make the same command
 * print different digits on two machines. `--engine onnx` is the fast path, equal within 1e-5.
 */
export async function openPredictor(dir: string, args: ParsedArgs): Promise<Predictor> {
  if (engineFromArgs(args) === 'onnx') {
    const { openOnnxEngine } = await import('../ort/engine.js');
    const threads = optString(args, 'threads');
    const e = await openOnnxEngine(dir, threads !== undefined ? { threads: Number(threads) } : {});
    return {
      vocab: e.vocab,
      head: e.head,
      lines: [`engine: onnx (ONNX Runtime ${e.version}, ${e.threads} thread${e.threads === 1 ? '' : 's'})`],
      probabilities: (texts) => e.predict(texts),
      close: () => e.close(),
    };
  }
  const { loadTrained, predictProbabilities } = await import('../train/inference.js');
  const trained = await loadTrained(dir, runtimeFromArgs(args));
  return {
    vocab: trained.vocab,
    head: trained.head,
    lines: runtimeLines(trained),
    probabilities: (texts) => predictProbabilities(trained.tf, trained.model, trained.vocab, texts),
    close: () => {
      trained.model.dispose();
      return Promise.resolve();
    },
  };
}

/** Metrics of a predictor on labelled examples; an unknown label fails before anything runs. */
export async function evaluateWith(p: Predictor, examples: readonly Example[], what: string): Promise<Metrics> {
  const { classIndices } = await import('../train/inference.js');
  const { computeMetrics } = await import('../train/metrics.js');
  const truth = classIndices(examples, p.vocab.labels, what);
  const probs = await p.probabilities(examples.map((e) => e.text));
  return computeMetrics(probs, truth, p.vocab.labels, p.head);
}
