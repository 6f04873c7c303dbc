import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fail, reasonOf, RnncError } from '../diagnostics/error.js';

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

/**
 * Writes a folder of files as a whole: into a temporary sibling, then renamed into place. An
 * existing `dir` that is not empty is replaced only when `refusal(entries)` finds nothing
 * against it (its files are ones this writer made); otherwise nothing is touched and the error
 * gives the refusal's reason (and its help, when it has one). The old
 * folder is renamed aside before the new one takes its place and removed after, so at every
 * moment one complete folder exists (under `dir` or, for an instant, beside it). Every failure
 * is CannotWrite (E4002) with `help`.
 */
export function writeFolderAtomic(
  dir: string,
  files: ReadonlyMap<string, string | Uint8Array>,
  refusal: (entries: string[]) => { why: string; help?: string } | undefined,
  help: string,
): void {
  const target = resolve(dir);
  const cannot = (why: string, cause?: unknown, hint = help) => fail('CannotWrite', `cannot write ${dir}: ${why}`, { file: dir, help: hint, ...(cause !== undefined ? { cause } : {}) });
  let entries: string[] | undefined;
  try {
    if (!statSync(target).isDirectory()) throw cannot('it exists and is not a folder');
    entries = readdirSync(target);
  } catch (e) {
    if (e instanceof RnncError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw cannot(reasonOf(e), e);
  }
  const refused = entries && entries.length > 0 ? refusal(entries) : undefined;
  if (refused) throw cannot(refused.why, undefined, refused.help);
  try {
    replaceFolder(target, files, entries !== undefined);
  } catch (e) {
    throw cannot(reasonOf(e), e);
  }
}

function replaceFolder(target: string, files: ReadonlyMap<string, string | Uint8Array>, exists: boolean): void {
  mkdirSync(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.rnnc.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    mkdirSync(tmp);
    for (const [name, content] of files) writeFileSync(join(tmp, name), content, typeof content === 'string' ? 'utf8' : undefined);
    if (exists) {
      const old = join(dirname(target), `.${basename(target)}.${process.pid}.rnnc.old`);
      rmSync(old, { recursive: true, force: true });
      renameSync(target, old);
      try {
        renameSync(tmp, target);
      } catch (e) {
        renameSync(old, target); // the old folder back where it was
        throw e;
      }
      // The new folder is in place; a leftover old one is only clutter.
      try {
        rmSync(old, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    } else {
      renameSync(tmp, target);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
