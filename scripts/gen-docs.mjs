// Rewrites the generated tables of the docs from their sources (run after `npm run build`):
// the `train { }` settings table of docs/language.md, from src/ir/settings.ts.
// `node scripts/gen-docs.mjs --check` changes nothing and fails if a table is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { settingsMarkdown } from '../dist/ir/settings.js';

const check = process.argv.includes('--check');
const file = new URL('../docs/language.md', import.meta.url);
const text = readFileSync(file, 'utf8');
const start = '<!-- generated: settings table (scripts/gen-docs.mjs) -->';
const end = '<!-- end of generated settings table -->';
const i = text.indexOf(start);
const j = text.indexOf(end);
if (i < 0 || j < i) throw new Error(`docs/language.md lacks the markers ${start} … ${end}`);
const next = `${text.slice(0, i + start.length)}\n${settingsMarkdown()}\n${text.slice(j)}`;
if (next === text) process.exit(0);
if (check) {
  console.error('docs/language.md: the settings table is out of date; run npm run build && node scripts/gen-docs.mjs');
  process.exit(1);
}
writeFileSync(file, next);
console.log('updated docs/language.md');
