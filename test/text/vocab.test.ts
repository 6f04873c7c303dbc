import { describe, expect, it } from 'vitest';
import { readDataset } from '../../src/data/readers.js';
import {
  checkTokenPattern,
  DEFAULT_TOKEN_PATTERN,
  tokenize,
  Tokenizer,
} from '../../src/text/tokenizer.js';
import { RnncError } from '../../src/diagnostics/error.js';
import { OOV_ID, PAD_ID, Vocab, type VocabJSON } from '../../src/text/vocab.js';
import { hasSharedData, sharedFile } from '../support/real-data.js';

describe('tokenizer', () => {
  it('keeps inner apostrophes and hyphens, numbers with separators, and splits punctuation', () => {
    expect(tokenize("Don't re-imagine the 21st-century's 3.5 stars, 10,000 fans!")).toEqual([
      "don't", 're-imagine', 'the', "21st-century's", '3.5', 'stars', ',', '10,000', 'fans', '!',
    ]);
  });

  it('tokenizes PTB-style text consistently', () => {
    expect(tokenize("it 's a charming journey . ")).toEqual(['it', "'", 's', 'a', 'charming', 'journey', '.']);
    expect(tokenize("is n't -- a ... film (1999) — “smart” co-writer/director")).toEqual([
      'is', "n't", '-', '-', 'a', '.', '.', '.', 'film', '(', '1999', ')', '—', '“', 'smart', '”', 'co-writer', '/', 'director',
    ]);
  });

  it('NFC-normalizes, lower-cases by default, handles astral characters', () => {
    expect(tokenize('Cafe\u0301 ÉTÉ 😀!')).toEqual(['café', 'été', '😀', '!']);
    expect(tokenize('Cafe\u0301 ÉTÉ', { lowercase: false })).toEqual(['Café', 'ÉTÉ']);
  });

  it('takes a custom pattern (flags gu), and rejects an invalid one', () => {
    expect(tokenize("Don't stop, ok?", { tokenPattern: '\\S+' })).toEqual(["don't", 'stop,', 'ok?']);
    expect(tokenize('a1 b22', { tokenPattern: '\\p{L}*' })).toEqual(['a', 'b']);
    expect(checkTokenPattern(DEFAULT_TOKEN_PATTERN)).toBeUndefined();
    expect(checkTokenPattern('(')).toMatch(/^invalid regular expression: /);
    expect(() => new Tokenizer({ tokenPattern: '[a-' })).toThrow(RnncError);
  });
});

describe('Vocab', () => {
  const texts = ['the cat sat', 'the dog sat', 'a cat ran', 'the end'];

  it('gives ids by count, ties alphabetically, after padding 0 and unknown 1', () => {
    const v = Vocab.build(texts, { size: 100 });
    // the ×3; cat, sat ×2; a, dog, end, ran ×1
    expect(v.words).toEqual(['<pad>', '<unk>', 'the', 'cat', 'sat', 'a', 'dog', 'end', 'ran']);
    expect([PAD_ID, OOV_ID]).toEqual([0, 1]);
    expect(v.size).toBe(9);
    expect(v.stats).toEqual({ texts: 4, tokens: 11, distinctWords: 7, keptWords: 7, coveredTokens: 11 });
  });

  it('refuses to encode more than 2^28 token ids at once, before allocating (E4011)', () => {
    const v = Vocab.build(texts, { size: 100 });
    const many = Array.from({ length: 2685 }, () => 'the cat');
    const e = (() => {
      try {
        v.encodeBatch(many, 100_000);
      } catch (err) {
        return err as RnncError;
      }
      throw new Error('no error');
    })();
    expect([e.code, e.message]).toEqual(['E4011', '2,685 texts × maxlen 100,000 is 268,500,000 token ids, over the limit of 268,435,456 (1 GiB)']);
  });

  it('does not depend on the order of the texts', () => {
    const a = Vocab.build(texts, { size: 6 });
    const b = Vocab.build([...texts].reverse(), { size: 6 });
    expect(a.words).toEqual(['<pad>', '<unk>', 'the', 'cat', 'sat', 'a']);
    expect(b.words).toEqual(a.words);
  });

  it('caps at `size` ids and honours minCount', () => {
    const v = Vocab.build(texts, { size: 4 });
    expect(v.words).toEqual(['<pad>', '<unk>', 'the', 'cat']);
    expect(v.stats?.coveredTokens).toBe(5);
    expect(Vocab.build(texts, { size: 100, minCount: 2 }).words).toEqual(['<pad>', '<unk>', 'the', 'cat', 'sat']);
    expect(() => Vocab.build(texts, { size: 1 })).toThrow(RangeError);
  });

  it('encodes with end padding and keeps the beginning of long texts (default)', () => {
    const v = Vocab.build(texts, { size: 100 });
    expect([...v.encode('The cat flew', 5)]).toEqual([2, 3, 1, 0, 0]);
    expect([...v.encode('the cat sat a dog end ran', 3)]).toEqual([2, 3, 4]);
    expect([...v.encode('', 2)]).toEqual([0, 0]);
    expect(() => v.encode('x')).toThrow('encode needs a maxlen (none given and the vocabulary has none)');
  });

  it('supports Keras-style pre padding and pre truncation', () => {
    const v = Vocab.build(texts, { size: 100, padding: 'pre', truncating: 'pre', maxlen: 3 });
    expect([...v.encode('the cat')]).toEqual([0, 2, 3]);
    expect([...v.encode('the cat sat a')]).toEqual([3, 4, 5]);
  });

  it('encodes a batch row-major', () => {
    const v = Vocab.build(texts, { size: 100, maxlen: 3 });
    expect([...v.encodeBatch(['the cat', 'ran ran ran ran', 'zzz'])]).toEqual([2, 3, 0, 8, 8, 8, 1, 0, 0]);
    expect(v.decode(v.encode('the zebra sat'))).toEqual(['the', '<unk>', 'sat']);
  });

  it('reports coverage of other texts', () => {
    const v = Vocab.build(texts, { size: 5 }); // the, cat, sat
    expect(v.coverage(['the cat flew', 'the bird sat .'])).toEqual({
      tokens: 7,
      knownTokens: 4,
      types: 6,
      knownTypes: 3,
      tokenRate: 4 / 7,
      typeRate: 0.5,
    });
  });

  it('round-trips through vocab.json with tokenizer options, labels, maxlen and padding', () => {
    const v = Vocab.build(['Hello World', 'hello there'], {
      size: 10,
      tokenizer: { lowercase: false, tokenPattern: '\\S+' },
      labels: ['neg', 'pos'],
      maxlen: 4,
      padding: 'pre',
    });
    const json = JSON.parse(JSON.stringify(v)) as VocabJSON;
    expect(json).toEqual({
      format: 'rnnc-vocab',
      version: 1,
      tokenizer: { lowercase: false, tokenPattern: '\\S+' },
      padding: 'pre',
      truncating: 'post',
      maxlen: 4,
      labels: ['neg', 'pos'],
      words: ['<pad>', '<unk>', 'Hello', 'World', 'hello', 'there'],
    });
    const back = Vocab.fromJSON(json);
    expect(back.toJSON()).toEqual(json);
    expect([...back.encode('Hello there, World')]).toEqual([...v.encode('Hello there, World')]);
    expect([...back.encode('Hello there, World')]).toEqual([0, 2, 1, 3]);
  });

  it('rejects malformed vocab.json with a message naming the field', () => {
    const good = Vocab.build(texts, { size: 10 }).toJSON();
    expect(() => Vocab.fromJSON([])).toThrow('vocab.json must hold an object');
    expect(() => Vocab.fromJSON({ ...good, format: 'x' })).toThrow('vocab.json: "format" must be "rnnc-vocab"');
    expect(() => Vocab.fromJSON({ ...good, version: 2 })).toThrow('vocab.json: unsupported version 2 (expected 1)');
    expect(() => Vocab.fromJSON({ ...good, words: ['the'] })).toThrow(
      'vocab.json: a vocabulary must start with "<pad>" (id 0) and "<unk>" (id 1)',
    );
    expect(() => Vocab.fromJSON({ ...good, words: ['<pad>', '<unk>', 'a', 'a'] })).toThrow(
      'vocab.json: word "a" appears twice (ids 2 and 3)',
    );
    expect(() => Vocab.fromJSON({ ...good, padding: 'left' })).toThrow('vocab.json: "padding" must be "pre" or "post"');
    expect(() => Vocab.fromJSON({ ...good, tokenizer: { lowercase: true, tokenPattern: '(' } })).toThrow(
      /^vocab\.json: token_pattern "\(": invalid regular expression/,
    );
  });
});


describe.skipIf(!hasSharedData)('real data', () => {
  it('rt-polarity: a 10,000-id vocabulary is deterministic and covers most running text', async () => {
    const ds = await readDataset(sharedFile('rt-polarity', 'rt-polarity.tsv'));
    const texts = ds.examples.map((e) => e.text);
    const a = Vocab.build(texts, { size: 10_000 });
    const b = Vocab.build([...texts].reverse(), { size: 10_000 });
    expect(b.words).toEqual(a.words);
    expect(a.size).toBe(10_000);
    expect(a.words.slice(2, 8)).toEqual(['.', 'the', ',', 'a', 'and', 'of']);
    const cov = a.coverage(texts);
    expect(cov.tokenRate).toBeGreaterThan(0.95);
    expect(a.stats!.distinctWords).toBeGreaterThan(18_000);
  });
});
