import { printParseErrorCode, visit, type ParseError } from 'jsonc-parser';
import { clip } from '../language/quote.js';
import { diag } from '../diagnostics/codes.js';
import type { Diagnostic, Span } from '../diagnostics/types.js';
import { MAX_NESTING, MAX_SOURCE_CHARS } from '../limits.js';
import { formatCount } from '../util/numbers.js';

export interface JsonReadResult {
  value: unknown;
  pointers: Map<string, Span>;
  diagnostics: Diagnostic[];
}

/** Values below a pointer longer than this get no pointer of their own (see `readJsonIr`). */
const MAX_POINTER_CHARS = 256;

/**
 * How deep the IR schema describes values: `/layers/0/layer/units`, `/layers/0/pretrained/path`
 * (a value at this depth is a number, string or boolean). Deeper values get no pointer.
 */
const MAX_IR_DEPTH = 4;

function escapeToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

const describeError: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'expected a property name',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected `:`',
  CommaExpected: 'expected `,`',
  CloseBraceExpected: 'expected `}`',
  CloseBracketExpected: 'expected `]`',
  EndOfFileExpected: 'unexpected text after the end',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape',
  InvalidCharacter: 'invalid character in string',
};

/** The offset of the first bracket nested deeper than MAX_NESTING (strings skipped), if any. */
function tooDeep(text: string): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_NESTING) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}

/**
 * The span of every IR value of a valid JSON text, by JSON pointer (`#key` suffix: a property's
 * name), in one pass over the characters. Values deeper than MAX_IR_DEPTH, or below a pointer
 * longer than MAX_POINTER_CHARS, get none: diagnostics only point at IR properties, which are
 * shallow with short pointers, and an unmapped value takes its nearest ancestor's span. (Every
 * pointer under a long key repeats it: a 100,000-character key over 500 items made 100 MB of
 * pointers.) The text must be valid JSON, nested at most MAX_NESTING deep.
 */
function spansOf(text: string): Map<string, Span> {
  const pointers = new Map<string, Span>();
  let i = 0;
  const blanks = (): void => {
    for (let c = text.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = text.charCodeAt(++i));
  };
  // From an opening quote to just after its closing quote.
  const skipString = (): void => {
    for (i++; ; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x5c) i++;
      else if (c === 0x22) break;
    }
    i++;
  };
  const value = (pointer: string | undefined, depth: number): void => {
    blanks();
    const start = i;
    const c = text.charCodeAt(i);
    const inner = pointer !== undefined && depth < MAX_IR_DEPTH && pointer.length <= MAX_POINTER_CHARS;
    if (c === 0x7b) {
      i++;
      blanks();
      if (text.charCodeAt(i) === 0x7d) i++;
      else {
        for (;;) {
          blanks();
          const keyStart = i;
          skipString();
          let child: string | undefined;
          if (inner) {
            child = `${pointer}/${escapeToken(JSON.parse(text.slice(keyStart, i)) as string)}`;
            pointers.set(`${child}#key`, { start: keyStart, end: i });
          }
          blanks();
          i++; // :
          value(child, depth + 1);
          blanks();
          if (text.charCodeAt(i++) === 0x7d) break; // } (else a comma)
        }
      }
    } else if (c === 0x5b) {
      i++;
      blanks();
      if (text.charCodeAt(i) === 0x5d) i++;
      else {
        for (let n = 0; ; n++) {
          value(inner ? `${pointer}/${n}` : undefined, depth + 1);
          blanks();
          if (text.charCodeAt(i++) === 0x5d) break; // ] (else a comma)
        }
      }
    } else if (c === 0x22) skipString();
    else {
      // A number, true, false or null runs to the next delimiter.
      for (let d = text.charCodeAt(i); i < text.length && d !== 0x2c && d !== 0x5d && d !== 0x7d && d !== 0x20 && d !== 0x09 && d !== 0x0a && d !== 0x0d; d = text.charCodeAt(++i));
    }
    if (pointer !== undefined) pointers.set(pointer, { start, end: i });
  };
  value('', 0);
  return pointers;
}

/**
 * Reads a hand-written `.rnn.json` IR, keeping a JSON pointer → span map so that schema and
 * check diagnostics point into the JSON text as they would into a `.rnn` file. A text with
 * syntax errors has no value, and so no pointers.
 */
export function readJsonIr(text: string): JsonReadResult {
  const refused = (d: Diagnostic): JsonReadResult => ({ value: undefined, pointers: new Map(), diagnostics: [d] });
  if (text.length > MAX_SOURCE_CHARS) {
    return refused(diag('FileTooLarge', { start: 0, end: 0 }, `file too large: ${formatCount(text.length)} characters (limit ${formatCount(MAX_SOURCE_CHARS)})`));
  }
  // Nesting is measured on the text before anything recursive (the span scan, the schema
  // validator) sees it.
  const deep = tooDeep(text);
  if (deep !== undefined) {
    return refused(diag('NestingTooDeep', { start: deep, end: deep + 1 }, `arrays and objects nested more than ${MAX_NESTING} deep`, { help: 'an IR file is a few levels deep' }));
  }
  // jsonc-parser finds every syntax error with its place; building its tree as well took 1 s
  // per megabyte, so the value comes from JSON.parse and the spans from one scan of the text.
  const errors: ParseError[] = [];
  visit(text, { onError: (error, offset, length) => void errors.push({ error, offset, length }) }, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const diagnostics = errors.map((e) => {
    const name = printParseErrorCode(e.error);
    // At least one character wide where there is one: an error at the end of the text (an empty
    // or truncated file) is an empty range there, not one past it.
    const start = Math.min(e.offset, text.length);
    const end = Math.min(text.length, start + Math.max(e.length, 1));
    return diag('InvalidJson', { start, end }, describeError[name] ?? name);
  });
  if (diagnostics.length > 0) return { value: undefined, pointers: new Map(), diagnostics };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // Text jsonc-parser accepts and JSON.parse does not: none is known (a test compares them).
    return refused(diag('InvalidJson', { start: 0, end: 0 }, clip(e instanceof Error ? e.message : String(e), 200)));
  }
  return { value, pointers: spansOf(text), diagnostics: [] };
}
