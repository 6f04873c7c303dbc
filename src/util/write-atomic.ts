import { chmodSync, mkdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/**
 * Writes a file through a temporary file in the same folder and a rename, so a crash never
 * leaves half a file. An existing file keeps its mode; missing parent folders are made.
 */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  const target = resolve(file);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.rnnc.tmp`);
  try {
    writeFileSync(tmp, text, typeof text === 'string' ? 'utf8' : undefined);
    let mode: number | undefined;
    try {
      mode = statSync(target).mode & 0o7777;
    } catch {
      // A new file: the default mode is right.
    }
    if (mode !== undefined) chmodSync(tmp, mode);
    renameSync(tmp, target);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing was written, or it is already gone.
    }
    throw e;
  }
}
