import { LineIndex } from '../src/diagnostics/positions.js';
import type { Diagnostic } from '../src/diagnostics/types.js';
import { checkText, type CheckOptions } from '../src/program.js';

/** A diagnostic as tests compare it: code and 1-based `line:col-line:col` range. */
export function located(text: string, d: Diagnostic): string {
  const idx = new LineIndex(text);
  const s = idx.position(d.span.start);
  const e = idx.position(d.span.end);
  return `${d.code} ${s.line}:${s.column}-${e.line}:${e.column}`;
}

export function diagnosticsOf(text: string, options: CheckOptions = {}): string[] {
  return checkText(text, { fileName: 'test.rnn', ...options }).diagnostics.map((d) => located(text, d));
}

export function programOf(text: string, options: CheckOptions = {}) {
  const r = checkText(text, { fileName: 'test.rnn', ...options });
  if (!r.program) throw new Error(`expected a valid program, got:\n${r.diagnostics.map((d) => `${located(text, d)} ${d.message}`).join('\n')}`);
  return { program: r.program, analysis: r.analysis!, diagnostics: r.diagnostics };
}
