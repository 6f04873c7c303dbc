import { fail, type RnncError } from '../diagnostics/error.js';
import { appendAll } from '../util/arrays.js';
import { checkDataBytes, CsvSplitter, decodeCp1252, decodeText, LINE_TOO_LONG, LineSplitter, streamText, stripBomBytes, type TextSink } from './decode.js';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { extname, join } from 'node:path';

/** One labelled text. Labels are strings; binary data uses "0" (negative) and "1" (positive). */
export interface Example {
  text: string;
  label: string;
}

/** A row that could not be used, with where it is (1-based line; line 1 for one-example files). */
export interface DataProblem {
  file: string;
  line: number;
  message: string;
}

export type DatasetFormat = 'tsv' | 'csv' | 'pair' | 'aclimdb' | 'lines';

/**
 * A labelled dataset read from disk. `labels` are the distinct labels, sorted (numerically when
 * both are numbers). Every row that could not be used is in `problems`; none is dropped silently.
 */
export interface Dataset {
  examples: Example[];
  labels: string[];
  problems: DataProblem[];
  format: DatasetFormat;
  /** Things worth telling the user that are not problems, e.g. a file decoded as Windows-1252. */
  notes?: string[];
}

export interface ReadDatasetOptions {
  /** Header name of the label column (case-insensitive); default: the first of LABEL_COLUMNS present. */
  labelColumn?: string;
  /** Header name of the text column (case-insensitive); default: the first of TEXT_COLUMNS present. */
  textColumn?: string;
  /** Which aclImdb split to read when the path is the aclImdb root; ignored by other formats. */
  split?: 'train' | 'test';
}

export type DataErrorKind = 'missing' | 'format' | 'column' | 'empty' | 'io';

/**
 * A dataset that cannot be read at all (as opposed to a bad row, which is a `DataProblem`):
 * CannotRead (E4001) when the file is missing or unreadable, BadData (E4007) otherwise.
 */
export function dataError(message: string, kind: DataErrorKind, path: string): RnncError {
  return fail(kind === 'missing' || kind === 'io' ? 'CannotRead' : 'BadData', message, { file: path });
}

/** Header names tried, in order, for the label column. */
export const LABEL_COLUMNS: readonly string[] = ['label', 'sentiment', 'class', 'y', 'target'];
/** Header names tried, in order, for the text column. */
export const TEXT_COLUMNS: readonly string[] = ['text', 'sentence', 'review', 'content', 'x'];

/**
 * Label given to the lines of `X.pos` and `X.neg` and to aclImdb's `pos/` and `neg/` reviews.
 * "1"/"0" rather than "pos"/"neg" so the same corpus read as a pair or as the normalized
 * `label\ttext` TSV (rt-polarity.tsv) yields identical labels, and binary models see 1 = positive.
 */
export const POLARITY_LABELS = { pos: '1', neg: '0' } as const;

/** Extensions read as one `label<whitespace>text` example per line (e.g. SST's `stsa.binary.train`). */
const LINES_EXTENSIONS = new Set(['', '.txt', '.lines', '.train', '.dev', '.test', '.valid', '.val']);

/**
 * Reads a labelled dataset. The format comes from the path:
 * - `*.tsv`/`*.tab` (no quoting: GLUE-style TSVs contain bare `"`) and `*.csv` (RFC 4180), each with
 *   a header row naming the label and text columns;
 * - `X.pos` + `X.neg`, one example per line (path: either file, the stem `X`, or a directory holding
 *   exactly one of each); labels per `POLARITY_LABELS`, all `.pos` lines first, then `.neg`;
 * - the aclImdb layout (`<split>/pos/*.txt`, `<split>/neg/*.txt`; path: the root or a split dir;
 *   `unsup` ignored); `<br />` tags become spaces;
 * - otherwise (`.txt`, `.train`, `.dev`, `.test`, no extension) `label<space|tab>text` per line,
 *   with an optional fastText `__label__` prefix; such a file whose first line is a tab-separated
 *   header naming label and text columns is read as TSV.
 * Texts and labels are trimmed. Each file is decoded as UTF-8, or as Windows-1252 when it is not
 * valid UTF-8; a BOM is dropped; LF, CRLF and CR line ends are accepted.
 * Throws an RnncError (see `dataError`) when the data cannot be read at all.
 */
export async function readDataset(path: string, opts: ReadDatasetOptions = {}): Promise<Dataset> {
  const st = await statOrUndefined(path);
  if (!st) {
    const pos = `${path}.pos`;
    const neg = `${path}.neg`;
    if ((await statOrUndefined(pos))?.isFile() && (await statOrUndefined(neg))?.isFile()) {
      return readPair(pos, neg);
    }
    throw dataError(`data file not found: ${path}`, 'missing', path);
  }
  if (st.isDirectory()) return readDirectory(path, opts);

  const ext = extname(path).toLowerCase();
  if (ext === '.tsv' || ext === '.tab' || ext === '.csv') {
    const format = ext === '.csv' ? 'csv' : 'tsv';
    return finish(await readTable(path, format, opts), format);
  }
  if (ext === '.pos' || ext === '.neg') {
    const stem = path.slice(0, -ext.length);
    const other = ext === '.pos' ? `${stem}.neg` : `${stem}.pos`;
    if (!(await statOrUndefined(other))?.isFile()) {
      throw dataError(`${path} needs its partner ${other} (one example per line in each)`, 'missing', other);
    }
    return ext === '.pos' ? readPair(path, other) : readPair(other, path);
  }
  if (LINES_EXTENSIONS.has(ext)) {
    // A `.txt` that starts with a "label<TAB>text" header is a TSV under another name.
    if (await hasTsvHeader(path)) return finish(await readTable(path, 'tsv', opts), 'tsv');
    const ds = finish(await readLines(path), 'lines');
    if (ds.labels.length > 100 && ds.labels.length > ds.examples.length / 10) {
      throw dataError(
        `${path} does not look like "label text" lines: ${ds.labels.length} different first words in ` +
          `${ds.examples.length} lines (is it unlabelled text?)`,
        'format',
        path,
      );
    }
    return ds;
  }
  throw dataError(
    `cannot tell the data format of ${path} from its name: expected .tsv, .csv, a .pos/.neg pair, ` +
      `an aclImdb folder, or .txt with "label text" lines`,
    'format',
    path,
  );
}

/** Orders labels: numbers numerically (before non-numbers), the rest by code unit. */
export function compareLabels(a: string, b: string): number {
  const na = NUMERIC.test(a) ? Number(a) : NaN;
  const nb = NUMERIC.test(b) ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb || (a < b ? -1 : a > b ? 1 : 0);
  if (!Number.isNaN(na)) return -1;
  if (!Number.isNaN(nb)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

// ---------------------------------------------------------------------------------------------
// Formats

interface Parts {
  examples: Example[];
  problems: DataProblem[];
  notes: string[];
}

function finish(p: Parts, format: DatasetFormat): Dataset {
  const labels = [...new Set(p.examples.map((e) => e.label))].sort(compareLabels);
  const ds: Dataset = { examples: p.examples, labels, problems: p.problems, format };
  if (p.notes.length > 0) ds.notes = p.notes;
  return ds;
}

function cp1252Note(file: string): string {
  return `${file}: not valid UTF-8, decoded as Windows-1252`;
}

function findColumn(header: string[], wanted: string | undefined, defaults: readonly string[]): number {
  const lower = header.map((h) => h.trim().toLowerCase());
  if (wanted !== undefined) return lower.indexOf(wanted.trim().toLowerCase());
  for (const name of defaults) {
    const i = lower.indexOf(name);
    if (i >= 0) return i;
  }
  return -1;
}

async function readTable(file: string, format: 'tsv' | 'csv', opts: ReadDatasetOptions): Promise<Parts> {
  let result: Parts = { examples: [], problems: [], notes: [] };
  const makeSink = (): TextSink => {
    const p: Parts = { examples: [], problems: [], notes: [] };
    result = p;
    let header: string[] | undefined;
    let li = -1;
    let ti = -1;
    const onRecord = (fields: string[], line: number, problem: string | undefined): void => {
      if (!header && problem) throw dataError(`${file}: its first line is ${problem}, too long for a header`, 'column', file);
      if (!header) {
        header = fields.map((f) => f.trim());
        if (header.length === 1 && header[0] === '') {
          throw dataError(`${file}: the first line must be a header naming the label and text columns`, 'column', file);
        }
        li = findColumn(header, opts.labelColumn, LABEL_COLUMNS);
        ti = findColumn(header, opts.textColumn, TEXT_COLUMNS);
        const has = `header has: ${header.map((h) => JSON.stringify(h)).join(', ')}`;
        if (li < 0) {
          const want = opts.labelColumn !== undefined ? `"${opts.labelColumn}"` : `one of ${LABEL_COLUMNS.join(', ')}`;
          throw dataError(`${file}: no label column (looked for ${want}; ${has})`, 'column', file);
        }
        if (ti < 0) {
          const want = opts.textColumn !== undefined ? `"${opts.textColumn}"` : `one of ${TEXT_COLUMNS.join(', ')}`;
          throw dataError(`${file}: no text column (looked for ${want}; ${has})`, 'column', file);
        }
        if (li === ti) throw dataError(`${file}: label and text are the same column "${header[li]}"`, 'column', file);
        return;
      }
      const bad = (message: string): void => {
        p.problems.push({ file, line, message });
      };
      if (fields.length === 1 && fields[0]!.trim() === '') return bad('empty line');
      if (problem) return bad(problem);
      if (fields.length !== header.length) {
        const what = fields.length < header.length ? 'missing columns' : 'too many fields';
        const sep = format === 'tsv' ? 'tab' : 'comma';
        return bad(`${what}: expected ${header.length} ${sep}-separated fields, found ${fields.length}`);
      }
      const label = fields[li]!.trim();
      const text = fields[ti]!.trim();
      if (label === '') return bad('empty label');
      if (text === '') return bad('empty text');
      p.examples.push({ text, label });
    };
    const onEnd = (): void => {
      if (!header) throw dataError(`${file} is empty (expected a header row)`, 'empty', file);
    };
    if (format === 'tsv') {
      const splitter = new LineSplitter(
        (line, n) => onRecord(line.split('\t'), n, undefined),
        (n) => onRecord([], n, LINE_TOO_LONG),
      );
      return { write: (t) => splitter.write(t), end: () => (splitter.end(), onEnd()) };
    }
    const csv = new CsvSplitter(onRecord, (line) => {
      p.problems.push({
        file,
        line,
        message: 'unterminated quoted field: the quote opened here is never closed, so the rest of the file was not read',
      });
    });
    return { write: (t) => csv.write(t), end: () => (csv.end(), onEnd()) };
  };
  const encoding = await streamText(file, makeSink);
  if (encoding === 'windows-1252') result.notes.push(cp1252Note(file));
  return result;
}

async function readLines(file: string): Promise<Parts> {
  let result: Parts = { examples: [], problems: [], notes: [] };
  const encoding = await streamText(file, () => {
    const p: Parts = { examples: [], problems: [], notes: [] };
    result = p;
    return new LineSplitter(
      (raw, line) => {
        const m = /^\s*(?:__label__)?(\S+)(?:\s+([\s\S]*))?$/.exec(raw);
        if (!m) return void p.problems.push({ file, line, message: 'empty line' });
        const text = (m[2] ?? '').trim();
        if (text === '') return void p.problems.push({ file, line, message: 'empty text (expected "label text")' });
        p.examples.push({ label: m[1]!, text });
      },
      (line) => p.problems.push({ file, line, message: LINE_TOO_LONG }),
    );
  });
  if (encoding === 'windows-1252') result.notes.push(cp1252Note(file));
  return result;
}

async function readPair(posFile: string, negFile: string): Promise<Dataset> {
  const all: Parts = { examples: [], problems: [], notes: [] };
  for (const [file, label] of [
    [posFile, POLARITY_LABELS.pos],
    [negFile, POLARITY_LABELS.neg],
  ] as const) {
    let part: Parts = { examples: [], problems: [], notes: [] };
    const encoding = await streamText(file, () => {
      const p: Parts = { examples: [], problems: [], notes: [] };
      part = p;
      return new LineSplitter(
        (raw, line) => {
          const text = raw.trim();
          if (text === '') p.problems.push({ file, line, message: 'empty line' });
          else p.examples.push({ text, label });
        },
        (line) => p.problems.push({ file, line, message: LINE_TOO_LONG }),
      );
    });
    appendAll(all.examples, part.examples);
    appendAll(all.problems, part.problems);
    if (encoding === 'windows-1252') all.notes.push(cp1252Note(file));
  }
  return finish(all, 'pair');
}

async function readDirectory(dir: string, opts: ReadDatasetOptions): Promise<Dataset> {
  const isDir = async (p: string): Promise<boolean> => (await statOrUndefined(p))?.isDirectory() ?? false;
  const split = opts.split ?? 'train';
  if ((await isDir(join(dir, 'pos'))) && (await isDir(join(dir, 'neg')))) return readAclImdbSplit(dir);
  if ((await isDir(join(dir, split, 'pos'))) && (await isDir(join(dir, split, 'neg')))) {
    return readAclImdbSplit(join(dir, split));
  }
  const names = await readdir(dir);
  const pos = names.filter((n) => n.toLowerCase().endsWith('.pos'));
  const neg = names.filter((n) => n.toLowerCase().endsWith('.neg'));
  if (pos.length === 1 && neg.length === 1) return readPair(join(dir, pos[0]!), join(dir, neg[0]!));
  const other = ['train', 'test'].find((s) => s !== split);
  const hint = (await isDir(join(dir, other!, 'pos'))) ? ` (it has ${other}/ but no ${split}/)` : '';
  throw dataError(
    `${dir} is neither an aclImdb folder (${split}/pos, ${split}/neg)${hint} nor a folder with exactly one *.pos and ` +
      `one *.neg file (found ${pos.length} and ${neg.length})`,
    'format',
    dir,
  );
}

async function readAclImdbSplit(splitDir: string): Promise<Dataset> {
  const all: Parts = { examples: [], problems: [], notes: [] };
  let total = 0;
  for (const [sub, label] of [
    ['pos', POLARITY_LABELS.pos],
    ['neg', POLARITY_LABELS.neg],
  ] as const) {
    const folder = join(splitDir, sub);
    // Files are `<id>_<rating>.txt`; numeric id order makes the example order reproducible.
    const files = (await readdir(folder))
      .filter((n) => n.endsWith('.txt'))
      .sort((a, b) => parseInt(a, 10) - parseInt(b, 10) || (a < b ? -1 : a > b ? 1 : 0));
    const texts = await mapLimit(files, 32, async (name) => {
      const file = join(folder, name);
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (e) {
        throw dataError(`cannot read ${file}: ${(e as Error).message}`, 'io', file);
      }
      total += bytes.length;
      checkDataBytes(splitDir, total);
      const { text, encoding } = decodeText(bytes);
      return { file, encoding, text: text.replace(/<br\s*\/?>/gi, ' ').trim() };
    });
    for (const t of texts) {
      if (t.encoding === 'windows-1252') all.notes.push(cp1252Note(t.file));
      if (t.text === '') all.problems.push({ file: t.file, line: 1, message: 'empty text' });
      else all.examples.push({ text: t.text, label });
    }
  }
  return finish(all, 'aclimdb');
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function hasTsvHeader(file: string): Promise<boolean> {
  let first: string;
  try {
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(4096);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      first = decodeCp1252(stripBomBytes(buf.subarray(0, bytesRead))).split(/\r\n|\r|\n/)[0]!;
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw dataError(`cannot read ${file}: ${(e as Error).message}`, 'io', file);
  }
  const header = first.split('\t');
  return header.length >= 2 && findColumn(header, undefined, LABEL_COLUMNS) >= 0 && findColumn(header, undefined, TEXT_COLUMNS) >= 0;
}

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await stat(p);
  } catch {
    return undefined;
  }
}


/** Summarizes reader problems for messages: the first `limit` with file:line, then a count. */
export function problemLines(problems: readonly DataProblem[], limit = 10): string[] {
  const lines = problems.slice(0, limit).map((p) => `${p.file}:${p.line}: warning: ${p.message} (row skipped)`);
  if (problems.length > limit) lines.push(`… and ${problems.length - limit} more problem rows`);
  if (problems.length > 0) lines.push(`${problems.length} row${problems.length === 1 ? '' : 's'} could not be used`);
  return lines;
}
