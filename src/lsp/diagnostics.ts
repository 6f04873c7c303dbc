import { DiagnosticSeverity, DiagnosticTag, type Diagnostic as LspDiagnostic, type DiagnosticRelatedInformation, type Range } from 'vscode-languageserver';
import { Codes } from '../diagnostics/codes.js';
import type { LineIndex } from '../diagnostics/positions.js';
import type { Diagnostic, Span } from '../diagnostics/types.js';

export function toRange(lines: LineIndex, span: Span): Range {
  return { start: lines.lspPosition(span.start), end: lines.lspPosition(span.end) };
}

const SEVERITY = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
} as const;

/**
 * One rnnc diagnostic as LSP sends it: same code, message and range as `rnnc check`. Labels
 * become related information at their own places; help and notes are attached at the
 * diagnostic's own range, so clients that show related information show them too.
 */
export function toLspDiagnostic(uri: string, lines: LineIndex, d: Diagnostic): LspDiagnostic {
  const range = toRange(lines, d.span);
  const related: DiagnosticRelatedInformation[] = [];
  if (d.label) related.push({ location: { uri, range }, message: d.label });
  for (const l of d.labels ?? []) related.push({ location: { uri, range: toRange(lines, l.span) }, message: l.message });
  for (const n of d.notes ?? []) related.push({ location: { uri, range }, message: `note: ${n}` });
  if (d.help) related.push({ location: { uri, range }, message: `help: ${d.help}` });
  const out: LspDiagnostic = { range, severity: SEVERITY[d.severity], code: d.code, source: 'rnnc', message: d.message };
  if (related.length) out.relatedInformation = related;
  // Editors fade unused code instead of underlining it.
  if (d.code === Codes.UnusedBinding.code) out.tags = [DiagnosticTag.Unnecessary];
  return out;
}
