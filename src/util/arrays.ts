/**
 * Appends `items` to `to`. Not `to.push(...items)`: a spread passes every element as an
 * argument, and an array of ~100,000 (diagnostics of a hostile file, rows of a large dataset)
 * overflows the call stack.
 */
export function appendAll<T>(to: T[], items: readonly T[]): void {
  for (const x of items) to.push(x);
}
