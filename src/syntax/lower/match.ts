import { TRAIN_SETTINGS, type BuiltinSpec, type ParamSpec } from '../../language/builtins.js';
import type { NameRef, Pipeline } from '../ast.js';

/**
 * The rules that say which parameter an argument gives and what a bare word means there. The
 * lowering applies them as it goes (resolution.ts records each decision, which it then acts
 * on); the language server reads those records, and completion applies the rules to
 * half-typed text. There is no other copy.
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

/** Each built-in's positional parameters, in order (computed once per spec: every call asks). */
const POSITIONAL = new WeakMap<BuiltinSpec, readonly ParamSpec[]>();

function positionalOf(spec: BuiltinSpec): readonly ParamSpec[] {
  let found = POSITIONAL.get(spec);
  if (!found) POSITIONAL.set(spec, (found = spec.params.filter((p) => p.positional)));
  return found;
}

const NONE: readonly ParamSpec[] = [];

/**
 * Matches the arguments of a call to `spec`'s parameters, left to right: `key: value` gives
 * the parameter named `key`; a bare word naming a flag of the call (`frozen`, `pretrained`) is
 * that flag, even where a `let` binds the same name; any other argument gives the next
 * positional parameter. With no spec (an unknown layer) nothing is matched. One matcher serves
 * call after call (`start`), so matching allocates nothing.
 */
export class ArgMatcher {
  private params = NONE;
  private positional = NONE;
  private given = 0;
  /** How the argument last matched was matched. */
  by: ArgMatch['by'] = 'position';

  /** Starts on the arguments of a call to `spec`. */
  start(spec: BuiltinSpec | undefined): this {
    this.params = spec?.params ?? NONE;
    this.positional = spec ? positionalOf(spec) : NONE;
    this.given = 0;
    return this;
  }

  /** The parameter the next argument gives, by its key (`key: value`) or the bare word it consists of; `by` says how. */
  match(key: string | undefined, word: string | undefined): ParamSpec | undefined {
    if (key !== undefined) {
      this.by = 'key';
      return this.params.find((p) => p.name === key);
    }
    const flag = word === undefined ? undefined : this.params.find((p) => p.flag && p.name === word);
    this.by = flag ? 'flag' : 'position';
    return flag ?? this.positional[this.given++];
  }

  /** The parameter one more positional argument would give. */
  get next(): ParamSpec | undefined {
    return this.positional[this.given];
  }
}

/** `ArgMatcher` over a whole argument list; `next` is the parameter one more positional argument would give. */
export function matchArgs(spec: BuiltinSpec | undefined, args: readonly ArgShape[]): { matches: ArgMatch[]; next: ParamSpec | undefined } {
  const m = new ArgMatcher().start(spec);
  const matches = args.map((a): ArgMatch => {
    const param = m.match(a.key, a.word);
    return { by: m.by, param };
  });
  return { matches, next: m.next };
}

/** The bare name a value consists of (one stage, not repeated, a name), if it is one. */
export function bareName(p: Pipeline): NameRef | undefined {
  const only = p.stages.length === 1 ? p.stages[0]! : undefined;
  return only && !only.repeat && only.expr.type === 'name' ? only.expr : undefined;
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
