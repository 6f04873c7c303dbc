import { isAbsolute, resolve } from 'node:path';

/** Resolves a path written in a spec against the spec's own folder, as `#include` would. */
export function resolveSourcePath(path: string, baseDir: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}
