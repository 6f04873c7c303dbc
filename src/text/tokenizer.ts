import { fail } from '../diagnostics/error.js';
import { checkTokenPattern, DEFAULT_TOKEN_PATTERN } from '../ir/token-pattern.js';

export { checkTokenPattern, DEFAULT_TOKEN_PATTERN };

/** How text becomes tokens; stored in vocab.json so eval and predict tokenize exactly as training did. */
export interface TokenizerOptions {
  /** Lower-case the text before matching (default true). */
  lowercase: boolean;
  /** Regular-expression source matching one token (flags `gu`). */
  tokenPattern: string;
}

export const DEFAULT_TOKENIZER_OPTIONS: Readonly<TokenizerOptions> = {
  lowercase: true,
  tokenPattern: DEFAULT_TOKEN_PATTERN,
};


/** Splits text into tokens: NFC-normalize, optionally lower-case, then every non-empty match of the pattern. */
export class Tokenizer {
  readonly options: Readonly<TokenizerOptions>;
  private readonly re: RegExp;

  constructor(options: Partial<TokenizerOptions> = {}) {
    this.options = Object.freeze({
      lowercase: options.lowercase ?? DEFAULT_TOKENIZER_OPTIONS.lowercase,
      tokenPattern: options.tokenPattern ?? DEFAULT_TOKENIZER_OPTIONS.tokenPattern,
    });
    const problem = checkTokenPattern(this.options.tokenPattern);
    // Settings are checked before a tokenizer is made; a vocab.json from disk is not.
    if (problem) throw fail('BadTrainValue', `token_pattern ${JSON.stringify(this.options.tokenPattern)}: ${problem}`);
    this.re = new RegExp(this.options.tokenPattern, 'gu');
  }

  tokenize(text: string): string[] {
    // NFC so that a precomposed `é` and `e` + combining accent are one token.
    let s = text.normalize('NFC');
    if (this.options.lowercase) s = s.toLowerCase();
    const out: string[] = [];
    // matchAll steps over empty matches (code-point aware) and clones the regex, so no shared lastIndex.
    for (const m of s.matchAll(this.re)) if (m[0] !== '') out.push(m[0]);
    return out;
  }
}

/** Tokenizes one text with the given (or default) options. */
export function tokenize(text: string, options: Partial<TokenizerOptions> = {}): string[] {
  return new Tokenizer(options).tokenize(text);
}
