import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RnncError } from '../../src/diagnostics/error.js';
import { compareLabels, readDataset, type Dataset } from '../../src/data/readers.js';
import { checkDataBytes, decodeCp1252 } from '../../src/data/decode.js';
import { hasSharedData, sharedFile } from '../support/real-data.js';
import { fixtureDir, rejection } from '../fixtures.js';

const { dir, fixture } = fixtureDir('readers');

function pairs(ds: Dataset): [string, string][] {
  return ds.examples.map((e) => [e.label, e.text]);
}

function dataError(p: Promise<unknown>): Promise<RnncError> {
  return rejection(p, RnncError);
}

describe('TSV', () => {
  it('reads label/text columns by name, trims, sorts labels', async () => {
    const p = fixture('a.tsv', 'label\ttext\n1\t a fine film \n0\tdull\n1\tfun\n');
    const ds = await readDataset(p);
    expect(ds).toEqual({
      format: 'tsv',
      examples: [
        { label: '1', text: 'a fine film' },
        { label: '0', text: 'dull' },
        { label: '1', text: 'fun' },
      ],
      labels: ['0', '1'],
      problems: [],
    });
  });

  it('finds GLUE-style columns in any order and case, and keeps bare quotes (TSV has no quoting)', async () => {
    const p = fixture('train.tsv', 'Sentence\tLabel\nthe " conan " film \t1\n"quoted" start\t0\n');
    const ds = await readDataset(p);
    expect(pairs(ds)).toEqual([
      ['1', 'the " conan " film'],
      ['0', '"quoted" start'],
    ]);
  });

  it('uses configured column names', async () => {
    const p = fixture('r.tsv', 'id\tstars\tbody\tlabel\n7\t5\tgreat\tpos\n8\t1\tbad\tneg\n');
    const ds = await readDataset(p, { labelColumn: 'stars', textColumn: 'BODY' });
    expect(pairs(ds)).toEqual([
      ['5', 'great'],
      ['1', 'bad'],
    ]);
    expect(ds.labels).toEqual(['1', '5']);
  });

  it('reports each malformed row with file and line, and keeps the good ones', async () => {
    const p = fixture(
      'bad.tsv',
      ['label\ttext', '1\tgood one', '0', '1\t   ', '\tno label', '0\tok\textra', '', '0\tlast good'].join('\n'),
    );
    const ds = await readDataset(p);
    expect(pairs(ds)).toEqual([
      ['1', 'good one'],
      ['0', 'last good'],
    ]);
    expect(ds.problems).toEqual([
      { file: p, line: 3, message: 'missing columns: expected 2 tab-separated fields, found 1' },
      { file: p, line: 4, message: 'empty text' },
      { file: p, line: 5, message: 'empty label' },
      { file: p, line: 6, message: 'too many fields: expected 2 tab-separated fields, found 3' },
      { file: p, line: 7, message: 'empty line' },
    ]);
  });

  it('accepts CRLF and a BOM, with line numbers unchanged', async () => {
    const p = fixture('crlf.tsv', '\uFEFFlabel\ttext\r\n1\tyes\r\n0\t\r\n0\tno\r\n');
    const ds = await readDataset(p);
    expect(pairs(ds)).toEqual([
      ['1', 'yes'],
      ['0', 'no'],
    ]);
    expect(ds.problems).toEqual([{ file: p, line: 3, message: 'empty text' }]);
  });

  it('accepts old-Mac CR line ends', async () => {
    const ds = await readDataset(fixture('cr.tsv', 'label\ttext\r1\ta\r0\tb'));
    expect(pairs(ds)).toEqual([
      ['1', 'a'],
      ['0', 'b'],
    ]);
  });

  it('decodes a file with invalid UTF-8 as Windows-1252 (0x80-0x9F as punctuation, not C1 controls)', async () => {
    const bytes = Buffer.concat([
      Buffer.from('label\ttext\n1\t'),
      Buffer.from([0x93, 0x61, 0x94, 0x20, 0x97, 0x20, 0x85, 0x20, 0x63, 0x61, 0x66, 0xe9, 0x20, 0x80, 0x39]),
      Buffer.from('\n'),
    ]);
    const p = fixture('cp.tsv', bytes);
    const ds = await readDataset(p);
    expect(pairs(ds)).toEqual([['1', '\u201Ca\u201D \u2014 \u2026 café €9']]);
    expect(ds.notes).toEqual([`${p}: not valid UTF-8, decoded as Windows-1252`]);
  });

  it('restarts as Windows-1252 when the bad byte is far into a big file, without duplicating rows', async () => {
    // Far past the 64 KiB read chunk, with CRLF and multi-byte UTF-8 across chunk boundaries before it.
    const rows = Array.from({ length: 4000 }, (_, i) => `${i % 3}\tcafé naïve — ü row ${i}`);
    const utf8 = Buffer.from(['label\ttext', ...rows].join('\r\n') + '\r\n', 'utf8');
    const p1 = fixture('big.tsv', utf8);
    const ds1 = await readDataset(p1);
    expect(ds1.examples).toHaveLength(4000);
    expect(ds1.examples[3999]).toEqual({ label: '0', text: 'café naïve — ü row 3999' });
    expect(ds1.problems).toEqual([]);
    expect(ds1.labels).toEqual(['0', '1', '2']);

    const latin = Buffer.from(['label\ttext', ...rows.map((r) => r.replace('—', '-'))].join('\r\n') + '\r\n1\tend\x97\r\n', 'latin1');
    const ds2 = await readDataset(fixture('big-cp.tsv', latin));
    expect(ds2.examples).toHaveLength(4001);
    expect(ds2.examples[0]).toEqual({ label: '0', text: 'café naïve - ü row 0' });
    expect(ds2.examples[4000]).toEqual({ label: '1', text: 'end\u2014' });
  });

  it('keeps UTF-8 files as UTF-8', async () => {
    const ds = await readDataset(fixture('u.tsv', 'label\ttext\n1\tcafé “quoted” — ok\n'));
    expect(pairs(ds)).toEqual([['1', 'café “quoted” — ok']]);
    expect(ds.notes).toBeUndefined();
  });
});

describe('CSV', () => {
  it('handles RFC 4180 quoting: commas, doubled quotes, line breaks; line numbers stay right', async () => {
    const csv = [
      'label,text',
      '1,"great, really great"',
      '0,"he said ""boring"" twice"',
      '1,"line one',
      'line two',
      'line three"',
      '0,plain text',
      '2,',
      '1,"crlf\r\ninside"',
      '0,"trailing" junk',
      '1,after',
    ].join('\n');
    const p = fixture('a.csv', csv);
    const ds = await readDataset(p);
    expect(ds.format).toBe('csv');
    expect(pairs(ds)).toEqual([
      ['1', 'great, really great'],
      ['0', 'he said "boring" twice'],
      ['1', 'line one\nline two\nline three'],
      ['0', 'plain text'],
      ['1', 'crlf\ninside'],
      ['1', 'after'],
    ]);
    expect(ds.problems).toEqual([
      { file: p, line: 8, message: 'empty text' },
      {
        file: p,
        line: 11,
        message: 'unexpected " " after a closing quote (quotes inside a quoted field must be doubled)',
      },
    ]);
    expect(ds.labels).toEqual(['0', '1']);
  });

  it('reports an unterminated quote at the line where it opens', async () => {
    const p = fixture('u.csv', 'text,label\r\n"ok",1\r\n"never closed,0\r\nmore,1\r\n');
    const ds = await readDataset(p);
    expect(pairs(ds)).toEqual([['1', 'ok']]);
    expect(ds.problems).toEqual([
      {
        file: p,
        line: 3,
        message: 'unterminated quoted field: the quote opened here is never closed, so the rest of the file was not read',
      },
    ]);
  });

  it('reports rows with missing columns; a quote inside an unquoted field is text', async () => {
    const p = fixture('m.csv', 'label,text,source\n1,ok,web\n0,short\n1,5" screen,shop');
    const ds = await readDataset(p);
    expect(pairs(ds)).toEqual([
      ['1', 'ok'],
      ['1', '5" screen'],
    ]);
    expect(ds.problems).toEqual([{ file: p, line: 3, message: 'missing columns: expected 3 comma-separated fields, found 2' }]);
  });
});

describe('pos/neg pair', () => {
  const pairDir = join(dir, 'pair');
  mkdirSync(pairDir);
  const stem = join(pairDir, 'rt');
  writeFileSync(`${stem}.pos`, 'a gem . \nmoving and funny \n');
  writeFileSync(`${stem}.neg`, 'a mess . \r\n\r\ntedious \r\n');
  const expected: [string, string][] = [
    ['1', 'a gem .'],
    ['1', 'moving and funny'],
    ['0', 'a mess .'],
    ['0', 'tedious'],
  ];

  it.each([
    ['the .pos file', `${stem}.pos`],
    ['the .neg file', `${stem}.neg`],
    ['the stem', stem],
    ['the folder', pairDir],
  ])('reads from %s: pos → "1" first, then neg → "0", blank lines reported', async (_, p) => {
    const ds = await readDataset(p);
    expect(ds.format).toBe('pair');
    expect(pairs(ds)).toEqual(expected);
    expect(ds.labels).toEqual(['0', '1']);
    expect(ds.problems).toEqual([{ file: `${stem}.neg`, line: 2, message: 'empty line' }]);
  });

  it('needs both files', async () => {
    const p = fixture('only.pos', 'x\n');
    const e = await dataError(readDataset(p));
    expect(e.code).toBe('E4001');
    expect(e.message).toBe(`${p} needs its partner ${p.slice(0, -4)}.neg (one example per line in each)`);
  });

  it('refuses a folder with two .pos files', async () => {
    const d = join(dir, 'two');
    mkdirSync(d);
    for (const f of ['a.pos', 'b.pos', 'a.neg']) writeFileSync(join(d, f), 'x\n');
    const e = await dataError(readDataset(d));
    expect(e.codeName).toBe('BadData');
    expect(e.message).toBe(
      `${d} is neither an aclImdb folder (train/pos, train/neg) nor a folder with exactly one *.pos and one *.neg file (found 2 and 1)`,
    );
  });
});

describe('aclImdb layout', () => {
  const root = join(dir, 'aclImdb');
  const files: Record<string, string | Buffer> = {
    'train/pos/2_9.txt': 'Loved it.<br /><br />Would watch again.',
    'train/pos/10_8.txt': 'Great cast.',
    'train/neg/0_2.txt': 'Awful.<br/>Just awful.',
    'train/neg/1_1.txt': '   ',
    'train/neg/3_4.txt': Buffer.from([0x4e, 0x6f, 0x74, 0x20, 0x67, 0x6f, 0x6f, 0x64, 0x85]), // "Not good…" in cp1252
    'train/unsup/0_0.txt': 'unlabelled',
    'test/pos/0_10.txt': 'Superb.',
    'test/neg/0_1.txt': 'Dreadful.',
    'README': 'not a review',
  };
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), content);
  }

  it('reads train from the root by default: pos then neg, numeric id order, <br /> removed, unsup ignored', async () => {
    const ds = await readDataset(root);
    expect(ds.format).toBe('aclimdb');
    expect(pairs(ds)).toEqual([
      ['1', 'Loved it.  Would watch again.'],
      ['1', 'Great cast.'],
      ['0', 'Awful. Just awful.'],
      ['0', 'Not good\u2026'],
    ]);
    expect(ds.problems).toEqual([{ file: join(root, 'train/neg/1_1.txt'), line: 1, message: 'empty text' }]);
    expect(ds.notes).toEqual([`${join(root, 'train/neg/3_4.txt')}: not valid UTF-8, decoded as Windows-1252`]);
  });

  it('reads the test split from the root, or a split folder directly', async () => {
    const expected = [
      ['1', 'Superb.'],
      ['0', 'Dreadful.'],
    ];
    expect(pairs(await readDataset(root, { split: 'test' }))).toEqual(expected);
    expect(pairs(await readDataset(join(root, 'test')))).toEqual(expected);
  });
});

describe('label-first lines', () => {
  it('reads "label text" and fastText "__label__x text" lines', async () => {
    const p = fixture('stsa.binary.train', '1 a stirring , funny film \n0\tflat\n__label__2 three stars\n1\n\n');
    const ds = await readDataset(p);
    expect(ds.format).toBe('lines');
    expect(pairs(ds)).toEqual([
      ['1', 'a stirring , funny film'],
      ['0', 'flat'],
      ['2', 'three stars'],
    ]);
    expect(ds.problems).toEqual([
      { file: p, line: 4, message: 'empty text (expected "label text")' },
      { file: p, line: 5, message: 'empty line' },
    ]);
  });
  it('reads a .txt with a label/text header as TSV', async () => {
    const ds = await readDataset(fixture('train.txt', 'text\tlabel\nfine film\t1\n'));
    expect(ds.format).toBe('tsv');
    expect(pairs(ds)).toEqual([['1', 'fine film']]);
  });

  it('refuses unlabelled text instead of inventing a class per first word', async () => {
    const words = Array.from({ length: 300 }, (_, i) => `word${i} and more text`);
    const p = fixture('reviews.txt', words.join('\n'));
    const e = await dataError(readDataset(p));
    expect([e.codeName, e.message]).toEqual([
      'BadData',
      `${p} does not look like "label text" lines: 300 different first words in 300 lines (is it unlabelled text?)`,
    ]);
  });
});

describe('lines longer than 1,000,000 characters (#8 case 9)', () => {
  // Each is skipped and reported by file and line, without quoting it or holding it in memory;
  // and a long line is read in one pass (a 50 MB line took 99 s when each chunk rescanned it).
  const huge = 'x'.repeat(1_000_001);

  it('a 50 MB file of one line: one problem, read at once', async () => {
    const file = fixture('oneline.txt', 'y'.repeat(50_000_000));
    const ds = await readDataset(file);
    expect(ds.examples).toEqual([]);
    expect(ds.problems).toEqual([{ file, line: 1, message: 'longer than 1,000,000 characters' }]);
  });

  it('TSV: the long row is skipped, the others are read', async () => {
    const file = fixture('long.tsv', `label\ttext\n1\tgood film\n0\t${huge}\n0\tbad film\r\n`);
    const ds = await readDataset(file);
    expect(ds.examples).toEqual([
      { label: '1', text: 'good film' },
      { label: '0', text: 'bad film' },
    ]);
    expect(ds.problems).toEqual([{ file, line: 3, message: 'longer than 1,000,000 characters' }]);
  });

  it('CSV: a long quoted record is skipped up to its closing quote, the next ones are read', async () => {
    const file = fixture('long.csv', `label,text\n0,"${huge}\nstill, inside"\n1,"good, film"\n`);
    const ds = await readDataset(file);
    expect(ds.examples).toEqual([{ label: '1', text: 'good, film' }]);
    expect(ds.problems).toEqual([{ file, line: 2, message: 'longer than 1,000,000 characters' }]);
  });

  it('label-first lines and pos/neg pairs', async () => {
    const lines = await readDataset(fixture('long.txt', `1 good\n0 ${huge}\n0 bad\n`));
    expect(lines.examples.map((e) => e.text)).toEqual(['good', 'bad']);
    expect(lines.problems.map((p) => `${p.line} ${p.message}`)).toEqual(['2 longer than 1,000,000 characters']);
  });

  it('a header line that long: the file cannot be read, and says why', async () => {
    const file = fixture('longheader.tsv', `${huge}\n1\tgood\n`);
    const e = await rejection(readDataset(file), RnncError);
    expect(e.message).toBe(`${file}: its first line is longer than 1,000,000 characters, too long for a header`);
  });
});

describe('data size limit (#8 limits)', () => {
  // The examples are held in memory, so more than 1 GiB of data is refused before reading
  // (a sparse file: the test writes no gigabyte).
  it('a 1 GiB + 1 byte file is refused with E4011 naming it, at once', async () => {
    const file = fixture('huge.tsv', 'label\ttext\n');
    truncateSync(file, 2 ** 30 + 1);
    const e = await dataError(readDataset(file));
    expect([e.code, e.location?.file, e.message]).toEqual(['E4011', file, `${file}: more than 1 GiB of data, the most rnnc reads for one run`]);
  });

  it('a file of exactly 1 GiB is within the limit (checked without reading it)', () => {
    expect(() => checkDataBytes('x', 2 ** 30)).not.toThrow();
    expect(() => checkDataBytes('x', 2 ** 30 + 1)).toThrow(RnncError);
  });
});

describe('multi-class labels', () => {
  it('sorts numeric labels numerically and others by code unit', async () => {
    const ds = await readDataset(fixture('m.tsv', 'label\ttext\n10\ta\n2\tb\n1\tc\n2\td\n-1\te\n'));
    expect(ds.labels).toEqual(['-1', '1', '2', '10']);
    const ds2 = await readDataset(fixture('m2.csv', 'class,text\nsports,a\nWorld,b\nbusiness,c\nsci/tech,d\n'));
    expect(ds2.labels).toEqual(['World', 'business', 'sci/tech', 'sports']);
  });

  it('orders mixed labels: numbers first', () => {
    expect(['b', '10', 'a', '9', '1.5'].sort(compareLabels)).toEqual(['1.5', '9', '10', 'a', 'b']);
  });
});

describe('errors', () => {
  it('missing file', async () => {
    const p = join(dir, 'nope.tsv');
    const e = await dataError(readDataset(p));
    expect([e.location, e.code, e.message]).toEqual([{ file: p }, 'E4001', `data file not found: ${p}`]);
  });

  it('unknown format', async () => {
    const p = fixture('data.json', '[]');
    const e = await dataError(readDataset(p));
    expect(e.code).toBe('E4007');
    expect(e.message).toBe(
      `cannot tell the data format of ${p} from its name: expected .tsv, .csv, a .pos/.neg pair, an aclImdb folder, or .txt with "label text" lines`,
    );
  });

  it('no label column, no text column, a configured column that is absent', async () => {
    const p = fixture('n.tsv', 'score\ttext\n1\tx\n');
    expect((await dataError(readDataset(p))).message).toBe(
      `${p}: no label column (looked for one of label, sentiment, class, y, target; header has: "score", "text")`,
    );
    const q = fixture('n2.tsv', 'label\tbody\n1\tx\n');
    expect((await dataError(readDataset(q))).message).toBe(
      `${q}: no text column (looked for one of text, sentence, review, content, x; header has: "label", "body")`,
    );
    expect((await dataError(readDataset(q, { labelColumn: 'stars' }))).message).toBe(
      `${q}: no label column (looked for "stars"; header has: "label", "body")`,
    );
  });

  it('empty file', async () => {
    const p = fixture('e.csv', '');
    const e = await dataError(readDataset(p));
    expect([e.codeName, e.message]).toEqual(['BadData', `${p} is empty (expected a header row)`]);
  });
});

it('decodeCp1252 maps 0x80-0x9F to Windows-1252 punctuation', () => {
  expect(decodeCp1252(Buffer.from([0x80, 0x85, 0x91, 0x92, 0x93, 0x94, 0x96, 0x97, 0x99, 0x81, 0xe9, 0x41]))).toBe(
    '€…‘’“”–—™\u0081éA',
  );
});

// Real datasets (../shared/data beside the repo): only registered when present.

describe.skipIf(!hasSharedData)('real data', () => {
  it('rt-polarity pair: 10,662 snippets, 5,331 per class, identical to rt-polarity.tsv', async () => {
    const ds = await readDataset(sharedFile('rt-polarity', 'rt-polarity.pos'));
    expect(ds.examples).toHaveLength(10662);
    expect(ds.examples.filter((e) => e.label === '1')).toHaveLength(5331);
    expect(ds.examples.filter((e) => e.label === '0')).toHaveLength(5331);
    expect(ds.problems).toEqual([]);
    const tsv = await readDataset(sharedFile('rt-polarity', 'rt-polarity.tsv'));
    expect(tsv.examples).toEqual(ds.examples);
  });

  it('rt-polarity original Windows-1252 pair decodes to the same texts as the UTF-8 pair', async () => {
    const latin = await readDataset(sharedFile('rt-polarity', 'original-latin1'));
    const utf8 = await readDataset(sharedFile('rt-polarity', 'rt-polarity'));
    expect(latin.notes).toHaveLength(2);
    expect(utf8.notes).toBeUndefined();
    expect(latin.examples).toEqual(utf8.examples);
    expect(latin.examples.some((e) => e.text.includes('\u2014'))).toBe(true);
    expect(latin.examples.some((e) => /[\x80-\x9f]/.test(e.text))).toBe(false);
  });

  it('sst2-glue train TSV: 67,349 rows (37,569 positive); the GLUE original with `text\\tlabel` gives the same pairs', async () => {
    const ds = await readDataset(sharedFile('sst2-glue', 'sst2-glue.train.tsv'));
    expect(ds.examples).toHaveLength(67349);
    expect(ds.examples.filter((e) => e.label === '1')).toHaveLength(37569);
    expect(ds.problems).toEqual([]);
    const orig = await readDataset(sharedFile('sst2-glue', 'train.tsv'));
    expect(orig.examples).toEqual(ds.examples);
  });

  it('sst2-sentence label-first file: 6,920 sentences (3,610 positive)', async () => {
    const ds = await readDataset(sharedFile('sst2-sentence', 'stsa.binary.train'));
    expect(ds.format).toBe('lines');
    expect(ds.examples).toHaveLength(6920);
    expect(ds.examples.filter((e) => e.label === '1')).toHaveLength(3610);
    const tsv = await readDataset(sharedFile('sst2-sentence', 'sst2-sentence.train.tsv'));
    expect(tsv.examples).toEqual(ds.examples);
  });

  it('files on disk are untouched text (sanity: the pair really is Windows-1252)', () => {
    const raw = readFileSync(sharedFile('rt-polarity', 'original-latin1', 'rt-polarity.neg'));
    expect(raw.includes(0x97)).toBe(true);
  });
});
