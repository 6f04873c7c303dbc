import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  coverageMessage,
  loadVectors,
  RANDOM_SCALE,
  readVectorsDim,
  readVectorsHeader,
  type LoadVectorsOptions,
} from '../../src/vectors/load.js';
import { RnncError } from '../../src/diagnostics/error.js';
import { hasSharedData, sharedFile } from '../support/real-data.js';
import { fixtureDir, rejection } from '../fixtures.js';

const { dir, fixture } = fixtureDir('vectors');

/** The fixture vectors: 3-d, one per word, easy to recognise. */
const VECS: [string, number[]][] = [
  ['the', [0.5, -0.25, 1]],
  ['cat', [1, 2, 3]],
  ['Dog', [-1, -2, -3]],
  ['dog', [7, 8, 9]],
  ['Émigré', [0.125, 0.25, 0.375]],
  ['unused', [4, 4, 4]],
];
const VOCAB = { words: ['<pad>', '<unk>', 'the', 'cat', 'dog', 'émigré', 'DOG', 'missing', 'absent'] };

function textLines(header: boolean): string {
  const lines = VECS.map(([w, v]) => `${w} ${v.join(' ')}`);
  return (header ? [`${VECS.length} 3`, ...lines] : lines).join('\n') + '\n';
}

function w2vBinary(entries: [string, number[]][], dim: number, newlineAfterVector = true): Buffer {
  const parts: Buffer[] = [Buffer.from(`${entries.length} ${dim}\n`)];
  for (const [w, v] of entries) {
    const f = Buffer.alloc(dim * 4);
    v.forEach((x, j) => f.writeFloatLE(x, j * 4));
    parts.push(Buffer.from(`${w} `, 'utf8'), f);
    if (newlineAfterVector) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** Bitwise equality; toEqual on 300k-element typed arrays is slow. */
function sameFloats(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function row(m: Float32Array, id: number, dim: number): number[] {
  return [...m.subarray(id * dim, (id + 1) * dim)];
}

function vectorsError(p: Promise<unknown>): Promise<RnncError> {
  return rejection(p, RnncError);
}

function expectFixtureRows(m: Float32Array): void {
  expect(row(m, 0, 3)).toEqual([0, 0, 0]);
  expect(row(m, 2, 3)).toEqual([0.5, -0.25, 1]);
  expect(row(m, 3, 3)).toEqual([1, 2, 3]);
  expect(row(m, 4, 3)).toEqual([7, 8, 9]); // exact "dog" beats the earlier "Dog"
  expect(row(m, 5, 3)).toEqual([0.125, 0.25, 0.375]); // "émigré" matches "Émigré" ignoring case
  expect(row(m, 6, 3)).toEqual([-1, -2, -3]); // "DOG": first case-insensitive match
  expect(row(m, 7, 3)).toEqual([0, 0, 0]);
}

describe('formats', () => {
  const cases: [string, string, string | Buffer, string][] = [
    ['GloVe text', 'vecs.txt', textLines(false), 'glove'],
    ['word2vec text', 'vecs.txt', textLines(true), 'word2vec'],
    ['fastText .vec', 'wiki.vec', textLines(true), 'fasttext'],
    ['word2vec binary', 'vecs.bin', w2vBinary(VECS, 3), 'word2vec-binary'],
    ['word2vec binary, no .bin, no newlines', 'vecs.w2v', w2vBinary(VECS, 3, false), 'word2vec-binary'],
    ['GloVe with CRLF, no final newline', 'crlf.txt', textLines(false).replace(/\n/g, '\r\n').trimEnd(), 'glove'],
  ];
  it.each(cases)('%s: detected and loaded', async (_, name, content, format) => {
    const p = fixture(name, content);
    const header = await readVectorsHeader(p);
    expect(header.format).toBe(format);
    expect(header.dim).toBe(3);
    expect(await readVectorsDim(p)).toBe(3);
    const v = await loadVectors(p, VOCAB);
    expect(v.format).toBe(format);
    expect(v.dim).toBe(3);
    expect(v.matrix).toHaveLength(VOCAB.words.length * 3);
    expect([v.found, v.total, v.foundIgnoringCase]).toEqual([5, 7, 2]);
    expect(v.missingExamples).toEqual(['missing', 'absent']);
    expectFixtureRows(v.matrix);
  });

  it('word2vec binary larger than one read chunk: entries across the chunk boundary are intact', async () => {
    const dim = 100;
    const entries: [string, number[]][] = Array.from({ length: 3000 }, (_, i) => [
      `wörd${i}`,
      Array.from({ length: dim }, (_, j) => Math.fround(i + j / 128)),
    ]);
    const p = fixture('big.bin', w2vBinary(entries, dim, false));
    expect(statSync(p).size).toBeGreaterThan(1 << 20);
    const words = ['<pad>', '<unk>', ...entries.map(([w]) => w)];
    const v = await loadVectors(p, { words });
    expect([v.format, v.found, v.total]).toEqual(['word2vec-binary', 3000, 3000]);
    for (let i = 0; i < 3000; i++) {
      if (v.matrix[(i + 2) * dim] !== i || v.matrix[(i + 2) * dim + dim - 1] !== Math.fround(i + 99 / 128)) {
        throw new Error(`row of wörd${i} is wrong`);
      }
    }
  });

  it('binary and text copies of the same vectors give the same matrix', async () => {
    const t = await loadVectors(fixture('a.txt', textLines(true)), VOCAB);
    const b = await loadVectors(fixture('a.bin', w2vBinary(VECS, 3)), VOCAB);
    expect(b.matrix).toEqual(t.matrix);
  });

  it('an explicit format is checked against the file', async () => {
    const withHeader = fixture('h.txt', textLines(true));
    const glove = fixture('g.txt', textLines(false));
    const e1 = await vectorsError(loadVectors(withHeader, VOCAB, { format: 'glove' }));
    expect(e1.message).toBe(
      `${withHeader}: first line "6 3" is a word2vec/fastText header (count dim), but the format is glove; use word2vec, fasttext or auto`,
    );
    const e2 = await vectorsError(readVectorsDim(glove, 'word2vec'));
    expect(e2.message).toBe(`${glove}: expected a header line "count dim" for word2vec, found "the 0.5 -0.25 1"`);
    expect((await loadVectors(withHeader, VOCAB, { format: 'fasttext' })).format).toBe('fasttext');
  });

  it('reads Windows-1252 bytes in words (as in Stanford GloVe) without failing', async () => {
    const p = fixture(
      'cp.txt',
      Buffer.concat([Buffer.from('the 1 1\n'), Buffer.from([0x97, 0x20]), Buffer.from('2 2\n'), Buffer.from([0x92, 0x73, 0x20]), Buffer.from('3 3\n')]),
    );
    const v = await loadVectors(p, { words: ['<pad>', '<unk>', '\u2014', '\u2019s', 'the'] });
    expect(v.found).toBe(3);
    expect(row(v.matrix, 2, 2)).toEqual([2, 2]);
    expect(row(v.matrix, 3, 2)).toEqual([3, 3]);
  });
});

describe('errors', () => {
  it('dimension mismatch with the embedding', async () => {
    const p = fixture('d.txt', textLines(false));
    const e = await vectorsError(loadVectors(p, VOCAB, { expectedDim: 64 }));
    expect([e.location, e.code, e.message]).toEqual([{ file: p }, 'E4004', `${p} has 3-dimensional vectors, but the embedding has output_dim 64`]);
  });

  it('a ragged line, with its line number', async () => {
    const p = fixture('r.txt', 'the 1 2 3\ncat 1 2 3\ndog 1 2\nfox 1 2 3\n');
    const e = await vectorsError(loadVectors(p, VOCAB));
    expect([e.codeName, e.location?.line, e.message]).toEqual(['BadVectors', 3, `${p}:3: expected a word and 3 numbers, found 2 numbers after the word`]);
    const q = fixture('r2.txt', '3 2\nthe 1 2\ncat 1 2 3\n');
    const e2 = await vectorsError(loadVectors(q, VOCAB));
    expect([e2.location?.line, e2.message]).toEqual([3, `${q}:3: expected a word and 2 numbers, found 3 numbers after the word`]);
  });

  it('a word containing spaces (glove.840B) is not ragged', async () => {
    const p = fixture('s.txt', 'the 1 2\nat name@domain.com 3 4\n');
    const v = await loadVectors(p, { words: ['<pad>', '<unk>', 'at name@domain.com'] });
    expect(row(v.matrix, 2, 2)).toEqual([3, 4]);
  });

  it('a value that is not a number', async () => {
    const p = fixture('nan.txt', 'the 1 2\ncat 1 x\n');
    const e = await vectorsError(loadVectors(p, VOCAB));
    expect([e.codeName, e.message]).toEqual(['BadVectors', `${p}:2: "x" is not a number`]);
  });

  it('truncated files', async () => {
    const bin = w2vBinary(VECS, 3);
    const p = fixture('t.bin', bin.subarray(0, bin.length - 7));
    const e = await vectorsError(loadVectors(p, VOCAB));
    expect([e.codeName, e.message]).toEqual(['BadVectors', `${p}: header says 6 vectors, but the file ends inside entry 6 (truncated?)`]);
    const q = fixture('t.txt', textLines(true).split('\n').slice(0, 4).join('\n'));
    const e2 = await vectorsError(loadVectors(q, VOCAB));
    expect([e2.codeName, e2.message]).toEqual(['BadVectors', `${q}: header says 6 vectors, but the file ends after 3 (truncated?)`]);
  });

  it('missing, empty, compressed and non-vector files', async () => {
    const missing = join(dir, 'none.txt');
    const e = await vectorsError(readVectorsDim(missing));
    expect([e.location, e.code, e.message]).toEqual([{ file: missing }, 'E4001', `vectors file not found: ${missing}`]);
    const empty = fixture('e.txt', '');
    expect((await vectorsError(readVectorsDim(empty))).message).toBe(`${empty} is empty`);
    const gz = fixture('g.txt.gz', gzipSync(textLines(false)));
    expect((await vectorsError(readVectorsDim(gz))).message).toBe(`${gz} is gzip-compressed; decompress it first (gunzip)`);
    const prose = fixture('p.txt', 'hello world\n');
    expect((await vectorsError(readVectorsDim(prose))).message).toBe(
      `${prose}: first line is neither a "count dim" header nor "word v1 v2 …"; not a vectors file`,
    );
  });
});

describe('OOV policies', () => {
  const p = fixture('oov.txt', textLines(false));
  const load = (opts: LoadVectorsOptions) => loadVectors(p, VOCAB, opts);

  it('zeros (default): padding, unknown and missing rows are zero', async () => {
    const v = await load({});
    for (const id of [0, 1, 7, 8]) expect(row(v.matrix, id, 3)).toEqual([0, 0, 0]);
  });

  it('random: seeded uniform ±0.05, padding stays zero, found rows untouched', async () => {
    const a = await load({ oov: 'random', seed: 7 });
    const b = await load({ oov: 'random', seed: 7 });
    const c = await load({ oov: 'random', seed: 8 });
    expect(a.matrix).toEqual(b.matrix);
    expect(row(c.matrix, 7, 3)).not.toEqual(row(a.matrix, 7, 3));
    expect(row(a.matrix, 0, 3)).toEqual([0, 0, 0]);
    expectFoundRowsIntact(a.matrix);
    for (const id of [1, 7, 8]) {
      const r = row(a.matrix, id, 3);
      expect(r.every((x) => Math.abs(x) <= RANDOM_SCALE && x !== 0)).toBe(true);
    }
    expect(row(a.matrix, 7, 3)).not.toEqual(row(a.matrix, 8, 3));
  });

  it('mean: the average of the found vectors', async () => {
    const v = await load({ oov: 'mean' });
    const found = [2, 3, 4, 5, 6].map((id) => row(v.matrix, id, 3));
    const mean = [0, 1, 2].map((j) => found.reduce((s, r) => s + r[j]!, 0) / found.length);
    for (const id of [1, 7, 8]) row(v.matrix, id, 3).forEach((x, j) => expect(x).toBeCloseTo(mean[j]!, 6));
    expect(row(v.matrix, 0, 3)).toEqual([0, 0, 0]);
  });

  function expectFoundRowsIntact(m: Float32Array): void {
    expect(row(m, 2, 3)).toEqual([0.5, -0.25, 1]);
    expect(row(m, 6, 3)).toEqual([-1, -2, -3]);
  }
});

it('coverageMessage', () => {
  expect(coverageMessage(18734, 20000)).toBe('found 18,734 of 20,000 words (93.7%)');
  expect(coverageMessage(19999, 20000)).toBe('found 19,999 of 20,000 words (99.9%)');
  expect(coverageMessage(20000, 20000)).toBe('found 20,000 of 20,000 words (100.0%)');
  expect(coverageMessage(1, 1_000_000)).toBe('found 1 of 1,000,000 words (<0.1%)');
  expect(coverageMessage(0, 5)).toBe('found 0 of 5 words (0.0%)');
  expect(coverageMessage(0, 0)).toBe('found 0 of 0 words');
});

it('streams a 200,000-line file: memory stays far below the file size, only vocabulary rows are kept', async () => {
  const dim = 8;
  const lines = 200_000;
  const p = join(dir, 'big.txt');
  const fd = openSync(p, 'w');
  for (let start = 0; start < lines; start += 10_000) {
    let s = '';
    for (let i = start; i < start + 10_000; i++) {
      s += `w${i}`;
      for (let j = 0; j < dim; j++) s += ` ${((i * 31 + j * 7) % 1000) / 1000 - 0.5}`;
      s += '\n';
    }
    writeSync(fd, s);
  }
  closeSync(fd);
  const size = statSync(p).size;
  expect(size).toBeGreaterThan(15e6);

  const words = ['<pad>', '<unk>'];
  for (let i = 0; i < lines; i += 400) words.push(`w${i}`);
  words.push('not-there');
  const mem = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  // Real collections (after each chunk, too) so the numbers measure what is retained, not garbage.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const base = mem();
  let peak = 0;
  let lastProgress = 0;
  const v = await loadVectors(p, { words }, {
    onProgress: (read, total) => {
      expect(total).toBe(size);
      lastProgress = read;
      gc();
      peak = Math.max(peak, mem() - base);
    },
  });
  expect(lastProgress).toBe(size);
  expect(v.matrix).toHaveLength(words.length * dim);
  expect([v.found, v.total]).toEqual([500, 501]);
  const i = 123 * 400;
  expect(row(v.matrix, 2 + 123, dim)).toEqual(
    Array.from({ length: dim }, (_, j) => Math.fround(((i * 31 + j * 7) % 1000) / 1000 - 0.5)),
  );
  // Holding the file (or its lines as strings) would need well over `size` bytes.
  // One 1 MiB read buffer, a line, the maps and the matrix: a few MB at most, for a 24 MB file.
  expect(peak).toBeLessThan(4e6);
});


describe.skipIf(!hasSharedData)('real data', () => {
  const glove = sharedFile('glove-6B-50d-top2446', 'glove.6B.50d.top2446.txt');
  const w2v = sharedFile('word2vec-googlenews-300d-top1000', 'wordvecs1000.w2v.txt');

  it('GloVe 6B 50d (2,446 words): dim, `the` vector, the five Windows-1252 words', async () => {
    expect(await readVectorsHeader(glove)).toEqual({ format: 'glove', dim: 50 });
    const words = ['<pad>', '<unk>', 'the', ',', 'qaida', 'handed', '\u2013', '\u2019s', '\u2014', '\u201C', '\u201D', 'zzzz-not-a-word'];
    const v = await loadVectors(glove, { words }, { expectedDim: 50 });
    expect([v.found, v.total, v.foundIgnoringCase]).toEqual([9, 10, 0]);
    expect(v.missingExamples).toEqual(['zzzz-not-a-word']);
    expect(row(v.matrix, 2, 50).slice(0, 4)).toEqual([0.418, 0.24968, -0.41242, 0.1217].map(Math.fround));
    expect(v.matrix[2 * 50 + 49]).toBe(Math.fround(-0.78581));
    expect(v.matrix[5 * 50]).toBe(Math.fround(-0.4732)); // last line, no trailing newline
    expect(v.matrix[6 * 50]).toBe(Math.fround(-0.40021)); // line 218: byte 0x96
  });

  it('GloVe file: every one of its 2,446 words is found when asked for', async () => {
    const text = readFileSync(glove, 'latin1');
    const words = ['<pad>', '<unk>', ...new Set(text.split('\n').map((l) => l.slice(0, l.indexOf(' '))))];
    // Non-ASCII words are UTF-8 in the file; the latin1 read above garbles them, so ask only for ASCII ones.
    const ascii = words.filter((w) => [...w].every((c) => c.charCodeAt(0) < 0x80));
    const v = await loadVectors(glove, { words: ascii });
    expect(v.found).toBe(ascii.length - 2);
    expect(ascii.length).toBeGreaterThan(2400);
  });

  it('word2vec GoogleNews 300d (1,000 words): header, unit-norm vectors, binary copy identical', async () => {
    expect(await readVectorsHeader(w2v)).toEqual({ format: 'word2vec', dim: 300, count: 1000 });
    const lines = readFileSync(w2v, 'utf8').trimEnd().split('\n').slice(1);
    const entries = lines.map((l): [string, number[]] => {
      const f = l.trim().split(' ');
      return [f[0]!, f.slice(1).map(Number)];
    });
    const words = ['<pad>', '<unk>', ...entries.map(([w]) => w), 'zzzz'];
    const v = await loadVectors(w2v, { words }, { expectedDim: 300 });
    expect([v.found, v.total]).toEqual([1000, 1001]);
    const inRow = row(v.matrix, 2, 300);
    expect(words[2]).toBe('in');
    expect(Math.hypot(...inRow)).toBeCloseTo(1, 4);

    const bin = fixture('w2v1000.bin', w2vBinary(entries, 300));
    const b = await loadVectors(bin, { words });
    expect(b.format).toBe('word2vec-binary');
    expect(sameFloats(b.matrix, v.matrix)).toBe(true);
    const e = await vectorsError(loadVectors(w2v, { words }, { expectedDim: 50 }));
    expect(e.message).toBe(`${w2v} has 300-dimensional vectors, but the embedding has output_dim 50`);
  });
});
