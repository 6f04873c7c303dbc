/**
 * The Neovim 0.7 setup in docs/editors.md, run for real: a headless Neovim with exactly that
 * block as its init.lua (the `rnnc` command pointed at this checkout's bin) opens a spec with an
 * error and must show the server's diagnostic. Runs where `nvim` is installed (`.ci/run` installs
 * Debian's 0.7.2 and sets RNNC_REQUIRE_NEOVIM=1, so there it cannot skip); skipped elsewhere.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bin, repo } from '../cli/run.js';

const version = spawnSync('nvim', ['--version'], { encoding: 'utf8', timeout: 10_000 });
const hasNvim = version.status === 0;
if (process.env.RNNC_REQUIRE_NEOVIM === '1' && !hasNvim) throw new Error('RNNC_REQUIRE_NEOVIM=1 but nvim is not installed');

function run(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('nvim', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

describe.skipIf(!hasNvim)('Neovim 0.7 with the documented setup', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rnnc-nvim-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the server\'s diagnostic for a spec', async () => {
    const doc = readFileSync(join(repo, 'docs/editors.md'), 'utf8');
    const block = [...doc.matchAll(/^```lua\n([\s\S]*?)^```/gm)].map((m) => m[1]!).find((b) => b.includes('vim.lsp.start_client'));
    expect(block).toBeDefined();
    expect(block).toContain("cmd = { 'rnnc', 'lsp' }");
    writeFileSync(join(dir, 'init.lua'), block!.replace("cmd = { 'rnnc', 'lsp' }", `cmd = { ${JSON.stringify(process.execPath)}, ${JSON.stringify(bin)}, 'lsp' }`));
    writeFileSync(join(dir, 'bad.rnn'), 'embed(8, vocab: 100) |> lsmt(4) |> dense(1)\n');
    const show =
      'lua vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 100); ' +
      'io.stdout:write(vim.json.encode(vim.tbl_map(function(d) return { d.lnum, d.col, d.message } end, vim.diagnostic.get(0))) .. "\\n")';
    const r = await run(['--headless', '-n', '-i', 'NONE', '-u', 'init.lua', 'bad.rnn', '-c', show, '-c', 'qa!'], dir);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual([[0, 24, 'unknown layer `lsmt`']]);
  });
});
