import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin/rnnc.js');
const BUNDLE = join(ROOT, 'dist/cli-bundle/main.js');
const LOCK = join(ROOT, 'node_modules/.cache/rnnc-test-bundle.lock');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function stale(): boolean {
  try {
    return statSync(BUNDLE).mtimeMs < newestSource(join(ROOT, 'src'));
  } catch {
    return true;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Makes sure `bin/rnnc.js` runs the current sources. `npm test` builds first, so this is
 * usually a no-op; when run alone (`npx vitest run test/lsp`) it re-bundles with esbuild
 * (well under a second), one test process at a time.
 */
export async function ensureBuilt(): Promise<void> {
  if (!stale()) return;
  mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true });
  for (let i = 0; ; i++) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // Another test process is bundling; a lock older than a minute was left by a crash.
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > 60_000) rmdirSync(LOCK);
      } catch {
        // Released meanwhile.
      }
      if (i > 600) throw new Error('timed out waiting for the bundle lock');
      await sleep(100);
    }
  }
  try {
    if (stale()) execFileSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs')], { stdio: 'inherit' });
  } finally {
    rmdirSync(LOCK);
  }
}
