#!/usr/bin/env node
// `npm run fuzz`: bundles the fuzz harness (test/fuzz/main.ts, which the bounded fuzz tests
// share) with esbuild into dist/fuzz/, dependencies left external, and runs it. Options:
// `npm run fuzz -- --help`.
import { build } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/fuzz/main.mjs`;
await build({
  entryPoints: [`${root}test/fuzz/main.ts`],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
const { main } = await import(pathToFileURL(out).href);
process.exitCode = await main(process.argv.slice(2), pathToFileURL(out));
