import { fail, RnncError } from '../diagnostics/error.js';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type * as Tf from '@tensorflow/tfjs';

type TfModule = typeof Tf;
type LayersModel = Tf.LayersModel;

/** File names inside a model directory (the tfjs `file://` layout). */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';


/** Options for {@link saveModel}. */
export interface SaveOptions {
  /**
   * Also save the optimizer's state (Adam moments, step count) and training config, so
   * training resumes where it stopped. Off by default, like tfjs; the model must be compiled.
   */
  includeOptimizer?: boolean;
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

interface ModelJson {
  modelTopology: object;
  format: string;
  generatedBy?: string;
  convertedBy: string | null;
  weightsManifest: { paths: string[]; weights: Tf.io.WeightsManifestEntry[] }[];
  trainingConfig?: object;
  userDefinedMetadata?: object;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isPlainFileName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[\\/]/.test(name);
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
    save: async (artifacts) => {
      captured = artifacts;
      return {
        modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' },
      };
    },
  };
  await model.save(handler, { includeOptimizer });
  if (!captured) throw new Error('tfjs produced no model artifacts');
  return captured;
}

async function writeFileSynced(path: string, data: string | Buffer): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(path: string): Promise<void> {
  // Makes the renames durable; some filesystems refuse fsync on a directory, which is harmless.
  try {
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
}

// An existing `dir` is replaced only if it is an earlier model directory or empty, never an arbitrary folder.
async function checkReplaceable(dir: string): Promise<boolean> {
  let st;
  try {
    st = await stat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  if (!st.isDirectory()) throw new Error('it exists and is not a directory');
  const entries = await readdir(dir);
  if (entries.length > 0 && !entries.includes(MODEL_JSON)) {
    throw new Error(`it exists and is not a model directory (no ${MODEL_JSON}); refusing to replace it`);
  }
  return true;
}

/**
 * Saves `model` to `dir` in the tfjs layers-model format (`model.json` + `weights.bin`, as
 * `tf.loadLayersModel('file://…')` reads), plus `extra` files (e.g. spec.json, vocab.json),
 * without tfjs-node. Atomic: everything is written and fsynced into a temporary directory
 * beside `dir`, then renamed into place, so a failure or crash leaves an earlier `dir` as it
 * was (a crash can at worst leave a hidden `.name.tmp-*` or `.name.old-*` sibling). An
 * existing `dir` is only replaced if it holds a model.json or is empty.
 * Throws CannotWrite (E4002).
 */
export async function saveModel(
  model: LayersModel,
  dir: string,
  extra: Record<string, string | Buffer> = {},
  opts: SaveOptions = {},
): Promise<void> {
  const target = resolve(dir);
  const parent = dirname(target);
  const base = basename(target);
  const bad = (msg: string, cause?: unknown): RnncError => fail('CannotWrite', `cannot write model to \`${dir}\`: ${msg}`, { file: dir, cause });

  for (const name of Object.keys(extra)) {
    if (!isPlainFileName(name)) throw bad(`extra file name \`${name}\` is not a plain file name`);
    if (name === MODEL_JSON || name === WEIGHTS_BIN) throw bad(`extra file \`${name}\` would overwrite the model`);
  }

  let artifacts: Artifacts;
  try {
    artifacts = await captureArtifacts(model, opts.includeOptimizer ?? false);
  } catch (err) {
    throw bad(`tfjs could not serialize the model (${message(err)})`, err);
  }
  if (!artifacts.modelTopology || artifacts.modelTopology instanceof ArrayBuffer) {
    throw bad('tfjs produced no JSON model topology');
  }
  const modelJson: ModelJson = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
  };

  let tmp: string | undefined;
  try {
    await mkdir(parent, { recursive: true });
    const replacing = await checkReplaceable(target);
    // mkdir, not mkdtemp: mkdtemp makes the folder 0700, and the model folder it becomes must be
    // as readable as any other the user makes (a web server serving model.json runs as another user).
    tmp = join(parent, `.${base}.tmp-${randomBytes(6).toString('hex')}`);
    await mkdir(tmp);
    await writeFileSynced(join(tmp, MODEL_JSON), JSON.stringify(modelJson));
    await writeFileSynced(join(tmp, WEIGHTS_BIN), toBuffer(artifacts.weightData));
    for (const [name, data] of Object.entries(extra)) await writeFileSynced(join(tmp, name), data);
    await syncDir(tmp);

    if (!replacing) {
      await rename(tmp, target);
      tmp = undefined;
    } else {
      // Node has no atomic directory exchange (renameat2), so: old aside, new in, old removed;
      // if the second rename fails the old one is put back.
      const old = join(parent, `.${base}.old-${randomBytes(6).toString('hex')}`);
      await rename(target, old);
      try {
        await rename(tmp, target);
        tmp = undefined;
      } catch (err) {
        await rename(old, target);
        throw err;
      }
      await rm(old, { recursive: true, force: true });
    }
    await syncDir(parent);
  } catch (err) {
    if (tmp) await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw err instanceof RnncError ? err : bad(message(err), err);
  }
}

function bytesPerElement(dtype: string): number {
  return dtype === 'bool' ? 1 : dtype === 'float16' ? 2 : 4;
}

/**
 * Loads a model directory written by {@link saveModel} (or any tfjs layers-model directory)
 * through `tf.io.fromMemory`, so no tfjs-node is needed. The model predicts exactly as the
 * saved one and can be trained further (compile it; with `includeOptimizer` it arrives
 * compiled with its optimizer state). Throws BadModelDir (E4006).
 */
export async function loadModel(tf: TfModule, dir: string): Promise<LayersModel> {
  const bad = (msg: string, cause?: unknown): RnncError => fail('BadModelDir', `bad model directory \`${dir}\`: ${msg}`, { file: dir, cause });

  let text: string;
  try {
    text = await readFile(join(dir, MODEL_JSON), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw bad(code === 'ENOENT' ? `no ${MODEL_JSON}` : `cannot read ${MODEL_JSON} (${message(err)})`, err);
  }
  let json: Partial<ModelJson>;
  try {
    json = JSON.parse(text) as Partial<ModelJson>;
  } catch (err) {
    throw bad(`${MODEL_JSON} is not valid JSON (${message(err)})`, err);
  }
  if (json === null || typeof json !== 'object' || typeof json.modelTopology !== 'object' || json.modelTopology === null) {
    throw bad(`${MODEL_JSON} has no modelTopology`);
  }
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw bad(`${MODEL_JSON} is a \`${String(json.format)}\`, not a tfjs layers model`);
  }
  const manifest = json.weightsManifest ?? [];
  if (!Array.isArray(manifest)) throw bad(`${MODEL_JSON}: weightsManifest is not a list`);

  const weightSpecs: Tf.io.WeightsManifestEntry[] = [];
  const chunks: Buffer[] = [];
  for (const group of manifest) {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw bad(`${MODEL_JSON}: a weightsManifest entry lacks \`paths\` or \`weights\``);
    }
    for (const spec of group.weights) {
      const ok = spec && typeof spec.name === 'string' && typeof spec.dtype === 'string' && Array.isArray(spec.shape) && spec.shape.every((d) => Number.isInteger(d) && d >= 0);
      if (!ok) throw bad(`${MODEL_JSON}: malformed weight entry ${JSON.stringify(spec)}`);
    }
    for (const path of group.paths) {
      // Shard paths come from the file; keep them inside the model directory.
      if (typeof path !== 'string' || !isPlainFileName(path)) throw bad(`weights path \`${String(path)}\` is not a file in the directory`);
      try {
        chunks.push(await readFile(join(dir, path)));
      } catch (err) {
        throw bad(`cannot read weights file \`${path}\` (${message(err)})`, err);
      }
    }
    weightSpecs.push(...group.weights);
  }
  const data = Buffer.concat(chunks);
  if (weightSpecs.every((s) => !s.quantization)) {
    const expected = weightSpecs.reduce((n, s) => n + s.shape.reduce((a, d) => a * d, 1) * bytesPerElement(s.dtype), 0);
    if (expected !== data.length) {
      throw bad(`weights hold ${data.length} bytes but ${MODEL_JSON} describes ${expected}`);
    }
  }
  // A standalone ArrayBuffer: Buffer.concat may return a view into a larger shared pool.
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;

  let model: LayersModel;
  try {
    model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs,
        weightData,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        ...(json.trainingConfig ? { trainingConfig: json.trainingConfig as Tf.io.TrainingConfig } : {}),
        ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata } : {}),
      }),
    );
  } catch (err) {
    throw bad(`tfjs could not rebuild the model (${message(err)})`, err);
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
