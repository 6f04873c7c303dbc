#!/usr/bin/env node
// `npm run bench`: every speed figure rnnc claims, each measured against a baseline in the same run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
let failed = false;
for (const script of ['frontend.mjs', 'lsp.mjs', 'kernels.mjs', 'cli.mjs']) {
  if (!existsSync(`${here}${script}`)) continue;
  const r = spawnSync(process.execPath, [`${here}${script}`], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
  console.log('');
}
process.exitCode = failed ? 1 : 0;
