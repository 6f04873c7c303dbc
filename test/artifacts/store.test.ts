import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkWritable, modelDirStatus, publish, resolveModelDir, resumeSource, storeOf } from '../../src/artifacts/store.js';
import { RnncError } from '../../src/diagnostics/error.js';
import { seededRandom } from '../../src/util/random.js';
import { fixtureDir, rejection } from '../fixtures.js';

const { dir: root } = fixtureDir('store');
let n = 0;
const fresh = (): string => {
  const p = join(root, `t${n++}`);
  mkdirSync(p);
  return join(p, 'model');
};
const files = (gen: number): Record<string, string | Buffer> => ({ 'a.txt': String(gen), 'c.json': JSON.stringify({ gen }) });
const genOf = (dir: string): number => Number(readFileSync(join(dir, 'a.txt'), 'utf8'));
const versions = (dir: string): string[] => readdirSync(storeOf(dir)).filter((e) => e !== 'lock').sort();

describe('publishing a model folder', () => {
  it('makes DIR a link to a complete, readable version in the store beside it', async () => {
    const dir = fresh();
    const old = process.umask(0o022);
    try {
      await publish(dir, files(1), { finished: true });
    } finally {
      process.umask(old);
    }
    expect(lstatSync(dir).isSymbolicLink()).toBe(true);
    expect(readlinkSync(dir)).toMatch(/^\.model\.rnnc\/f-[0-9a-z]+-[0-9a-f]{6}$/);
    expect(readdirSync(dir).sort()).toEqual(['a.txt', 'c.json']);
    expect(genOf(dir)).toBe(1);
    // Readable by others, as a web server serving model.json needs (mkdtemp would make it 0700).
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    expect(statSync(join(dir, 'a.txt')).mode & 0o777).toBe(0o644);
    expect(await resolveModelDir(dir)).toBe(realpathSync(dir));
  });

  it('replaces a finished model, keeping only the version before for readers still reading it', async () => {
    const dir = fresh();
    for (let g = 1; g <= 4; g++) await publish(dir, files(g), { finished: true });
    expect(genOf(dir)).toBe(4);
    expect(versions(dir)).toHaveLength(2);
  });

  it('sends a new run’s checkpoints beside a finished model, and the run’s end replaces it', async () => {
    const dir = fresh();
    await publish(dir, files(1), { finished: true });
    await publish(dir, files(2), { finished: false });
    await publish(dir, files(3), { finished: false });
    // A killed retrain keeps the finished model; --resume reads the run.
    expect(genOf(dir)).toBe(1);
    expect(genOf((await resumeSource(dir))!)).toBe(3);
    expect(await modelDirStatus(dir)).toEqual({ finished: true, unfinished: true });
    await publish(dir, files(4), { finished: true });
    expect(genOf(dir)).toBe(4);
    expect(existsSync(join(storeOf(dir), 'run'))).toBe(false);
    expect(await modelDirStatus(dir)).toEqual({ finished: true, unfinished: false });
    expect(versions(dir)).toHaveLength(2);
  });

  it('lets checkpoints replace DIR while it holds no finished model', async () => {
    const dir = fresh();
    await publish(dir, files(1), { finished: false });
    await publish(dir, files(2), { finished: false });
    expect(genOf(dir)).toBe(2);
    expect(genOf((await resumeSource(dir))!)).toBe(2);
    expect(await modelDirStatus(dir)).toEqual({ finished: false, unfinished: true });
  });

  it('moves an old-style model folder into the store, and replaces an empty folder', async () => {
    const legacy = fresh();
    mkdirSync(legacy);
    writeFileSync(join(legacy, 'model.json'), '{}');
    writeFileSync(join(legacy, 'a.txt'), '0');
    await publish(legacy, files(1), { finished: false });
    expect(lstatSync(legacy).isDirectory()).toBe(true); // a finished model: the checkpoint goes beside it
    await publish(legacy, files(2), { finished: true });
    expect(lstatSync(legacy).isSymbolicLink()).toBe(true);
    expect(genOf(legacy)).toBe(2);
    const empty = fresh();
    mkdirSync(empty);
    await publish(empty, files(1), { finished: true });
    expect(genOf(empty)).toBe(1);
  });

  it('refuses what it would not replace: a file, a folder of other things, a link it did not make', async () => {
    const file = fresh();
    writeFileSync(file, 'x');
    const folder = fresh();
    mkdirSync(folder);
    writeFileSync(join(folder, 'notes.txt'), 'keep me');
    const link = fresh();
    symlinkSync(folder, link);
    for (const [p, why] of [
      [file, 'it exists and is not a folder'],
      [folder, 'it is a folder with other files (no model.json); refusing to replace it'],
      [link, `it is a symbolic link to ${folder}, which rnnc did not make; refusing to replace it`],
    ] as const) {
      const e = await rejection(checkWritable(p), RnncError);
      expect([e.code, e.message]).toEqual(['E4002', `cannot write the model to ${p}: ${why}`]);
      await expect(publish(p, files(1), { finished: true })).rejects.toThrow(why);
      expect(existsSync(storeOf(p))).toBe(false);
    }
    expect(readFileSync(join(folder, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('a failed write changes nothing and leaves no version behind', async () => {
    const dir = fresh();
    await publish(dir, files(1), { finished: true });
    const before = versions(dir);
    await expect(publish(dir, { 'a.txt': '2', 'b.bin': { not: 'bytes' } as unknown as string }, { finished: true })).rejects.toBeInstanceOf(RnncError);
    expect(genOf(dir)).toBe(1);
    expect(versions(dir)).toEqual(before);
    await expect(publish(dir, { '../x': '1' }, { finished: true })).rejects.toThrow('`../x` is not a plain file name');
  });

  it('cleans what a killed writer left, takes over its stale lock, and refuses a live one', async () => {
    const dir = fresh();
    await publish(dir, files(1), { finished: true });
    const store = storeOf(dir);
    mkdirSync(join(store, 'f-dead-000000.tmp'));
    writeFileSync(join(store, 'f-dead-000000.tmp', 'a.txt'), 'half');
    mkdirSync(join(store, 'c-orphan-000000'));
    writeFileSync(join(store, 'lock'), '999999999'); // no such process
    await publish(dir, files(2), { finished: true });
    expect(versions(dir)).toHaveLength(2);
    expect(readdirSync(store)).not.toContain('f-dead-000000.tmp');
    writeFileSync(join(store, 'lock'), String(process.ppid)); // a live process that is not us
    const e = await rejection(publish(dir, files(3), { finished: true }), RnncError);
    expect(e.message).toBe(`cannot write the model to ${dir}: another rnnc (process ${process.ppid}) is writing it`);
    expect(genOf(dir)).toBe(2);
  });

  it('reading a missing or non-folder DIR is BadModelDir', async () => {
    const dir = fresh();
    expect((await rejection(resolveModelDir(dir), RnncError)).message).toBe(`no model folder ${dir}`);
    writeFileSync(dir, 'x');
    expect((await rejection(resolveModelDir(dir), RnncError)).message).toBe(`${dir} is a file, not a model folder`);
    expect(await resumeSource(join(root, 'nothing'))).toBeUndefined();
  });
});

/** Runs the publisher child from generation `start`, kills it `waitMs` after its first report; the generations it reported. */
function publishUntilKilled(dir: string, start: number, finishedEvery: number, waitMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'publisher.mjs'), dir, String(start), String(finishedEvery)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      timer ??= setTimeout(() => child.kill('SIGKILL'), waitMs);
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`publisher exited ${code}: ${err}`));
      else resolve(out.split('\n').filter(Boolean).map(Number));
    });
  });
}

describe('kill -9 at random moments (#8 case 9)', () => {
  it('DIR always holds a complete version, never a mix, and the next write cleans up', async () => {
    const dir = fresh();
    const random = seededRandom(2024);
    let last = 0;
    let lastFinished = 0;
    for (let trial = 0; trial < 12; trial++) {
      const reported = await publishUntilKilled(dir, last, 3, Math.floor(random() * 60));
      const printed = Math.max(last, ...reported);
      // Whatever moment the kill hit, DIR is one whole generation: all three files, one number.
      const real = realpathSync(dir);
      const gen = genOf(real);
      expect(JSON.parse(readFileSync(join(real, 'c.json'), 'utf8')).gen).toBe(gen);
      expect(readFileSync(join(real, 'b.bin')).readUInt32LE(0)).toBe(gen);
      expect(readFileSync(join(real, 'b.bin')).length).toBe(1 << 20);
      // Every third generation is a finished model, which DIR keeps until the next finished one;
      // the others are checkpoints beside it. DIR is at least the last finished one reported, and
      // at most the one being written when the kill came.
      lastFinished = Math.max(lastFinished, ...reported.filter((g) => g % 3 === 0));
      expect(gen).toBeGreaterThanOrEqual(lastFinished);
      expect(gen).toBeLessThanOrEqual(printed + 1);
      last = printed + 1;
    }
    await publish(dir, files(last + 1), { finished: true });
    expect(readdirSync(storeOf(dir)).filter((e) => e.endsWith('.tmp') || e.startsWith('.link-'))).toEqual([]);
    expect(versions(dir).length).toBeLessThanOrEqual(2);
  });
});
