import type { IToken } from 'chevrotain';
import type { Diagnostic } from '../diagnostics/types.js';
import { hasErrors } from '../diagnostics/types.js';
import type { Arg, Call, Expr, LetStatement, Pipeline, PipelineStatement, Stage, Statement, TrainBlock } from '../syntax/ast.js';
import { parseSource } from '../syntax/parse.js';
import { flushComments, group, hardline, ifBreak, indent, line, print, softline, suffix, type Doc } from './doc.js';

/** Lines longer than this are broken (where the layout allows it). */
export const FORMAT_WIDTH = 100;

/**
 * The formatted text, and which layout it has: `canonical` (the documented one), `source-order`
 * (statements kept in their order, where moving them would change the program) or `unchanged`
 * (the layout's own safety check failed: a formatter bug, which tests and the fuzzer look for).
 */
export type FormatResult = { text: string; layout: 'canonical' | 'source-order' | 'unchanged' } | { diagnostics: Diagnostic[] };

interface CommentInfo {
  /** Where it ends in the source. */
  end: number;
  text: string;
  /** On the same line as the token before it. */
  trailing: boolean;
  /** Preceded by at least one blank line. */
  blankBefore: boolean;
}

interface Item {
  statement: Statement;
  /** Own-line comments between the previous statement (in the source) and this one. */
  leading: CommentInfo[];
  blankBefore: boolean;
}

/**
 * Formats one `.rnn` source in the one canonical layout; text with syntax errors is never
 * formatted (its diagnostics are returned instead). The layout:
 *
 * - statements in three groups separated by one blank line: `let` bindings (in source order),
 *   then the model pipeline, then the `train` block; within a group a blank line is kept where
 *   the source had one (runs of blank lines become one);
 * - a model pipeline with more than one stage puts each on its own line, later ones indented
 *   two spaces and starting with `|> `; other pipelines (`let` values, arguments) stay on one
 *   line unless too long or holding a comment, then break the same way;
 * - calls are `name(arg, name: value)`; one too long for the line, or holding a comment, puts
 *   one argument per line, indented two spaces, each followed by a comma;
 * - `x2` follows its stage after one space; `let name = value`;
 * - `train {` … `}` holds one `key: value` setting per line, indented two spaces, no commas;
 * - every comment is kept: a trailing comment stays at the end of its line after two spaces,
 *   an own-line comment stays on its own line at the indentation of the line after it;
 *   comments before the first statement stay at the top of the file, comments between
 *   statements move with the statement after them;
 * - no trailing whitespace, one newline at the end; CRLF files stay CRLF; numbers, strings and
 *   names are written exactly as in the source.
 *
 * The result is idempotent (formatting it again changes nothing) and keeps the program's
 * meaning: only whitespace, commas and the order of statements change.
 */
export function formatSource(text: string): FormatResult {
  const parsed = parseSource(text);
  if (hasErrors(parsed.diagnostics)) return { diagnostics: parsed.diagnostics };
  const eol = /\r\n/.test(text.slice(0, firstBreakEnd(text))) ? '\r\n' : '\n';
  const canonical = layout(text, parsed.tokens, parsed.ast.statements, true, eol);
  if (sameProgram(parsed, canonical)) return { text: canonical, layout: 'canonical' };
  // Moving statements can join two of them into one (a name followed by a statement that starts
  // with `(`); keeping their order cannot, as the tokens stay the same.
  const inOrder = layout(text, parsed.tokens, parsed.ast.statements, false, eol);
  if (sameProgram(parsed, inOrder)) return { text: inOrder, layout: 'source-order' };
  // Only a bug in the layout gets here: better unchanged than wrong.
  return { text, layout: 'unchanged' };
}

function firstBreakEnd(text: string): number {
  const i = text.indexOf('\n');
  return i < 0 ? text.length : i + 1;
}

function isComment(t: IToken): boolean {
  return t.tokenType.name === 'Comment';
}

function end(t: IToken): number {
  return (t.endOffset ?? t.startOffset) + 1;
}

function lineBreaks(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) n++;
  }
  return n;
}

type Parsed = ReturnType<typeof parseSource>;

/**
 * A safety net: each statement's tokens (without commas) and the comments must be the same
 * before and after, as multisets since statements (with their comments) may move.
 */
function sameProgram(before: Parsed, after: string): boolean {
  const b = parseSource(after);
  if (hasErrors(b.diagnostics)) return false;
  // Statements and tokens are both in source order: one pass (filtering all tokens for each
  // statement made formatting 16,000 bindings take seconds).
  const statements = (p: Parsed): string[] => {
    const sig = p.tokens.filter((t) => !isComment(t) && t.tokenType.name !== 'Comma');
    let k = 0;
    return p.ast.statements
      .map((s) => {
        while (k < sig.length && sig[k]!.startOffset < s.span.start) k++;
        const images: string[] = [];
        for (; k < sig.length && end(sig[k]!) <= s.span.end; k++) images.push(sig[k]!.image);
        return images.join(' ');
      })
      .sort();
  };
  const comments = (p: Parsed): string[] =>
    p.tokens
      .filter(isComment)
      .map((t) => t.image.trimEnd())
      .sort();
  return JSON.stringify([statements(before), comments(before)]) === JSON.stringify([statements(b), comments(b)]);
}

function layout(text: string, all: IToken[], statements: Statement[], reorder: boolean, eol: string): string {
  const sig = all.filter((t) => !isComment(t));
  const byStart = new Map<number, number>();
  const byEnd = new Map<number, number>();
  sig.forEach((t, i) => {
    byStart.set(t.startOffset, i);
    byEnd.set(end(t), i);
  });

  // Attach each comment to the significant token before it (-1: start of file). A comment after
  // a comma belongs to what precedes the comma: commas are rewritten, never printed from the source.
  const anchored = new Map<number, CommentInfo[]>();
  const header: CommentInfo[] = [];
  let sigSeen = -1;
  let prevEnd = 0;
  for (const t of all) {
    if (!isComment(t)) {
      sigSeen++;
      prevEnd = end(t);
      continue;
    }
    const info: CommentInfo = {
      end: end(t),
      text: t.image.trimEnd(),
      trailing: sigSeen >= 0 && lineBreaks(text, prevEnd, t.startOffset) === 0 && sig[sigSeen] !== undefined && end(sig[sigSeen]!) === prevEnd,
      blankBefore: prevEnd > 0 && lineBreaks(text, prevEnd, t.startOffset) >= 2,
    };
    prevEnd = end(t);
    if (sigSeen < 0) {
      header.push(info);
      continue;
    }
    let anchor = sigSeen;
    while (anchor > 0 && sig[anchor]!.tokenType.name === 'Comma') anchor--;
    const list = anchored.get(anchor) ?? [];
    list.push(info);
    anchored.set(anchor, list);
  }

  // Own-line comments after a statement's last token sit between statements: they lead the next one.
  const items: Item[] = [];
  let carried: CommentInfo[] = [];
  for (const s of statements) {
    const first = byStart.get(s.span.start)!;
    const last = byEnd.get(s.span.end)!;
    const before = first > 0 ? end(sig[first - 1]!) : 0;
    const lastComment = items.length === 0 ? header[header.length - 1] : carried[carried.length - 1];
    const from = lastComment ? lastComment.end : before;
    items.push({ statement: s, leading: carried, blankBefore: from > 0 && lineBreaks(text, from, s.span.start) >= 2 });
    const after = anchored.get(last) ?? [];
    const trailing = after.length > 0 && after[0]!.trailing ? [after[0]!] : [];
    carried = after.slice(trailing.length);
    if (trailing.length) anchored.set(last, trailing);
    else anchored.delete(last);
  }
  const footer = carried;

  const printer = new StatementPrinter(sig, byStart, byEnd, anchored);
  // Comments a statement could not place (a second comment where its last line ends) go on
  // their own lines after it, which is where they would be found on the next run: before the
  // next statement, or at the end of the file.
  const printed = items.map((item) => printer.statement(item, eol));
  printed.forEach((p, i) => {
    const lines = p.rest.map((c): CommentInfo => ({ end: items[i]!.statement.span.end, text: c, trailing: false, blankBefore: false }));
    const next = items[i + 1];
    if (next) next.leading = [...lines, ...next.leading];
    else footer.unshift(...lines);
  });
  const textOf = new Map(items.map((item, i) => [item, printed[i]!.text]));
  const order = (kind: Statement['type']): Item[] => items.filter((i) => i.statement.type === kind);
  const groups = reorder ? [order('let'), order('pipeline'), order('train')].filter((g) => g.length > 0) : items.length ? [items] : [];

  const out: string[] = [];
  const emit = (s: string, blank: boolean): void => {
    if (blank && out.length > 0) out.push('');
    out.push(s);
  };
  header.forEach((c, i) => emit(c.text, i > 0 && c.blankBefore));
  // Whether the header is set off by a blank line is kept from the source's first statement.
  const headerGap = items[0]?.blankBefore ?? false;
  groups.forEach((g, gi) => {
    g.forEach((item, ii) => {
      const pieces: { text: string; blank: boolean }[] = [
        ...item.leading.map((c) => ({ text: c.text, blank: c.blankBefore })),
        { text: textOf.get(item)!, blank: item.blankBefore },
      ];
      pieces.forEach((p, pi) => {
        let blank = p.blank;
        if (ii === 0 && pi === 0) blank = gi === 0 ? headerGap : true;
        emit(p.text, blank);
      });
    });
  });
  footer.forEach((c) => emit(c.text, c.blankBefore));
  return out.length ? out.join(eol) + eol : '';
}

class StatementPrinter {
  constructor(
    private readonly sig: IToken[],
    private readonly byStart: Map<number, number>,
    private readonly byEnd: Map<number, number>,
    private readonly anchored: Map<number, CommentInfo[]>,
  ) {}

  statement(item: Item, eol: string): { text: string; rest: string[] } {
    const s = item.statement;
    const doc = s.type === 'let' ? this.let(s) : s.type === 'train' ? this.train(s) : this.model(s);
    return print(doc, FORMAT_WIDTH, eol);
  }

  /** A token as written, followed by the comments attached to it. */
  private tok(i: number, image?: string): Doc {
    const t = this.sig[i]!;
    const comments = this.anchored.get(i) ?? [];
    return [image ?? t.image, ...comments.map((c) => suffix(c.text, !c.trailing))];
  }

  private at(offset: number): number {
    return this.byStart.get(offset)!;
  }

  private endingAt(offset: number): number {
    return this.byEnd.get(offset)!;
  }

  private let(s: LetStatement): Doc {
    const kw = this.at(s.span.start);
    return [this.tok(kw), ' ', this.tok(kw + 1), ' ', this.tok(kw + 2), ' ', this.pipeline(s.value, false)];
  }

  private model(s: PipelineStatement): Doc {
    return this.pipeline(s.pipeline, s.pipeline.stages.length > 1);
  }

  private train(s: TrainBlock): Doc {
    const kw = this.at(s.span.start);
    const close = this.endingAt(s.span.end);
    const entries = s.entries.map((e) => {
      const key = this.at(e.key.span.start);
      return [hardline, this.tok(key), this.tok(key + 1), ' ', this.pipeline(e.value, false)];
    });
    return [this.tok(kw), ' ', this.tok(kw + 1), entries.length ? [indent(entries), hardline] : [], this.tok(close)];
  }

  private pipeline(p: Pipeline, broken: boolean): Doc {
    const [first, ...rest] = p.stages;
    const tail = rest.map((s) => [broken ? hardline : line, this.tok(this.at(s.span.start) - 1), ' ', this.stage(s)]);
    if (tail.length === 0) return this.stage(first!);
    return group([this.stage(first!), indent(tail)]);
  }

  private stage(s: Stage): Doc {
    return [this.expr(s.expr), s.repeat ? [' ', this.tok(this.at(s.repeat.span.start))] : []];
  }

  private expr(e: Expr): Doc {
    switch (e.type) {
      case 'number':
      case 'string':
      case 'name':
        return this.tok(this.at(e.span.start));
      case 'group':
        return [this.tok(this.at(e.span.start)), this.pipeline(e.pipeline, false), this.tok(this.endingAt(e.span.end))];
      case 'call':
        return this.call(e);
    }
  }

  private call(c: Call): Doc {
    const callee = this.tok(this.at(c.callee.span.start));
    const open = this.tok(this.at(c.open.start));
    // No syntax errors: every call has its closing parenthesis.
    const close = this.tok(this.at(c.close!.start));
    if (c.args.length === 0) return [callee, open, close];
    const args: Doc[] = c.args.map((a, i) => [this.arg(a), i < c.args.length - 1 ? [',', line] : []]);
    return group([callee, open, indent([softline, args, ifBreak(','), flushComments]), softline, close]);
  }

  private arg(a: Arg): Doc {
    if (!a.name) return this.pipeline(a.value, false);
    const name = this.at(a.name.span.start);
    return [this.tok(name), this.tok(name + 1), ' ', this.pipeline(a.value, false)];
  }
}
