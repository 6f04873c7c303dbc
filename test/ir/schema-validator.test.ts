import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

describe('the precompiled IR validator', () => {
  // The validator the front end runs is generated from grammar/ir.schema.json; a stale file would
  // accept or refuse IR the schema says otherwise about. (Asynchronous: never blocks a worker.)
  it('matches grammar/ir.schema.json', async () => {
    const run = promisify(execFile)(process.execPath, [join(ROOT, 'scripts/gen-validator.mjs'), '--check'], { cwd: ROOT });
    await expect(run).resolves.toBeDefined();
  });
});
