import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { fail, RnncError } from '../diagnostics/error.js';
import { isWithin } from '../util/paths.js';

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
    extractor.end();
  } catch (caught) {
    await extractor.abort();
    const e = failure ?? caught;
    if (e instanceof RnncError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code?.startsWith('Z_')) throw fail('BadArchive', `${archive} is not a valid gzip file: ${err.message}`);
    throw fail('CannotWrite', `cannot unpack ${archive}: ${err.message}`);
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

  end(): void {
    if (this.remaining > 0 || this.out || this.meta) throw fail('BadArchive', 'tar archive ends inside an entry (truncated)');
    if (!this.ended && this.files + this.dirs === 0) throw fail('BadArchive', 'tar archive holds no entries');
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
    if (stored !== sum) throw fail('BadArchive', 'tar header checksum mismatch: the archive is corrupt or not a tar file');

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
      throw fail('BadArchive', `refusing unsafe path in archive: ${JSON.stringify(name)}`);
    }
    const target = resolve(this.root, ...parts.filter((p) => p !== '' && p !== '.'));
    if (!isWithin(target, this.root)) {
      throw fail('BadArchive', `refusing unsafe path in archive: ${JSON.stringify(name)}`);
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
  if (!Number.isFinite(n) || n < 0) throw fail('BadArchive', 'tar header has an invalid size');
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

