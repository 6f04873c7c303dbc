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
