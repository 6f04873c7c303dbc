import { diag, type CodeName } from '../../diagnostics/codes.js';
import type { Diagnostic, Fix, Span } from '../../diagnostics/types.js';

/** The lowering's diagnostics, in the order it finds them. */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];

  report(name: CodeName, span: Span, message: string, extra: Partial<Diagnostic> = {}): void {
    this.diagnostics.push(diag(name, span, message, extra));
  }
}

/** The did-you-mean fix: replace `span` with `to`. */
export function renameFix(span: Span, to: string): Fix {
  return { title: `replace with \`${to}\``, edits: [{ span, text: to }] };
}
