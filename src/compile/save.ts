import type * as Tf from '@tensorflow/tfjs';
import { MODEL_JSON, WEIGHTS_BIN, isPlainFileName } from '../artifacts/layout.js';
import { ModelFolder } from '../artifacts/model-folder.js';
import { checkWritable, publish } from '../artifacts/store.js';
import type { ModelJson } from '../artifacts/weights.js';
import { fail } from '../diagnostics/error.js';

type TfModule = typeof Tf;
type LayersModel = Tf.LayersModel;

export { MODEL_JSON, WEIGHTS_BIN };

/** Options for {@link saveModel}. */
export interface SaveOptions {
  /**
   * Also save the optimizer's state (Adam moments, step count) and training config, so
   * training resumes where it stopped. Off by default, like tfjs; the model must be compiled.
   */
  includeOptimizer?: boolean;
  /** A finished model (default) replaces the folder; a checkpoint may go beside it (store.ts). */
  finished?: boolean;
}

// What tfjs hands a save handler (the parts rnnc writes).
interface Artifacts {
  modelTopology?: object | ArrayBuffer;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightSpecs?: Tf.io.WeightsManifestEntry[];
  weightData?: ArrayBuffer | ArrayBuffer[];
  trainingConfig?: object;
  userDefinedMetadata?: object;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function toBuffer(data: ArrayBuffer | ArrayBuffer[] | undefined): Buffer {
  if (data === undefined) return Buffer.alloc(0);
  const parts = Array.isArray(data) ? data : [data];
  return Buffer.concat(parts.map((p) => Buffer.from(p)));
}

// Asks tfjs for the model's artifacts; a plain IOHandler is what `tf.io.withSaveHandler` builds.
async function captureArtifacts(model: LayersModel, includeOptimizer: boolean): Promise<Artifacts> {
  let captured: Artifacts | undefined;
  const handler: Tf.io.IOHandler = {
    save: (artifacts) => {
      captured = artifacts;
      return Promise.resolve({
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' },
      });
    },
  };
  await model.save(handler, { includeOptimizer });
  if (!captured) throw new Error('tfjs produced no model artifacts');
  return captured;
}

/**
 * The files of `model` in the tfjs layers-model format: `model.json` (topology + weights
 * manifest) and `weights.bin`, as `tf.loadLayersModel('file://…')` reads them, without tfjs-node.
 */
export async function modelFiles(model: LayersModel, opts: SaveOptions = {}): Promise<{ [MODEL_JSON]: string; [WEIGHTS_BIN]: Buffer }> {
  let artifacts: Artifacts;
  try {
    artifacts = await captureArtifacts(model, opts.includeOptimizer ?? false);
  } catch (err) {
    // Not the user's doing: a model rnnc built that tfjs cannot serialize is a bug.
    throw new Error(`tfjs could not serialize the model (${message(err)})`, { cause: err });
  }
  if (!artifacts.modelTopology || artifacts.modelTopology instanceof ArrayBuffer) throw new Error('tfjs produced no JSON model topology');
  const modelJson: ModelJson = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
  };
  return { [MODEL_JSON]: JSON.stringify(modelJson), [WEIGHTS_BIN]: toBuffer(artifacts.weightData) };
}

/**
 * Saves `model` to the model folder `dir` with `extra` files beside it (spec.json, vocab.json…),
 * atomically and versioned (artifacts/store.ts): a reader or a crash finds the old complete
 * folder or the new one. An existing `dir` is replaced only if it is a model folder or empty.
 * Throws CannotWrite (E4002).
 */
export async function saveModel(model: LayersModel, dir: string, extra: Record<string, string | Buffer> = {}, opts: SaveOptions = {}): Promise<void> {
  for (const name of Object.keys(extra)) {
    if (!isPlainFileName(name)) throw fail('CannotWrite', `cannot write the model to ${dir}: extra file name \`${name}\` is not a plain file name`, { file: dir });
    if (name === MODEL_JSON || name === WEIGHTS_BIN) throw fail('CannotWrite', `cannot write the model to ${dir}: extra file \`${name}\` would overwrite the model`, { file: dir });
  }
  await checkWritable(dir);
  await publish(dir, { ...(await modelFiles(model, opts)), ...extra }, { finished: opts.finished ?? true });
}

/**
 * Loads a model folder written by {@link saveModel} (or any tfjs layers-model folder) through
 * `tf.io.fromMemory`, so no tfjs-node is needed; its files are checked first (ModelFolder). The
 * model predicts exactly as the saved one and can be trained further (compile it; with
 * `includeOptimizer` it arrives compiled with its optimizer state). Throws BadModelDir (E4006).
 */
export async function loadModel(tf: TfModule, from: string | ModelFolder): Promise<LayersModel> {
  const folder = typeof from === 'string' ? await ModelFolder.open(from) : from;
  const { json, entries, bytes } = await folder.weights();
  // A standalone ArrayBuffer: Buffer.concat may return a view into a larger shared pool.
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let model: LayersModel;
  try {
    model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: entries as Tf.io.WeightsManifestEntry[],
        weightData,
        ...(json.format !== undefined ? { format: json.format } : {}),
        ...(json.generatedBy !== undefined ? { generatedBy: json.generatedBy } : {}),
        ...(json.convertedBy !== undefined ? { convertedBy: json.convertedBy } : {}),
        ...(json.trainingConfig ? { trainingConfig: json.trainingConfig as Tf.io.TrainingConfig } : {}),
        ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata } : {}),
      }),
    );
  } catch (err) {
    throw fail('BadModelDir', `${folder.shown(MODEL_JSON)}: tfjs could not rebuild the model (${message(err)})`, { file: folder.shown(MODEL_JSON), cause: err });
  }
  restoreWrapperTrainable(model, json.modelTopology);
  return model;
}

// tfjs's Bidirectional constructor forces `trainable = true` whatever its config says, so a
// frozen `bi(...)` would come back trainable; reapply the saved flag by layer name.
function restoreWrapperTrainable(model: LayersModel, topology: object): void {
  const config = (topology as { config?: { layers?: unknown } }).config;
  const layers = Array.isArray(config?.layers) ? (config.layers as { class_name?: string; config?: { name?: string; trainable?: boolean } }[]) : [];
  for (const l of layers) {
    if (l.class_name === 'Bidirectional' && l.config?.trainable === false && l.config.name) {
      model.getLayer(l.config.name).trainable = false;
    }
  }
}
