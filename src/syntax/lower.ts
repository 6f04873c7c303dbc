import type { SourceFile } from './ast.js';
import { Lowerer } from './lower/lowerer.js';
import type { LowerOptions, LowerResult } from './lower/types.js';

export type { Binding, LowerOptions, LowerResult, SourceMap } from './lower/types.js';
export type { BindingRef, Resolution, ResolvedArg, ResolvedCall, ResolvedName, ResolvedSetting } from './lower/resolution.js';
export { matchArgs, settingNamed, type ArgMatch, type ArgShape } from './lower/match.js';

/**
 * Lowers a syntax tree to the IR: resolves `let` names (forward references allowed, cycles
 * reported), matches arguments to parameters, expands `xN`, and records where every IR value
 * came from so later stages (schema, checks) can point at the source. What it resolved each
 * call, argument, name and `train` key to is part of the result.
 */
export function lower(file: SourceFile, options: LowerOptions = {}): LowerResult {
  return new Lowerer(file, options).run();
}
