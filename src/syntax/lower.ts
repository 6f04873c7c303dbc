import type { SourceFile } from './ast.js';
import { Lowerer } from './lower/lowerer.js';
import { resolve } from './lower/resolve.js';
import type { LowerOptions, LowerResult } from './lower/types.js';

export type { Binding, LowerOptions, LowerResult, SourceMap } from './lower/types.js';
export type { BindingRef, Resolution, ResolvedArg, ResolvedCall, ResolvedName, ResolvedSetting } from './lower/resolve.js';
export { matchArgs, settingNamed, type ArgMatch, type ArgShape } from './lower/match.js';

/**
 * Lowers a syntax tree to the IR: resolves the file first (callees to built-ins, arguments to
 * parameters, names to `let` bindings, forward references allowed), then evaluates it (cycles
 * reported, `xN` expanded), recording where every IR value came from so later stages (schema,
 * checks) can point at the source. The resolution is part of the result.
 */
export function lower(file: SourceFile, options: LowerOptions = {}): LowerResult {
  return new Lowerer(file, options, resolve(file)).run();
}
