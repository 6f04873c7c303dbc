#!/usr/bin/env node
// Builds rnnc-vscode-VERSION.vsix with the official packaging tool (@vscode/vsce), offline:
// `npm install` here once, then `npm run package-vsix` (extra arguments go to `vsce package`).
// The client is bundled into one file with esbuild (the repository's), so the .vsix carries no
// node_modules. The grammar lives once in the repository (grammar/rnn.tmLanguage.json); it is
// copied in because an extension may only contain files under its own folder.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = fileURLToPath(new URL('..', import.meta.url));
mkdirSync(`${here}syntaxes`, { recursive: true });
copyFileSync(`${here}../../grammar/rnn.tmLanguage.json`, `${here}syntaxes/rnn.tmLanguage.json`);

await build({
  entryPoints: [`${here}extension.js`],
  outfile: `${here}dist/extension.js`,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  minify: true,
  // Provided by VS Code at run time.
  external: ['vscode'],
  logLevel: 'warning',
});

const require = createRequire(import.meta.url);
const vsce = require.resolve('@vscode/vsce/vsce');
const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', ...process.argv.slice(2)], { cwd: here, stdio: 'inherit' });
process.exitCode = r.status ?? 1;
