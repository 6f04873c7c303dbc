import { ResponseError, ErrorCodes, type Location, type Range, type TextEdit, type WorkspaceEdit, type DocumentHighlight, DocumentHighlightKind } from 'vscode-languageserver';
import { BUILTINS } from '../language/builtins.js';
import type { Span } from '../diagnostics/types.js';
import type { Analyzed } from './document.js';
import { toRange } from './diagnostics.js';
import { occurrenceAt, type Occurrence } from './occurrences.js';

/** A `let` name: where it is declared (a duplicate `let` counts too) and every use. */
interface BindingSymbol {
  name: string;
  declarations: Span[];
  uses: Span[];
}

/**
 * Is this bare word a use of the binding? The lowering reads a bare word naming a flag of the
 * call (`frozen`) as that flag even when bound, except `pretrained`, which names its source.
 */
function isUse(o: Extract<Occurrence, { kind: 'name' }>): boolean {
  const p = o.site.param;
  return !(p?.flag && p.name === o.name && o.name !== 'pretrained');
}

/**
 * The binding under the cursor. Uses are found in the syntax tree, not only in the lowering's
 * list, which records just the uses it evaluated (those reachable from the model).
 */
export function symbolAt(doc: Analyzed, offset: number): BindingSymbol | undefined {
  const list = doc.occurrences();
  const o = occurrenceAt(list, offset);
  if (!o || (o.kind !== 'letName' && o.kind !== 'name')) return undefined;
  const name = o.kind === 'letName' ? o.statement.name.name : o.name;
  const declarations = list.filter((x) => x.kind === 'letName' && x.statement.name.name === name).map((x) => x.span);
  if (declarations.length === 0) return undefined;
  if (o.kind === 'name' && !isUse(o)) return undefined;
  const seen = new Set<number>();
  const uses: Span[] = [];
  const add = (s: Span): void => {
    if (!seen.has(s.start)) {
      seen.add(s.start);
      uses.push(s);
    }
  };
  for (const x of list) if (x.kind === 'name' && x.name === name && isUse(x)) add(x.span);
  for (const s of doc.result.bindings.find((b) => b.name === name)?.uses ?? []) add(s);
  uses.sort((a, b) => a.start - b.start);
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
