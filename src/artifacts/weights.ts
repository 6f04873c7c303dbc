import { fail } from '../diagnostics/error.js';
import { isPlainFileName } from './layout.js';

/** One weight of a tfjs weights manifest. */
export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

/** model.json in the tfjs layers-model format (the parts rnnc reads and writes). */
export interface ModelJson {
  modelTopology: object;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: { paths: string[]; weights: WeightEntry[] }[];
  trainingConfig?: object;
  userDefinedMetadata?: object;
}

export function bytesPerElement(dtype: string): number {
  return dtype === 'bool' ? 1 : dtype === 'float16' ? 2 : 4;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

/** Bytes the entries take in the weights file (unquantized). */
export function describedBytes(entries: readonly WeightEntry[]): number {
  return entries.reduce((n, w) => n + elementCount(w.shape) * bytesPerElement(w.dtype), 0);
}

const DTYPES = new Set(['float32', 'int32', 'bool', 'float16']);

/**
 * Parses and checks model.json: a JSON object with a model topology, the layers-model format,
 * and a weights manifest whose entries have names, known dtypes and whole-number shapes and
 * whose shard paths stay inside the folder. `file` names it in the BadModelDir (E4006) errors.
 */
export function parseModelJson(text: string, file: string): ModelJson {
  const bad = (msg: string): never => {
    throw fail('BadModelDir', `${file}${msg.startsWith(' ') ? '' : ': '}${msg}`, { file });
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return bad(` is not valid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return bad(' must hold an object');
  const o = json as Partial<ModelJson>;
  if (typeof o.modelTopology !== 'object' || o.modelTopology === null) return bad(' has no modelTopology');
  if (o.format !== undefined && o.format !== 'layers-model') return bad(` holds a \`${String(o.format)}\`, not a tfjs layers model`);
  const manifest: unknown = o.weightsManifest ?? [];
  if (!Array.isArray(manifest)) return bad('weightsManifest is not a list');
  for (const group of manifest as unknown[]) {
    const g = group as { paths?: unknown; weights?: unknown } | null;
    if (!g || !Array.isArray(g.paths) || !Array.isArray(g.weights)) return bad('a weightsManifest entry lacks `paths` or `weights`');
    for (const path of g.paths as unknown[]) {
      if (typeof path !== 'string' || !isPlainFileName(path)) return bad(`weights path \`${String(path)}\` is not a file in the folder`);
    }
    for (const w of g.weights as unknown[]) {
      const e = w as Partial<WeightEntry> | null;
      const ok =
        e !== null &&
        typeof e === 'object' &&
        typeof e.name === 'string' &&
        typeof e.dtype === 'string' &&
        DTYPES.has(e.dtype) &&
        Array.isArray(e.shape) &&
        e.shape.every((d) => Number.isSafeInteger(d) && d >= 0);
      if (!ok) return bad(`malformed weight entry ${JSON.stringify(w).slice(0, 200)}`);
    }
  }
  return { ...o, modelTopology: o.modelTopology, weightsManifest: manifest as ModelJson['weightsManifest'] };
}

/** Every weight entry of a manifest, in order. */
export function manifestEntries(json: ModelJson): WeightEntry[] {
  return json.weightsManifest.flatMap((g) => g.weights);
}

/** Refuses weight bytes that do not match the manifest (a truncated or padded file, a manifest that lies). */
export function checkWeightBytes(entries: readonly WeightEntry[], bytes: number, file: string): void {
  if (entries.some((w) => w.quantization)) return;
  const expected = describedBytes(entries);
  if (expected !== bytes) {
    throw fail('BadModelDir', `${file} holds ${bytes} bytes, but its manifest describes ${expected}`, {
      file,
      help: 'the folder is damaged or its files come from different models; write it again',
    });
  }
}

export type WeightValues = Float32Array | Int32Array;

/** The values of each float32/int32 entry, in manifest order, copied out of `bytes` from `offset`. */
export function sliceWeights(entries: readonly WeightEntry[], bytes: Uint8Array, offset = 0): { values: WeightValues[]; end: number } {
  const values: WeightValues[] = [];
  let pos = offset;
  for (const w of entries) {
    const n = elementCount(w.shape) * bytesPerElement(w.dtype);
    if (pos + n > bytes.length) throw new RangeError(`weights end inside ${w.name}`);
    // A copy into an aligned buffer: `bytes` may start at any offset of Node's pool.
    const copy = new Uint8Array(bytes.subarray(pos, pos + n)).buffer;
    if (w.dtype === 'int32') values.push(new Int32Array(copy));
    else if (w.dtype === 'float32') values.push(new Float32Array(copy));
    else throw new RangeError(`weight ${w.name} has dtype ${w.dtype}; rnnc reads float32 and int32`);
    pos += n;
  }
  return { values, end: pos };
}

/** Named weights as one buffer and its manifest (checkpoints). */
export function packWeights(list: readonly { name: string; shape: readonly number[]; values: WeightValues }[]): { bytes: Buffer; manifest: WeightEntry[] } {
  const parts: Buffer[] = [];
  const manifest: WeightEntry[] = [];
  for (const { name, shape, values } of list) {
    parts.push(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
    manifest.push({ name, shape: [...shape], dtype: values instanceof Int32Array ? 'int32' : 'float32' });
  }
  return { bytes: Buffer.concat(parts), manifest };
}
