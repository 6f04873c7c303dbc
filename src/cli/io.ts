import { fail, reasonOf } from '../diagnostics/error.js';
import { readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../util/write-atomic.js';
import { diag } from '../diagnostics/codes.js';
import { LineIndex } from '../diagnostics/positions.js';
import { renderText, toJson, type JsonDiagnostic } from '../diagnostics/render.js';
import type { Diagnostic } from '../diagnostics/types.js';
import { MAX_SOURCE_CHARS } from '../syntax/parse.js';
import { formatCount } from '../util/numbers.js';
import { colorDiagnostics, colorEnabled } from './terminal.js';

/** Where the CLI writes; tests pass their own. */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Standard output is a terminal. */
  isTTY: boolean;
  /** Standard error is a terminal (progress bars are drawn there); default: `isTTY`. */
  errIsTTY?: boolean;
  /** Standard error's width in columns, when it is a terminal. */
  columns?: () => number | undefined;
  /** Whether each stream shows colour (NO_COLOR, FORCE_COLOR, a terminal); default: neither. */
  color?: { out: boolean; err: boolean };
  /** Standard input, for commands that read it. */
  stdin?: () => Promise<string>;
}

export const processIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: !!process.stdout.isTTY,
  errIsTTY: !!process.stderr.isTTY,
  columns: () => (process.stderr.isTTY ? process.stderr.columns : undefined),
  color: { out: colorEnabled(process.env, !!process.stdout.isTTY), err: colorEnabled(process.env, !!process.stderr.isTTY) },
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

export type Loaded = { ok: true; text: string } | { ok: false; diagnostic: Diagnostic };

/** Reads a spec as text. Missing files, folders and oversized files become diagnostics, not exceptions. */
export function loadSource(file: string): Loaded {
  const at = { start: 0, end: 0 };
  try {
    const st = statSync(file);
    if (st.isDirectory()) return { ok: false, diagnostic: diag('CannotRead', at, `cannot read ${file}: it is a directory`) };
    // Refuse before reading: a multi-gigabyte file must not be pulled into memory to be refused.
    if (st.size > MAX_SOURCE_CHARS * 4) {
      return { ok: false, diagnostic: diag('FileTooLarge', at, `file too large: ${formatCount(st.size)} bytes`) };
    }
    const text = readFileSync(file, 'utf8');
    return { ok: true, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    return { ok: false, diagnostic: diag('CannotRead', at, `cannot read ${file}: ${why}`) };
  }
}

/** Prints diagnostics for one file, as text (rustc style) or as JSON objects collected by the caller. */
export function printDiagnostics(io: Io, file: string, text: string, ds: readonly Diagnostic[], to: 'out' | 'err' = 'err'): void {
  const index = new LineIndex(text);
  const color = io.color?.[to] === true;
  for (const d of ds) {
    const text = renderText(file, index, d);
    io[to](`${color ? colorDiagnostics(text) : text}\n\n`);
  }
}

export function jsonDiagnostics(file: string, text: string, ds: readonly Diagnostic[]): JsonDiagnostic[] {
  const index = new LineIndex(text);
  return ds.map((d) => toJson(file, index, d));
}

export function countLine(ds: readonly Diagnostic[]): string {
  const e = ds.filter((d) => d.severity === 'error').length;
  const w = ds.filter((d) => d.severity === 'warning').length;
  const part = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  return `${part(e, 'error')}, ${part(w, 'warning')}`;
}

/**
 * Writes an output file the user named (`-o FILE`) atomically, or throws CannotWrite (E4002)
 * saying why it cannot: a folder given where a file is wanted, a parent that is a file, no
 * permission.
 */
export function writeOutputFile(path: string, text: string | Uint8Array, example: string): void {
  let isFolder = false;
  try {
    isFolder = statSync(path).isDirectory();
  } catch {
    // Not there yet: the usual case.
  }
  if (isFolder) throw fail('CannotWrite', `cannot write ${path}: it is a folder`, { file: path, help: `give a file name, e.g. ${example}` });
  try {
    writeFileAtomic(path, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOTDIR' ? 'a parent of it is a file' : code === 'EISDIR' ? 'it is a folder' : reasonOf(e);
    throw fail('CannotWrite', `cannot write ${path}: ${why}`, { file: path, cause: e });
  }
}
