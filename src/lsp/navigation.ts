import { ResponseError, ErrorCodes, type Location, type Range, type TextEdit, type WorkspaceEdit, type DocumentHighlight, DocumentHighlightKind } from 'vscode-languageserver';
import { BUILTINS } from '../language/builtins.js';
import type { Span } from '../diagnostics/types.js';
import type { Analyzed } from './document.js';
import { toRange } from './diagnostics.js';
import { occurrenceAt } from './occurrences.js';

/** A `let` name: where it is declared (a duplicate `let` counts too) and every use. */
interface BindingSymbol {
  name: string;
  declarations: Span[];
  uses: Span[];
}

/**
 * The binding under the cursor: its `let` names (a duplicate `let` counts too) and every name
 * the lowering resolved to it, whether or not the model reaches it.
 */
export function symbolAt(doc: Analyzed, offset: number): BindingSymbol | undefined {
  const list = doc.occurrences();
  const o = occurrenceAt(list, offset);
  if (!o || (o.kind !== 'letName' && o.kind !== 'name')) return undefined;
  // A word that reads no binding (a flag, an enum value, an unknown name) has nothing to find.
  if (o.kind === 'name' && !o.binding) return undefined;
  const name = o.kind === 'letName' ? o.statement.name.name : o.name;
  const declarations = list.filter((x) => x.kind === 'letName' && x.statement.name.name === name).map((x) => x.span);
  if (declarations.length === 0) return undefined;
  const uses = (doc.result.resolution?.names ?? [])
    .filter((n) => n.binding?.name === name)
    .map((n) => n.span)
    .sort((a, b) => a.start - b.start);
  return { name, declarations, uses };
}

export function definition(doc: Analyzed, offset: number): Location[] {
  const s = symbolAt(doc, offset);
  return s ? [{ uri: doc.uri, range: toRange(doc.lines, s.declarations[0]!) }] : [];
}

export function references(doc: Analyzed, offset: number, includeDeclaration: boolean): Location[] {
  const s = symbolAt(doc, offset);
  if (!s) return [];
  const spans = [...(includeDeclaration ? s.declarations : []), ...s.uses].sort((a, b) => a.start - b.start);
  return spans.map((span) => ({ uri: doc.uri, range: toRange(doc.lines, span) }));
}

export function highlights(doc: Analyzed, offset: number): DocumentHighlight[] {
  const s = symbolAt(doc, offset);
  if (!s) return [];
  return [
    ...s.declarations.map((span) => ({ range: toRange(doc.lines, span), kind: DocumentHighlightKind.Write })),
    ...s.uses.map((span) => ({ range: toRange(doc.lines, span), kind: DocumentHighlightKind.Read })),
  ];
}

export function prepareRename(doc: Analyzed, offset: number): { range: Range; placeholder: string } | null {
  const s = symbolAt(doc, offset);
  if (!s) return null;
  const o = occurrenceAt(doc.occurrences(), offset)!;
  return { range: toRange(doc.lines, o.span), placeholder: s.name };
}

const RESERVED = new Set(['let', 'train', 'true', 'false', ...BUILTINS.map((b) => b.name), ...BUILTINS.flatMap((b) => b.params.filter((p) => p.flag).map((p) => p.name))]);

/** Renames a binding everywhere; refuses names that are not identifiers or would change what another word means. */
export function rename(doc: Analyzed, offset: number, newName: string): WorkspaceEdit | ResponseError<void> | null {
  const s = symbolAt(doc, offset);
  if (!s) return null;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(newName) || /^x[0-9]+$/.test(newName)) {
    return new ResponseError(ErrorCodes.InvalidParams, `\`${newName}\` is not a valid name`);
  }
  if (newName === s.name) return { changes: { [doc.uri]: [] } };
  if (RESERVED.has(newName)) return new ResponseError(ErrorCodes.InvalidParams, `\`${newName}\` is a reserved word or built-in name`);
  const taken = doc.occurrences().some((o) => (o.kind === 'letName' && o.statement.name.name === newName) || (o.kind === 'name' && o.name === newName));
  if (taken) return new ResponseError(ErrorCodes.InvalidParams, `\`${newName}\` is already used in this file`);
  const edits: TextEdit[] = [...s.declarations, ...s.uses]
    .sort((a, b) => a.start - b.start)
    .map((span) => ({ range: toRange(doc.lines, span), newText: newName }));
  return { changes: { [doc.uri]: edits } };
}
