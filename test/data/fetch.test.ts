import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RnncError } from '../../src/diagnostics/error.js';
import { DATASETS, defaultCacheDir, fetchDataset, renderProgress, type FetchOptions } from '../../src/data/fetch.js';
import { extractTarGz } from '../../src/data/tar.js';
import { readDataset } from '../../src/data/readers.js';
import { paxPath, tar, tarGz, type TarEntry } from '../support/tar-writer.js';
import { rejection } from '../fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'rnnc-fetch-'));

/** A tiny archive with the aclImdb layout. */
const IMDB_ENTRIES: TarEntry[] = [
  { name: 'aclImdb/', type: '5' },
  { name: 'aclImdb/README', data: 'Large Movie Review Dataset v1.0 (test copy)\n' },
  { name: 'aclImdb/train/', type: '5' },
  { name: 'aclImdb/train/pos/', type: '5' },
  { name: 'aclImdb/train/pos/0_9.txt', data: 'A wonderful film.<br /><br />See it.' },
  { name: 'aclImdb/train/pos/1_8.txt', data: 'Great acting throughout.' },
  { name: 'aclImdb/train/neg/0_3.txt', data: 'Boring and far too long.' },
  { name: 'aclImdb/train/unsup/0_0.txt', data: 'Unlabelled review.' },
  { name: 'aclImdb/test/pos/0_10.txt', data: 'Superb.' },
  { name: 'aclImdb/test/neg/0_1.txt', data: 'Dreadful.' },
  { name: 'aclImdb/train/link', type: '2', linkname: '/etc/passwd' },
];
const archive = tarGz(IMDB_ENTRIES);
const sha256 = createHash('sha256').update(archive).digest('hex');
const corrupt = Buffer.from(archive);
corrupt[corrupt.length >> 1]! ^= 0xff;

let server: Server;
let base = '';
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const send = (body: Buffer): void => {
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length });
      res.end(body);
    };
    switch (req.url) {
      case '/aclImdb_v1.tar.gz':
        return send(archive);
      case '/moved':
        res.writeHead(302, { location: '/aclImdb_v1.tar.gz' });
        return void res.end();
      case '/moved-twice':
        res.writeHead(301, { location: `${base}/moved` });
        return void res.end();
      case '/loop':
        res.writeHead(307, { location: '/loop' });
        return void res.end();
      case '/corrupt.tar.gz':
        return send(corrupt);
      case '/truncated.tar.gz':
        // Promise the whole archive, send half, then drop the connection.
        res.writeHead(200, { 'content-length': archive.length });
        res.write(archive.subarray(0, archive.length >> 1));
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      default:
        res.writeHead(404);
        res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function freshCache(): string {
  return join(dir, `cache-${n++}`);
}

function fetchError(p: Promise<unknown>): Promise<RnncError> {
  return rejection(p, RnncError);
}

describe('fetchDataset over a local HTTP server', () => {
  it('follows redirects, verifies, unpacks atomically, and the reader reads the result', async () => {
    const cacheDir = freshCache();
    const progress: [number, number | undefined][] = [];
    hits.length = 0;
    const root = await fetchDataset('imdb', {
      cacheDir,
      url: `${base}/moved-twice`,
      sha256,
      onProgress: (r, t) => progress.push([r, t]),
    });
    expect(root).toBe(join(cacheDir, 'aclImdb'));
    expect(hits).toEqual(['/moved-twice', '/moved', '/aclImdb_v1.tar.gz']);
    expect(readdirSync(cacheDir)).toEqual(['aclImdb']); // no .part or extract folders left
    expect(progress.at(-1)).toEqual([archive.length, archive.length]);
    expect(progress.every(([r], i) => i === 0 || r >= progress[i - 1]![0])).toBe(true);
    expect(existsSync(join(root, 'train', 'link'))).toBe(false); // symlinks are not created
    expect(readFileSync(join(root, 'README'), 'utf8')).toBe('Large Movie Review Dataset v1.0 (test copy)\n');

    const train = await readDataset(root);
    expect(train.examples).toEqual([
      { label: '1', text: 'A wonderful film.  See it.' },
      { label: '1', text: 'Great acting throughout.' },
      { label: '0', text: 'Boring and far too long.' },
    ]);
    const test = await readDataset(root, { split: 'test' });
    expect(test.examples.map((e) => e.label)).toEqual(['1', '0']);
  });

  it('skips the download when the dataset is already in the cache; force fetches again', async () => {
    const cacheDir = freshCache();
    const opts: FetchOptions = { cacheDir, url: `${base}/aclImdb_v1.tar.gz`, sha256 };
    hits.length = 0;
    const first = await fetchDataset('imdb', opts);
    const marker = join(first, 'train', 'pos', 'marker.txt');
    writeFileSync(marker, 'kept');
    const second = await fetchDataset('imdb', opts);
    expect(second).toBe(first);
    expect(hits).toEqual(['/aclImdb_v1.tar.gz']);
    expect(existsSync(marker)).toBe(true);

    await fetchDataset('imdb', { ...opts, force: true });
    expect(hits).toEqual(['/aclImdb_v1.tar.gz', '/aclImdb_v1.tar.gz']);
    expect(existsSync(marker)).toBe(false);
    expect(readdirSync(cacheDir)).toEqual(['aclImdb']);
  });

  it('a corrupted download fails the checksum and leaves no cache folder behind', async () => {
    const cacheDir = freshCache();
    const url = `${base}/corrupt.tar.gz`;
    const e = await fetchError(fetchDataset('imdb', { cacheDir, url, sha256 }));
    const actual = createHash('sha256').update(corrupt).digest('hex');
    expect(e.codeName).toBe('BadArchive');
    expect(e.message).toBe(`checksum mismatch for ${url}: sha256 ${actual}, expected ${sha256}; the download is corrupt`);
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('a connection dropped mid-download is a network error, and nothing is left behind', async () => {
    const cacheDir = freshCache();
    const url = `${base}/truncated.tar.gz`;
    const progress: number[] = [];
    const e = await fetchError(fetchDataset('imdb', { cacheDir, url, sha256, onProgress: (r) => progress.push(r) }));
    expect(e.codeName).toBe('DownloadFailed');
    expect(e.message).toMatch(new RegExp(`^download of ${url.replace(/[.]/g, '\\.')} failed after ${archive.length >> 1} bytes: `));
    expect(progress.at(-1)).toBe(archive.length >> 1);
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('in an existing cache folder, a failure leaves it as it was', async () => {
    const cacheDir = freshCache();
    mkdirSync(cacheDir);
    writeFileSync(join(cacheDir, 'other.txt'), 'x');
    await fetchError(fetchDataset('imdb', { cacheDir, url: `${base}/corrupt.tar.gz`, sha256 }));
    expect(readdirSync(cacheDir)).toEqual(['other.txt']);
  });

  it('checks the size when one is expected', async () => {
    const cacheDir = freshCache();
    const url = `${base}/aclImdb_v1.tar.gz`;
    const e = await fetchError(fetchDataset('imdb', { cacheDir, url, sha256, size: 84_125_825 }));
    expect([e.codeName, e.message]).toEqual(['DownloadFailed', `downloaded ${archive.length} bytes from ${url}, expected 84125825; try again`]);
    // Without sha256, a mirror is held to the official archive's checksum and size.
    const e2 = await fetchError(fetchDataset('imdb', { cacheDir, url }));
    expect(e2.codeName).toBe('DownloadFailed');
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('HTTP errors, redirect loops and refused connections', async () => {
    const cacheDir = freshCache();
    const e404 = await fetchError(fetchDataset('imdb', { cacheDir, url: `${base}/missing`, sha256 }));
    expect([e404.codeName, e404.message]).toEqual(['DownloadFailed', `download of ${base}/missing failed: HTTP 404`]);
    const loop = await fetchError(fetchDataset('imdb', { cacheDir, url: `${base}/loop`, sha256 }));
    expect([loop.codeName, loop.message]).toEqual(['DownloadFailed', `too many redirects from ${base}/loop`]);
    // Port 1 on localhost: nothing listens there.
    const refused = await fetchError(fetchDataset('imdb', { cacheDir, url: 'http://127.0.0.1:1/x.tar.gz', sha256 }));
    expect(refused.codeName).toBe('DownloadFailed');
    expect(refused.message).toMatch(/^cannot download http:\/\/127\.0\.0\.1:1\/x\.tar\.gz: .*ECONNREFUSED/);
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('an archive without the aclImdb layout is refused', async () => {
    const bad = tarGz([{ name: 'aclImdb/train/pos/0_1.txt', data: 'only this' }]);
    const badSha = createHash('sha256').update(bad).digest('hex');
    const cacheDir = freshCache();
    const e = await fetchError(
      fetchDataset('imdb', {
        cacheDir,
        sha256: badSha,
        url: 'http://example.invalid/a.tar.gz',
        fetchImpl: async () => ({ status: 200, body: [bad], discard: () => undefined }),
      }),
    );
    expect([e.codeName, e.message]).toEqual([
      'BadArchive',
      'the archive from http://example.invalid/a.tar.gz does not contain aclImdb/train/pos, aclImdb/train/neg, aclImdb/test/pos, aclImdb/test/neg',
    ]);
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('a local archive (--archive FILE, or a file:// URL) is verified and unpacked, and kept (no network)', async () => {
    const local = join(dir, 'copy-of-aclImdb_v1.tar.gz');
    writeFileSync(local, archive);
    hits.length = 0;
    const cacheDir = freshCache();
    const root = await fetchDataset('imdb', { cacheDir, archive: local, sha256 });
    expect(root).toBe(join(cacheDir, 'aclImdb'));
    expect((await readDataset(root)).examples).toHaveLength(3);
    expect(readdirSync(cacheDir)).toEqual(['aclImdb']);
    const viaUrl = await fetchDataset('imdb', { cacheDir: freshCache(), url: pathToFileURL(local).href, sha256 });
    expect((await readDataset(viaUrl)).examples).toHaveLength(3);
    expect(hits).toEqual([]);
    expect(readFileSync(local)).toEqual(archive); // the user's file stays

    // Without --sha256, the official archive's checksum and size apply: a test copy is not it.
    const wrong = await fetchError(fetchDataset('imdb', { cacheDir: freshCache(), archive: local }));
    expect([wrong.codeName, wrong.message]).toEqual(['DownloadFailed', `${local} has ${archive.length} bytes, expected ${DATASETS.imdb.size}: not the official archive (pass --sha256 for another one)`]);
    const missing = await fetchError(fetchDataset('imdb', { cacheDir: freshCache(), archive: join(dir, 'nope.tar.gz'), sha256 }));
    expect(missing.codeName).toBe('CannotRead');
  });

  it('a failed download says how to use a local archive instead', async () => {
    const e = await fetchError(fetchDataset('imdb', { cacheDir: freshCache(), url: 'http://127.0.0.1:1/x.tar.gz', sha256 }));
    expect(e.diagnostic.help).toBe('without internet here, download the archive on another machine and pass it with `--archive FILE` (or `--url file:///path/to/archive`)');
  });

  it('unknown dataset names are a DownloadFailed error', async () => {
    const e = await fetchError(fetchDataset('mnist' as 'imdb', { cacheDir: freshCache() }));
    expect([e.codeName, e.message]).toEqual(['DownloadFailed', 'unknown dataset "mnist" (known: imdb)']);
  });
});

describe('extractTarGz', () => {
  function archiveFile(entries: TarEntry[] | Buffer): string {
    const p = join(dir, `a-${n++}.tar.gz`);
    writeFileSync(p, Buffer.isBuffer(entries) ? entries : tarGz(entries));
    return p;
  }

  it.each([
    ['a parent-directory path', 'aclImdb/../../evil.txt'],
    ['an absolute path', '/tmp/rnnc-evil.txt'],
    ['a Windows drive path', 'C:/evil.txt'],
  ])('refuses %s and writes nothing outside the folder', async (_, name) => {
    const dest = join(dir, `x-${n++}`, 'out');
    mkdirSync(dest, { recursive: true });
    const e = await fetchError(extractTarGz(archiveFile([{ name: 'ok.txt', data: 'fine' }, { name, data: 'pwned' }]), dest));
    expect([e.codeName, e.message]).toEqual(['BadArchive', `refusing unsafe path in archive: ${JSON.stringify(name)}`]);
    expect(existsSync(join(dest, '..', 'evil.txt'))).toBe(false);
    expect(existsSync(join(dest, '..', '..', 'evil.txt'))).toBe(false);
  });

  it('reads GNU long names and pax paths, skips links, streams big entries', async () => {
    const long = `d/${'x'.repeat(150)}.txt`;
    const big = Buffer.alloc(3_000_000, 0x61);
    const dest = mkdtempSync(join(dir, 'ok-'));
    const stats = await extractTarGz(
      archiveFile([
        { name: '././@LongLink', type: 'L', data: `${long}\0` },
        { name: long.slice(0, 99), data: 'long' },
        { name: 'PaxHeaders/p', type: 'x', data: paxPath('pax/named.txt') },
        { name: 'ignored-name', data: 'pax' },
        { name: 'big.bin', data: big },
        { name: 'sym', type: '2', linkname: 'big.bin' },
        { name: 'empty/', type: '5' },
      ]),
      dest,
    );
    expect(stats).toEqual({ files: 3, dirs: 1 });
    expect(readFileSync(join(dest, long), 'utf8')).toBe('long');
    expect(readFileSync(join(dest, 'pax', 'named.txt'), 'utf8')).toBe('pax');
    expect(readFileSync(join(dest, 'big.bin')).equals(big)).toBe(true);
    expect(readdirSync(dest).sort()).toEqual(['big.bin', 'd', 'empty', 'pax']);
  });

  it('reports a file that is not gzip, a corrupt tar header, and a truncated archive', async () => {
    const dest = mkdtempSync(join(dir, 'bad-'));
    const notGz = archiveFile(Buffer.from('plain text, not gzip'));
    const e1 = await fetchError(extractTarGz(notGz, dest));
    expect(e1.codeName).toBe('BadArchive');
    expect(e1.message).toMatch(/^.* is not a valid gzip file: /);

    const garbage = archiveFile(gzipSync(Buffer.alloc(1024, 0x41)));
    const e2 = await fetchError(extractTarGz(garbage, dest));
    expect([e2.codeName, e2.message]).toEqual(['BadArchive', 'tar header checksum mismatch: the archive is corrupt or not a tar file']);

    const full = gzipSync(tar([{ name: 'f.txt', data: 'x'.repeat(2000) }]).subarray(0, 1024));
    const e3 = await fetchError(extractTarGz(archiveFile(full), dest));
    expect([e3.codeName, e3.message]).toEqual(['BadArchive', 'tar archive ends inside an entry (truncated)']);
  });
});

describe('renderProgress', () => {
  it('draws a bar with percent and MB, or just MB when the size is unknown', () => {
    expect(renderProgress(0, 84_125_825, 20)).toBe('[....................]   0.0%  0.0/84.1 MB');
    expect(renderProgress(42_062_913, 84_125_825, 20)).toBe('[##########..........]  50.0%  42.1/84.1 MB');
    expect(renderProgress(84_125_825, 84_125_825, 10)).toBe('[##########] 100.0%  84.1/84.1 MB');
    expect(renderProgress(12_500_000, undefined, 20)).toBe('12.5 MB');
  });
});

it('knows the official IMDB archive', () => {
  expect(DATASETS.imdb).toEqual({
    url: 'https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz',
    sha256: 'c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe',
    size: 84_125_825,
    root: 'aclImdb',
    expect: ['train/pos', 'train/neg', 'test/pos', 'test/neg'],
  });
});

it('defaultCacheDir: RNNC_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache/rnnc', () => {
  expect(defaultCacheDir({ RNNC_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' }, 'linux')).toBe('/c');
  expect(defaultCacheDir({ XDG_CACHE_HOME: '/x' }, 'linux')).toBe(join('/x', 'rnnc'));
  expect(defaultCacheDir({}, 'linux')).toBe(join(homedir(), '.cache', 'rnnc'));
});
