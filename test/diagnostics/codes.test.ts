import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Codes } from '../../src/diagnostics/codes.js';
import { fail, RnncError } from '../../src/diagnostics/error.js';
import { renderFileLevel } from '../../src/diagnostics/render.js';
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE, exitCodeFor } from '../../src/cli/exit.js';

const ROOT = join(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.gen.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

const SRC = sources(join(ROOT, 'src'));
const text = new Map(SRC.map((f) => [relative(ROOT, f), readFileSync(f, 'utf8')]));

describe('the code table', () => {
  it('gives every problem its own code, banded by stage, warnings as W', () => {
    const codes = Object.values(Codes).map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of Object.values(Codes)) {
      expect(c.code).toMatch(/^[EW][1-4]\d{3}$/);
      expect(c.code.startsWith('W')).toBe(c.severity === 'warning');
    }
  });

  it('has no code that nothing emits', () => {
    const unused = Object.keys(Codes).filter((name) => {
      const uses = new RegExp(`['"]${name}['"]|Codes\\.${name}\\b`);
      return ![...text].some(([file, t]) => file !== 'src/diagnostics/codes.ts' && uses.test(t));
    });
    expect(unused).toEqual([]);
  });

  it('is the only source of code strings: no module types a code by hand', () => {
    const handTyped = [...text].filter(([file, t]) => file !== 'src/diagnostics/codes.ts' && /['"][EW]\d{4}['"]/.test(t)).map(([file]) => file);
    expect(handTyped).toEqual([]);
  });

  it('is documented: docs/diagnostics.md has a row for each code with its title', () => {
    const doc = readFileSync(join(ROOT, 'docs/diagnostics.md'), 'utf8');
    const missing = Object.values(Codes).filter((c) => !doc.includes(`| ${c.code} | ${c.title} |`)).map((c) => c.code);
    expect(missing).toEqual([]);
  });
});

describe('one error type', () => {
  it('no module outside src/cli defines an error class of its own (but the kernels’ internal thread-start signal)', () => {
    const classes = [...text].flatMap(([file, t]) => [...t.matchAll(/class (\w+) extends (\w*Error)\b/g)].map((m) => `${file}: ${m[1]}`));
    expect(classes.sort()).toEqual([
      'src/cli/args.ts: UsageError',
      'src/diagnostics/error.ts: RnncError',
      // Caught inside kernels/runtime.ts, which then runs the kernels on fewer threads.
      'src/kernels/pool.ts: PoolStartError',
    ]);
  });

  it('carries a file-level diagnostic from the table, with its location', () => {
    const e = fail('BadModelDir', 'out/m: vocab.json is not valid JSON', { file: 'out/m/vocab.json', help: 'train again' });
    expect(e).toBeInstanceOf(RnncError);
    expect(e.code).toBe('E4006');
    expect(e.codeName).toBe('BadModelDir');
    expect(e.message).toBe('out/m: vocab.json is not valid JSON');
    expect(e.location).toEqual({ file: 'out/m/vocab.json' });
    expect(e.diagnostic).toEqual({ severity: 'error', code: 'E4006', message: 'out/m: vocab.json is not valid JSON', span: { start: 0, end: 0 }, help: 'train again' });
    expect(renderFileLevel('rnnc predict', e.diagnostic)).toBe('rnnc predict: error[E4006]: out/m: vocab.json is not valid JSON\n  = help: train again');
  });
});

describe('exit codes', () => {
  const d = (name: keyof typeof Codes) => fail(name, 'x').diagnostic;
  it('0 without errors, 1 for the spec, data and settings, 2 for files, folders, backends and downloads', () => {
    expect(exitCodeFor([])).toBe(EXIT_OK);
    expect(exitCodeFor([d('UnusedBinding')])).toBe(EXIT_OK);
    for (const n of ['UnknownLayer', 'SchemaType', 'BadData', 'BadVectors', 'BadTrainValue', 'NotTrainable', 'ResourceLimit', 'FileTooLarge'] as const) {
      expect([n, exitCodeFor([d(n)])]).toEqual([n, EXIT_ERRORS]);
    }
    for (const n of ['CannotRead', 'CannotWrite', 'BackendUnavailable', 'BadModelDir', 'ResumeMismatch', 'DownloadFailed', 'BadArchive', 'ChartsUnavailable', 'PngConverter', 'CannotListen'] as const) {
      expect([n, exitCodeFor([d(n)])]).toEqual([n, EXIT_USAGE]);
    }
    // The first error decides; warnings before it do not.
    expect(exitCodeFor([d('UnusedBinding'), d('CannotRead'), d('BadData')])).toBe(EXIT_USAGE);
  });
});
