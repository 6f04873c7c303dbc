import { fileURLToPath } from 'node:url';
import type { IToken } from 'chevrotain';
import type { LineIndex } from '../diagnostics/positions.js';
import type { Span } from '../diagnostics/types.js';
import { checkText, type CheckResult } from '../program.js';
import { MAX_SOURCE_CHARS } from '../syntax/parse.js';
import { inSourceOrder, lex } from '../syntax/tokens.js';
import { occurrences, type Occurrence } from './occurrences.js';

/** A document's text checked once per version; every feature reads from this. */
export interface Analyzed {
  uri: string;
  version: number;
  text: string;
  result: CheckResult;
  lines: LineIndex;
  /** Every token, comments included, in source order (lexed on first use). */
  tokens(): IToken[];
  /** The syntax tree's words and literals (collected on first use). */
  occurrences(): Occurrence[];
  /** IR layer indices by the span of the call that made them (`start:end`); `inner` for a `bi` cell. */
  layersBySpan(): Map<string, { index: number; inner: boolean }[]>;
}

/** The file path of a `file:` URI, so relative paths in the spec resolve as `rnnc check` resolves them. */
export function fileNameOf(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

export function spanKey(s: Span): string {
  return `${s.start}:${s.end}`;
}

function once<T>(f: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = f();
      done = true;
    }
    return value;
  };
}

/** Checks one version of a document exactly as `rnnc check FILE` would. */
export function analyze(uri: string, version: number, text: string): Analyzed {
  const result = checkText(text, { fileName: fileNameOf(uri) });
  return {
    uri,
    version,
    text,
    result,
    lines: result.lines,
    tokens: once(() => {
      // The parser refuses oversized text before lexing; so do we.
      if (text.length > MAX_SOURCE_CHARS) return [];
      const lexed = lex(text);
      const comments = (lexed.groups['comments'] ?? []);
      return inSourceOrder(lexed.tokens, comments);
    }),
    occurrences: once(() => (result.ast && result.resolution ? occurrences(result.ast, result.resolution) : [])),
    layersBySpan: once(() => {
      const map = new Map<string, { index: number; inner: boolean }[]>();
      for (const [pointer, span] of result.pointers) {
        const m = /^\/layers\/(\d+)(\/layer)?$/.exec(pointer);
        if (!m) continue;
        const key = spanKey(span);
        const list = map.get(key) ?? [];
        list.push({ index: Number(m[1]), inner: !!m[2] });
        map.set(key, list);
      }
      for (const list of map.values()) list.sort((a, b) => a.index - b.index);
      return map;
    }),
  };
}
