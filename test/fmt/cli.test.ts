import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { BIN, ensureBuilt } from '../lsp/build.js';

const FORMATTED = 'embed(32, vocab: 10000)\n  |> lstm(32)\n  |> dense(1)\n';
const UNFORMATTED = 'embed(32,vocab:10000)|>lstm(32)|>dense(1)';
const BROKEN = 'embed(32 |> lstm(32)\n';

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'rnnc-fmt-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rnnc(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

test('fmt --check: 0 when formatted, 1 listing the files that would change; nothing is written', () => {
  const good = file('good.rnn', FORMATTED);
  const bad = file('bad.rnn', UNFORMATTED);
  expect(rnnc(['fmt', '--check', good])).toEqual({ status: 0, stdout: '', stderr: '1 file already formatted\n' });
  expect(rnnc(['fmt', '--check', good, bad])).toEqual({ status: 1, stdout: `${bad}\n`, stderr: '1 file would be reformatted, 1 already formatted\n' });
  expect(readFileSync(bad, 'utf8')).toBe(UNFORMATTED);
});

test('fmt rewrites files in place, keeps their mode, leaves no temporary file', () => {
  const bad = file('rewrite.rnn', UNFORMATTED);
  chmodSync(bad, 0o640);
  expect(rnnc(['fmt', bad])).toEqual({ status: 0, stdout: '', stderr: 'formatted 1 file, 0 unchanged\n' });
  expect(readFileSync(bad, 'utf8')).toBe(FORMATTED);
  expect(statSync(bad).mode & 0o777).toBe(0o640);
  expect(readdirSync(dir).filter((f) => f.includes('rnnc-fmt'))).toEqual([]);
  // Again: nothing to do.
  expect(rnnc(['fmt', bad]).stderr).toBe('formatted 0 files, 1 unchanged\n');
  expect(rnnc(['fmt', '--check', bad]).status).toBe(0);
});

test('a file with syntax errors is never rewritten: its diagnostics are printed, exit 1', () => {
  const broken = file('broken.rnn', BROKEN);
  const other = file('other.rnn', UNFORMATTED);
  const r = rnnc(['fmt', broken, other]);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`${broken}:1:6: error[E1003]: unclosed \`(\``);
  expect(readFileSync(broken, 'utf8')).toBe(BROKEN);
  // The others are still formatted.
  expect(readFileSync(other, 'utf8')).toBe(FORMATTED);
  expect(rnnc(['fmt', '--check', broken]).status).toBe(1);
});

test('a missing file is an I/O error (exit 2); `-` formats stdin to stdout', () => {
  const r = rnnc(['fmt', join(dir, 'nope.rnn')]);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('cannot read');
  expect(rnnc(['fmt', '-'], UNFORMATTED)).toEqual({ status: 0, stdout: FORMATTED, stderr: '' });
  expect(rnnc(['fmt', '--check', '-'], UNFORMATTED)).toMatchObject({ status: 1, stdout: '<stdin>\n' });
  expect(rnnc(['fmt', '-'], BROKEN)).toMatchObject({ status: 1, stdout: '' });
  expect(rnnc(['fmt']).status).toBe(2);
});
