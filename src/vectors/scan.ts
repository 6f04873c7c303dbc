/**
 * The two scanners of a vectors file: text (GloVe, word2vec text, fastText `.vec`) and word2vec
 * binary. Each streams the file in reused chunks and hands every entry a sink wants to it; the
 * caller (load.ts) decides which words it wants and where their vectors go.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { isNumber, vectorsError, type VectorsHeader } from './header.js';
import { decodeCp1252 } from '../data/decode.js';

const CHUNK_BYTES = 1 << 20;
/** Longest word accepted in word2vec binary before deciding the file is not one. */
const MAX_WORD_BYTES = 1 << 16;

export interface EntrySink {
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

export async function scanText(
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

export async function scanBinary(
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
