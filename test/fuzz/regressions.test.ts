import fc from 'fast-check';
import { getNodeValue, parseTree, type Node } from 'jsonc-parser';
import { describe, expect, test } from 'vitest';
import { MAX_DIAGNOSTICS, MAX_TOKENS } from '../../src/limits.js';
import { formatSource } from '../../src/fmt/format.js';
import { readJsonIr } from '../../src/ir/json.js';
import { validate as generated } from '../../src/ir/schema-validator.gen.js';
import { schemaErrorsOf, validateProgram } from '../../src/ir/validate.js';
import { completions } from '../../src/lsp/completion.js';
import { analyze } from '../../src/lsp/document.js';
import { checkText } from '../../src/program.js';
import { sharedParser } from '../../src/syntax/parser.js';
import { parseSource } from '../../src/syntax/parse.js';
import { checkResultInvariants } from './invariants.js';

/**
 * What the fuzzer found (and what investigating it turned up), each with a test that failed
 * before its fix; beside them, tests that the fix left ordinary input as it was. The inputs are
 * the shrunk reproducers, scaled where size is the point; work is counted, not timed.
 */

function check(text: string, fileName = 'found.rnn') {
  const r = checkText(text, { fileName });
  checkResultInvariants(text, r);
  return r;
}

describe('the parser on text with thousands of errors in one repetition', () => {
  // Chevrotain re-entered the repetition once per error it recovered from: a stack overflow.
  test.each([
    ['a pipeline stage', `embed(8) |> ${'a = '.repeat(20_000)}`],
    ['a call’s arguments', `embed(${'1 = '.repeat(20_000)})`],
    ['a train block', `train { ${'a: 1 = '.repeat(12_000)}}`],
  ])('%s: no stack overflow, at most the cap of diagnostics', (_, text) => {
    const r = check(text);
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(r.diagnostics.length).toBeLessThanOrEqual(MAX_DIAGNOSTICS + 1);
  });

  test('the first errors are still reported one by one', () => {
    const text = 'embed(8) |> a = b = c |> dense(1)\n';
    expect(parseSource(text).diagnostics.map((d) => [d.code, d.span.start])).toEqual([
      ['E1004', 14],
      ['E1004', 18],
    ]);
  });

  // Each recovery scanned to the end of the text for a token to re-synchronize on, and a failed
  // one gave that work up: 100 scans of the whole text (8 s for 1.6 MB). Counted, not timed.
  test('recovery looks ahead a bounded distance, not to the end of the text each time', () => {
    // LA is protected: reached through a cast, as Chevrotain's recovery reaches it.
    const parser = sharedParser() as unknown as { LA(k: number): unknown };
    const la = parser.LA.bind(parser);
    let calls = 0;
    parser.LA = (k: number) => {
      calls++;
      return la(k);
    };
    try {
      const n = 20_000;
      const parsed = parseSource(`embed(${'1 = '.repeat(n)})`);
      expect(parsed.aborted).toBe(false);
      expect(calls / (2 * n)).toBeLessThan(20);
    } finally {
      delete (parser as { LA?: unknown }).LA;
    }
  });

  // Every `()` was an error with its own exception: 2 million of them ran out of memory.
  test('parsing stops after the cap of errors, and the last diagnostic says so', () => {
    const text = `embed(8)\n${'()'.repeat(20_000)}`;
    const parsed = parseSource(text);
    expect(parsed.stopped).toBe(true);
    expect(parsed.diagnostics.length).toBe(MAX_DIAGNOSTICS);
    const r = check(text);
    expect(r.diagnostics.length).toBe(MAX_DIAGNOSTICS + 1);
    expect(r.diagnostics[MAX_DIAGNOSTICS]!.message).toMatch(/parsing stopped after 100 syntax errors/);
    // Ordinary broken text is parsed to its end.
    expect(parseSource('embed(8) |> () |> dense(1)').stopped).toBe(false);
  });
});

describe('specs with hundreds of thousands of statements', () => {
  // 4 Mi characters of `1 1 1 …` are two million statements: the parser's tree ran out of memory.
  test('more than MAX_TOKENS tokens are refused before parsing, at the first token past the limit', () => {
    const text = '1 '.repeat(MAX_TOKENS + 10);
    const r = check(text);
    expect(r.diagnostics.map((d) => [d.code, d.span.start, d.message])).toEqual([['E1009', 2 * MAX_TOKENS, `file too large: ${(MAX_TOKENS + 10).toLocaleString('en-US')} tokens (limit ${MAX_TOKENS.toLocaleString('en-US')})`]]);
  });

  test('a large real spec is far below the limit', () => {
    const lines = Array.from({ length: 999 }, (_, i) => `let b${i} = ${i % 2 ? 'dense(16, relu)' : 'dropout(0.1)'}  # block ${i}`);
    const text = `${lines.join('\n')}\nembed(16, vocab: 1000)\n  |> ${lines.map((_, i) => `b${i}`).join(' |> ')}\n  |> lstm(8) |> dense(1)\n`;
    expect(check(text).diagnostics.map((d) => d.code)).not.toContain('E1009');
  });
});

describe('the IR reader (.rnn.json)', () => {
  // The error at the end of the text was given a range one character past it.
  test.each([
    ['an empty file', ''],
    ['only blanks', '  \n'],
    ['a truncated file', '{"format": "rnnc-ir", "version": 1, "layers": ['],
    ['a truncated key', '{"lay'],
  ])('%s: every range lies within the text', (_, text) => {
    const r = check(text, 'found.rnn.json');
    expect(r.diagnostics.length).toBeGreaterThan(0);
    for (const d of r.diagnostics) expect(d.span.end).toBeLessThanOrEqual(text.length);
  });

  // Every value under a long key had a pointer repeating the key: quadratic (a hang in fuzzing).
  test('pointers stay proportional to the text under a long key', () => {
    const text = JSON.stringify({ ['k'.repeat(20_000)]: Array.from({ length: 1000 }, () => [0]), layers: [] });
    const { pointers } = readJsonIr(text);
    let chars = 0;
    for (const p of pointers.keys()) chars += p.length;
    expect(chars).toBeLessThan(4 * text.length);
    // The unknown key itself is still pointed at.
    const r = checkText(text, { fileName: 'found.rnn.json' });
    expect(r.diagnostics.find((d) => d.code === 'E2003')?.span).toEqual({ start: 1, end: 20_003 });
  });

  // ajv's generated code concatenates its error list at each `$ref`: validating N invalid layers
  // in one call copied O(N²) errors (64,000 layers: 156 s). Counted, not timed.
  test('schema validation copies errors in linear time', () => {
    const n = 2000;
    const value = { format: 'rnnc-ir', version: 1, layers: Array.from({ length: n }, () => ({ kind: 'lstm', units: 0, x: 1 })) };
    const { pointers } = readJsonIr(JSON.stringify(value));
    const concat = Array.prototype.concat;
    let copied = 0;
    Array.prototype.concat = function (this: unknown[], ...items: unknown[]) {
      copied += this.length;
      return concat.apply(this, items);
    } as typeof concat;
    let ds;
    try {
      ds = validateProgram(value, pointers);
    } finally {
      Array.prototype.concat = concat;
    }
    expect(ds.length).toBe(2 * n);
    expect(copied).toBeLessThan(10 * n);
  });

  test('validating layer by layer finds exactly what one whole validation finds', () => {
    const show = (es: { instancePath: string; keyword: string; params: unknown }[]): string[] => es.map((e) => `${e.instancePath} ${e.keyword} ${JSON.stringify(e.params)}`).sort();
    const whole = (value: unknown): string[] => {
      const v = generated as unknown as { (x: unknown): boolean; errors?: { instancePath: string; keyword: string; params: unknown }[] | null };
      return v(value) ? [] : show(v.errors ?? []);
    };
    const cases: unknown[] = [
      { format: 'rnnc-ir', version: 1, layers: [{ kind: 'embedding', input_dim: 1, output_dim: 0 }, { kind: 'bidirectional', layer: { kind: 'dense', units: 1 } }, { kind: 'lsmt' }, 7], train: { lr: 0 }, extra: 1 },
      { format: 'x', version: 2, layers: [] },
      { format: 'rnnc-ir', version: 1, layers: 'none' },
      [{ layers: [{}] }],
      { layers: [{ kind: 'gru', units: 1.5, reset_after: true, name: '1a' }, { kind: 'embedding', input_dim: 2, output_dim: 1, pretrained: { source: 'vectors', path: '', oov: 'x' } }] },
      { format: 'rnnc-ir', version: 1, layers: [{ kind: 'dense', units: 1 }] },
    ];
    for (const value of cases) expect(show(schemaErrorsOf(value)), JSON.stringify(value)).toEqual(whole(value));
  });
});

describe('the IR reader’s spans', () => {
  // Every value of `[[[[…]]]]` layers had a pointer of its own: 60 × 10,000 of them (4 s).
  test('values deeper than the IR’s properties get no pointer of their own', () => {
    const n = 1000;
    const text = JSON.stringify({ format: 'rnnc-ir', version: 1, layers: Array.from({ length: n }, () => JSON.parse(`${'['.repeat(50)}${']'.repeat(50)}`) as unknown) });
    expect(readJsonIr(text).pointers.size).toBeLessThan(4 * n);
  });

  /** What jsonc-parser's tree says, with the same limits: the reference for the one-pass scan. */
  function treeSpans(text: string): Map<string, { start: number; end: number }> {
    const out = new Map<string, { start: number; end: number }>();
    const walk = (node: Node, pointer: string, depth: number): void => {
      out.set(pointer, { start: node.offset, end: node.offset + node.length });
      if (depth >= 4 || pointer.length > 256) return;
      if (node.type === 'object') {
        for (const prop of node.children ?? []) {
          const [key, value] = prop.children!;
          const p = `${pointer}/${String(key!.value).replace(/~/g, '~0').replace(/\//g, '~1')}`;
          out.set(`${p}#key`, { start: key!.offset, end: key!.offset + key!.length });
          if (value) walk(value, p, depth + 1);
        }
      } else if (node.type === 'array') node.children!.forEach((c, i) => walk(c, `${pointer}/${i}`, depth + 1));
    };
    walk(parseTree(text)!, '', 0);
    return out;
  }

  test('the one-pass scan finds the spans jsonc-parser’s tree has, and JSON.parse the same value', () => {
    const blanks = fc.constantFrom(0, 1, 2, '\t', ' \r\n ');
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), blanks, (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        const r = readJsonIr(text);
        expect(r.diagnostics).toEqual([]);
        expect([...r.pointers].sort()).toEqual([...treeSpans(text)].sort());
        expect(r.value).toEqual(getNodeValue(parseTree(text)!));
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});

describe('messages quote what the user wrote, cut short', () => {
  const long = 'q'.repeat(100_000);
  // Each of these quoted its whole input: up to 177 KB for one message.
  test.each([
    ['an IR value of the wrong type', `{"format": "rnnc-ir", "version": 1, "layers": [{"kind": "lstm", "units": [${'1,'.repeat(50_000)}1]}]}`, 'found [1,1,'],
    ['an unknown IR property', `{"format": "rnnc-ir", "version": 1, "layers": [{"kind": "lstm", "units": 1, "${long}": 0}]}`, 'unknown property `qqq'],
    ['an IR string not allowed', `{"format": "rnnc-ir", "version": 1, "layers": [{"kind": "lstm", "units": 1, "activation": "${long}"}]}`, 'found `qqq'],
    ['an unknown layer', `embed(8) |> ${long}(1)`, 'unknown layer `qqq'],
    ['an undefined name', `embed(8) |> ${long}`, '`qqq'],
    ['a long number', `embed(0.${'1'.repeat(5000)})`, 'found `0.111'],
    ['a number out of range', `embed(${'9'.repeat(5000)}e9999)`, 'number out of range'],
    ['an enum value', `embed(8) |> dense(1, activation: "${long}")`, 'found `qqq'],
    ['an unknown argument', `embed(8, ${long}: 1)`, 'has no argument `qqq'],
    ['a train setting', `embed(8) |> lstm(1) train { ${long}: 1 }`, 'unknown train setting `qqq'],
    ['a missing vectors file', `embed(8, pretrained: vectors("${long}")) |> lstm(1) |> dense(1)`, 'not found'],
    ['a long binding cycle', Array.from({ length: 200 }, (_, i) => `let b${i} = b${(i + 1) % 200}`).join('\n') + '\nembed(8) |> b0', 'defined in terms of itself'],
  ])('%s', (_, text, expected) => {
    const r = check(text, text.startsWith('{') ? 'found.rnn.json' : 'found.rnn');
    const d = r.diagnostics.find((x) => x.message.includes(expected));
    expect(d, r.diagnostics.map((x) => x.message.slice(0, 80)).join('\n')).toBeDefined();
    expect(d!.message.length).toBeLessThan(300);
  });
});

describe('fmt on files with thousands of statements', () => {
  // The safety net filtered every token once per statement: quadratic. Counted, not timed.
  test('looks at each token a bounded number of times', () => {
    const n = 2000;
    const text = `${Array.from({ length: n }, (_, i) => `let b${i} = lstm(${(i % 50) + 1})`).join('\n')}\nembed(8) |> b0 |> dense(1)\n`;
    const filter = Array.prototype.filter;
    let visited = 0;
    Array.prototype.filter = function (this: unknown[], ...args: Parameters<typeof filter>) {
      visited += this.length;
      return filter.apply(this, args);
    } as typeof filter;
    let r;
    try {
      r = formatSource(text);
    } finally {
      Array.prototype.filter = filter;
    }
    expect(r).toMatchObject({ layout: 'canonical' });
    expect(visited).toBeLessThan(100 * n);
  });
});

describe('the language server on deeply nested text', () => {
  // Content assist takes time growing with the square of the nesting: completion after 1,400
  // `(` took 1.5 s (the fuzzer's slowest editing session). Counted, not timed.
  test('completion does not ask content assist about a prefix nested deeper than the parser accepts', () => {
    const text = `embed(8) |> lstm(${'('.repeat(1500)}`;
    const parser = sharedParser() as unknown as { computeContentAssist: (...args: unknown[]) => unknown };
    const assist = parser.computeContentAssist;
    let calls = 0;
    parser.computeContentAssist = (...args: unknown[]) => {
      calls++;
      return assist.apply(parser, args);
    };
    try {
      const doc = analyze('file:///deep.rnn', 1, text);
      expect(Array.isArray(completions(doc, text.length, false))).toBe(true);
      expect(calls).toBe(0);
      // A prefix within the limit still gets it.
      completions(analyze('file:///flat.rnn', 1, 'embed(8) |> lstm('), 'embed(8) |> lstm('.length, false);
      expect(calls).toBe(1);
    } finally {
      delete (parser as { computeContentAssist?: unknown }).computeContentAssist;
    }
  });
});

