import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { PretrainedSource } from '../ir/types.js';

/** Resolves a path written in a spec against the spec's own folder, as `#include` would. */
export function resolveSourcePath(path: string, baseDir: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function readHead(file: string, bytes: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * The dimension of a vectors file from its first line only (cheap enough for every `check`):
 * a `COUNT DIM` header (word2vec text or binary, fastText .vec), else the number of values
 * after the word (GloVe). The full reader is `train/vectors.ts`.
 */
export function vectorsDimension(file: string): number | string {
  let head: Buffer;
  try {
    if (!statSync(file).isFile()) return `vectors file ${file} is not a file`;
    head = readHead(file, 1 << 16);
  } catch {
    return `vectors file not found: ${file}`;
  }
  const nl = head.indexOf(10);
  const first = head.subarray(0, nl < 0 ? head.length : nl).toString('latin1').trim();
  const parts = first.split(/\s+/);
  if (parts.length === 2 && /^\d+$/.test(parts[0]!) && /^\d+$/.test(parts[1]!)) return Number(parts[1]);
  if (parts.length >= 2 && parts.slice(1).every((p) => Number.isFinite(Number(p)))) return parts.length - 1;
  return `cannot read a vector from the first line of ${file}`;
}

/** The embedding dimension of a trained rnnc model directory, from its `spec.json`. */
export function modelEmbeddingDimension(dir: string): number | string {
  try {
    const spec = JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')) as { layers?: { kind?: string; output_dim?: number }[] };
    const emb = spec.layers?.find((l) => l.kind === 'embedding');
    if (emb && typeof emb.output_dim === 'number') return emb.output_dim;
    return `model ${dir} has no embedding in its spec.json`;
  } catch {
    return `no trained model at ${dir} (spec.json missing or unreadable)`;
  }
}

/** The `resolveDim` the checker uses: reads only what it must, relative to the spec's folder. */
export function fileDimResolver(baseDir: string): (source: PretrainedSource) => number | string {
  return (source) => {
    const path = resolveSourcePath(source.path, baseDir);
    return source.source === 'vectors' ? vectorsDimension(path) : modelEmbeddingDimension(path);
  };
}
