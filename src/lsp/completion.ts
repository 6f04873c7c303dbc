import type { IToken } from 'chevrotain';
import { CompletionItemKind, InsertTextFormat, type CompletionItem, type Range } from 'vscode-languageserver';
import { BUILTIN_BY_NAME, BUILTINS, CELL_NAMES, TRAIN_SETTINGS, type BuiltinSpec, type ParamSpec } from '../language/builtins.js';
import { MAX_NESTING } from '../limits.js';
import { matchArgs, settingNamed, type ArgShape } from '../syntax/lower.js';
import { sharedParser } from '../syntax/parser.js';
import type { Analyzed } from './document.js';
import { toRange } from './diagnostics.js';

/** Longer statement prefixes skip the parser's content assist (it replays the prefix) and use the token context alone. */
const MAX_ASSIST_TOKENS = 2000;

type Where =
  | { at: 'statement' }
  | { at: 'value'; param?: ParamSpec; allowLets: boolean; sources: boolean }
  | { at: 'argStart'; call: CallContext }
  | { at: 'trainKey'; given: Set<string> }
  | { at: 'trainValue'; setting: ParamSpec | undefined }
  | { at: 'nothing' };

interface CallContext {
  spec: BuiltinSpec;
  /** Parameters the arguments before the cursor already give. */
  given: Set<string>;
  /** The parameter a positional argument at the cursor would give. */
  next: ParamSpec | undefined;
}

const name = (t: IToken | undefined): string => t?.tokenType.name ?? '';
const tokenEnd = (t: IToken): number => (t.endOffset ?? t.startOffset) + 1;
const WORDS = new Set(['Identifier', 'Let', 'Train', 'Repeat']);
const STAGE_END = new Set(['Identifier', 'NumberLiteral', 'StringLiteral', 'UnterminatedString', 'RParen', 'RBrace', 'Repeat']);
const OPEN = new Set(['LParen', 'LBrace']);
const CLOSE = new Set(['RParen', 'RBrace']);

/**
 * Where statements start among `tokens` (all before the cursor): the language has no
 * separators, so a statement starts at `let`/`train`, or at a value that follows a complete
 * stage outside any bracket (`… lstm(8)` then `embed(…)` on the next line).
 */
function statementStart(tokens: IToken[]): { start: number; fresh: boolean } {
  let depth = 0;
  let start = 0;
  let prevIsLetName = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const prev = tokens[i - 1];
    const type = name(t);
    if (depth === 0) {
      if (type === 'Let' || type === 'Train') start = i;
      else if (prev && STAGE_END.has(name(prev)) && !prevIsLetName && startsValue(t, prev)) start = i;
    }
    if (OPEN.has(type)) depth++;
    else if (CLOSE.has(type)) depth = Math.max(0, depth - 1);
    prevIsLetName = name(prev) === 'Let' && type === 'Identifier';
  }
  const last = tokens[tokens.length - 1];
  // At the top level right after a complete stage, what is typed next starts a new statement.
  const fresh = !last || (depth === 0 && STAGE_END.has(name(last)) && !prevIsLetName);
  return { start: fresh ? tokens.length : start, fresh };
}

function startsValue(t: IToken, prev: IToken): boolean {
  const type = name(t);
  if (type === 'LParen') return name(prev) !== 'Identifier';
  return type === 'Identifier' || type === 'NumberLiteral' || type === 'StringLiteral' || type === 'UnterminatedString';
}

/** How deeply the brackets of `tokens` nest. */
function nesting(tokens: IToken[]): number {
  let depth = 0;
  let max = 0;
  for (const t of tokens) {
    const type = name(t);
    if (OPEN.has(type)) max = Math.max(max, ++depth);
    else if (CLOSE.has(type)) depth = Math.max(0, depth - 1);
  }
  return max;
}

/**
 * Rules the parser could be in when the next token is a word, from Chevrotain's content assist.
 * Its time grows with the square of the prefix's nesting (1,000 `(` took a second), so a prefix
 * nested deeper than the parser accepts (MAX_NESTING) uses the token context alone.
 */
function assistRules(prefix: IToken[]): { rules: string[][]; keywords: boolean } | undefined {
  if (prefix.length > MAX_ASSIST_TOKENS || nesting(prefix) > MAX_NESTING) return undefined;
  try {
    const paths = sharedParser().computeContentAssist('statement', prefix);
    if (paths.length === 0) return undefined;
    return {
      rules: paths.filter((p) => p.nextTokenType.name === 'Identifier').map((p) => p.ruleStack),
      keywords: paths.some((p) => p.nextTokenType.name === 'Let' || p.nextTokenType.name === 'Train'),
    };
  } catch {
    // The prefix does not parse: fall back to the token context.
    return undefined;
  }
}

/** Where the cursor is, from the tokens before it; content assist says which kinds of word the grammar allows there. */
function locate(prefix: IToken[], fresh: boolean): Where {
  if (fresh) return { at: 'statement' };
  const assist = assistRules(prefix);
  if (assist && assist.rules.length === 0) return assist.keywords ? { at: 'statement' } : { at: 'nothing' };
  // The rule that would consume a word here: `arg` (an argument name), `trainEntry` (a setting), `callOrName` (a value).
  const allowed = (rule: string): boolean => !assist || assist.rules.some((r) => r[r.length - 1] === rule);
  const last = prefix[prefix.length - 1];
  const before = prefix[prefix.length - 2];
  if (name(last) === 'Let') return { at: 'nothing' };

  // The innermost bracket still open before the cursor.
  let depth = 0;
  let open = -1;
  for (let i = prefix.length - 1; i >= 0; i--) {
    const type = name(prefix[i]);
    if (CLOSE.has(type)) depth++;
    else if (OPEN.has(type)) {
      if (depth === 0) {
        open = i;
        break;
      }
      depth--;
    }
  }
  const opener = prefix[open];
  const afterOperator = name(last) === 'Pipe' || name(last) === 'Equals' || name(last) === 'LParen';

  if (opener && name(opener) === 'LBrace') {
    if (name(last) === 'Colon' && name(before) === 'Identifier') {
      return { at: 'trainValue', setting: settingNamed(before!.image) };
    }
    if (name(last) === 'Pipe') return { at: 'value', allowLets: true, sources: false };
    if (name(last) === 'LBrace' || name(last) === 'Comma' || STAGE_END.has(name(last))) {
      const given = new Set<string>();
      for (let i = open + 1; i < prefix.length - 1; i++) if (name(prefix[i]) === 'Identifier' && name(prefix[i + 1]) === 'Colon') given.add(prefix[i]!.image);
      return allowed('trainEntry') ? { at: 'trainKey', given } : { at: 'nothing' };
    }
    return { at: 'nothing' };
  }

  if (opener && name(opener) === 'LParen' && name(prefix[open - 1]) === 'Identifier') {
    const spec = BUILTIN_BY_NAME.get(prefix[open - 1]!.image);
    // The arguments so far, split at commas outside nested brackets.
    const segments: IToken[][] = [[]];
    let d = 0;
    for (let i = open + 1; i < prefix.length; i++) {
      const t = prefix[i]!;
      if (OPEN.has(name(t))) d++;
      else if (CLOSE.has(name(t))) d--;
      if (d === 0 && name(t) === 'Comma') segments.push([]);
      else segments[segments.length - 1]!.push(t);
    }
    const current = segments[segments.length - 1]!;
    if (!spec) return current.length === 0 || afterOperator ? { at: 'value', allowLets: true, sources: false } : { at: 'nothing' };
    // The arguments before the cursor, matched as the lowering matches them.
    const { matches, next } = matchArgs(spec, segments.slice(0, -1).filter((seg) => seg.length > 0).map(shapeOf));
    const call: CallContext = { spec, given: new Set(matches.flatMap((m) => (m.param ? [m.param.name] : []))), next };
    if (current.length === 0) return allowed('arg') ? { at: 'argStart', call } : { at: 'nothing' };
    if (current.length === 2 && name(current[0]) === 'Identifier' && name(current[1]) === 'Colon') {
      const param = matchArgs(spec, [{ key: current[0]!.image, word: undefined }]).matches[0]!.param;
      return { at: 'value', param, allowLets: !param || !['enum', 'bool', 'flag'].includes(param.type), sources: param?.type === 'source' };
    }
    if (name(last) === 'Pipe' || name(last) === 'LParen') return { at: 'value', allowLets: true, sources: false };
    return { at: 'nothing' };
  }

  if (afterOperator) return { at: 'value', allowLets: true, sources: name(last) === 'Equals' };
  return { at: 'nothing' };
}

/** An argument's tokens as argument matching sees them: `key:` first, or one bare word. */
function shapeOf(seg: IToken[]): ArgShape {
  const key = name(seg[0]) === 'Identifier' && name(seg[1]) === 'Colon' ? seg[0]!.image : undefined;
  return { key, word: key === undefined && seg.length === 1 && name(seg[0]) === 'Identifier' ? seg[0]!.image : undefined };
}

function item(label: string, kind: CompletionItemKind, range: Range, sort: string, extra: Partial<CompletionItem> = {}): CompletionItem {
  const insert = extra.insertText ?? label;
  const { insertText: _ignored, ...rest } = extra;
  return { label, kind, sortText: `${sort}${label}`, textEdit: { range, newText: insert }, ...rest };
}

function layerItem(spec: BuiltinSpec, range: Range, sort: string, snippets: boolean): CompletionItem {
  const args = spec.params.filter((p) => p.positional).map((p) => p.name);
  return item(spec.name, CompletionItemKind.Function, range, sort, {
    detail: `${spec.name}(${args.join(', ')})`,
    documentation: { kind: 'markdown', value: `${spec.summary}${spec.formula ? `\n\nParameters: \`${spec.formula}\`` : ''}` },
    // With snippets the cursor lands between the parentheses.
    ...(snippets ? { insertText: `${spec.name}($1)$0`, insertTextFormat: InsertTextFormat.Snippet } : {}),
  });
}

function valueItems(param: ParamSpec, range: Range): CompletionItem[] {
  switch (param.type) {
    case 'enum':
      return (param.values ?? []).map((v) => item(v, CompletionItemKind.EnumMember, range, '0', { detail: `${param.name}` }));
    case 'bool':
      return ['true', 'false'].map((v) => item(v, CompletionItemKind.Value, range, '0', { detail: param.name }));
    default:
      return [];
  }
}

/**
 * Completion at `offset`: statement keywords, layer names, argument names of the call under
 * the cursor (and its flags), enum and boolean values, train settings, and `let` names. Works
 * in half-typed text: the parser's content assist replays the statement before the cursor, and
 * a bracket-aware scan of the tokens finds the call and argument when that statement is broken.
 */
export function completions(doc: Analyzed, offset: number, snippets: boolean): CompletionItem[] {
  const tokens = doc.tokens();
  let word: IToken | undefined;
  const before: IToken[] = [];
  for (const t of tokens) {
    if (t.startOffset >= offset) break;
    const type = name(t);
    const end = tokenEnd(t);
    if (offset <= end) {
      // The cursor is inside or at the end of this token: no completion in comments and strings
      // (just after a string's closing quote is outside it).
      if (type === 'Comment' || type === 'UnterminatedString' || (type === 'StringLiteral' && offset < end)) return [];
      if (WORDS.has(type)) {
        word = t;
        break;
      }
    }
    if (type !== 'Comment') before.push(t);
  }
  const touching = before[before.length - 1];
  // Right against the end of a value (`3|`, `)|`) a word cannot sensibly start.
  if (!word && touching && tokenEnd(touching) === offset && STAGE_END.has(name(touching))) return [];
  const range = toRange(doc.lines, word ? { start: word.startOffset, end: tokenEnd(word) } : { start: offset, end: offset });
  const nextChar = doc.text.charAt(word ? tokenEnd(word) : offset);
  const useSnippets = snippets && nextChar !== '(';

  const { start, fresh } = statementStart(before);
  const statement = before.slice(start);
  const where = locate(statement, fresh);
  // The binding being written cannot refer to itself.
  const defining = name(statement[0]) === 'Let' && name(statement[1]) === 'Identifier' ? statement[1]!.image : undefined;
  const lets = doc.result.ast?.statements.flatMap((s) => (s.type === 'let' && s.name.name !== defining ? [s.name.name] : [])) ?? [];
  const letItems = (sort: string): CompletionItem[] =>
    [...new Set(lets)].map((l) => {
      const b = doc.result.bindings.find((x) => x.name === l);
      return item(l, CompletionItemKind.Variable, range, sort, { detail: b ? doc.text.slice(b.statement.start, b.statement.end).slice(0, 80) : 'let' });
    });
  const layers = (sort: string, which: (b: BuiltinSpec) => boolean = (b) => b.makes === 'layer'): CompletionItem[] =>
    BUILTINS.filter(which).map((b) => layerItem(b, range, sort, useSnippets));

  switch (where.at) {
    case 'nothing':
      return [];
    case 'statement':
      return [
        item('let', CompletionItemKind.Keyword, range, '2', { detail: 'let NAME = pipeline', insertText: 'let ' }),
        item('train', CompletionItemKind.Keyword, range, '2', { detail: 'train { setting: value … }', insertText: useSnippets ? 'train {\n  $0\n}' : 'train', insertTextFormat: useSnippets ? InsertTextFormat.Snippet : undefined }),
        ...layers('0'),
        ...letItems('1'),
      ];
    case 'trainKey':
      return TRAIN_SETTINGS.filter((s) => !where.given.has(s.name)).map((s) =>
        item(s.name, CompletionItemKind.Property, range, '0', { detail: s.type === 'enum' ? (s.values ?? []).join(' | ') : s.type, documentation: s.doc, insertText: `${s.name}: ` }),
      );
    case 'trainValue':
      return where.setting ? valueItems(where.setting, range) : [];
    case 'argStart': {
      const { spec, given, next } = where.call;
      const params = spec.params.filter((p) => !given.has(p.name));
      const out: CompletionItem[] = [];
      for (const p of params) {
        if (p.type !== 'flag') {
          out.push(item(p.name, CompletionItemKind.Property, range, '0', { detail: p.type === 'enum' ? (p.values ?? []).join(' | ') : p.type, documentation: p.doc, insertText: `${p.name}: ` }));
        }
        if (p.flag) out.push(item(p.name, CompletionItemKind.Constant, range, '1', { detail: p.type === 'bool' ? 'flag (true)' : 'flag', documentation: p.doc }));
      }
      // A value for the next positional parameter.
      if (next) out.push(...positionalValues(next, range, layers, letItems));
      return dedupe(out);
    }
    case 'value': {
      if (where.param) {
        const p = where.param;
        const out = [...valueItems(p, range)];
        if (p.type === 'cell') out.push(...layers('0', (b) => b.name in CELL_NAMES));
        if (p.type === 'source') out.push(...layers('0', (b) => b.makes === 'source'));
        if (where.allowLets) out.push(...letItems('1'));
        return out;
      }
      return [...layers('0'), ...(where.sources ? layers('0', (b) => b.makes === 'source') : []), ...(where.allowLets ? letItems('1') : [])];
    }
  }
}

function positionalValues(p: ParamSpec, range: Range, layers: (sort: string, which?: (b: BuiltinSpec) => boolean) => CompletionItem[], letItems: (sort: string) => CompletionItem[]): CompletionItem[] {
  if (p.type === 'enum' || p.type === 'bool') return valueItems(p, range).map((i) => ({ ...i, sortText: `2${i.label}` }));
  if (p.type === 'cell') return [...layers('2', (b) => b.name in CELL_NAMES), ...letItems('3')];
  if (p.type === 'source') return [...layers('2', (b) => b.makes === 'source'), ...letItems('3')];
  return letItems('3');
}

function dedupe(items: CompletionItem[]): CompletionItem[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const key = `${i.label}/${i.kind}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
