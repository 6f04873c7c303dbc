import { CstParser, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
import {
  allTokens,
  Colon,
  Comma,
  Equals,
  Identifier,
  LBrace,
  Let,
  LParen,
  NumberLiteral,
  Pipe,
  RBrace,
  Repeat,
  RParen,
  StringLiteral,
  Train,
  UnterminatedString,
} from './tokens.js';

function describe(t: IToken): string {
  if (t.tokenType.name === 'EOF') return 'end of file';
  const image = t.image.length > 20 ? `${t.image.slice(0, 20)}…` : t.image;
  return `\`${image}\``;
}

function labelOf(t: TokenType): string {
  if (t.LABEL) return t.LABEL;
  switch (t.name) {
    case 'Identifier':
      return 'a name';
    case 'NumberLiteral':
      return 'a number';
    case 'StringLiteral':
      return 'a string';
    case 'Repeat':
      return '`xN`';
    case 'Let':
      return '`let`';
    case 'Train':
      return '`train`';
    default:
      return t.name;
  }
}

/** Messages in rustc's register: lowercase, short, what was expected and what was found. */
const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) => `expected ${labelOf(expected)}, found ${describe(actual)}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) => `unexpected ${describe(firstRedundant)}`,
  buildNoViableAltMessage: ({ actual, ruleName }) => {
    const what = ruleName === 'statement' ? 'a pipeline, `let` or `train`' : 'a layer, a name or a value';
    return `expected ${what}, found ${describe(actual[0]!)}`;
  },
  buildEarlyExitMessage: ({ actual }) => `unexpected ${describe(actual[0]!)}`,
};

/**
 * The grammar, and only the grammar (semantics live in `ast.ts` and `lower.ts`):
 *
 *   program   := statement*
 *   statement := letStmt | trainBlock | pipeline
 *   letStmt   := "let" Identifier "=" pipeline
 *   train     := "train" "{" (entry ","?)* "}"        entry := Identifier ":" pipeline
 *   pipeline  := stage ("|>" stage)*
 *   stage     := primary Repeat?                       Repeat := x[0-9]+
 *   primary   := Identifier ("(" args? ")")? | "(" pipeline ")" | Number | String
 *   args      := arg ("," arg)* ","?                   arg := (Identifier ":")? pipeline
 *
 * Argument values are pipelines so that nested calls (`bi(lstm(64))`) and values share one rule;
 * the lowering says when a value is the wrong kind. Rules are class fields, so a bad SUBRULE is
 * a compile error.
 */
export class RnnParser extends CstParser {
  /**
   * `validate` runs Chevrotain's grammar validations (ambiguities, left recursion). They cost
   * ~10 ms of every start, so the shared parser skips them and a test runs them instead.
   */
  constructor(options: { validate?: boolean } = {}) {
    super(allTokens, { recoveryEnabled: true, maxLookahead: 2, errorMessageProvider: messages, skipValidations: !options.validate });
    this.performSelfAnalysis();
  }

  program = this.RULE('program', () => {
    this.MANY(() => this.SUBRULE(this.statement));
  });

  statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.letStatement) },
      { ALT: () => this.SUBRULE(this.trainBlock) },
      { ALT: () => this.SUBRULE(this.pipeline) },
    ]);
  });

  letStatement = this.RULE('letStatement', () => {
    this.CONSUME(Let);
    this.CONSUME(Identifier);
    this.CONSUME(Equals);
    this.SUBRULE(this.pipeline);
  });

  trainBlock = this.RULE('trainBlock', () => {
    this.CONSUME(Train);
    this.CONSUME(LBrace);
    this.MANY(() => {
      this.SUBRULE(this.trainEntry);
      this.OPTION(() => this.CONSUME(Comma));
    });
    this.CONSUME(RBrace);
  });

  trainEntry = this.RULE('trainEntry', () => {
    this.CONSUME(Identifier);
    this.CONSUME(Colon);
    this.SUBRULE(this.pipeline);
  });

  pipeline = this.RULE('pipeline', () => {
    this.SUBRULE(this.stage);
    this.MANY(() => {
      this.CONSUME(Pipe);
      this.SUBRULE2(this.stage);
    });
  });

  stage = this.RULE('stage', () => {
    this.SUBRULE(this.primary);
    this.OPTION(() => this.CONSUME(Repeat));
  });

  primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.callOrName) },
      { ALT: () => this.SUBRULE(this.group) },
      { ALT: () => this.CONSUME(NumberLiteral) },
      { ALT: () => this.CONSUME(StringLiteral) },
      { ALT: () => this.CONSUME(UnterminatedString) },
    ]);
  });

  callOrName = this.RULE('callOrName', () => {
    this.CONSUME(Identifier);
    this.OPTION(() => {
      this.CONSUME(LParen);
      this.OPTION2(() => this.SUBRULE(this.args));
      this.CONSUME(RParen);
    });
  });

  group = this.RULE('group', () => {
    this.CONSUME(LParen);
    this.SUBRULE(this.pipeline);
    this.CONSUME(RParen);
  });

  args = this.RULE('args', () => {
    this.SUBRULE(this.arg);
    this.MANY({
      GATE: () => this.LA(2).tokenType !== RParen,
      DEF: () => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.arg);
      },
    });
    this.OPTION(() => this.CONSUME2(Comma));
  });

  arg = this.RULE('arg', () => {
    this.OPTION({
      GATE: () => this.LA(2).tokenType === Colon,
      DEF: () => {
        this.CONSUME(Identifier);
        this.CONSUME(Colon);
      },
    });
    this.SUBRULE(this.pipeline);
  });
}

/** One parser, reused: Chevrotain parsers are expensive to build and cheap to reset. */
let shared: RnnParser | undefined;
export function sharedParser(): RnnParser {
  shared ??= new RnnParser();
  return shared;
}

export type { IToken };
