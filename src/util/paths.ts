import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';

/** Resolves a path written in a spec against the spec's own folder, as `#include` would. */
export function resolveSourcePath(path: string, baseDir: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/**
 * Where `path` is, or would be once made, with every symbolic link on the way resolved: the real
 * path of its nearest existing ancestor, and the rest of it as written. (A plain realpath fails
 * for a path whose folders do not exist yet, and would let `m/new/x` pass for outside `m`.)
 */
export async function realLocation(path: string): Promise<string> {
  const abs = resolve(path);
  try {
    return await realpath(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(await realLocation(parent), basename(abs));
  }
}

/** Whether `inner` is `outer` or inside it (both absolute and resolved). */
export function isWithin(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : `${outer}${sep}`);
}
