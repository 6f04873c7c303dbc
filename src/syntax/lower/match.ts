import { TRAIN_SETTINGS, type BuiltinSpec, type ParamSpec } from '../../language/builtins.js';
import type { Arg, NameRef, Pipeline } from '../ast.js';

/**
 * The rules that say which parameter an argument gives and what a bare word means there. The
 * lowering applies them once per file (resolve.ts) and evaluates what they decided; the
 * language server reads that decision, and completion applies `matchArgs` to half-typed text.
 */

/** An argument as matching sees it: the key of `key: value`, else the bare word it consists of (if it is one). */
export interface ArgShape {
  key: string | undefined;
  word: string | undefined;
}

/** How an argument was matched, and the parameter it gives (undefined: none, already an error). */
export interface ArgMatch {
  by: 'key' | 'flag' | 'position';
  param: ParamSpec | undefined;
}

/**
 * Matches the arguments of a call to `spec`'s parameters: `key: value` gives the parameter
 * named `key`; a bare word naming a flag of the call (`frozen`, `pretrained`) is that flag,
 * even where a `let` binds the same name; any other argument gives the next positional
 * parameter. `next` is the parameter one more positional argument would give. With no spec (an
 * unknown layer) nothing is matched.
 */
export function matchArgs(spec: BuiltinSpec | undefined, args: readonly ArgShape[]): { matches: ArgMatch[]; next: ParamSpec | undefined } {
  const params = spec?.params ?? [];
  const positional = params.filter((p) => p.positional);
  let next = 0;
  const matches = args.map((a): ArgMatch => {
    if (a.key !== undefined) return { by: 'key', param: params.find((p) => p.name === a.key) };
    const flag = a.word === undefined ? undefined : params.find((p) => p.flag && p.name === a.word);
    if (flag) return { by: 'flag', param: flag };
    return { by: 'position', param: positional[next++] };
  });
  return { matches, next: positional[next] };
}

/** The bare name a value consists of (one stage, not repeated, a name), if it is one. */
export function bareName(p: Pipeline): NameRef | undefined {
  const only = p.stages.length === 1 ? p.stages[0]! : undefined;
  return only && !only.repeat && only.expr.type === 'name' ? only.expr : undefined;
}

export function argShape(a: Arg): ArgShape {
  return { key: a.name?.name, word: bareName(a.value)?.name };
}

/**
 * A bare flag is a word of the call, not a name: `frozen` is the flag even when bound. A flag
 * that stands for a value (`pretrained`, a source) is the exception: bare, it means the
 * binding of its own name when there is one (`let pretrained = vectors(…)`).
 */
export function flagReadsBinding(flag: ParamSpec): boolean {
  return flag.type === 'source';
}

/** The `train { }` setting a key names. */
export function settingNamed(key: string): ParamSpec | undefined {
  return TRAIN_SETTINGS.find((s) => s.name === key);
}
