import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { BUILTINS, TRAIN_SETTINGS } from '../../src/language/builtins.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const grammarPath = join(root, 'grammar/rnn.tmLanguage.json');

test('the TextMate grammar passes its annotated fixtures (vscode-tmgrammar-test)', () => {
  const require = createRequire(import.meta.url);
  const tool = join(require.resolve('vscode-tmgrammar-test/package.json'), '../dist/unit.js');
  const r = spawnSync(process.execPath, [tool, '--compact', '-g', grammarPath, 'test/grammar/*.rnn'], { cwd: root, encoding: 'utf8' });
  expect(r.stdout + r.stderr).not.toContain('✖');
  expect(r.stdout).toContain('pipeline.rnn');
  expect(r.status).toBe(0);
});

interface Rule {
  match?: string;
  patterns?: Rule[];
}

/** The words of the grammar's `\b(a|b|c)\b` alternation in the named repository rule(s). */
function words(rule: Rule, first: RegExp): string[] {
  const rules = [rule, ...(rule.patterns ?? [])];
  const r = rules.find((x) => x.match && first.test(x.match));
  const m = r?.match && /\\b\(([a-z_|0-9]+)\)/.exec(r.match);
  return m ? m[1]!.split('|').sort() : [];
}

test('the grammar names exactly the built-in layers, flags and enum values', () => {
  const grammar = JSON.parse(readFileSync(grammarPath, 'utf8')) as { scopeName: string; repository: Record<string, Rule> };
  expect(grammar.scopeName).toBe('source.rnn');
  const repo = grammar.repository;
  expect(words(repo['call']!, /embed/)).toEqual(BUILTINS.filter((b) => b.makes === 'layer').map((b) => b.name).sort());
  expect(words(repo['call']!, /vectors/)).toEqual(BUILTINS.filter((b) => b.makes === 'source').map((b) => b.name).sort());
  expect(words(repo['flag']!, /frozen/)).toEqual([...new Set(BUILTINS.flatMap((b) => b.params.filter((p) => p.flag).map((p) => p.name)))].sort());
  // Enum values that are words (`word2vec-binary` can only be written as a string).
  const values = [...BUILTINS.flatMap((b) => b.params), ...TRAIN_SETTINGS].flatMap((p) => (p.type === 'enum' ? [...(p.values ?? [])] : []));
  expect(words(repo['constant']!, /relu/)).toEqual([...new Set(values.filter((v) => /^[a-z_0-9]+$/.test(v)))].sort());
});
