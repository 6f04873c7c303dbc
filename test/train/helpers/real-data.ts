import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

/** The repository root (this file is test/train/helpers/real-data.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The shared real datasets live beside the repository, not in it: a user's clone has no
 * `../shared`, so tests that need them register only when this folder exists.
 * `RNNC_SHARED_DATA` points elsewhere (e.g. at a missing folder, to check the no-data path).
 */
export const SHARED_DATA = resolve(REPO_ROOT, process.env.RNNC_SHARED_DATA ?? '../shared/data');

export const hasSharedData = existsSync(SHARED_DATA);

export function sharedFile(...parts: string[]): string {
  return join(SHARED_DATA, ...parts);
}

/**
 * Registers the one test of a file that always runs: it says plainly when the file's
 * real-data tests could not run, and otherwise checks the data folder is really there.
 */
export function reportSharedData(what: string): void {
  it(`real data is available (or says plainly that the real-data ${what} tests did not run)`, () => {
    if (!hasSharedData) console.warn(`real data not found at ${SHARED_DATA}, real-data ${what} tests not run`);
    else expect(readdirSync(SHARED_DATA).length).toBeGreaterThan(0);
  });
}
