import type { IToken, TokenType } from 'chevrotain';
import { Codes, diag } from '../diagnostics/codes.js';
import type { Diagnostic, Span } from '../diagnostics/types.js';
import { buildSourceFile, type SourceFile } from './ast.js';
import { sharedParser } from './parser.js';
import { inSourceOrder, LBrace, lex, LParen, RBrace, RParen, UnterminatedString } from './tokens.js';
import { formatCount } from '../util/numbers.js';

import { MAX_DIAGNOSTICS, MAX_NESTING, MAX_SOURCE_CHARS, MAX_TOKENS } from '../limits.js';

export { MAX_SOURCE_CHARS };

export interface ParseResult {
  ast: SourceFile;
  /** The text was refused before parsing (binary, too large, nested too deep): the tree is empty. */
  aborted: boolean;
  /** Every token, comments included, in source order. */
  tokens: IToken[];
  /** Parsing stopped after MAX_DIAGNOSTICS syntax errors: the rest of the text was not parsed. */
  stopped?: boolean;
  diagnostics: Diagnostic[];
}

function looksBinary(text: string): boolean {
  if (text.includes('\u0000')) return true;
  const sample = text.slice(0, 4096);
  let odd = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) || c === 0xfffd) odd++;
  }
  return sample.length > 0 && odd / sample.length > 0.1;
}

/**
 * Checks brackets on the token stream before parsing: this names the opening `(` that is
 * never closed (the parser alone can only say "found end of file") and bounds nesting depth.
 */
function checkBrackets(tokens: IToken[]): { diagnostics: Diagnostic[]; tooDeep: boolean; unmatched: Set<IToken> } {
  const diagnostics: Diagnostic[] = [];
  const stack: IToken[] = [];
  const unmatched = new Set<IToken>();
  const pairs = new Map<TokenType, TokenType>([
    [RParen, LParen],
    [RBrace, LBrace],
  ]);
  for (const t of tokens) {
    if (t.tokenType === LParen || t.tokenType === LBrace) {
      stack.push(t);
      if (stack.length > MAX_NESTING) {
        return {
          diagnostics: [
            diag('NestingTooDeep', span(t), `parentheses nested more than ${MAX_NESTING} deep`, {
              help: 'bind inner pipelines to names with `let` instead of nesting them',
            }),
          ],
          tooDeep: true,
          unmatched,
        };
      }
    } else if (pairs.has(t.tokenType)) {
      const open = pairs.get(t.tokenType)!;
      const top = stack[stack.length - 1];
      if (top && top.tokenType === open) stack.pop();
      else {
        unmatched.add(t);
        diagnostics.push(
          diag('UnmatchedParen', span(t), `unmatched \`${t.image}\``, {
            label: 'no opening bracket for this',
            help: 'remove it, or add the opening bracket it closes',
          }),
        );
      }
    }
  }
  for (const t of stack) {
    const close = t.tokenType === LParen ? ')' : '}';
    diagnostics.push(
      diag('UnclosedParen', span(t), `unclosed \`${t.image}\``, {
        label: 'this is never closed',
        help: `add \`${close}\` where the ${t.tokenType === LParen ? 'arguments' : 'block'} end`,
      }),
    );
  }
  return { diagnostics, tooDeep: false, unmatched };
}

function span(t: IToken): Span {
  return { start: t.startOffset, end: (t.endOffset ?? t.startOffset) + 1 };
}

/**
 * Caps the list, keeping source order, with one last diagnostic that says how many were left
 * out, and whether parsing `stopped` (then the text past that point was not looked at).
 */
export function capDiagnostics(ds: Diagnostic[], stopped = false): Diagnostic[] {
  if (ds.length <= MAX_DIAGNOSTICS && !stopped) return ds;
  const kept = ds.slice(0, MAX_DIAGNOSTICS);
  const last = kept[kept.length - 1]!;
  // The note is as serious as what it hides: 150 unused-binding warnings must not fail a compile.
  const hidden = ds.slice(MAX_DIAGNOSTICS);
  const errors = stopped || hidden.some((d) => d.severity === 'error');
  const more = `${hidden.length} more not shown`;
  const message = stopped ? `too many problems: ${hidden.length ? `${more}, and ` : ''}parsing stopped after ${MAX_DIAGNOSTICS} syntax errors` : `too many problems: ${more}`;
  kept.push(diag(errors ? 'TooManyErrors' : 'TooManyWarnings', last.span, message));
  return kept;
}

/**
 * Lexes and parses one source text. Never throws: every problem becomes a diagnostic, and
 * Chevrotain's error recovery lets one run report every independent syntax error.
 */
export function parseSource(text: string): ParseResult {
  const empty = buildSourceFile(undefined, [], text.length);
  if (text.length > MAX_SOURCE_CHARS) {
    return {
      ast: empty,
      aborted: true,
      tokens: [],
      diagnostics: [
        diag('FileTooLarge', { start: 0, end: 0 }, `file too large: ${formatCount(text.length)} characters (limit ${formatCount(MAX_SOURCE_CHARS)})`),
      ],
    };
  }
  if (looksBinary(text)) {
    return {
      ast: empty,
      aborted: true,
      tokens: [],
      diagnostics: [
        diag('BinaryFile', { start: 0, end: 0 }, 'this is not a text file', {
          help: 'rnnc reads UTF-8 text; check the file name',
        }),
      ],
    };
  }

  const lexed = lex(text);
  const diagnostics: Diagnostic[] = [];
  for (const e of lexed.errors) {
    const s = { start: e.offset, end: e.offset + e.length };
    const chars = text.slice(s.start, s.end);
    const shown = chars.length > 10 ? `${chars.slice(0, 10)}…` : chars;
    diagnostics.push(diag('UnexpectedCharacter', s, `unexpected ${chars.length > 1 ? 'characters' : 'character'} \`${shown}\``));
  }
  for (const t of lexed.tokens) {
    if (t.tokenType === UnterminatedString) {
      const end = span(t).end;
      diagnostics.push(
        diag('UnterminatedString', span(t), 'unterminated string', {
          help: 'add the closing `"`',
          // The string runs to the end of its line; closing it there is what the help says.
          fixes: [{ title: 'add the closing `"`', edits: [{ span: { start: end, end }, text: '"' }] }],
        }),
      );
    }
  }

  const brackets = checkBrackets(lexed.tokens);
  // A loop, not push(...): a spread of 130,000 diagnostics overflows the call stack.
  for (const d of brackets.diagnostics) diagnostics.push(d);
  const comments = (lexed.groups['comments'] ?? []);
  const allTokens = inSourceOrder(lexed.tokens, comments);
  if (brackets.tooDeep) return { ast: empty, aborted: true, tokens: allTokens, diagnostics };

  // Unmatched closing brackets are already reported; parsing without them avoids a cascade.
  const input = lexed.tokens.filter((t) => !brackets.unmatched.has(t));
  if (input.length > MAX_TOKENS) {
    const first = input[MAX_TOKENS]!;
    diagnostics.push(
      diag('FileTooLarge', span(first), `file too large: ${formatCount(input.length)} tokens (limit ${formatCount(MAX_TOKENS)})`, {
        label: 'the first token past the limit',
        help: 'a model spec is a few hundred words: is this the right file?',
      }),
    );
    diagnostics.sort((a, b) => a.span.start - b.span.start);
    return { ast: empty, aborted: true, tokens: allTokens, diagnostics };
  }
  const parser = sharedParser();
  parser.input = input;
  const cst = parser.program();
  // Past the point where parsing stopped, the parser only unwound: its errors there are not the text's.
  const stopped = parser.stopped;
  const errors = stopped ? parser.errors.slice(0, MAX_DIAGNOSTICS) : parser.errors;
  const unclosedAt = brackets.diagnostics.find((d) => d.code === Codes.UnclosedParen.code)?.span.start;
  const unclosed = unclosedAt !== undefined;
  for (const e of errors) {
    const t = e.token;
    const atEof = t.tokenType.name === 'EOF' || !Number.isFinite(t.startOffset);
    // The bracket pass already explained these, at a better place: the end of file, or a
    // missing `)` / `}` that an unclosed bracket before it accounts for.
    if (atEof && unclosed) continue;
    if (unclosedAt !== undefined && t.startOffset > unclosedAt && /^expected `[)}]`/.test(e.message)) continue;
    let s: Span;
    if (atEof) {
      // Chevrotain sets previousToken on mismatch exceptions but does not declare it.
      const prev = (e as { previousToken?: IToken }).previousToken;
      const end = prev && Number.isFinite(prev.endOffset) ? prev.endOffset! + 1 : text.length;
      s = { start: end, end };
    } else s = span(t);
    diagnostics.push(diag('UnexpectedToken', s, e.message));
  }
  diagnostics.sort((a, b) => a.span.start - b.span.start);
  return { ast: buildSourceFile(cst, comments, text.length), aborted: false, tokens: allTokens, diagnostics, stopped };
}
