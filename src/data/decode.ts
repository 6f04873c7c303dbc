import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fail, reasonOf, RnncError } from '../diagnostics/error.js';
import { MAX_DATA_BYTES, MAX_DATA_LINE_CHARS } from '../limits.js';
import { formatCount } from '../util/numbers.js';

/**
 * Text from files of unknown encoding: UTF-8 when it is valid, else Windows-1252 (the encoding of
 * many older corpora), streamed; and the line and CSV-record splitters the data readers use.
 */

// Windows-1252 meanings of bytes 0x80-0x9F. The five bytes cp1252 leaves undefined keep their
// C1 code point, as the WHATWG encoding standard does. Node's TextDecoder('windows-1252') decodes
// these bytes as latin-1 C1 controls (0x97 -> U+0097), so we cannot rely on it.
const CP1252_HIGH =
  '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F' +
  '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

/** Decodes Windows-1252 bytes (a superset of latin-1 for printable characters). */
export function decodeCp1252(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('latin1')
    .replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
}

/** Decodes a whole buffer: UTF-8 if valid, else Windows-1252; a leading BOM is removed. */
export function decodeText(bytes: Uint8Array): { text: string; encoding: 'utf-8' | 'windows-1252' } {
  try {
    // TextDecoder drops a UTF-8 BOM by default (ignoreBOM: false).
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: decodeCp1252(stripBomBytes(bytes)), encoding: 'windows-1252' };
  }
}

export function stripBomBytes(bytes: Uint8Array): Uint8Array {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
}

// ---------------------------------------------------------------------------------------------
// Streaming decode: UTF-8 first; on the first invalid sequence start over as Windows-1252, so a
// file is decoded one way throughout and a big file is never held in memory.

export interface TextSink {
  write(text: string): void;
  end(): void;
}

export async function streamText(file: string, makeSink: () => TextSink): Promise<'utf-8' | 'windows-1252'> {
  // A regular file's size is known up front; a pipe's is counted as it streams (openStream).
  const size = await stat(file).then((s) => (s.isFile() ? s.size : 0), () => 0);
  checkDataBytes(file, size);
  try {
    const sink = makeSink();
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for await (const chunk of openStream(file)) sink.write(decoder.decode(chunk, { stream: true }));
    sink.write(decoder.decode());
    sink.end();
    return 'utf-8';
  } catch (e) {
    if (!(e instanceof TypeError && (e as NodeJS.ErrnoException).code === 'ERR_ENCODING_INVALID_ENCODED_DATA')) {
      throw e;
    }
  }
  const sink = makeSink();
  let first = true;
  for await (const chunk of openStream(file)) {
    sink.write(decodeCp1252(first ? stripBomBytes(chunk) : chunk));
    first = false;
  }
  sink.end();
  return 'windows-1252';
}

async function* openStream(file: string): AsyncGenerator<Buffer> {
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 16 })) {
      bytes += (chunk as Buffer).length;
      checkDataBytes(file, bytes);
      yield chunk as Buffer;
    }
  } catch (e) {
    if (e instanceof RnncError) throw e;
    throw fail('CannotRead', `cannot read ${file}: ${reasonOf(e)}`, { file });
  }
}

/** ResourceLimit (E4011) once `bytes` of data read for `file` pass MAX_DATA_BYTES. */
export function checkDataBytes(file: string, bytes: number): void {
  if (bytes <= MAX_DATA_BYTES) return;
  throw fail('ResourceLimit', `${file}: more than ${formatBytes(MAX_DATA_BYTES)} of data, the most rnnc reads for one run`, {
    file,
    help: 'train on a sample of it (for example the first lines: `head -n 1000000`)',
  });
}

const formatBytes = (n: number): string => `${n / 2 ** 30} GiB`;

/** The problem reported for a line or record over MAX_DATA_LINE_CHARS; the line is not quoted. */
export const LINE_TOO_LONG = `longer than ${formatCount(MAX_DATA_LINE_CHARS)} characters`;

/**
 * Splits decoded text into lines (LF, CRLF or CR), numbering them from 1. Each chunk is scanned
 * once (a line split over many chunks is not rescanned: a 50 MB line took 99 s), and a line
 * over MAX_DATA_LINE_CHARS is dropped as it grows and reported to `onTooLong`.
 */
export class LineSplitter implements TextSink {
  private parts: string[] = [];
  private length = 0;
  private tooLong = false;
  private lineNo = 0;
  /** The last chunk ended in CR: a LF starting the next one is the rest of a CRLF. */
  private afterCr = false;

  constructor(
    private readonly onLine: (line: string, lineNo: number) => void,
    private readonly onTooLong: (lineNo: number) => void,
  ) {}

  write(chunk: string): void {
    let s = chunk;
    if (this.afterCr && s.startsWith('\n')) s = s.slice(1);
    this.afterCr = false;
    const re = /\r\n|\r|\n/g;
    let pos = 0;
    for (let m = re.exec(s); m; m = re.exec(s)) {
      this.append(s.slice(pos, m.index));
      this.endLine();
      pos = m.index + m[0].length;
      if (m[0] === '\r' && pos === s.length) this.afterCr = true;
    }
    this.append(s.slice(pos));
  }

  end(): void {
    if (this.length > 0 || this.tooLong) this.endLine();
  }

  private append(piece: string): void {
    if (this.tooLong || piece === '') return;
    this.length += piece.length;
    if (this.length > MAX_DATA_LINE_CHARS) {
      this.tooLong = true;
      this.parts = [];
    } else this.parts.push(piece);
  }

  private endLine(): void {
    this.lineNo++;
    if (this.tooLong) this.onTooLong(this.lineNo);
    else this.onLine(this.parts.join(''), this.lineNo);
    this.parts = [];
    this.length = 0;
    this.tooLong = false;
  }
}

/**
 * RFC 4180 CSV: `"` opens a quoted field only at the start of a field; `""` inside it is a quote;
 * quoted fields may hold commas and line breaks (CRLF inside becomes LF). A bare `"` inside an
 * unquoted field is kept as text, as Python's csv module and spreadsheets do.
 */
export class CsvSplitter implements TextSink {
  private line = 1;
  private recordLine = 1;
  private quoteLine = 1;
  private fields: string[] = [];
  private field = '';
  private state: 'start' | 'unquoted' | 'quoted' | 'quote' = 'start';
  private pendingCr = false;
  private problem: string | undefined;
  /** Characters of the current record; past MAX_DATA_LINE_CHARS they are dropped, not kept. */
  private size = 0;

  constructor(
    private readonly onRecord: (fields: string[], line: number, problem: string | undefined) => void,
    private readonly onUnterminated: (line: number) => void,
  ) {}

  write(s: string): void {
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (c === '\n' && this.pendingCr) {
        this.pendingCr = false;
        continue;
      }
      this.pendingCr = c === '\r';
      const newline = c === '\n' || c === '\r';
      this.size++;
      switch (this.state) {
        case 'quoted':
          if (c === '"') this.state = 'quote';
          else this.field += newline ? '\n' : c;
          break;
        case 'quote':
          if (c === '"') {
            this.field += '"';
            this.state = 'quoted';
          } else if (c === ',') this.endField();
          else if (newline) this.endRecord();
          else {
            this.problem ??= `unexpected ${JSON.stringify(c)} after a closing quote (quotes inside a quoted field must be doubled)`;
            this.field += c;
            this.state = 'unquoted';
          }
          break;
        case 'start':
          if (c === '"') {
            this.state = 'quoted';
            this.quoteLine = this.line;
          } else if (c === ',') this.endField();
          else if (newline) this.endRecord();
          else {
            this.field = c;
            this.state = 'unquoted';
          }
          break;
        case 'unquoted':
          if (c === ',') this.endField();
          else if (newline) this.endRecord();
          else this.field += c;
          break;
      }
      if (newline) {
        this.line++;
        if (this.state === 'start' && this.fields.length === 0) this.recordLine = this.line;
      } else if (this.size > MAX_DATA_LINE_CHARS) {
        // Keep following the quotes to find the record's end, but hold none of its text.
        this.problem = LINE_TOO_LONG;
        this.field = '';
      }
    }
  }

  end(): void {
    if (this.state === 'quoted') {
      this.onUnterminated(this.quoteLine);
    } else if (this.state !== 'start' || this.fields.length > 0) {
      this.endRecord();
    }
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.state = 'start';
  }

  private endRecord(): void {
    this.endField();
    this.onRecord(this.fields, this.recordLine, this.problem);
    this.fields = [];
    this.problem = undefined;
    this.size = 0;
  }
}

