import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ensureBuilt } from '../lsp/build.js';
import { rnnc as run } from '../cli/run.js';

const FORMATTED = 'embed(32, vocab: 10000)\n  |> lstm(32)\n  |> dense(1)\n';
const UNFORMATTED = 'embed(32,vocab:10000)|>lstm(32)|>dense(1)';
const BROKEN = 'embed(32 |> lstm(32)\n';

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'rnnc-fmt-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rnnc(args: string[], input?: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const r = await run(args, { cwd: dir, ...(input !== undefined ? { input } : {}) });
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

test('fmt --check: 0 when formatted, 1 listing the files that would change; nothing is written', async () => {
  const good = file('good.rnn', FORMATTED);
  const bad = file('bad.rnn', UNFORMATTED);
  expect(await rnnc(['fmt', '--check', good])).toEqual({ status: 0, stdout: '', stderr: '1 file already formatted\n' });
  expect(await rnnc(['fmt', '--check', good, bad])).toEqual({ status: 1, stdout: `${bad}\n`, stderr: '1 file would be reformatted, 1 already formatted\n' });
  expect(readFileSync(bad, 'utf8')).toBe(UNFORMATTED);
});

test('fmt rewrites files in place, keeps their mode, leaves no temporary file', async () => {
  const bad = file('rewrite.rnn', UNFORMATTED);
  chmodSync(bad, 0o640);
  expect(await rnnc(['fmt', bad])).toEqual({ status: 0, stdout: '', stderr: 'formatted 1 file, 0 unchanged\n' });
  expect(readFileSync(bad, 'utf8')).toBe(FORMATTED);
  expect(statSync(bad).mode & 0o777).toBe(0o640);
  expect(readdirSync(dir).filter((f) => f.includes('rnnc-fmt'))).toEqual([]);
  // Again: nothing to do.
  expect((await rnnc(['fmt', bad])).stderr).toBe('formatted 0 files, 1 unchanged\n');
  expect((await rnnc(['fmt', '--check', bad])).status).toBe(0);
});

test('a file with syntax errors is never rewritten: its diagnostics are printed, exit 1', async () => {
  const broken = file('broken.rnn', BROKEN);
  const other = file('other.rnn', UNFORMATTED);
  const r = await rnnc(['fmt', broken, other]);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`${broken}:1:6: error[E1003]: unclosed \`(\``);
  expect(readFileSync(broken, 'utf8')).toBe(BROKEN);
  // The others are still formatted.
  expect(readFileSync(other, 'utf8')).toBe(FORMATTED);
  expect((await rnnc(['fmt', '--check', broken])).status).toBe(1);
});

test('a missing file is an I/O error (exit 2); `-` formats stdin to stdout', async () => {
  const r = await rnnc(['fmt', join(dir, 'nope.rnn')]);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('cannot read');
  expect(await rnnc(['fmt', '-'], UNFORMATTED)).toEqual({ status: 0, stdout: FORMATTED, stderr: '' });
  expect(await rnnc(['fmt', '--check', '-'], UNFORMATTED)).toMatchObject({ status: 1, stdout: '<stdin>\n' });
  expect(await rnnc(['fmt', '-'], BROKEN)).toMatchObject({ status: 1, stdout: '' });
  expect((await rnnc(['fmt'])).status).toBe(2);
});
