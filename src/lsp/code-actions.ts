import { CodeActionKind, type CodeAction, type Diagnostic as LspDiagnostic, type Range } from 'vscode-languageserver';
import type { Analyzed } from './document.js';
import { toLspDiagnostic, toRange } from './diagnostics.js';

function overlaps(a: Range, b: Range): boolean {
  const before = (p: Range['start'], q: Range['start']): boolean => p.line < q.line || (p.line === q.line && p.character < q.character);
  return !before(a.end, b.start) && !before(b.end, a.start);
}

function sameRange(a: Range, b: Range): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

/** Repairs the front end leaves to the editor because they need no judgement. */
/**
 * Quick fixes for the diagnostics in `range`: each `Diagnostic.fixes` entry (did-you-mean
 * renames, removing an unused binding, …) becomes one action; a diagnostic's only fix is preferred.
 */
export function codeActions(doc: Analyzed, range: Range, sent: LspDiagnostic[], only: string[] | undefined): CodeAction[] {
  if (only && !only.some((k) => k === CodeActionKind.QuickFix || CodeActionKind.QuickFix.startsWith(`${k}.`) || k === CodeActionKind.Empty)) return [];
  const actions: CodeAction[] = [];
  for (const d of doc.result.diagnostics) {
    const fixes = d.fixes ?? [];
    if (fixes.length === 0) continue;
    const lsp = toLspDiagnostic(doc.uri, doc.lines, d);
    if (!overlaps(lsp.range, range)) continue;
    // Hand back the client's own diagnostic object when it has it, so it can link the two.
    const own = sent.find((s) => s.code === d.code && sameRange(s.range, lsp.range)) ?? lsp;
    for (const fix of fixes) {
      actions.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [own],
        isPreferred: fixes.length === 1,
        edit: { changes: { [doc.uri]: fix.edits.map((e) => ({ range: toRange(doc.lines, e.span), newText: e.text })) } },
      });
    }
  }
  return actions;
}
