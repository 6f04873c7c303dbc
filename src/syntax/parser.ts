import { CstParser, EOF, tokenMatcher, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
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
import { MAX_DIAGNOSTICS } from '../limits.js';

/** In-repetition recovery is tried only when a token to re-synchronize on is this close (see below). */
const RECOVERY_LOOKAHEAD = 1000;

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
    this.boundRecovery();
  }

  /** Set when parsing stopped at MAX_DIAGNOSTICS errors; the rest of the input was not parsed. */
  stopped = false;

  /** Chevrotain's documented hook for parsers that carry state of their own: called by `input =`. */
  override reset(): void {
    super.reset();
    this.stopped = false;
  }

  /**
   * Bounds Chevrotain's error recovery, whose cost on broken text grew without limit:
   * - after MAX_DIAGNOSTICS errors parsing stops (the parser moves to the end of its input and
   *   unwinds, keeping the statements it has). Without a limit, 2 million `()` made 2 million
   *   exceptions and ran out of memory. No shown diagnostic is lost: the first MAX_DIAGNOSTICS
   *   all come before that point. This also bounds the next point's recursion.
   * - in-repetition recovery (skip to where the next `MANY` iteration can start) re-enters the
   *   repetition recursively, once per error: `a = a = a = …` nested the stack 20,000 deep and
   *   overflowed it.
   * - each in-repetition try scans ahead for a token to re-synchronize on, and a failed try
   *   (restored) costs that scan for nothing: 100 tries over 400,000 tokens took 8 s. It is
   *   tried only when such a token is within RECOVERY_LOOKAHEAD tokens; the recovery between
   *   rules (which consumes what it skips) handles the rest.
   */
  private boundRecovery(): void {
    // Internals of Chevrotain 11's recovery, installed on the instance; test/fuzz covers them.
    type Method = (this: RnnParser, ...args: unknown[]) => unknown;
    const self = this as unknown as {
      SAVE_ERROR: Method;
      tryInRepetitionRecovery: Method;
      flattenFollowSet(): TokenType[];
      moveToTerminatedState(): void;
    };
    const save = self.SAVE_ERROR;
    self.SAVE_ERROR = function (this: RnnParser, ...args: unknown[]): unknown {
      const saved = save.apply(this, args);
      if (!this.stopped && this.errors.length >= MAX_DIAGNOSTICS) {
        this.stopped = true;
        self.moveToTerminatedState.call(this);
      }
      return saved;
    };
    const tryRecovery = self.tryInRepetitionRecovery;
    self.tryInRepetitionRecovery = function (this: RnnParser, ...args: unknown[]): void {
      if (this.stopped) return;
      const follows = self.flattenFollowSet.call(this);
      for (let k = 1; k <= RECOVERY_LOOKAHEAD; k++) {
        const t = this.LA(k);
        if (t.tokenType === EOF || follows.some((f) => tokenMatcher(t, f))) {
          tryRecovery.apply(this, args);
          return;
        }
      }
    };
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
