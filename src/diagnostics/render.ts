import { LineIndex, type Position } from './positions.js';
import type { Diagnostic } from './types.js';

/** A diagnostic as `--format json` prints it: 1-based lines and columns, end exclusive. */
export interface JsonDiagnostic {
  file: string;
  severity: Diagnostic['severity'];
  code: string;
  message: string;
  range: { start: Position; end: Position };
  help?: string;
  notes?: string[];
}

export function toJson(file: string, index: LineIndex, d: Diagnostic): JsonDiagnostic {
  const out: JsonDiagnostic = {
    file,
    severity: d.severity,
    code: d.code,
    message: d.message,
    range: { start: index.position(d.span.start), end: index.position(d.span.end) },
  };
  if (d.help) out.help = d.help;
  if (d.notes?.length) out.notes = d.notes;
  return out;
}

/** `FILE:LINE:COL: error[CODE]: message` — the one-line form, as editors' problem matchers expect. */
export function renderShort(file: string, index: LineIndex, d: Diagnostic): string {
  const p = index.position(d.span.start);
  return `${file}:${p.line}:${p.column}: ${d.severity}[${d.code}]: ${d.message}`;
}

/** Keeps tabs so the caret lines up under tab-indented source. */
function padUnder(text: string): string {
  return text.replace(/[^\t]/g, ' ');
}

/** Source lines longer than this are shown as a window around the span, with `…` for the rest. */
const MAX_FRAME_CHARS = 160;

function frame(index: LineIndex, start: number, end: number, gutter: number, label: string | undefined): string[] {
  const line = index.lineOf(start);
  let text = index.lineText(line);
  let col = start - index.lineStarts[line]!;
  const lineEnd = index.lineEnd(line);
  let width = Math.max(1, Math.min(end, lineEnd) - start);
  if (text.length > MAX_FRAME_CHARS) {
    // A 130,000-character line must not be printed once per diagnostic.
    const from = Math.max(0, Math.min(col - 40, text.length - MAX_FRAME_CHARS));
    const to = Math.min(text.length, from + MAX_FRAME_CHARS);
    const lead = from > 0 ? '…' : '';
    text = `${lead}${text.slice(from, to)}${to < text.length ? '…' : ''}`;
    col = col - from + lead.length;
    width = Math.max(1, Math.min(width, to - (start - index.lineStarts[line]!)));
  }
  const num = String(line + 1).padStart(gutter);
  const blank = ' '.repeat(gutter);
  const caret = padUnder(text.slice(0, col)) + '^'.repeat(width) + (label ? ` ${label}` : '');
  return [`${num} | ${text}`, `${blank} | ${caret}`];
}

// Control characters (but tab) and U+FFFD (bytes that were not UTF-8): a line that is not text,
// which a terminal could misread as escape sequences, is not echoed.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NOT_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/;

// Whether each line is text, per index: many diagnostics on one long line (100 on a 2 MB
// one-line JSON file took 0.7 s) scan it once.
const textLines = new WeakMap<LineIndex, Map<number, boolean>>();

function lineIsText(index: LineIndex, line: number): boolean {
  let known = textLines.get(index);
  if (!known) textLines.set(index, (known = new Map<number, boolean>()));
  let ok = known.get(line);
  if (ok === undefined) known.set(line, (ok = !NOT_TEXT.test(index.lineText(line))));
  return ok;
}

/** The full rustc-style form: header, source line, caret, notes and help. */
export function renderText(file: string, index: LineIndex, d: Diagnostic): string {
  const lines = [renderShort(file, index, d)];
  const spans = [d.span, ...(d.labels ?? []).map((l) => l.span)];
  const gutter = Math.max(...spans.map((s) => String(index.lineOf(s.start) + 1).length));
  const showable = (start: number): boolean => lineIsText(index, index.lineOf(start));
  if ((index.text.length > 0 || d.span.end > 0) && showable(d.span.start)) {
    lines.push(...frame(index, d.span.start, d.span.end, gutter, d.label));
  }
  for (const l of d.labels ?? []) {
    if (showable(l.span.start)) lines.push(...frame(index, l.span.start, l.span.end, gutter, l.message));
  }
  const blank = ' '.repeat(gutter);
  for (const n of d.notes ?? []) lines.push(`${blank} = note: ${n}`);
  if (d.help) lines.push(`${blank} = help: ${d.help}`);
  return lines.join('\n');
}

/**
 * A diagnostic about a whole file or a run rather than a range of spec text (back-end problems):
 * `PREFIX: error[CODE]: message` (no prefix: `error[CODE]: message`), then its notes and help, as the full form prints them.
 */
export function renderFileLevel(prefix: string, d: Diagnostic): string {
  const lines = [`${prefix ? `${prefix}: ` : ''}${d.severity}[${d.code}]: ${d.message}`];
  for (const n of d.notes ?? []) lines.push(`  = note: ${n}`);
  if (d.help) lines.push(`  = help: ${d.help}`);
  return lines.join('\n');
}
