import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, readFile, readlink, realpath, rename, rm, rmdir, stat, symlink, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fail, reasonOf, RnncError } from '../diagnostics/error.js';
import { isPlainFileName, MODEL_JSON } from './layout.js';

/**
 * Model folders that are never missing and never half-written.
 *
 * `-o out/m` makes `out/m` a symbolic link to a complete version folder in a hidden store beside
 * it, `out/.m.rnnc/<version>/`. A new version is written and fsynced in full first; then a new
 * link is renamed over `out/m`, which the OS does atomically. A reader at any instant finds the
 * old complete set or the new one (readers here resolve the link once and read every file from
 * the version it names; the version a link leaves is kept until the next replacement, so a read
 * in progress finishes). A crash or `kill -9` at any moment leaves the last complete version in
 * place; half-written versions are removed the next time the folder is written.
 *
 * Training writes a checkpoint every epoch. While `out/m` holds a finished model, a new run's
 * checkpoints go to `out/.m.rnnc/run` instead, so a killed retrain keeps the finished model and
 * `--resume` continues the run; the run's final model replaces `out/m` when it finishes.
 *
 * Node has no atomic exchange of two directories (renameat2), hence links rather than renaming
 * folders. A folder written by an earlier rnnc (a plain directory with a model.json) is moved
 * into the store the first time it is replaced.
 */

/** The store of versions beside `dir`: `.<name>.rnnc`. */
export function storeOf(dir: string): string {
  const abs = resolve(dir);
  return join(dirname(abs), `.${basename(abs)}.rnnc`);
}

const RUN_LINK = 'run';
const LOCK = 'lock';
const TMP_SUFFIX = '.tmp';

/** What `dir` is now, before it is written. */
type DirState =
  | { kind: 'none' }
  | { kind: 'empty' }
  /** A plain directory with a model.json (written before model folders were versioned). */
  | { kind: 'legacy' }
  /** Our link; `version` is the store entry it names. */
  | { kind: 'link'; version: string };

function cannotWrite(dir: string, why: string, help?: string): RnncError {
  return fail('CannotWrite', `cannot write the model to ${dir}: ${why}`, { file: dir, ...(help ? { help } : {}) });
}

/** Classifies `dir`; anything rnnc would not replace is CannotWrite (E4002). */
async function inspect(dir: string): Promise<DirState> {
  let st;
  try {
    st = await lstat(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw cannotWrite(dir, reasonOf(e));
  }
  if (st.isSymbolicLink()) {
    const target = await readlink(dir);
    const prefix = `.${basename(resolve(dir))}.rnnc`;
    const parts = target.split(/[\\/]/);
    // Ours are relative `.<name>.rnnc/<version>` (or absolute to the same place on Windows junctions).
    const version = parts[parts.length - 1] ?? '';
    const store = parts.slice(0, -1).join('/');
    const ours = (store === prefix || resolve(dirname(resolve(dir)), store) === storeOf(dir)) && isPlainFileName(version);
    if (!ours) throw cannotWrite(dir, `it is a symbolic link to ${target}, which rnnc did not make; refusing to replace it`, 'choose another -o');
    return { kind: 'link', version };
  }
  if (!st.isDirectory()) throw cannotWrite(dir, 'it exists and is not a folder');
  const entries = await readdir(dir);
  if (entries.length === 0) return { kind: 'empty' };
  if (entries.includes(MODEL_JSON)) return { kind: 'legacy' };
  throw cannotWrite(dir, `it is a folder with other files (no ${MODEL_JSON}); refusing to replace it`, 'choose a new -o directory');
}

/** Fails before any work when `dir` could not take a model (a file, a foreign link, a folder of other things). */
export async function checkWritable(dir: string): Promise<void> {
  await inspect(resolve(dir));
}

async function syncDir(path: string): Promise<void> {
  // Makes renames durable; some filesystems refuse fsync on a directory, which is harmless.
  try {
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
}

async function writeSynced(path: string, data: string | Buffer): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One writer per model folder at a time: a lock file with the writer's pid, taken over when stale. */
async function lock(dir: string, store: string): Promise<() => Promise<void>> {
  const path = join(store, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => unlink(path).catch(() => undefined);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotWrite(dir, reasonOf(e));
      const pid = Number(await readFile(path, 'utf8').catch(() => ''));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw cannotWrite(dir, `another rnnc (process ${pid}) is writing it`, `wait for it, or remove ${path} if that process is not rnnc`);
      }
      // Left by a process that was killed: take it over.
      await unlink(path).catch(() => undefined);
    }
  }
  throw cannotWrite(dir, `cannot take the lock ${path}`);
}

/** Points `linkPath` at `target` atomically (a new link renamed over the old one). */
async function swapLink(store: string, target: string, linkPath: string): Promise<void> {
  const tmp = join(store, `.link-${randomBytes(6).toString('hex')}`);
  if (process.platform === 'win32') await symlink(resolve(dirname(linkPath), target), tmp, 'junction');
  else await symlink(target, tmp);
  try {
    await rename(tmp, linkPath);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

async function linkTarget(path: string): Promise<string | undefined> {
  try {
    const parts = (await readlink(path)).split(/[\\/]/);
    return parts[parts.length - 1];
  } catch {
    return undefined;
  }
}

function versionName(finished: boolean): string {
  return `${finished ? 'f' : 'c'}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

const isFinished = (version: string | undefined): boolean => version !== undefined && version.startsWith('f-');

export interface PublishOptions {
  /**
   * A finished model (compile, or the end of a training run) replaces `dir`. An unfinished one
   * (a checkpoint) replaces `dir` only when `dir` holds no finished model; otherwise it becomes
   * the store's `run`, which `--resume` reads.
   */
  finished: boolean;
}

export interface Published {
  /** The version folder written. */
  path: string;
  /** Whether `dir` now names it (else the store's `run` does). */
  current: boolean;
}

/**
 * Writes `files` as a new version of the model folder `dir` and points `dir` (or the store's
 * `run`) at it atomically; then removes versions nothing names any more (the one `dir` named
 * before is kept for readers still reading it), half-written versions and stale links.
 * Throws CannotWrite (E4002).
 */
export async function publish(dir: string, files: Record<string, string | Buffer>, opts: PublishOptions): Promise<Published> {
  const target = resolve(dir);
  const parent = dirname(target);
  const store = storeOf(target);
  for (const name of Object.keys(files)) {
    if (!isPlainFileName(name)) throw cannotWrite(dir, `\`${name}\` is not a plain file name`);
  }
  const state = await inspect(target);
  let madeStore = false;
  try {
    madeStore = (await mkdir(store, { recursive: true })) !== undefined;
  } catch (e) {
    throw cannotWrite(dir, reasonOf(e));
  }
  const release = await lock(dir, store);
  const version = versionName(opts.finished);
  const tmp = join(store, `${version}${TMP_SUFFIX}`);
  const final = join(store, version);
  let published = false;
  try {
    // mkdir, not mkdtemp: mkdtemp makes folders 0700, and a model folder must be as readable as
    // any other the user makes (a web server serving model.json runs as another user).
    await mkdir(tmp);
    for (const [name, data] of Object.entries(files)) await writeSynced(join(tmp, name), data);
    await syncDir(tmp);
    await rename(tmp, final);
    await syncDir(store);

    let before = state.kind === 'link' ? state.version : undefined;
    const runBefore = await linkTarget(join(store, RUN_LINK));
    const current = opts.finished || !(state.kind === 'legacy' || isFinished(before));
    if (current) {
      if (state.kind === 'legacy') {
        // The one moment without a folder at `dir`: moving an old-style folder into the store.
        before = `f-legacy-${Date.now().toString(36)}`;
        await rename(target, join(store, before));
      } else if (state.kind === 'empty') {
        await rmdir(target);
      }
      await swapLink(store, join(basename(store), version), target);
      if (opts.finished) await unlink(join(store, RUN_LINK)).catch(() => undefined);
    } else {
      await swapLink(store, version, join(store, RUN_LINK));
    }
    await syncDir(store);
    await syncDir(parent);
    published = true;
    await clean(store, new Set([version, before, current ? undefined : runBefore].filter((v): v is string => v !== undefined)), target);
    return { path: final, current };
  } catch (e) {
    if (!published) {
      // Nothing names the new version: remove it (and a store this call made), leave the rest.
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      await rm(final, { recursive: true, force: true }).catch(() => undefined);
    }
    if (e instanceof RnncError) throw e;
    throw cannotWrite(dir, reasonOf(e));
  } finally {
    await release();
    if (!published && madeStore) await rmdir(store).catch(() => undefined);
  }
}

/** Removes store entries that neither `dir`, `run` nor `keep` names. Holds the lock. */
async function clean(store: string, keep: Set<string>, dir: string): Promise<void> {
  const named = [await linkTarget(dir), await linkTarget(join(store, RUN_LINK))];
  for (const n of named) if (n) keep.add(n);
  for (const entry of await readdir(store)) {
    if (entry === LOCK || entry === RUN_LINK || keep.has(entry)) continue;
    await rm(join(store, entry), { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * The folder to read a model from: `dir` resolved once (so every file comes from one version),
 * or BadModelDir (E4006) when there is no such folder.
 */
export async function resolveModelDir(dir: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw fail('BadModelDir', code === 'ENOENT' ? `no model folder ${dir}` : `cannot read ${dir}: ${reasonOf(e)}`, {
      file: dir,
      help: 'give the folder that `rnnc train -o DIR` or `rnnc compile -o DIR` wrote',
    });
  }
  if (!(await stat(real)).isDirectory()) {
    throw fail('BadModelDir', `${dir} is a file, not a model folder`, {
      file: dir,
      help: 'give the folder that `rnnc train -o DIR` wrote (it holds model.json, weights.bin and vocab.json)',
    });
  }
  return real;
}

/**
 * The folder `train --resume` continues from: an unfinished run beside a finished model if there
 * is one, else `dir` itself; undefined when neither exists.
 */
export async function resumeSource(dir: string): Promise<string | undefined> {
  for (const p of [join(storeOf(dir), RUN_LINK), resolve(dir)]) {
    try {
      return await realpath(p);
    } catch {
      // Not there: try the next.
    }
  }
  return undefined;
}

/** What a model folder holds, for messages before a run: a finished model, an unfinished run (or both), or nothing. */
export async function modelDirStatus(dir: string): Promise<{ finished: boolean; unfinished: boolean }> {
  const target = resolve(dir);
  let st: DirState;
  try {
    st = await inspect(target);
  } catch {
    return { finished: false, unfinished: false };
  }
  const finished = st.kind === 'legacy' || (st.kind === 'link' && isFinished(st.version));
  const unfinished = (st.kind === 'link' && !isFinished(st.version)) || (await linkTarget(join(storeOf(target), RUN_LINK))) !== undefined;
  return { finished, unfinished };
}
