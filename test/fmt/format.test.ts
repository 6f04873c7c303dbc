import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { formatSource } from '../../src/fmt/format.js';
import { checkText } from '../../src/program.js';
import { parseSource } from '../../src/syntax/parse.js';
import { seededRandom } from '../../src/util/random.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const specsDir = join(root, 'specs');
const casesDir = join(root, 'test/fmt/cases');

function format(text: string): string {
  const r = formatSource(text);
  if ('diagnostics' in r) throw new Error(`unexpected syntax errors: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.text;
}

/** Comment texts (without trailing blanks), as a sorted list: formatting may move them, never drop or add one. */
function comments(text: string): string[] {
  return parseSource(text)
    .tokens.filter((t) => t.tokenType.name === 'Comment')
    .map((t) => t.image.trimEnd())
    .sort();
}

/** What the program means: its IR when valid, and every diagnostic's code and message. */
function meaning(text: string, fileName: string): unknown {
  const r = checkText(text, { fileName });
  return { program: r.program, diagnostics: r.diagnostics.map((d) => `${d.code} ${d.message}`).sort() };
}

describe('rnnc fmt on every spec', () => {
  const specs = readdirSync(specsDir).filter((f) => f.endsWith('.rnn'));
  test('there are specs to format', () => expect(specs.length).toBeGreaterThan(0));
  for (const name of specs) {
    test(`${name}: idempotent, keeps comments, keeps the IR`, () => {
      const file = join(specsDir, name);
      const text = readFileSync(file, 'utf8');
      const once = format(text);
      expect(format(once)).toBe(once);
      expect(comments(once)).toEqual(comments(text));
      const before = checkText(text, { fileName: file });
      const after = checkText(once, { fileName: file });
      expect(before.program).toBeDefined();
      expect(after.program).toEqual(before.program);
      expect(after.diagnostics.map((d) => d.code)).toEqual(before.diagnostics.map((d) => d.code));
    });
  }
});

describe('layout cases (NAME.rnn → NAME.expected.txt)', () => {
  for (const name of readdirSync(casesDir).filter((f) => f.endsWith('.rnn'))) {
    test(name, () => {
      const text = readFileSync(join(casesDir, name), 'utf8');
      const expected = readFileSync(join(casesDir, name.replace(/\.rnn$/, '.expected.txt')), 'utf8');
      expect(format(text)).toBe(expected);
      expect(format(expected)).toBe(expected);
      expect(comments(expected)).toEqual(comments(text));
      expect(meaning(expected, join(casesDir, name))).toEqual(meaning(text, join(casesDir, name)));
    });
  }
});

describe('formatSource', () => {
  test('refuses text with syntax errors and returns the parser’s diagnostics', () => {
    for (const bad of ['embed(32 |> lstm(8)', 'embed(32) |> |> dense(1)', 'let = lstm(3)', 'train { epochs 3 }', 'lstm("open', 'dense(1) )', '@']) {
      const r = formatSource(bad);
      expect('diagnostics' in r, bad).toBe(true);
      if ('diagnostics' in r) expect(r.diagnostics).toEqual(parseSource(bad).diagnostics);
    }
  });

  test('formats text with semantic errors (they are not its business)', () => {
    expect(format('embed(32)|>lsmt(8)|>dense(1,activation:sigmoidd)')).toBe('embed(32)\n  |> lsmt(8)\n  |> dense(1, activation: sigmoidd)\n');
  });

  test('keeps CRLF line endings, and numbers, strings and names exactly as written', () => {
    const text = 'embed(32, vocab: 1e4)\r\n  |> lstm(8, dropout: .50)  # c\r\n  |> dense(1)\r\n';
    expect(format(text)).toBe(text);
    expect(format('embed(32)|>lstm(8)\r\n')).toBe('embed(32)\r\n  |> lstm(8)\r\n');
    expect(format('embed(1, from: "a\\"b")')).toBe('embed(1, from: "a\\"b")\n');
  });

  test('one-stage pipelines stay on one line; long calls break one argument per line', () => {
    expect(format('embed(8)')).toBe('embed(8)\n');
    const long = `embed(8, from: "${'m'.repeat(90)}")`;
    expect(format(long)).toBe(`embed(\n  8,\n  from: "${'m'.repeat(90)}",\n)\n`);
  });

  test('never joins two statements when moving bindings first', () => {
    // Moving the bindings in front of the pipeline would read `… |> x(embed(8)) …`: order is kept instead.
    const text = '(embed(8)) |> a |> dense(1)\nlet x = lstm(8)\nlet a = lstm(8) |> x\n';
    const once = format(text);
    expect(once).toBe('(embed(8))\n  |> a\n  |> dense(1)\nlet x = lstm(8)\nlet a = lstm(8) |> x\n');
    expect(meaning(once, 'x.rnn')).toEqual(meaning(text, 'x.rnn'));
    expect(format(once)).toBe(once);
  });
});

// RNNC_FMT_SEED=N tries another sequence.
test('random programs with random whitespace and comments: idempotent, same comments, same meaning', () => {
  const random = seededRandom(Number(process.env.RNNC_FMT_SEED ?? 7));
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  let commentId = 0;
  // Between two tokens: any whitespace, or a comment (which must end its line); nothing at all
  // only where the tokens cannot run together.
  const gap = (a: string, b: string | undefined): string => {
    const g = pick([' ', ' ', '', '\n', '  ', '\n\n', '\t', ` # c${commentId++}\n`, `\n# own${commentId++}\n`, '\r\n']);
    return g === '' && /\w$/.test(a) && b !== undefined && /^\w/.test(b) ? ' ' : g;
  };
  const cell = (): string[] => [pick(['lstm', 'gru', 'rnn']), '(', String(1 + int(64)), ...(int(2) ? [',', 'dropout', ':', '0.1'] : []), ...(int(3) === 0 ? [','] : []), ')'];
  const stage = (names: string[]): string[] => {
    const k = int(6);
    const base =
      k === 0 ? cell() : k === 1 ? ['bi', '(', ...cell(), ...(int(2) ? [',', 'merge', ':', pick(['sum', 'concat'])] : []), ')'] : k === 2 && names.length ? [pick(names)] : k === 3 ? ['dropout', '(', '0.5', ')'] : k === 4 ? ['(', ...cell(), '|>', ...cell(), ')'] : cell();
    return int(4) === 0 ? [...base, `x${1 + int(3)}`] : base;
  };
  for (let n = 0; n < 150; n++) {
    const names: string[] = [];
    const statements: string[][] = [];
    for (let i = int(4); i > 0; i--) {
      const name = `b${names.length}`;
      statements.push(['let', name, '=', ...stage(names), ...(int(2) ? ['|>', ...stage(names)] : [])]);
      names.push(name);
    }
    const model = ['embed', '(', String(1 + int(64)), ...(int(2) ? [',', 'vocab', ':', '1000'] : []), ')'];
    for (let i = int(4); i >= 0; i--) model.push('|>', ...stage(names));
    model.push('|>', 'dense', '(', '1', ')');
    statements.splice(int(statements.length + 1), 0, model);
    if (int(2)) statements.splice(int(statements.length + 1), 0, ['train', '{', 'epochs', ':', '3', ...(int(2) ? [',', 'lr', ':', '0.01'] : []), '}']);
    const text = statements.map((s) => s.map((t, i) => t + gap(t, s[i + 1])).join('')).join('\n');
    const once = format(text);
    expect(format(once), text).toBe(once);
    expect(comments(once), text).toEqual(comments(text));
    expect(meaning(once, 'r.rnn'), text).toEqual(meaning(text, 'r.rnn'));
    // Really laid out (the formatter returns text unchanged if its own safety check fails):
    // no tabs, no trailing blanks, single spaces except indentation and before comments.
    for (const l of once.split(/\r?\n/)) {
      expect(l, once).toBe(l.trimEnd());
      expect(l.replace(/^ +/, '').replace(/ {2}#.*$/, ''), once).not.toMatch(/\t| {2}/);
    }
  }
});
