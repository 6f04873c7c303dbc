import type { ModelFolder } from '../artifacts/model-folder.js';
import { MODEL_JSON, VOCAB_JSON } from '../artifacts/layout.js';
import type { ModelJson, WeightEntry } from '../artifacts/weights.js';
import { fail } from '../diagnostics/error.js';
import { formatCount } from '../util/numbers.js';
import { GraphBuilder, valueInfo } from './graph.js';
import { readKerasModel, type ExportLayer } from './keras.js';
import { dense, embedding, recurrent, type Flow } from './layers.js';
import { DataType, encodeModel, type ModelProto } from './proto.js';

/**
 * ONNX export of a model folder: the graph computes what tfjs computes for the same ids (tested
 * within 1e-5 against ONNX Runtime for every cell, direction, merge mode, stacking and padding
 * pattern). docs/model-folder.md describes the file for its users.
 */

/** The operator set the graph uses: ONNX 1.12's, which every ONNX Runtime since 1.13 runs. */
export const OPSET = 17;
/** The IR version that goes with opset 17. */
const IR_VERSION = 8;

/** The graph's input and output names. */
export const INPUT = 'ids';
export const OUTPUT = 'output';

export interface OnnxModel {
  /** The `.onnx` file's bytes. */
  bytes: Uint8Array;
  /** Width of the output (1 for a sigmoid head, N for softmax over N labels). */
  outputWidth: number;
  /** Whether padding id 0 is masked (then any padding, anywhere, leaves outputs unchanged). */
  masked: boolean;
  layers: { name: string; onnx: string }[];
}

/** Extra facts carried in the file's metadata (`rnnc.labels`, `rnnc.maxlen`, `rnnc.vocab`). */
export interface OnnxMetadata {
  /** vocab.json's text, when the folder has one. */
  vocabJson?: string;
  labels?: readonly string[];
  maxlen?: number;
  producerVersion?: string;
}

/**
 * Builds the ONNX model of a tfjs layers model given as model.json and its weights. `file`
 * names model.json in diagnostics.
 */
export function buildOnnx(json: ModelJson, entries: readonly WeightEntry[], bytes: Uint8Array, file: string, meta: OnnxMetadata = {}): OnnxModel {
  return onnxOf(readKerasModel(json, entries, bytes, file), file, meta);
}

/** Exports the model in a model folder (model.json, weights.bin and, when there, vocab.json). */
export async function exportOnnx(folder: ModelFolder, producerVersion?: string): Promise<OnnxModel & { vocabJson?: string }> {
  const { json, entries, bytes } = await folder.weights();
  const file = folder.shown(MODEL_JSON);
  const layers = readKerasModel(json, entries, bytes, file);
  let vocabJson: string | undefined;
  const meta: OnnxMetadata = producerVersion ? { producerVersion } : {};
  if (await folder.has(VOCAB_JSON)) {
    const vocab = await folder.vocab(false);
    const rows = layers[0]?.kind === 'embedding' ? layers[0].inputDim : 0;
    if (vocab.size > rows) {
      throw fail('BadModelDir', `${folder.dir}: vocab.json has ${formatCount(vocab.size)} ids but the model's embedding has ${formatCount(rows)} rows: they are not from one training run`, {
        file: folder.shown(VOCAB_JSON),
      });
    }
    vocabJson = (await folder.bytes(VOCAB_JSON)).toString('utf8');
    Object.assign(meta, { vocabJson, labels: vocab.labels, ...(vocab.maxlen !== undefined ? { maxlen: vocab.maxlen } : {}) });
  }
  const model = onnxOf(layers, file, meta);
  return { ...model, ...(vocabJson !== undefined ? { vocabJson } : {}) };
}

function onnxOf(layers: ExportLayer[], file: string, meta: OnnxMetadata): OnnxModel {
  const g = new GraphBuilder();
  const ids = g.reserve(INPUT);
  g.reserve(OUTPUT);
  let flow: Flow | undefined;
  const described: { name: string; onnx: string }[] = [];
  let masked = false;
  for (const layer of layers) {
    switch (layer.kind) {
      case 'embedding':
        flow = embedding(g, ids, layer);
        masked = layer.maskZero;
        described.push({ name: layer.name, onnx: layer.maskZero ? 'Gather (lengths from the non-zero ids)' : 'Gather' });
        break;
      case 'recurrent': {
        flow = recurrent(g, flow!, layer);
        const op = { simple_rnn: 'RNN', lstm: 'LSTM', gru: 'GRU' }[layer.cell];
        described.push({ name: layer.name, onnx: `${op}${layer.directions.length === 2 ? ` bidirectional, ${layer.merge}` : ''}${layer.returnSequences ? ', sequence' : ''}` });
        break;
      }
      case 'dense':
        flow = dense(g, flow!, layer);
        described.push({ name: layer.name, onnx: `MatMul + Add${layer.activation === 'linear' ? '' : ` + ${layer.activation}`}` });
        break;
      case 'dropout':
        break; // nothing at inference
    }
  }
  const last = layers.filter((l) => l.kind !== 'dropout').at(-1)!;
  if (!flow || flow.rank !== 'vector') {
    throw fail('CannotExport', `layer \`${last.name}\`: the model's output is a sequence (a recurrent layer returns sequences to the end); ONNX export covers models whose top recurrent layer returns its last state`, { file });
  }
  const width = last.kind === 'dense' ? last.units : last.kind === 'recurrent' ? (last.merge === 'concat' ? 2 * last.units : last.units) : 0;
  g.output(flow.value, OUTPUT);
  const graph = g.graph(
    'rnnc_model',
    [valueInfo(ids, DataType.INT64, ['batch', 'time'], 'word ids, 0 = padding (see vocab.json)')],
    [valueInfo(OUTPUT, DataType.FLOAT, ['batch', width], "the model's output (probabilities for a sigmoid or softmax head)")],
  );
  const metadata: { key: string; value: string }[] = [];
  if (meta.labels) metadata.push({ key: 'rnnc.labels', value: JSON.stringify(meta.labels) });
  if (meta.maxlen !== undefined) metadata.push({ key: 'rnnc.maxlen', value: String(meta.maxlen) });
  if (meta.vocabJson !== undefined) metadata.push({ key: 'rnnc.vocab', value: meta.vocabJson });
  const model: ModelProto = {
    ir_version: IR_VERSION,
    opset_import: [{ domain: '', version: OPSET }],
    producer_name: 'rnnc',
    producer_version: meta.producerVersion ?? '',
    doc_string: 'A recurrent text classifier exported by rnnc from a TensorFlow.js layers model.',
    graph,
    metadata_props: metadata,
  };
  return { bytes: encodeModel(model), outputWidth: width, masked, layers: described };
}
