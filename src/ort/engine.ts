import { availableParallelism } from 'node:os';
import { ModelFolder } from '../artifacts/model-folder.js';
import { VOCAB_JSON } from '../artifacts/layout.js';
import { fail } from '../diagnostics/error.js';
import { exportOnnx, INPUT, OUTPUT, type OnnxModel } from '../export/onnx.js';
import type { Vocab } from '../text/vocab.js';

/**
 * `--engine onnx`: a trained model folder run on ONNX Runtime (`onnxruntime-node`, an optional
 * dependency) instead of TensorFlow.js. The folder is exported to ONNX in memory each time it
 * is opened (a few milliseconds, see bench/) rather than cached beside it: a model folder is
 * replaced as a whole by `train` (artifacts/store.ts), and a cached file there could outlive or
 * disagree with the weights it came from. TensorFlow.js is never loaded on this path.
 */

const ORT_PACKAGE = 'onnxruntime-node';

/** Rows per ONNX Runtime call, as for tfjs (train/inference.ts). */
export const ORT_BATCH = 128;

// The part of onnxruntime-node's API rnnc uses, typed here so that rnnc builds without the
// optional package (a variable specifier keeps TypeScript from resolving it).
interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface OrtModule {
  InferenceSession: {
    create(model: Uint8Array, options: { intraOpNumThreads: number; interOpNumThreads: number; executionMode: 'sequential'; graphOptimizationLevel: 'all' }): Promise<OrtSession>;
  };
  Tensor: new (type: 'int64', data: BigInt64Array, dims: readonly number[]) => OrtTensor;
  env: { versions?: { node?: string; common?: string } };
}

export interface OnnxEngineOptions {
  /** ONNX Runtime's intra-op threads (default: the machine's cores, at most 8). */
  threads?: number;
  /** Imports onnxruntime-node; injectable so tests can simulate it missing. */
  importOrt?: () => Promise<unknown>;
}

const defaultImport = (): Promise<unknown> => import(ORT_PACKAGE);

/** Loads ONNX Runtime, or fails with BackendUnavailable (E4003) saying how to get it. */
export async function loadOrt(importOrt: () => Promise<unknown> = defaultImport): Promise<OrtModule> {
  let mod: unknown;
  try {
    mod = await importOrt();
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    const missing = (err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && msg.includes(ORT_PACKAGE);
    throw fail('BackendUnavailable', missing ? `ONNX Runtime is not installed (${ORT_PACKAGE})` : `ONNX Runtime (${ORT_PACKAGE}) could not be loaded (${msg})`, {
      help: `install it with \`npm install ${ORT_PACKAGE}\`, or run on TensorFlow.js with \`--engine tfjs\``,
      cause: err,
    });
  }
  const ort = ((mod as { default?: unknown }).default ?? mod) as Partial<OrtModule>;
  if (typeof ort.InferenceSession?.create !== 'function' || typeof ort.Tensor !== 'function') {
    throw fail('BackendUnavailable', `${ORT_PACKAGE} loaded but does not look like ONNX Runtime's Node.js binding`);
  }
  return ort as OrtModule;
}

/** A model folder open on ONNX Runtime. */
export interface OnnxEngine {
  vocab: Vocab;
  head: 'sigmoid' | 'softmax';
  /** Output values per text. */
  width: number;
  threads: number;
  /** onnxruntime-node's version. */
  version: string;
  model: OnnxModel;
  /** Probabilities for `texts`: n values for a sigmoid head, n × k row-major for softmax. */
  predict(texts: readonly string[]): Promise<Float32Array>;
  close(): Promise<void>;
}

/**
 * Opens a folder written by `rnnc train` on ONNX Runtime, checking it as `loadTrained` does
 * for tfjs: a vocabulary larger than the embedding, or labels that do not fit the head, are
 * BadModelDir (E4006).
 */
export async function openOnnxEngine(dir: string, opts: OnnxEngineOptions = {}): Promise<OnnxEngine> {
  const ort = await loadOrt(opts.importOrt);
  const folder = await ModelFolder.open(dir);
  const vocab = await folder.vocab(true);
  const model = await exportOnnx(folder);
  const file = folder.shown(VOCAB_JSON);
  const head = model.outputWidth === 1 ? 'sigmoid' : 'softmax';
  const expected = head === 'sigmoid' ? 2 : model.outputWidth;
  if (vocab.labels.length !== expected) {
    throw fail('BadModelDir', `${dir}: the model has ${model.outputWidth} output${model.outputWidth === 1 ? '' : 's'} but vocab.json lists ${vocab.labels.length} labels`, { file });
  }
  const threads = opts.threads ?? Math.min(8, availableParallelism());
  const session = await ort.InferenceSession.create(model.bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const maxlen = vocab.maxlen!;
  const run = async (ids: BigInt64Array, rows: number, width: number): Promise<Float32Array> => {
    const out = await session.run({ [INPUT]: new ort.Tensor('int64', ids, [rows, width]) });
    const y = out[OUTPUT];
    if (!y || !(y.data instanceof Float32Array) || y.data.length !== rows * model.outputWidth) throw new Error(`ONNX Runtime returned no ${OUTPUT} of ${rows} × ${model.outputWidth} floats`);
    return y.data;
  };
  return {
    vocab,
    head,
    width: model.outputWidth,
    threads,
    version: ort.env.versions?.node ?? ort.env.versions?.common ?? 'unknown',
    model,
    predict: async (texts) => {
      const encoded = vocab.encodeBatch(texts, maxlen);
      const out = new Float32Array(texts.length * model.outputWidth);
      for (let b = 0; b < texts.length; b += ORT_BATCH) {
        const rows = Math.min(ORT_BATCH, texts.length - b);
        const { ids, width } = batchIds(encoded, maxlen, b, rows, model.masked);
        out.set(await run(ids, rows, width), b * model.outputWidth);
      }
      return out;
    },
    close: () => session.release(),
  };
}

/**
 * Rows `first … first + rows - 1` of the encoded ids as int64. With masking, padding columns
 * change nothing, so the batch is cut to its longest text (at least one column); without, every
 * row keeps the full maxlen, as tfjs reads it.
 */
export function batchIds(encoded: Int32Array, maxlen: number, first: number, rows: number, masked: boolean): { ids: BigInt64Array; width: number } {
  let width = masked ? 1 : maxlen;
  if (masked) {
    for (let r = first; r < first + rows; r++) {
      for (let j = maxlen - 1; j >= width; j--) {
        if (encoded[r * maxlen + j] !== 0) {
          width = j + 1;
          break;
        }
      }
    }
  }
  const ids = new BigInt64Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < width; j++) ids[r * width + j] = BigInt(encoded[(first + r) * maxlen + j]!);
  }
  return { ids, width };
}
