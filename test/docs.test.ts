import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check } from '../src/index.js';

/** Every ```rnn block in the README and docs/ is a real, valid spec (paths relative to specs/). */
const files = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

function blocks(text: string): { code: string; line: number }[] {
  const out: { code: string; line: number }[] = [];
  const re = /^```rnn\n([\s\S]*?)^```/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ code: m[1]!, line: text.slice(0, m.index).split('\n').length });
  return out;
}

describe('documentation examples', () => {
  it('the docs have rnn examples', () => {
    expect(files.flatMap((f) => blocks(readFileSync(f, 'utf8'))).length).toBeGreaterThan(5);
  });

  for (const f of files) {
    for (const b of blocks(readFileSync(f, 'utf8'))) {
      it(`${f}:${b.line} checks without errors`, () => {
        const r = check(b.code, { fileName: 'specs/doc-example.rnn' });
        expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`)).toEqual([]);
        expect(r.program).toBeDefined();
      });
    }
  }
});

describe('the README keeps up with the CLI and the scripts', () => {
  const readme = readFileSync('README.md', 'utf8');

  it('documents every option of the commands that run a model', async () => {
    const { RUNTIME_OPTIONS } = await import('../src/cli/runtime.js');
    for (const o of RUNTIME_OPTIONS) expect(readme, `--${o.name}`).toContain(`--${o.name}`);
  });

  it('names only npm scripts that exist (here or in the VS Code extension it tells to build)', () => {
    const scriptsOf = (f: string) => Object.keys((JSON.parse(readFileSync(f, 'utf8')) as { scripts: Record<string, string> }).scripts);
    const scripts = [...scriptsOf('package.json'), ...scriptsOf('editors/vscode/package.json')];
    const named = [...readme.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!);
    expect(named).toContain('build:wasm');
    for (const s of named) expect(scripts, `npm run ${s}`).toContain(s);
  });
});

describe('the README\'s structure and the commands it shows', () => {
  const readme = readFileSync('README.md', 'utf8');
  const lines = readme.split('\n');

  it('has its sections, each heading on its own line between blank lines', () => {
    const top = lines.filter((l) => l.startsWith('## ')).map((l) => l.slice(3));
    for (const s of ['Quick start', 'The language in brief', 'CLI', 'Model folders', 'Limits', 'Scaling out', 'Backends and kernels', 'Library', 'Project layout', 'Tests and benchmarks', 'Performance']) {
      expect(top, s).toContain(s);
    }
    let fence = false;
    lines.forEach((l, i) => {
      if (l.startsWith('```')) fence = !fence;
      if (fence) return;
      // A heading glued to the end of a paragraph ("… default 50,000,000).## Backends") is lost.
      if (!/^#{1,6} /.test(l)) return void expect(l, `line ${i + 1}: a heading inside a line`).not.toMatch(/[^#`]#{2,6} [A-Z]/);
      if (i > 0) expect(lines[i - 1], `line ${i + 1}: blank line before "${l}"`).toBe('');
      expect(lines[i + 1], `line ${i + 1}: blank line after "${l}"`).toBe('');
      expect(l.replace(/^#+ /, ''), `line ${i + 1}: one heading per line`).not.toMatch(/#{2,} /);
    });
  });

  it('has a CLI section for every command, and no section for a command that does not exist', async () => {
    const { COMMANDS } = await import('../src/cli/main.js');
    const documented = lines.filter((l) => l.startsWith('### `rnnc ')).map((l) => /^### `rnnc ([a-z]+)/.exec(l)![1]!);
    expect([...new Set(documented)].sort()).toEqual(COMMANDS.map((c) => c.name).sort());
  });

  it('every rnnc command line in a shell block names a real command with options it takes', async () => {
    const { COMMANDS } = await import('../src/cli/main.js');
    const { parseArgs } = await import('../src/cli/args.js');
    const shown: string[] = [];
    for (const m of readme.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
      for (const line of m[1]!.split('\n')) {
        const at = line.search(/(^|[\s&|;])(npx )?rnnc /);
        if (at >= 0) shown.push(line.slice(at).replace(/^[\s&|;]*(npx )?/, '').replace(/\s+#.*$/, ''));
      }
    }
    expect(shown.length).toBeGreaterThan(3);
    for (const cmd of shown) {
      // Shell words: double-quoted strings stay one word.
      const words = [...cmd.matchAll(/"([^"]*)"|(\S+)/g)].map((w) => w[1] ?? w[2]!);
      const [, name, ...rest] = words;
      const command = COMMANDS.find((c) => c.name === name);
      expect(command, cmd).toBeDefined();
      expect(() => parseArgs(rest, [...command!.options, { name: 'help', short: 'h', help: '' }]), cmd).not.toThrow();
    }
  });
});
