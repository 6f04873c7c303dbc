import type { CstElement, CstNode, IToken } from 'chevrotain';
import type { Span } from '../diagnostics/types.js';

/** The syntax tree: what the user wrote, with spans; names not yet resolved. */

export interface Ident {
  name: string;
  span: Span;
}

export interface NumberLit {
  type: 'number';
  raw: string;
  value: number;
  /** Written without a decimal point or exponent. */
  integer: boolean;
  span: Span;
}

export interface StringLit {
  type: 'string';
  value: string;
  /** Missing its closing quote (already reported). */
  unterminated: boolean;
  span: Span;
}

export interface NameRef {
  type: 'name';
  name: string;
  span: Span;
}

export interface Call {
  type: 'call';
  callee: Ident;
  args: Arg[];
  /** The parentheses, for completion and for the `unclosed` diagnostic. */
  open: Span;
  close: Span | undefined;
  span: Span;
}

export interface Group {
  type: 'group';
  pipeline: Pipeline;
  span: Span;
}

export type Expr = NumberLit | StringLit | NameRef | Call | Group;

export interface Arg {
  name: Ident | undefined;
  value: Pipeline;
  span: Span;
}

export interface Repeat {
  count: number;
  span: Span;
}

export interface Stage {
  expr: Expr;
  repeat: Repeat | undefined;
  span: Span;
}

export interface Pipeline {
  stages: Stage[];
  span: Span;
}

export interface LetStatement {
  type: 'let';
  name: Ident;
  value: Pipeline;
  span: Span;
}

export interface TrainEntry {
  key: Ident;
  value: Pipeline;
  span: Span;
}

export interface TrainBlock {
  type: 'train';
  entries: TrainEntry[];
  span: Span;
}

export interface PipelineStatement {
  type: 'pipeline';
  pipeline: Pipeline;
  span: Span;
}

export type Statement = LetStatement | TrainBlock | PipelineStatement;

export interface Comment {
  text: string;
  span: Span;
}

export interface SourceFile {
  statements: Statement[];
  comments: Comment[];
  span: Span;
}

// ---------------------------------------------------------------------------------------------
// CST → AST. Recovery may leave nodes with missing children or tokens inserted without a
// position; such pieces are dropped or given an empty span at the nearest known place.

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

function real(t: IToken | undefined): t is IToken {
  return !!t && !t.isInsertedInRecovery && Number.isFinite(t.startOffset);
}

function tokenSpan(t: IToken): Span {
  return { start: t.startOffset, end: (t.endOffset ?? t.startOffset) + 1 };
}

function tok(node: CstNode, name: string, i = 0): IToken | undefined {
  const t = node.children[name]?.[i];
  return t && isToken(t) && real(t) ? t : undefined;
}

function nodes(node: CstNode, name: string): CstNode[] {
  return (node.children[name] ?? []).filter((e): e is CstNode => !isToken(e));
}

/** Unescapes a string literal's body with JSON's rules, tolerating bad escapes. */
function unquote(raw: string, terminated: boolean): string {
  const body = raw.slice(1, terminated ? -1 : undefined);
  return body.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, e: string) => {
    if (e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' } as Record<string, string>)[e] ?? e;
  });
}

function buildPrimary(node: CstNode): Expr | undefined {
  const call = nodes(node, 'callOrName')[0];
  if (call) {
    const id = tok(call, 'Identifier');
    if (!id) return undefined;
    const callee = { name: id.image, span: tokenSpan(id) };
    const open = tok(call, 'LParen');
    if (!open) return { type: 'name', name: id.image, span: callee.span };
    const close = tok(call, 'RParen');
    const argsNode = nodes(call, 'args')[0];
    const args = argsNode ? nodes(argsNode, 'arg').map(buildArg).filter((a): a is Arg => !!a) : [];
    // Spans are built bottom-up from tokens already in hand: walking each subtree again made
    // tree building quadratic in nesting and dominated checking large files.
    const end = close ? tokenSpan(close).end : args.length ? args[args.length - 1]!.span.end : tokenSpan(open).end;
    return { type: 'call', callee, args, open: tokenSpan(open), close: close ? tokenSpan(close) : undefined, span: { start: callee.span.start, end } };
  }
  const group = nodes(node, 'group')[0];
  if (group) {
    const inner = nodes(group, 'pipeline')[0];
    const pipeline = inner ? buildPipeline(inner) : undefined;
    const open = tok(group, 'LParen');
    const close = tok(group, 'RParen');
    if (!pipeline) return undefined;
    return { type: 'group', pipeline, span: { start: open ? open.startOffset : pipeline.span.start, end: close ? tokenSpan(close).end : pipeline.span.end } };
  }
  const num = tok(node, 'NumberLiteral');
  if (num) {
    return {
      type: 'number',
      raw: num.image,
      value: Number(num.image),
      integer: /^-?[0-9]+$/.test(num.image),
      span: tokenSpan(num),
    };
  }
  const str = tok(node, 'StringLiteral');
  if (str) return { type: 'string', value: unquote(str.image, true), unterminated: false, span: tokenSpan(str) };
  const bad = tok(node, 'UnterminatedString');
  if (bad) return { type: 'string', value: unquote(bad.image, false), unterminated: true, span: tokenSpan(bad) };
  return undefined;
}

function buildStage(node: CstNode): Stage | undefined {
  const primary = nodes(node, 'primary')[0];
  const expr = primary ? buildPrimary(primary) : undefined;
  if (!expr) return undefined;
  const rep = tok(node, 'Repeat');
  const repeat = rep ? { count: Number(rep.image.slice(1)), span: tokenSpan(rep) } : undefined;
  return { expr, repeat, span: { start: expr.span.start, end: repeat ? repeat.span.end : expr.span.end } };
}

function buildPipeline(node: CstNode): Pipeline | undefined {
  const stages = nodes(node, 'stage').map(buildStage).filter((s): s is Stage => !!s);
  if (stages.length === 0) return undefined;
  return { stages, span: { start: stages[0]!.span.start, end: stages[stages.length - 1]!.span.end } };
}

function buildArg(node: CstNode): Arg | undefined {
  const id = tok(node, 'Identifier');
  const inner = nodes(node, 'pipeline')[0];
  const value = inner ? buildPipeline(inner) : undefined;
  if (!value) return undefined;
  const name = id ? { name: id.image, span: tokenSpan(id) } : undefined;
  return { name, value, span: { start: name ? name.span.start : value.span.start, end: value.span.end } };
}

function buildStatement(node: CstNode): Statement | undefined {
  const letNode = nodes(node, 'letStatement')[0];
  if (letNode) {
    const kw = tok(letNode, 'Let');
    const id = tok(letNode, 'Identifier');
    const inner = nodes(letNode, 'pipeline')[0];
    const value = inner ? buildPipeline(inner) : undefined;
    if (!id || !value) return undefined;
    return { type: 'let', name: { name: id.image, span: tokenSpan(id) }, value, span: { start: kw ? kw.startOffset : id.startOffset, end: value.span.end } };
  }
  const trainNode = nodes(node, 'trainBlock')[0];
  if (trainNode) {
    const kw = tok(trainNode, 'Train');
    if (!kw) return undefined;
    const entries: TrainEntry[] = [];
    for (const e of nodes(trainNode, 'trainEntry')) {
      const key = tok(e, 'Identifier');
      const inner = nodes(e, 'pipeline')[0];
      const value = inner ? buildPipeline(inner) : undefined;
      if (!key || !value) continue;
      entries.push({ key: { name: key.image, span: tokenSpan(key) }, value, span: { start: key.startOffset, end: value.span.end } });
    }
    const close = tok(trainNode, 'RBrace');
    const open = tok(trainNode, 'LBrace');
    const end = close ? tokenSpan(close).end : entries.length ? entries[entries.length - 1]!.span.end : open ? tokenSpan(open).end : tokenSpan(kw).end;
    return { type: 'train', entries, span: { start: kw.startOffset, end } };
  }
  const p = nodes(node, 'pipeline')[0];
  const pipeline = p ? buildPipeline(p) : undefined;
  if (!pipeline) return undefined;
  return { type: 'pipeline', pipeline, span: pipeline.span };
}

export function buildSourceFile(cst: CstNode | undefined, comments: IToken[], length: number): SourceFile {
  const statements = cst ? nodes(cst, 'statement').map(buildStatement).filter((s): s is Statement => !!s) : [];
  return {
    statements,
    comments: comments.map((c) => ({ text: c.image, span: tokenSpan(c) })),
    span: { start: 0, end: length },
  };
}
