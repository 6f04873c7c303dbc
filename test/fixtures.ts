import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';

/**
 * A temporary folder for one test file, removed after it; `fixture` writes each file into
 * a fresh subfolder so fixtures never see each other.
 */
export function fixtureDir(prefix: string): { dir: string; fixture: (name: string, content: string | Buffer) => string } {
  const dir = mkdtempSync(join(tmpdir(), `rnnc-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return {
    dir,
    fixture(name, content) {
      const sub = join(dir, String(n++));
      mkdirSync(sub);
      const p = join(sub, name);
      writeFileSync(p, content);
      return p;
    },
  };
}

/** Awaits a promise that must reject with an instance of `type`, and returns the error. */
export async function rejection<E>(p: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(type);
  return e as E;
}
