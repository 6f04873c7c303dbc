import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver';
import { shapeText } from '../check/shapes.js';
import type { Span } from '../diagnostics/types.js';
import { formatCount } from '../util/numbers.js';
import type { Analyzed } from './document.js';
import { toRange } from './diagnostics.js';

function excerpt(text: string, span: Span): string {
  const s = text.slice(span.start, span.end).replace(/\s+/g, ' ');
  return s.length > 60 ? `${s.slice(0, 59)}…` : s;
}

/** The outline: each `let`, the model pipeline with its stages (and their shapes), the `train` block with its settings. */
export function documentSymbols(doc: Analyzed): DocumentSymbol[] {
  const ast = doc.result.ast;
  if (!ast) return [];
  const range = (s: Span) => toRange(doc.lines, s);
  const analysis = doc.result.analysis;
  const stageDetail = (span: Span): string | undefined => {
    const stage = doc.result.map?.stages.find((s) => s.span.start === span.start && s.span.end === span.end);
    const infos = stage?.layers.map((i) => analysis?.layers[i]).filter((l) => l !== undefined) ?? [];
    const last = infos[infos.length - 1];
    if (!last) return undefined;
    return `${shapeText(last.outputShape)} · ${formatCount(infos.reduce((n, l) => n + l.params, 0))} params`;
  };
  let model = 0;
  return ast.statements.map((s): DocumentSymbol => {
    switch (s.type) {
      case 'let':
        return { name: s.name.name, detail: excerpt(doc.text, s.value.span), kind: SymbolKind.Variable, range: range(s.span), selectionRange: range(s.name.span) };
      case 'train':
        return {
          name: 'train',
          kind: SymbolKind.Struct,
          range: range(s.span),
          selectionRange: range({ start: s.span.start, end: s.span.start + 5 }),
          children: s.entries.map((e) => ({ name: e.key.name, detail: excerpt(doc.text, e.value.span), kind: SymbolKind.Property, range: range(e.span), selectionRange: range(e.key.span) })),
        };
      case 'pipeline': {
        const first = model++ === 0;
        return {
          name: first ? 'model' : 'pipeline',
          detail: analysis && first ? `${formatCount(analysis.totalParams)} params` : undefined,
          kind: SymbolKind.Class,
          range: range(s.span),
          selectionRange: range(s.pipeline.stages[0]!.span),
          children: s.pipeline.stages.map((st) => ({
            name: excerpt(doc.text, st.span),
            detail: first ? stageDetail(st.span) : undefined,
            kind: st.expr.type === 'call' ? SymbolKind.Function : SymbolKind.Variable,
            range: range(st.span),
            selectionRange: range(st.span),
          })),
        };
      }
    }
  });
}
