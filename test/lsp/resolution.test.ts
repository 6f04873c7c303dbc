import { describe, expect, it } from 'vitest';
import type { Hover } from 'vscode-languageserver';
import { completions } from '../../src/lsp/completion.js';
import { analyze, type Analyzed } from '../../src/lsp/document.js';
import { hover } from '../../src/lsp/hover.js';
import { references } from '../../src/lsp/navigation.js';
import { semanticTokens, SEMANTIC_LEGEND } from '../../src/lsp/semantic-tokens.js';

/**
 * The language server resolves nothing itself: which parameter an argument gives and which
 * binding a name reads come from the lowering's published resolution. These pin the cases
 * where a bare word's meaning depends on the call it is in.
 */

const doc = (text: string): Analyzed => analyze('file:///tmp/resolution.rnn', 1, text);

/** References (declarations included) of the word at `offset`, as `start-end` offsets. */
function refs(d: Analyzed, offset: number): string[] {
  return references(d, offset, true).map((l) => {
    const start = d.lines.offsetAt(l.range.start.line, l.range.start.character);
    const end = d.lines.offsetAt(l.range.end.line, l.range.end.character);
    return `${start}-${end}`;
  });
}

function hoverText(d: Analyzed, offset: number): string {
  const h: Hover | null = hover(d, offset);
  return h && typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '';
}

/** Semantic token type of the identifier starting at `offset` (single-line texts). */
function tokenType(d: Analyzed, offset: number): string | undefined {
  const data = semanticTokens(d).data;
  let char = 0;
  for (let i = 0; i < data.length; i += 5) {
    char = data[i] === 0 ? char + data[i + 1]! : data[i + 1]!;
    if (char === offset) return SEMANTIC_LEGEND.tokenTypes[data[i + 3]!];
  }
  return undefined;
}

describe('the language server reads the lowering’s resolution', () => {
  it('a bound flag word is the flag: no references, flag hover, not a variable; elsewhere it is the binding', () => {
    const d = doc('let frozen = 2\nembed(8, frozen) |> lstm(frozen) |> dense(1)');
    // `let frozen` at 4-10, the flag at 24-30, the use in `lstm(frozen)` at 40-46.
    expect(refs(d, 26)).toEqual([]);
    expect(refs(d, 42)).toEqual(['4-10', '40-46']);
    expect(refs(d, 6)).toEqual(['4-10', '40-46']);
    expect(hoverText(d, 26)).toBe('**frozen** (flag): flag: do not train the embedding (its weights count as non-trainable)');
    expect(hoverText(d, 42)).toContain('```rnn\nlet frozen = 2\n```');
  });

  it('the bare `pretrained` flag reads `let pretrained`, and a named argument reads its binding', () => {
    const d = doc('let pretrained = vectors("v.txt")\nlet t = true\nembed(pretrained, trainable: t) |> lstm(4) |> dense(1)');
    // `let pretrained` at 4-14, `let t` at 38-39; the flag at 53-63, `trainable: t` at 65-77.
    expect(refs(d, 55)).toEqual(['4-14', '53-63']);
    expect(refs(d, 76)).toEqual(['38-39', '76-77']);
  });

  it('`trainable: trainable` is a use of the binding, as the lowering evaluates it', () => {
    const text = 'let trainable = true\nembed(8, trainable: trainable) |> lstm(4) |> dense(1)';
    const d = doc(text);
    expect(refs(d, 45)).toEqual(['4-13', '41-50']);
    expect(d.result.bindings[0]!.uses).toEqual([{ start: 41, end: 50 }]);
  });

  it('finds uses the model never evaluates: a second pipeline, a duplicate `let`', () => {
    const d = doc('let a = lstm(4)\nlet a = gru(a)\nembed(8) |> a |> dense(1)\ndense(a)');
    expect(refs(d, 4)).toEqual(['4-5', '20-21', '28-29', '43-44', '63-64']);
  });

  it('colours names by the binding they read', () => {
    const d = doc('let sum = 3 embed(8) |> bi(lstm(sum), merge: sum) |> dense(1)');
    expect(tokenType(d, 32)).toBe('variable');
    expect(tokenType(d, 45)).toBe('variable');
    const flag = doc('let frozen = 1 embed(8, frozen) |> dense(frozen)');
    expect(tokenType(flag, 24)).toBe('enumMember');
    expect(tokenType(flag, 41)).toBe('variable');
  });

  it('completion in a half-typed call matches the arguments before the cursor the same way', () => {
    const text = 'embed(8, frozen, ';
    const inserted = completions(doc(text), text.length, false).map((i) => i.textEdit?.newText);
    // `dim` is given by position and `frozen` as a flag; the others are offered as `key: ` and, for flags, bare.
    expect(inserted).toEqual(['vocab: ', 'pretrained: ', 'pretrained', 'from: ', 'trainable: ', 'trainable', 'mask: ']);
  });
});
