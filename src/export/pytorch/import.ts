import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MODEL_JSON, SPEC_JSON, VOCAB_JSON, WEIGHTS_BIN } from '../../artifacts/layout.js';
import { describedBytes, manifestEntries, parseModelJson } from '../../artifacts/weights.js';
import { fail, reasonOf } from '../../diagnostics/error.js';
import { Vocab } from '../../text/vocab.js';
import { readKerasWeights } from '../keras.js';
import { decodeSafetensors } from '../safetensors.js';
import { EXPORT_FORMAT, EXPORT_JSON, WEIGHTS_FILE } from './export.js';
import { loadStateDict } from './state-dict.js';

/**
 * `rnnc import`: a PyTorch export folder (as `rnnc export --format pytorch` or its train.py
 * wrote it) back to the files of an rnnc model folder. The topology is the model.json the export
 * carried; the weights are its state_dict mapped back (state-dict.ts), so a model that went to
 * PyTorch and back unchanged has the weights it left with, bit for bit.
 */

export interface ImportedModel {
  files: Record<string, Buffer>;
  /** Number of tensors read. */
  tensors: number;
  hasVocab: boolean;
}

export async function importPytorch(dir: string): Promise<ImportedModel> {
  const read = async (name: string, need: boolean): Promise<Buffer | undefined> => {
    try {
      return await readFile(join(dir, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !need) return undefined;
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      throw fail(missing ? 'BadModelDir' : 'CannotRead', `${join(dir, name)}: ${missing ? `missing (${dir} is not a folder \`rnnc export --format pytorch\` wrote)` : reasonOf(e)}`, { file: join(dir, name) });
    }
  };
  const exportJson = (await read(EXPORT_JSON, true))!;
  let format: unknown;
  try {
    format = (JSON.parse(exportJson.toString('utf8')) as { format?: unknown }).format;
  } catch {
    /* reported below */
  }
  if (format !== EXPORT_FORMAT) throw fail('BadModelDir', `${join(dir, EXPORT_JSON)}: not an rnnc PyTorch export ("format" is not "${EXPORT_FORMAT}")`, { file: join(dir, EXPORT_JSON) });
  const modelFile = join(dir, MODEL_JSON);
  const json = parseModelJson((await read(MODEL_JSON, true))!.toString('utf8'), modelFile);
  const entries = manifestEntries(json);
  const weightsFile = join(dir, WEIGHTS_FILE);
  const weightBytes = (await read(WEIGHTS_FILE, true))!;
  // Every Keras weight comes from the state_dict, which holds at least as many numbers (PyTorch
  // has two recurrent biases where Keras has one): a model.json that says more is not this
  // export's, and would otherwise have us allocate whatever it claims.
  const needed = describedBytes(entries);
  if (needed > weightBytes.length) {
    throw fail('BadModelDir', `${modelFile}: its weights manifest describes ${needed} bytes of weights, more than ${weightsFile} holds (${weightBytes.length})`, { file: modelFile });
  }
  const { tensors } = decodeSafetensors(weightBytes, weightsFile);
  // The layers over zeros of the right size; the state_dict then fills every weight.
  const { layers, values } = readKerasWeights(json, entries, new Uint8Array(needed), modelFile, 'PyTorch');
  loadStateDict(layers, tensors, weightsFile);
  const files: Record<string, Buffer> = {
    [MODEL_JSON]: Buffer.from(JSON.stringify({ ...json, weightsManifest: [{ paths: [WEIGHTS_BIN], weights: entries }] })),
    [WEIGHTS_BIN]: Buffer.concat(values.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength))),
  };
  const vocab = await read(VOCAB_JSON, false);
  if (vocab) {
    try {
      Vocab.fromJSON(JSON.parse(vocab.toString('utf8')));
    } catch (e) {
      throw fail('BadModelDir', `${join(dir, VOCAB_JSON)}: ${reasonOf(e)}`, { file: join(dir, VOCAB_JSON) });
    }
    files[VOCAB_JSON] = vocab;
  }
  const spec = await read(SPEC_JSON, false);
  if (spec) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(spec.toString('utf8'));
    } catch {
      /* reported below */
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw fail('BadModelDir', `${join(dir, SPEC_JSON)}: not a JSON object (the checked spec the export carried)`, { file: join(dir, SPEC_JSON) });
    }
    files[SPEC_JSON] = spec;
  }
  return { files, tensors: tensors.size, hasVocab: vocab !== undefined };
}
