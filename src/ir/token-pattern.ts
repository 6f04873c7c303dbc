/** Token patterns: the default, and whether a user's pattern can be one. */

/**
 * Default token pattern, in order of preference at each position:
 * 1. a number with inner separators: `3.5`, `10,000`, `1:30`;
 * 2. a word of letters, marks and digits, with inner apostrophes or hyphens: `don't`, `n't`,
 *    `he's`, `re-imagining`, `21st` (a leading or trailing apostrophe or hyphen is punctuation,
 *    so SST's `'s` becomes `'` `s`, the same at train and predict time);
 * 3. any other single non-space character: `.`, `,`, `"`, `!`, `(`, `$`, `—`.
 * Flags `gu` are always added, so `\p{…}` classes work in user patterns too.
 */
export const DEFAULT_TOKEN_PATTERN =
  "\\p{N}+(?:[.,:]\\p{N}+)+|[\\p{L}\\p{M}\\p{N}]+(?:['’\\-][\\p{L}\\p{M}\\p{N}]+)*|[^\\s]";

/**
 * Why `pattern` cannot be a token pattern, or undefined if it can. Shared by the checker (so
 * `rnnc check` and the editor report it) and the tokenizer.
 */
export function checkTokenPattern(pattern: string): string | undefined {
  if (pattern === '') return 'it is empty';
  try {
    new RegExp(pattern, 'gu');
  } catch (e) {
    // V8 says "Invalid regular expression: /PATTERN/gu: REASON"; the pattern is quoted already.
    return `invalid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, '')}`;
  }
  return undefined;
}
