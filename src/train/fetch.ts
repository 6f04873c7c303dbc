import type { CodeName } from '../diagnostics/codes.js';
import { fail, RnncError } from '../diagnostics/error.js';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

/** A dataset rnnc can download. */
export interface DatasetSource {
  url: string;
  /** sha256 of the archive, hex. */
  sha256: string;
  /** Archive size in bytes. */
  size: number;
  /** Folder inside the archive that becomes `<cacheDir>/<root>`. */
  root: string;
  /** Sub-folders that must exist after unpacking. */
  expect: readonly string[];
}

/**
 * Known datasets. IMDB (Maas et al. 2011): sha256 and size as recorded by TensorFlow Datasets
 * (`tensorflow_datasets/url_checksums/imdb_reviews.txt`) and used by several other loaders;
 * torchtext and paddle record the same file's md5 as 7c2ac02c03563afcf9b574c7e56c153a.
 */
export const DATASETS = {
  imdb: {
    url: 'https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz',
    sha256: 'c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe',
    size: 84_125_825,
    root: 'aclImdb',
    expect: ['train/pos', 'train/neg', 'test/pos', 'test/neg'],
  },
} as const satisfies Record<string, DatasetSource>;

export type DatasetName = keyof typeof DATASETS;

/** One HTTP response as the downloader needs it; `FetchImpl` returns these. */
export interface HttpResponse {
  status: number;
  /** Redirect target (the Location header), if any. */
  location?: string;
  /** Content-Length, if the server sent one. */
  contentLength?: number;
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** Drops the body without reading it (after a redirect or an error status). */
  discard(): void;
}

/** GETs one URL without following redirects (the caller follows them). */
export type FetchImpl = (url: string) => Promise<HttpResponse>;

export interface FetchOptions {
  /** Folder that receives `<root>/` (e.g. `~/.cache/rnnc/aclImdb`). Created if needed. */
  cacheDir: string;
  /** Download from here instead (a mirror); defaults to the dataset's official URL. */
  url?: string;
  /** Expected sha256 (hex). Defaults to the official archive's; pass your own with `url` for another file. */
  sha256?: string;
  /** Expected size in bytes; defaults to the official size unless `sha256` is given. */
  size?: number;
  /** Download and unpack again even if the dataset is already in the cache. */
  force?: boolean;
  onProgress?: (received: number, total: number | undefined) => void;
  /** Replaces the built-in node:http/https client (tests, proxies). */
  fetchImpl?: FetchImpl;
  /** Idle timeout per request, ms (default 60,000). */
  timeoutMs?: number;
}

export type FetchErrorKind =
  | 'unknown-dataset'
  | 'network'
  | 'http'
  | 'too-many-redirects'
  | 'size'
  | 'checksum'
  | 'archive'
  | 'unsafe-path'
  | 'io';

const FETCH_CODES: Record<FetchErrorKind, CodeName> = {
  'unknown-dataset': 'DownloadFailed',
  network: 'DownloadFailed',
  http: 'DownloadFailed',
  'too-many-redirects': 'DownloadFailed',
  size: 'DownloadFailed',
  checksum: 'BadArchive',
  archive: 'BadArchive',
  'unsafe-path': 'BadArchive',
  io: 'CannotWrite',
};

/**
 * Why a dataset could not be downloaded or unpacked: DownloadFailed (E4009), BadArchive (E4010)
 * or CannotWrite (E4002). Nothing is left in the cache after one.
 */
export function fetchError(message: string, kind: FetchErrorKind): RnncError {
  return fail(FETCH_CODES[kind], message);
}

const MAX_REDIRECTS = 5;

/**
 * Where `rnnc data fetch` puts datasets when no folder is given: `$RNNC_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/rnnc`, else `%LOCALAPPDATA%\rnnc\cache` on Windows, else `~/.cache/rnnc`.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.RNNC_CACHE_DIR) return env.RNNC_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'rnnc');
  if (platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'rnnc', 'cache');
  return join(homedir(), '.cache', 'rnnc');
}

/**
 * Downloads a dataset archive into `cacheDir` and returns the dataset root (`<cacheDir>/aclImdb`
 * for IMDB). Skips everything if that folder already holds the expected layout. The download goes
 * to a temporary file and is checked (size, sha256) before unpacking; unpacking goes to a temporary
 * folder renamed into place at the end, so the cache never holds a partial dataset. The archive is
 * deleted afterwards.
 */
export async function fetchDataset(name: DatasetName, opts: FetchOptions): Promise<string> {
  const source: DatasetSource | undefined = (DATASETS as Record<string, DatasetSource>)[name];
  if (!source) throw fetchError(`unknown dataset "${name}" (known: ${Object.keys(DATASETS).join(', ')})`, 'unknown-dataset');
  const cacheDir = resolve(opts.cacheDir);
  const dest = join(cacheDir, source.root);
  if (!opts.force && (await hasLayout(dest, source.expect))) return dest;

  const cacheExisted = await exists(cacheDir);
  await mkdir(cacheDir, { recursive: true }).catch((e: Error) => {
    throw fetchError(`cannot create ${cacheDir}: ${e.message}`, 'io');
  });
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const archive = join(cacheDir, `.${source.root}-${tag}.tar.gz.part`);
  let extractDir: string | undefined;
  try {
    const expectSha = (opts.sha256 ?? source.sha256).toLowerCase();
    const expectSize = opts.size ?? (opts.sha256 === undefined ? source.size : undefined);
    const url = opts.url ?? source.url;
    const { bytes, sha256 } = await download(url, archive, opts, expectSize);
    if (expectSize !== undefined && bytes !== expectSize) {
      throw fetchError(`downloaded ${bytes} bytes from ${url}, expected ${expectSize}; try again`, 'size');
    }
    if (sha256 !== expectSha) {
      throw fetchError(`checksum mismatch for ${url}: sha256 ${sha256}, expected ${expectSha}; the download is corrupt`, 'checksum');
    }

    extractDir = await mkdtemp(join(cacheDir, `.${source.root}-extract-`));
    await extractTarGz(archive, extractDir);
    const unpacked = join(extractDir, source.root);
    if (!(await hasLayout(unpacked, source.expect))) {
      throw fetchError(
        `the archive from ${url} does not contain ${source.expect.map((e) => `${source.root}/${e}`).join(', ')}`,
        'archive',
      );
    }
    if (await exists(dest)) {
      // Only with force, or a damaged earlier copy: move it aside first so the rename cannot fail.
      const old = join(cacheDir, `.${source.root}-old-${tag}`);
      await rename(dest, old);
      await rm(old, { recursive: true, force: true });
    }
    await rename(unpacked, dest);
    return dest;
  } catch (e) {
    if (e instanceof RnncError) throw e;
    throw fetchError((e as Error).message, 'io');
  } finally {
    await rm(archive, { force: true });
    if (extractDir) await rm(extractDir, { recursive: true, force: true });
    if (!cacheExisted) await rmdir(cacheDir).catch(() => undefined); // only if still empty
  }
}

async function download(
  url: string,
  file: string,
  opts: FetchOptions,
  expectSize: number | undefined,
): Promise<{ bytes: number; sha256: string }> {
  const get = opts.fetchImpl ?? ((u: string) => httpGet(u, opts.timeoutMs ?? 60_000));
  let current = url;
  let res: HttpResponse;
  for (let hops = 0; ; hops++) {
    try {
      res = await get(current);
    } catch (e) {
      if (e instanceof RnncError) throw e;
      throw fetchError(`cannot download ${current}: ${(e as Error).message}`, 'network');
    }
    if (res.status >= 300 && res.status < 400 && res.location) {
      res.discard();
      if (hops >= MAX_REDIRECTS) throw fetchError(`too many redirects from ${url}`, 'too-many-redirects');
      current = new URL(res.location, current).toString();
      continue;
    }
    break;
  }
  if (res.status !== 200) {
    res.discard();
    throw fetchError(`download of ${current} failed: HTTP ${res.status}`, 'http');
  }
  const total = res.contentLength ?? expectSize;
  const hash = createHash('sha256');
  let received = 0;
  let out: FileHandle;
  try {
    out = await open(file, 'wx');
  } catch (e) {
    throw fetchError(`cannot write ${file}: ${(e as Error).message}`, 'io');
  }
  try {
    // Awaiting each write gives backpressure: the socket is read only as fast as the disk takes it.
    for await (const chunk of res.body) {
      hash.update(chunk);
      received += chunk.length;
      await out.write(chunk).catch((e: Error) => {
        throw fetchError(`cannot write ${file}: ${e.message}`, 'io');
      });
      opts.onProgress?.(received, total);
    }
  } catch (e) {
    if (e instanceof RnncError) throw e;
    throw fetchError(`download of ${current} failed after ${received} bytes: ${(e as Error).message}`, 'network');
  } finally {
    await out.close();
  }
  return { bytes: received, sha256: hash.digest('hex') };
}

/** The built-in client: one GET over node:http or node:https, redirects left to the caller. */
export function httpGet(url: string, timeoutMs = 60_000): Promise<HttpResponse> {
  return new Promise((resolvePromise, reject) => {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      reject(fetchError(`unsupported URL scheme ${u.protocol} in ${url}`, 'network'));
      return;
    }
    const client = u.protocol === 'https:' ? https : http;
    const req = client.get(u, { headers: { 'user-agent': 'rnnc', 'accept-encoding': 'identity' } }, (res) => {
      const len = Number(res.headers['content-length']);
      const r: HttpResponse = {
        status: res.statusCode ?? 0,
        body: res,
        discard: () => {
          res.resume();
          res.destroy();
        },
      };
      if (res.headers.location) r.location = res.headers.location;
      if (Number.isFinite(len) && res.headers['content-length'] !== undefined) r.contentLength = len;
      resolvePromise(r);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no data for ${timeoutMs / 1000} s`)));
    req.on('error', reject);
  });
}

/** "[#########...........]  45.2%  38.0/84.1 MB" (`width` = cells inside the brackets); just the MB when total is unknown. */
export function renderProgress(received: number, total: number | undefined, width = 30): string {
  const mb = (n: number): string => (n / 1e6).toFixed(1);
  if (!total || total <= 0) return `${mb(received)} MB`;
  const frac = Math.min(1, Math.max(0, received / total));
  const filled = Math.floor(frac * width);
  const bar = '#'.repeat(filled) + '.'.repeat(Math.max(0, width - filled));
  const pct = (Math.floor(frac * 1000) / 10).toFixed(1).padStart(5);
  return `[${bar}] ${pct}%  ${mb(received)}/${mb(total)} MB`;
}

// ---------------------------------------------------------------------------------------------
// tar

/**
 * Unpacks a .tar.gz into `destDir` (which must exist), streaming. Reads POSIX ustar and GNU tar:
 * regular files and directories, GNU long names (`L`) and pax `path` records; links, devices and
 * other entry types are skipped. Entry names that are absolute or contain `..` are refused
 * (BadArchive), so an archive cannot write outside `destDir`.
 */
export async function extractTarGz(archive: string, destDir: string): Promise<{ files: number; dirs: number }> {
  const extractor = new TarExtractor(resolve(destDir));
  // pipeline() reports an error thrown by its last stage as a generic AbortError; keep ours.
  let failure: unknown;
  try {
    await pipeline(createReadStream(archive), createGunzip(), async (source: AsyncIterable<Buffer>) => {
      try {
        for await (const chunk of source) await extractor.write(chunk);
      } catch (e) {
        failure = e;
        throw e;
      }
    });
    await extractor.end();
  } catch (caught) {
    await extractor.abort();
    const e = failure ?? caught;
    if (e instanceof RnncError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code?.startsWith('Z_')) throw fetchError(`${archive} is not a valid gzip file: ${err.message}`, 'archive');
    throw fetchError(`cannot unpack ${archive}: ${err.message}`, 'io');
  }
  return { files: extractor.files, dirs: extractor.dirs };
}

const BLOCK = 512;

class TarExtractor {
  files = 0;
  dirs = 0;
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes of the current entry's data still to come, and padding after it. */
  private remaining = 0;
  private padding = 0;
  private out: FileHandle | undefined;
  /** Collects a GNU long-name or pax header's data instead of writing it. */
  private meta: { type: 'L' | 'x'; parts: Buffer[] } | undefined;
  private longName: string | undefined;
  private ended = false;
  private readonly made = new Set<string>();

  constructor(private readonly root: string) {}

  async write(chunk: Buffer): Promise<void> {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buf.length > 0 && !this.ended) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, buf.length);
        const data = buf.subarray(0, n);
        if (this.meta) this.meta.parts.push(Buffer.from(data));
        else if (this.out) await this.out.write(data);
        this.remaining -= n;
        buf = buf.subarray(n);
        if (this.remaining === 0) await this.finishEntry();
        continue;
      }
      if (this.padding > 0) {
        const n = Math.min(this.padding, buf.length);
        this.padding -= n;
        buf = buf.subarray(n);
        continue;
      }
      if (buf.length < BLOCK) break;
      await this.header(buf.subarray(0, BLOCK));
      buf = buf.subarray(BLOCK);
    }
    this.pending = Buffer.from(buf);
  }

  async end(): Promise<void> {
    if (this.remaining > 0 || this.out || this.meta) throw fetchError('tar archive ends inside an entry (truncated)', 'archive');
    if (!this.ended && this.files + this.dirs === 0) throw fetchError('tar archive holds no entries', 'archive');
  }

  async abort(): Promise<void> {
    await this.out?.close().catch(() => undefined);
    this.out = undefined;
  }

  private async header(h: Buffer): Promise<void> {
    if (h.every((b) => b === 0)) {
      // End of archive is two zero blocks; one is enough to stop (GNU tar does the same).
      this.ended = true;
      return;
    }
    const stored = octal(h, 148, 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (stored !== sum) throw fetchError('tar header checksum mismatch: the archive is corrupt or not a tar file', 'archive');

    const type = String.fromCharCode(h[156]!);
    const size = sizeField(h);
    const magic = h.toString('latin1', 257, 263);
    let name = cstring(h, 0, 100);
    if (magic === 'ustar\0') {
      const prefix = cstring(h, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    if (this.longName !== undefined) {
      name = this.longName;
      this.longName = undefined;
    }

    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (type === 'L' || type === 'x') {
      this.meta = { type, parts: [] };
    } else if ((type === '0' || type === '\0') && name.endsWith('/')) {
      // Pre-POSIX tars mark directories only by the trailing slash.
      await this.ensureDir(this.target(name));
      this.dirs++;
    } else if (type === '0' || type === '\0' || type === '7') {
      const target = this.target(name);
      await this.ensureDir(resolve(target, '..'));
      this.out = await open(target, 'w', 0o644);
      this.files++;
    } else if (type === '5') {
      await this.ensureDir(this.target(name));
      this.dirs++;
    }
    // Anything else (links, devices, fifos, pax global 'g'): data skipped, nothing written.
    if (this.remaining === 0) await this.finishEntry();
  }

  private async finishEntry(): Promise<void> {
    if (this.out) {
      await this.out.close();
      this.out = undefined;
    }
    if (this.meta) {
      const data = Buffer.concat(this.meta.parts);
      if (this.meta.type === 'L') this.longName = cstring(data, 0, data.length);
      else {
        const path = paxPath(data);
        if (path !== undefined) this.longName = path;
      }
      this.meta = undefined;
    }
  }

  private target(name: string): string {
    const clean = name.replace(/\/+$/, '');
    const parts = clean.split(/[/\\]+/);
    if (clean === '' || isAbsolute(clean) || /^[a-zA-Z]:/.test(clean) || parts.includes('..')) {
      throw fetchError(`refusing unsafe path in archive: ${JSON.stringify(name)}`, 'unsafe-path');
    }
    const target = resolve(this.root, ...parts.filter((p) => p !== '' && p !== '.'));
    if (target !== this.root && !target.startsWith(this.root + sep)) {
      throw fetchError(`refusing unsafe path in archive: ${JSON.stringify(name)}`, 'unsafe-path');
    }
    return target;
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.made.has(dir)) return;
    await mkdir(dir, { recursive: true, mode: 0o755 });
    this.made.add(dir);
  }
}

function cstring(b: Buffer, start: number, len: number): string {
  const end = b.indexOf(0, start);
  return b.toString('utf8', start, end < 0 || end > start + len ? start + len : end);
}

function octal(b: Buffer, start: number, len: number): number {
  const s = b.toString('latin1', start, start + len).replace(/[\0 ]+$/, '').trim();
  return s === '' ? 0 : parseInt(s, 8);
}

function sizeField(h: Buffer): number {
  // GNU base-256 for sizes ≥ 8 GiB: high bit of the first byte set, big-endian after it.
  if (h[124]! & 0x80) {
    let n = h[124]! & 0x7f;
    for (let i = 125; i < 136; i++) n = n * 256 + h[i]!;
    return n;
  }
  const n = octal(h, 124, 12);
  if (!Number.isFinite(n) || n < 0) throw fetchError('tar header has an invalid size', 'archive');
  return n;
}

/** The `path` record of a pax extended header ("<len> path=<value>\n" records). */
function paxPath(data: Buffer): string | undefined {
  let pos = 0;
  let path: string | undefined;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const len = parseInt(data.toString('latin1', pos, space), 10);
    if (!(len > 0)) break;
    const record = data.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (record.slice(0, eq) === 'path') path = record.slice(eq + 1);
    pos += len;
  }
  return path;
}

async function hasLayout(dir: string, expect: readonly string[]): Promise<boolean> {
  for (const sub of expect) {
    try {
      if (!(await stat(join(dir, sub))).isDirectory()) return false;
      if ((await readdir(join(dir, sub))).length === 0) return false;
    } catch {
      return false;
    }
  }
  return true;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
