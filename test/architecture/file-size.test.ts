/**
 * Source files stay small enough to read in one sitting: a file over 400 lines must say why in
 * its header comment (a line starting "Longer than 400 lines:"), or be split. Generated files
 * are exempt (they are not read, and they say they are generated).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const LIMIT = 400;
const SOURCE = /\.(ts|mjs|js|c|h)$/;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : files(p);
    return SOURCE.test(e.name) && !e.name.includes('.gen.') ? [p] : [];
  });
}

/** The leading comment lines of a file (after a shebang), where its purpose is stated. */
function header(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (const line of lines.slice(lines[0]?.startsWith('#!') ? 1 : 0)) {
    const t = line.trim();
    if (!(t.startsWith('//') || t.startsWith('/*') || t.startsWith('*') || t === '')) break;
    out.push(t);
  }
  return out.join('\n');
}

describe('source file size', () => {
  const all = ['src', 'scripts', 'bench', 'bin'].flatMap((d) => files(join(ROOT, d)));

  it('finds the sources', () => {
    expect(all.some((f) => f.endsWith('src/syntax/parser.ts'))).toBe(true);
    expect(all.some((f) => f.endsWith('src/kernels/c/cells.c'))).toBe(true);
  });

  it(`no source file is over ${LIMIT} lines without a reason in its header`, () => {
    const long = all
      .map((f) => ({ file: relative(ROOT, f), text: readFileSync(f, 'utf8') }))
      .filter(({ text }) => text.split('\n').length - (text.endsWith('\n') ? 1 : 0) > LIMIT)
      .filter(({ text }) => !/(^|\n)(\/\/|\*|\/\*\*?) ?Longer than 400 lines: \S/.test(header(text)))
      .map(({ file }) => file);
    expect(long).toEqual([]);
  });
});
