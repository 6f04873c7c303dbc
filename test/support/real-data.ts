import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/support/real-data.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The shared real datasets live beside the repository, not in it: a user's clone has no
 * `../shared`, so the tests that need them are `describe.skipIf(!hasSharedData)`: they run when
 * the folder exists and show as skipped, not passed, when it does not.
 * `RNNC_SHARED_DATA` points elsewhere (e.g. at a missing folder, to check the no-data path).
 */
export const SHARED_DATA = resolve(REPO_ROOT, process.env.RNNC_SHARED_DATA ?? '../shared/data');

export const hasSharedData = existsSync(SHARED_DATA);

export function sharedFile(...parts: string[]): string {
  return join(SHARED_DATA, ...parts);
}

// `.ci/run` sets this when ../shared/data is beside the checkout, so that a wrong path here (the
// real-data tests all skipped while the data is present) fails instead of passing quietly.
if (process.env.RNNC_REQUIRE_SHARED_DATA === '1' && !hasSharedData) {
  throw new Error(`RNNC_REQUIRE_SHARED_DATA=1 but ${SHARED_DATA} does not exist`);
}
