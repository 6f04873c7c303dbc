import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { fail, RnncError } from '../diagnostics/error.js';
import type { VectorFormat } from '../ir/types.js';

/**
 * What a word-vectors file is, from its first bytes only: cheap and synchronous, so the checker
 * (CLI `check`, the language server) can read a pretrained embedding's dimension; the loader
 * (load.ts) starts from the same detection.
 */

export type ConcreteVectorFormat = Exclude<VectorFormat, 'auto'>;

export type VectorsErrorKind = 'missing' | 'io' | 'format' | 'dim' | 'ragged' | 'number' | 'truncated';

/**
 * A vectors file that cannot be used: CannotRead (E4001) when it is missing or unreadable,
 * BadVectors (E4004) otherwise. `line` is 1-based (text formats) when the problem has one.
 */
export function vectorsError(message: string, kind: VectorsErrorKind, path: string, line?: number): RnncError {
  return fail(kind === 'missing' || kind === 'io' ? 'CannotRead' : 'BadVectors', message, { file: path, ...(line !== undefined ? { line } : {}) });
}

/** What the first line(s) of a vectors file say. `count` only for formats with a header. */
export interface VectorsHeader {
  format: ConcreteVectorFormat;
  dim: number;
  count?: number;
}

/** Bytes read to detect the format. */
export const SAMPLE_BYTES = 1 << 18;

/**
 * Reads only the start of a vectors file (cheap; for the checker) and returns the vector dimension.
 * Throws an RnncError (see `vectorsError`) if the file is missing or its start is not a vectors file.
 */
export async function readVectorsDim(path: string, format: VectorFormat = 'auto'): Promise<number> {
  return (await readVectorsHeader(path, format)).dim;
}

/** Reads only the start of a vectors file: its (detected) format, dimension and, with a header, count. */
export function readVectorsHeader(path: string, format: VectorFormat = 'auto'): Promise<VectorsHeader> {
  try {
    return Promise.resolve(readVectorsHeaderSync(path, format));
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}

/**
 * The same as {@link readVectorsHeader}, synchronously: the checker runs inside a synchronous
 * front end (CLI `check`, the language server) and reads only the file's first bytes.
 */
export function readVectorsHeaderSync(path: string, format: VectorFormat = 'auto'): VectorsHeader {
  const { sample, size } = readSample(path);
  return sniff(path, sample, size, format).header;
}

// ---------------------------------------------------------------------------------------------
// Detection

/** The file's first bytes (synchronously: a few hundred KiB, read by the checker too) and its size. */
export function readSample(path: string): { sample: Buffer; size: number } {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw vectorsError(`${path} is not a file`, 'missing', path);
    size = st.size;
  } catch (e) {
    if (e instanceof RnncError) throw e;
    throw vectorsError(`vectors file not found: ${path}`, 'missing', path);
  }
  try {
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(Math.min(SAMPLE_BYTES, size));
      return { sample: buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)), size };
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw vectorsError(`cannot read ${path}: ${(e as Error).message}`, 'io', path);
  }
}

export function sniff(
  path: string,
  sample: Buffer,
  size: number,
  requested: VectorFormat,
): { header: VectorsHeader; dataStart: number } {
  if (sample.length === 0) throw vectorsError(`${path} is empty`, 'format', path);
  if (sample[0] === 0x1f && sample[1] === 0x8b) {
    throw vectorsError(`${path} is gzip-compressed; decompress it first (gunzip)`, 'format', path);
  }
  if (sample[0] === 0x50 && sample[1] === 0x4b && sample[2] === 0x03 && sample[3] === 0x04) {
    throw vectorsError(`${path} is a zip archive; extract the vectors file from it first`, 'format', path);
  }
  const nl = sample.indexOf(0x0a);
  if (nl < 0 && sample.length < size) {
    throw vectorsError(`${path}: first line is longer than ${SAMPLE_BYTES} bytes; not a vectors file`, 'format', path);
  }
  const firstEnd = nl < 0 ? sample.length : nl;
  const first = sample.toString('latin1', 0, firstEnd).trim();
  const m = /^(\d+)[ \t]+(\d+)$/.exec(first);
  const ext = extname(path).toLowerCase();

  if (m) {
    const count = Number(m[1]);
    const dim = Number(m[2]);
    if (dim < 1) throw vectorsError(`${path}: header "${first}" gives dimension 0`, 'format', path, 1);
    if (requested === 'glove') {
      throw vectorsError(
        `${path}: first line "${first}" is a word2vec/fastText header (count dim), but the format is glove; ` +
          `use word2vec, fasttext or auto`,
        'format',
        path,
        1,
      );
    }
    let format: ConcreteVectorFormat;
    if (requested !== 'auto') format = requested;
    else if (ext === '.bin') format = 'word2vec-binary';
    else if (looksLikeTextEntry(sample, firstEnd + 1, dim)) format = ext === '.vec' ? 'fasttext' : 'word2vec';
    else format = 'word2vec-binary';
    return { header: { format, dim, count }, dataStart: firstEnd + 1 };
  }

  if (requested === 'word2vec' || requested === 'fasttext' || requested === 'word2vec-binary') {
    throw vectorsError(
      `${path}: expected a header line "count dim" for ${requested}, found "${first.slice(0, 60)}"`,
      'format',
      path,
      1,
    );
  }
  if (sample.subarray(0, firstEnd).includes(0)) {
    throw vectorsError(`${path}: binary data without a word2vec header; not a vectors file`, 'format', path, 1);
  }
  const fields = first.split(/[ \t]+/);
  const dim = fields.length - 1;
  if (dim < 1 || !fields.slice(1).every(isNumber)) {
    throw vectorsError(
      `${path}: first line is neither a "count dim" header nor "word v1 v2 …"; not a vectors file`,
      'format',
      path,
      1,
    );
  }
  return { header: { format: 'glove', dim }, dataStart: 0 };
}

function looksLikeTextEntry(sample: Buffer, start: number, dim: number): boolean {
  const end = sample.indexOf(0x0a, start);
  if (start >= sample.length) return true; // header only: nothing says binary
  const line = sample.toString('latin1', start, end < 0 ? sample.length : end).trim();
  const fields = line.split(/[ \t]+/);
  // A text entry that does not fit in the sample cannot be checked fully: check what is there.
  if (end < 0) return fields.length > 1 && fields.slice(1, -1).every(isNumber);
  return fields.length >= dim + 1 && fields.slice(-dim).every(isNumber);
}

export function isNumber(s: string): boolean {
  return s !== '' && Number.isFinite(Number(s));
}

