import type { CodeName } from '../diagnostics/codes.js';
import { fail, reasonOf, RnncError } from '../diagnostics/error.js';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createReadStream } from 'node:fs';
import { extractTarGz } from './tar.js';

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
  /**
   * A copy of the archive on this machine, used instead of downloading (machines without
   * internet); checked against the same size and sha256 as a download, and never deleted.
   * A `file://` URL in `url` does the same.
   */
  archive?: string;
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
  // Without a network, the way out is a copy of the archive fetched elsewhere.
  const offline = kind === 'network' || kind === 'http' || kind === 'too-many-redirects';
  return fail(FETCH_CODES[kind], message, offline ? { help: 'without internet here, download the archive on another machine and pass it with `--archive FILE` (or `--url file:///path/to/archive`)' } : {});
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
    const local = opts.archive ?? (url.startsWith('file:') ? fileURLToPath(url) : undefined);
    const { bytes, sha256 } = local !== undefined ? await hashLocal(local) : await download(url, archive, opts, expectSize);
    const from = local ?? url;
    if (expectSize !== undefined && bytes !== expectSize) {
      throw fetchError(`${local !== undefined ? `${local} has` : `downloaded`} ${bytes} bytes${local !== undefined ? '' : ` from ${url}`}, expected ${expectSize}${local !== undefined ? ': not the official archive (pass --sha256 for another one)' : '; try again'}`, 'size');
    }
    if (sha256 !== expectSha) {
      throw fetchError(`checksum mismatch for ${from}: sha256 ${sha256}, expected ${expectSha}; ${local !== undefined ? 'not the expected archive' : 'the download is corrupt'}`, 'checksum');
    }

    extractDir = await mkdtemp(join(cacheDir, `.${source.root}-extract-`));
    await extractTarGz(local ?? archive, extractDir);
    const unpacked = join(extractDir, source.root);
    if (!(await hasLayout(unpacked, source.expect))) {
      throw fetchError(
        `the archive from ${from} does not contain ${source.expect.map((e) => `${source.root}/${e}`).join(', ')}`,
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

/** Size and sha256 of a local archive, read once. */
async function hashLocal(file: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(file)) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
  } catch (e) {
    throw fail('CannotRead', `cannot read the archive ${file}: ${reasonOf(e)}`, { file });
  }
  return { bytes, sha256: hash.digest('hex') };
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
