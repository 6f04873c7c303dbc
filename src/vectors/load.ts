export { readVectorsDim, readVectorsHeader, readVectorsHeaderSync, vectorsError, type ConcreteVectorFormat, type VectorsHeader } from './header.js';
import { readSample, sniff, vectorsError, type ConcreteVectorFormat } from './header.js';
import type { OovPolicy, VectorFormat } from '../ir/types.js';
import { OOV_ID, OOV_TOKEN } from '../text/vocab.js';
import { seededRandom } from '../util/random.js';
import { scanBinary, scanText, type EntrySink } from './scan.js';

export interface LoadVectorsOptions {
  format?: VectorFormat;
  /** Row for vocabulary words with no vector (and for the unknown-word id 1); default 'zeros'. */
  oov?: OovPolicy;
  /** The embedding's output_dim; a file with another dimension is a BadVectors error. */
  expectedDim?: number;
  /** Seed for the 'random' policy (default 0). */
  seed?: number;
  /** Called after each chunk read, for progress bars on multi-gigabyte files. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface LoadedVectors {
  format: ConcreteVectorFormat;
  dim: number;
  /** Row-major vocabSize × dim; row 0 (padding) is all zeros. */
  matrix: Float32Array;
  /** Vocabulary words that got a vector from the file. */
  found: number;
  /** Vocabulary words looked up: all but padding (id 0) and the unknown-word token (id 1). */
  total: number;
  /** Of `found`, how many matched only case-insensitively. */
  foundIgnoringCase: number;
  /** The first few words without a vector, most frequent (lowest id) first. */
  missingExamples: string[];
}

/** Vectors within ±RANDOM_SCALE for the 'random' OOV policy (Keras' embeddings use ±0.05 too). */
export const RANDOM_SCALE = 0.05;
const MISSING_EXAMPLES = 10;

/**
 * Streams a vectors file and keeps only the vectors of `vocab.words` (index = id): never more
 * than one chunk of the file and the vocabSize × dim matrix are in memory.
 * Formats: GloVe text (no header), word2vec text and fastText `.vec` (`count dim` header), and
 * word2vec binary (header, then `word ` + dim little-endian float32 per entry); 'auto' detects
 * header vs none and binary vs text.
 * Lookup: a vocabulary word takes the vector of the identical file word; failing that, of the
 * first file word equal to it ignoring case (files list frequent words first, so that is the most
 * frequent casing), which lets a lower-cased vocabulary use cased vectors like GoogleNews word2vec.
 * File words that are not valid UTF-8 (GloVe has a few raw Windows-1252 bytes) are read as
 * Windows-1252.
 */
export async function loadVectors(
  path: string,
  vocab: { words: readonly string[] },
  opts: LoadVectorsOptions = {},
): Promise<LoadedVectors> {
  const { sample, size } = readSample(path);
  const { header, dataStart } = sniff(path, sample, size, opts.format ?? 'auto');
  const dim = header.dim;
  if (opts.expectedDim !== undefined && opts.expectedDim !== dim) {
    throw vectorsError(
      `${path} has ${dim}-dimensional vectors, but the embedding has output_dim ${opts.expectedDim}`,
      'dim',
      path,
    );
  }

  const words = vocab.words;
  const matrix = new Float32Array(words.length * dim);
  const state = new Uint8Array(words.length); // 0 missing, 1 matched ignoring case, 2 exact
  const exact = new Map<string, number>();
  const folded = new Map<string, number[]>();
  let total = 0;
  for (let id = 1; id < words.length; id++) {
    const w = words[id]!;
    if (id === OOV_ID && w === OOV_TOKEN) continue;
    total++;
    exact.set(w, id);
    const lw = w.toLowerCase();
    const list = folded.get(lw);
    if (list) list.push(id);
    else folded.set(lw, [id]);
  }

  const sink: EntrySink = {
    dim,
    wants(word) {
      const id = exact.get(word);
      const targets: number[] = [];
      if (id !== undefined && state[id] !== 2) {
        state[id] = 2;
        targets.push(id);
      }
      for (const fid of folded.get(word.toLowerCase()) ?? []) {
        if (state[fid] === 0) {
          state[fid] = 1;
          targets.push(fid);
        }
      }
      return targets;
    },
    set(ids, values) {
      for (const id of ids) matrix.set(values, id * dim);
    },
  };

  const progress = opts.onProgress ? (n: number): void => opts.onProgress!(n, size) : undefined;
  if (header.format === 'word2vec-binary') await scanBinary(path, dataStart, header, sink, progress);
  else await scanText(path, header, sink, progress);

  let found = 0;
  let foundIgnoringCase = 0;
  const missing: number[] = [];
  const missingExamples: string[] = [];
  for (let id = 1; id < words.length; id++) {
    if (state[id]! > 0) {
      found++;
      if (state[id] === 1) foundIgnoringCase++;
    } else {
      missing.push(id);
      if (id === OOV_ID && words[id] === OOV_TOKEN) continue;
      if (missingExamples.length < MISSING_EXAMPLES) missingExamples.push(words[id]!);
    }
  }
  fillMissing(matrix, dim, missing, state, opts.oov ?? 'zeros', opts.seed ?? 0);
  return { format: header.format, dim, matrix, found, total, foundIgnoringCase, missingExamples };
}

/** "found 18,734 of 20,000 words (93.7%)"; never shows 100.0% or 0.0% unless exact ("<0.1%"). */
export function coverageMessage(found: number, total: number): string {
  if (total === 0) return `found ${groupDigits(found)} of 0 words`;
  let pct = Math.round((found / total) * 1000) / 10;
  if (found < total) pct = Math.min(pct, 99.9);
  const shown = found > 0 && pct === 0 ? '<0.1' : pct.toFixed(1);
  return `found ${groupDigits(found)} of ${groupDigits(total)} words (${shown}%)`;
}

function groupDigits(n: number): string {
  // Not toLocaleString: output must not depend on the ICU build or the user's locale.
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function fillMissing(
  matrix: Float32Array,
  dim: number,
  missing: readonly number[],
  state: Uint8Array,
  oov: OovPolicy,
  seed: number,
): void {
  if (oov === 'zeros' || missing.length === 0) return;
  if (oov === 'random') {
    const rand = seededRandom(seed);
    for (const id of missing) {
      for (let j = 0; j < dim; j++) matrix[id * dim + j] = (rand() * 2 - 1) * RANDOM_SCALE;
    }
    return;
  }
  const mean = new Float64Array(dim);
  let n = 0;
  for (let id = 1; id < state.length; id++) {
    if (state[id] === 0) continue;
    n++;
    for (let j = 0; j < dim; j++) mean[j] = mean[j]! + matrix[id * dim + j]!;
  }
  if (n === 0) return;
  for (let j = 0; j < dim; j++) mean[j] = mean[j]! / n;
  for (const id of missing) matrix.set(mean, id * dim);
}
