import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PretrainedSource, VectorFormat } from '../ir/types.js';
import { RnncError } from '../diagnostics/error.js';
import { readVectorsHeaderSync } from '../vectors/header.js';
import { resolveSourcePath } from '../util/paths.js';

/**
 * The dimension of a vectors file from its first bytes only (cheap enough for every `check`),
 * with the same format detection as the reader that training uses; a string is the problem.
 */
export function vectorsDimension(file: string, format: VectorFormat = 'auto'): number | string {
  try {
    return readVectorsHeaderSync(file, format).dim;
  } catch (e) {
    if (e instanceof RnncError) return e.message;
    throw e;
  }
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
    return source.source === 'vectors' ? vectorsDimension(path, source.format) : modelEmbeddingDimension(path);
  };
}
