import { gzipSync } from 'node:zlib';

/** One entry for `tar()`. `type`: '0' file (default), '5' directory, '2' symlink, 'L' GNU long name, 'x' pax header. */
export interface TarEntry {
  name: string;
  data?: string | Buffer;
  type?: '0' | '5' | '2' | 'L' | 'x';
  linkname?: string;
}

function field(h: Buffer, offset: number, length: number, value: string): void {
  h.write(value, offset, Math.min(length, Buffer.byteLength(value)), 'utf8');
}

function octal(h: Buffer, offset: number, length: number, n: number): void {
  field(h, offset, length, n.toString(8).padStart(length - 1, '0') + '\0');
}

/** A minimal ustar writer: enough to build test archives, including hostile ones. */
export function tar(entries: readonly TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : (e.data ?? Buffer.alloc(0));
    const type = e.type ?? '0';
    const h = Buffer.alloc(512);
    field(h, 0, 100, e.name);
    octal(h, 100, 8, type === '5' ? 0o755 : 0o644);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, type === '5' || type === '2' ? 0 : data.length);
    octal(h, 136, 12, 1_700_000_000);
    h.fill(0x20, 148, 156);
    field(h, 156, 1, type);
    if (e.linkname) field(h, 157, 100, e.linkname);
    field(h, 257, 6, 'ustar\0');
    field(h, 263, 2, '00');
    let sum = 0;
    for (const b of h) sum += b;
    field(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
    blocks.push(h);
    if (type !== '5' && type !== '2' && data.length > 0) {
      blocks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export function tarGz(entries: readonly TarEntry[]): Buffer {
  return gzipSync(tar(entries));
}

/** A pax extended-header body holding one `path` record. */
export function paxPath(path: string): string {
  const body = ` path=${path}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return `${len}${body}`;
}
