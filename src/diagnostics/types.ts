/** A half-open range of UTF-16 offsets into one source text. */
export interface Span {
  start: number;
  end: number;
}

export type Severity = 'error' | 'warning' | 'info';

/** A secondary location that helps explain a diagnostic (rustc's "label"). */
export interface Label {
  span: Span;
  message: string;
}

/** A text replacement that repairs the problem; used by `--fix`-style tools and LSP code actions. */
export interface Fix {
  title: string;
  edits: { span: Span; text: string }[];
}

/**
 * Every problem rnnc reports is one of these: plain data, rendered only at the edges
 * (terminal text, `--format json`, LSP). Offsets, not lines, so that CRLF, LF and
 * UTF-16 columns are derived in one place (`positions.ts`).
 */
export interface Diagnostic {
  severity: Severity;
  code: string;
  message: string;
  span: Span;
  /** Short text shown under the caret. */
  label?: string;
  labels?: Label[];
  notes?: string[];
  help?: string;
  fixes?: Fix[];
}

export function isError(d: Diagnostic): boolean {
  return d.severity === 'error';
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some(isError);
}
