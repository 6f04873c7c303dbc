import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkText } from '../../src/program.js';
import { fuzzResolveDim } from './invariants.js';

/** A seed file for mutation: where it came from and its text. */
export interface SeedFile {
  name: string;
  text: string;
}

function filesUnder(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, ext));
    else if (e.name.endsWith(ext)) out.push(p);
  }
  return out.sort();
}

/** The `rnn` code blocks of a Markdown file. */
function rnnBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```rnn\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/**
 * The `.rnn` texts mutations start from: every spec, the formatter's and the TextMate
 * grammar's fixtures, and the examples of the language reference and the README.
 */
export function rnnSeeds(root: string): SeedFile[] {
  const files = [
    ...filesUnder(join(root, 'specs'), '.rnn'),
    ...filesUnder(join(root, 'test/fmt/cases'), '.rnn'),
    ...filesUnder(join(root, 'test/fmt/cases'), '.expected.txt'),
    ...filesUnder(join(root, 'test/grammar'), '.rnn'),
  ];
  const seeds = files.map((f) => ({ name: relative(root, f), text: readFileSync(f, 'utf8') }));
  for (const doc of ['docs/language.md', 'README.md']) {
    rnnBlocks(readFileSync(join(root, doc), 'utf8')).forEach((text, i) => seeds.push({ name: `${doc}#${i + 1}`, text }));
  }
  return seeds;
}

/**
 * Valid IR texts mutations start from: the `spec.json` that rnnc writes for each spec in
 * specs/ (the checked, normalized program), plus the committed one of the demo model.
 */
export function irSeeds(root: string): SeedFile[] {
  const seeds: SeedFile[] = [];
  for (const f of filesUnder(join(root, 'specs'), '.rnn')) {
    const r = checkText(readFileSync(f, 'utf8'), { fileName: f, resolveDim: fuzzResolveDim(root) });
    if (r.program) seeds.push({ name: `${relative(root, f)}.json`, text: `${JSON.stringify(r.program, null, 2)}\n` });
  }
  for (const f of filesUnder(join(root, 'specs'), 'spec.json')) seeds.push({ name: relative(root, f), text: readFileSync(f, 'utf8') });
  return seeds;
}
