import { createToken, Lexer, type ILexingResult, type IToken, type TokenType } from 'chevrotain';

/** Whitespace, newlines included: the language is free-form. */
export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/, group: Lexer.SKIPPED });
/** `#` to end of line. Kept in their own group so the formatter can put them back. */
export const Comment = createToken({ name: 'Comment', pattern: /#[^\r\n]*/, group: 'comments' });

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/ });
export const Let = createToken({ name: 'Let', pattern: /let/, longer_alt: Identifier });
export const Train = createToken({ name: 'Train', pattern: /train/, longer_alt: Identifier });
/** `x2`: N copies of the stage before it. `x` followed by digits is always this operator. */
export const Repeat = createToken({ name: 'Repeat', pattern: /x[0-9]+/, longer_alt: Identifier });

export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/,
});
export const StringLiteral = createToken({ name: 'StringLiteral', pattern: /"(?:[^"\\\r\n]|\\.)*"/ });
/** A string missing its closing quote: lexed as a token so the parser can go on and we can say what is wrong. */
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"(?:[^"\\\r\n]|\\.)*/ });

export const Pipe = createToken({ name: 'Pipe', pattern: /\|>/, label: '`|>`' });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: '`(`' });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: '`)`' });
export const LBrace = createToken({ name: 'LBrace', pattern: /\{/, label: '`{`' });
export const RBrace = createToken({ name: 'RBrace', pattern: /\}/, label: '`}`' });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: '`,`' });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: '`:`' });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: '`=`' });

/** Order matters: keywords and `xN` before Identifier, the complete string before the unterminated one. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  Let,
  Train,
  Repeat,
  Identifier,
  NumberLiteral,
  StringLiteral,
  UnterminatedString,
  Pipe,
  LParen,
  RParen,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Equals,
];

/**
 * The token definitions are validated by a test (`lexerDefinitionErrors`), not at every start.
 * Tokens carry offsets only (`lex` adds their ends): lines and columns come from `LineIndex`,
 * and tracking them in the lexer made lexing a 4 Mi-character file three times slower.
 */
export function createLexer(validate = false): Lexer {
  return new Lexer(allTokens, { positionTracking: 'onlyOffset', ensureOptimizations: false, skipValidations: !validate });
}

export const RnnLexer = createLexer();

/** Lexes a text; every token, comments included, has its `endOffset` (inclusive, as Chevrotain's). */
export function lex(text: string): ILexingResult {
  const lexed = RnnLexer.tokenize(text);
  const setEnd = (t: IToken): void => {
    t.endOffset = t.startOffset + t.image.length - 1;
  };
  lexed.tokens.forEach(setEnd);
  for (const group of Object.values(lexed.groups)) group.forEach(setEnd);
  return lexed;
}

/** Tokens and comments (each already in source order) merged into one list in source order. */
export function inSourceOrder(tokens: IToken[], comments: IToken[]): IToken[] {
  if (comments.length === 0) return tokens.slice();
  const out: IToken[] = [];
  let j = 0;
  for (const t of tokens) {
    while (j < comments.length && comments[j]!.startOffset < t.startOffset) out.push(comments[j++]!);
    out.push(t);
  }
  while (j < comments.length) out.push(comments[j++]!);
  return out;
}

