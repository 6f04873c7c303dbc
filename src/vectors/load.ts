export { readVectorsDim, readVectorsHeader, readVectorsHeaderSync, vectorsError, type ConcreteVectorFormat, type VectorsHeader } from './header.js';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { isNumber, readSample, sniff, vectorsError, type ConcreteVectorFormat, type VectorsHeader } from './header.js';
import type { OovPolicy, VectorFormat } from '../ir/types.js';
import { decodeCp1252 } from '../data/decode.js';
import { OOV_ID, OOV_TOKEN } from '../text/vocab.js';
import { seededRandom } from '../util/random.js';

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
const CHUNK_BYTES = 1 << 20;
/** Longest word accepted in word2vec binary before deciding the file is not one. */
const MAX_WORD_BYTES = 1 << 16;

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

// ---------------------------------------------------------------------------------------------
// Scanning

interface EntrySink {
  dim: number;
  /** Vocabulary ids that should take this file word's vector (already marked as filled). */
  wants(word: string): number[];
  set(ids: number[], values: Float32Array): void;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeWord(bytes: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  try {
    return utf8.decode(bytes);
  } catch {
    return decodeCp1252(bytes);
  }
}

/**
 * Yields the file in chunks read into one reused buffer: after warm-up, streaming allocates
 * nothing per chunk. Consumers must finish with a chunk (or copy from it) before the next one.
 */
async function* chunks(path: string, start: number, progress?: (n: number) => void): AsyncGenerator<Buffer> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw vectorsError(`cannot read ${path}: ${(e as Error).message}`, 'io', path);
  }
  try {
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let position = start;
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(buf, 0, buf.length, position));
      } catch (e) {
        throw vectorsError(`cannot read ${path}: ${(e as Error).message}`, 'io', path);
      }
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buf.subarray(0, bytesRead);
      progress?.(position);
    }
  } finally {
    await fh.close();
  }
}

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;

async function scanText(
  path: string,
  header: VectorsHeader,
  sink: EntrySink,
  progress?: (n: number) => void,
): Promise<void> {
  const dim = sink.dim;
  const values = new Float32Array(dim);
  let lineNo = 0;
  let entries = 0;
  let carry: Buffer | undefined;

  const line = (buf: Buffer, start: number, end: number): void => {
    lineNo++;
    if (end > start && buf[end - 1] === CR) end--;
    if (lineNo === 1 && header.count !== undefined) return;
    let i = start;
    while (i < end && (buf[i] === SPACE || buf[i] === TAB)) i++;
    if (i === end) return; // blank line
    const wordStart = i;
    while (i < end && buf[i] !== SPACE && buf[i] !== TAB) i++;
    const wordEnd = i;
    // Count the fields after the word (runs of non-blanks).
    let n = 0;
    let inField = false;
    for (; i < end; i++) {
      const blank = buf[i] === SPACE || buf[i] === TAB;
      if (!blank && !inField) n++;
      inField = !blank;
    }
    entries++;
    let word: string;
    let numbers: string[] | undefined;
    if (n === dim) {
      word = decodeWord(buf.subarray(wordStart, wordEnd));
    } else {
      // glove.840B has a few words containing spaces ("at name@domain.com"): the last dim fields
      // are the vector and the rest is the word. Extra leading *numbers* mean a ragged line.
      const fields = decodeWord(buf.subarray(wordStart, end)).split(/[ \t]+/).filter((f) => f !== '');
      const extra = fields.slice(1, fields.length - dim);
      if (n < dim || extra.every(isNumber)) {
        throw vectorsError(
          `${path}:${lineNo}: expected a word and ${dim} numbers, found ${n} number${n === 1 ? '' : 's'} after the word`,
          'ragged',
          path,
          lineNo,
        );
      }
      word = fields.slice(0, fields.length - dim).join(' ');
      numbers = fields.slice(fields.length - dim);
    }
    const ids = sink.wants(word);
    if (ids.length === 0) return;
    numbers ??= buf.toString('latin1', wordEnd, end).trim().split(/[ \t]+/);
    for (let j = 0; j < dim; j++) {
      const v = Number(numbers[j]);
      if (!Number.isFinite(v)) {
        throw vectorsError(`${path}:${lineNo}: ${JSON.stringify(numbers[j])} is not a number`, 'number', path, lineNo);
      }
      values[j] = v;
    }
    sink.set(ids, values);
  };

  for await (const chunk of chunks(path, 0, progress)) {
    let start = 0;
    if (carry) {
      // Only the line that straddles two chunks is copied.
      const nl = chunk.indexOf(LF);
      if (nl < 0) {
        carry = Buffer.concat([carry, chunk]);
        continue;
      }
      const joined = Buffer.concat([carry, chunk.subarray(0, nl)]);
      line(joined, 0, joined.length);
      start = nl + 1;
      carry = undefined;
    }
    for (let nl = chunk.indexOf(LF, start); nl >= 0; nl = chunk.indexOf(LF, start)) {
      line(chunk, start, nl);
      start = nl + 1;
    }
    if (start < chunk.length) carry = Buffer.from(chunk.subarray(start));
  }
  if (carry) line(carry, 0, carry.length);
  if (header.count !== undefined && entries < header.count) {
    throw vectorsError(
      `${path}: header says ${header.count} vectors, but the file ends after ${entries} (truncated?)`,
      'truncated',
      path,
      lineNo,
    );
  }
}

async function scanBinary(
  path: string,
  dataStart: number,
  header: VectorsHeader,
  sink: EntrySink,
  progress?: (n: number) => void,
): Promise<void> {
  const dim = sink.dim;
  const count = header.count ?? 0;
  const bytesPerVector = dim * 4;
  const values = new Float32Array(dim);
  let entries = 0;
  let carry: Buffer | undefined;
  let offset = dataStart; // file offset of the current chunk, for messages

  /** Reads one entry at `pos`; returns the position after it, or -1 if `buf` ends first. */
  const entry = (buf: Buffer, pos: number, bufOffset: number): number => {
    let i = pos;
    // word2vec writes "\n" after each vector; some writers do not. Skip either.
    while (i < buf.length && (buf[i] === LF || buf[i] === CR || buf[i] === SPACE)) i++;
    const limit = Math.min(buf.length, i + MAX_WORD_BYTES + 1);
    const sp = buf.subarray(0, limit).indexOf(SPACE, i);
    if (sp < 0) {
      if (limit - i > MAX_WORD_BYTES) {
        throw vectorsError(`${path}: no word found at byte ${bufOffset + i}; not word2vec binary`, 'format', path);
      }
      return -1;
    }
    if (sp + 1 + bytesPerVector > buf.length) return -1;
    const ids = sink.wants(decodeWord(buf.subarray(i, sp)));
    if (ids.length > 0) {
      for (let j = 0; j < dim; j++) values[j] = buf.readFloatLE(sp + 1 + j * 4);
      sink.set(ids, values);
    }
    entries++;
    return sp + 1 + bytesPerVector;
  };

  for await (const chunk of chunks(path, dataStart, progress)) {
    let pos = 0;
    if (carry) {
      // Finish the entry that straddles two chunks from a small joined copy, not the whole chunk.
      const head = Buffer.concat([carry, chunk.subarray(0, MAX_WORD_BYTES + 2 + bytesPerVector)]);
      let p = 0;
      while (entries < count && p < carry.length) {
        const next = entry(head, p, offset - carry.length);
        if (next < 0) break;
        p = next;
      }
      if (entries < count && p < carry.length) {
        carry = Buffer.concat([carry, chunk]);
        offset += chunk.length;
        continue;
      }
      pos = p - carry.length;
      carry = undefined;
    }
    while (entries < count) {
      const next = entry(chunk, pos, offset);
      if (next < 0) break;
      pos = next;
    }
    if (entries >= count) break;
    carry = Buffer.from(chunk.subarray(pos));
    offset += chunk.length;
  }
  if (entries < count) {
    throw vectorsError(
      `${path}: header says ${count} vectors, but the file ends inside entry ${entries + 1} (truncated?)`,
      'truncated',
      path,
    );
  }
}
