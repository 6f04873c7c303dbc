import { getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
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
 * Reads a hand-written `.rnn.json` IR, keeping a JSON pointer → span map so that schema and
 * check diagnostics point into the JSON text as they would into a `.rnn` file.
 */
export function readJsonIr(text: string): JsonReadResult {
  const refused = (d: Diagnostic): JsonReadResult => ({ value: undefined, pointers: new Map(), diagnostics: [d] });
  if (text.length > MAX_SOURCE_CHARS) {
    return refused(diag('FileTooLarge', { start: 0, end: 0 }, `file too large: ${formatCount(text.length)} characters (limit ${formatCount(MAX_SOURCE_CHARS)})`));
  }
  // Nesting is measured on the text before anything recursive (the walk below, getNodeValue,
  // the schema validator) sees it.
  const deep = tooDeep(text);
  if (deep !== undefined) {
    return refused(diag('NestingTooDeep', { start: deep, end: deep + 1 }, `arrays and objects nested more than ${MAX_NESTING} deep`, { help: 'an IR file is a few levels deep' }));
  }
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const diagnostics = errors.map((e) => {
    const name = printParseErrorCode(e.error);
    // At least one character wide where there is one: an error at the end of the text (an empty
    // or truncated file) is an empty range there, not one past it.
    const start = Math.min(e.offset, text.length);
    const end = Math.min(text.length, start + Math.max(e.length, 1));
    return diag('InvalidJson', { start, end }, describeError[name] ?? name);
  });
  const pointers = new Map<string, Span>();
  const walk = (node: Node, pointer: string): void => {
    pointers.set(pointer, { start: node.offset, end: node.offset + node.length });
    // Under a long key every descendant's pointer repeats it: a 100,000-character key over 500
    // items hashed 100 MB of pointers (3 s). Diagnostics only point at IR properties, whose
    // pointers are short; deeper, the span of the nearest recorded ancestor is used.
    if (pointer.length > MAX_POINTER_CHARS) return;
    if (node.type === 'object') {
      for (const prop of node.children ?? []) {
        const [key, value] = prop.children ?? [];
        if (!key) continue;
        const p = `${pointer}/${escapeToken(String(key.value))}`;
        pointers.set(`${p}#key`, { start: key.offset, end: key.offset + key.length });
        if (value) walk(value, p);
      }
    } else if (node.type === 'array') {
      (node.children ?? []).forEach((child, i) => walk(child, `${pointer}/${i}`));
    }
  };
  if (root) walk(root, '');
  if (!root && diagnostics.length === 0) diagnostics.push(diag('InvalidJson', { start: 0, end: 0 }, 'empty JSON file'));
  return { value: root && diagnostics.length === 0 ? getNodeValue(root) : undefined, pointers, diagnostics };
}
