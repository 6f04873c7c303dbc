import type { Span } from '../../diagnostics/types.js';
import { BUILTIN_BY_NAME, type BuiltinSpec, type ParamSpec } from '../../language/builtins.js';
import type { Call, Expr, LetStatement, NameRef, Pipeline, SourceFile, TrainEntry } from '../ast.js';
import { argShape, bareName, flagReadsBinding, matchArgs, settingNamed, type ArgMatch } from './match.js';

// What the lowering decided the words of a file mean, published with its result so the
// language server reads the decision instead of making it again. Plain data: spans and the
// built-ins' specs, no syntax tree.

/** A `let` binding: its name and where it is bound (the name in `let NAME = …`). */
export interface BindingRef {
  name: string;
  definition: Span;
}

/** One argument of a call and the parameter it gives. */
export interface ResolvedArg {
  /** The whole argument, `key: value` or the value alone. */
  span: Span;
  /** The `key` of `key: value`. */
  key: Span | undefined;
  value: Span;
  /** Matched by its key, as a bare flag word, or by its position. */
  by: ArgMatch['by'];
  /** Undefined for an unknown key, a positional argument past the last, or any argument of an unknown layer. */
  param: ParamSpec | undefined;
}

export interface ResolvedCall {
  /** The whole call, callee to `)`. */
  span: Span;
  callee: Span;
  name: string;
  /** The built-in it calls; undefined for an unknown layer. */
  spec: BuiltinSpec | undefined;
  /** One per argument, in order. */
  args: ResolvedArg[];
}

/** A bare name used as a value (`encoder`, `sum`, `true`, `frozen`) and the binding it reads. */
export interface ResolvedName {
  span: Span;
  name: string;
  /** Undefined when it reads none: an enum word, a flag, `true`/`false`, a built-in's name, an unknown name. */
  binding: BindingRef | undefined;
}

/** A key of a `train { }` block and the setting it names. */
export interface ResolvedSetting {
  key: Span;
  name: string;
  value: Span;
  /** Undefined for an unknown setting. */
  setting: ParamSpec | undefined;
}

/**
 * Every call, name and `train` key of the file, each in source order (a call before those in
 * its arguments). Complete for whatever tree the parser returned, broken files included: parts
 * the lowering reports without evaluating (a second pipeline, a duplicate `let`, stages past
 * the layer limit) are resolved too.
 */
export interface Resolution {
  calls: ResolvedCall[];
  names: ResolvedName[];
  settings: ResolvedSetting[];
}

/** The resolution and the syntax nodes each entry belongs to, which the evaluation reads. */
export interface Resolved {
  readonly resolution: Resolution;
  /** Each bound name's `let`: the first one; a later `let` of the same name is a duplicate. */
  readonly lets: ReadonlyMap<string, LetStatement>;
  readonly calls: ReadonlyMap<Call, ResolvedCall>;
  readonly names: ReadonlyMap<NameRef, ResolvedName>;
  readonly settings: ReadonlyMap<TrainEntry, ResolvedSetting>;
}

/**
 * Resolves a file in one walk of its tree: callees to built-ins, arguments to parameters
 * (`matchArgs`), names to bindings (forward references included), `train` keys to settings.
 * Reports nothing: the evaluation reports what it finds wrong in what was decided here.
 */
export function resolve(file: SourceFile): Resolved {
  const lets = new Map<string, LetStatement>();
  const refs = new Map<string, BindingRef>();
  for (const s of file.statements) {
    if (s.type === 'let' && !lets.has(s.name.name)) {
      lets.set(s.name.name, s);
      refs.set(s.name.name, { name: s.name.name, definition: s.name.span });
    }
  }
  const resolution: Resolution = { calls: [], names: [], settings: [] };
  const calls = new Map<Call, ResolvedCall>();
  const names = new Map<NameRef, ResolvedName>();
  const settings = new Map<TrainEntry, ResolvedSetting>();

  const name = (e: NameRef, binding: BindingRef | undefined): void => {
    const r: ResolvedName = { span: e.span, name: e.name, binding };
    resolution.names.push(r);
    names.set(e, r);
  };
  const pipeline = (p: Pipeline): void => {
    for (const s of p.stages) expr(s.expr);
  };
  const expr = (e: Expr): void => {
    switch (e.type) {
      case 'number':
      case 'string':
        return;
      case 'group':
        return pipeline(e.pipeline);
      case 'name':
        return name(e, refs.get(e.name));
      case 'call': {
        const spec = BUILTIN_BY_NAME.get(e.callee.name);
        const { matches } = matchArgs(spec, e.args.map(argShape));
        const args = e.args.map((a, i): ResolvedArg => ({ span: a.span, key: a.name?.span, value: a.value.span, by: matches[i]!.by, param: matches[i]!.param }));
        const r: ResolvedCall = { span: e.span, callee: e.callee.span, name: e.callee.name, spec, args };
        resolution.calls.push(r);
        calls.set(e, r);
        e.args.forEach((a, i) => {
          const m = matches[i]!;
          const word = m.by === 'flag' ? bareName(a.value) : undefined;
          if (word) name(word, m.param && flagReadsBinding(m.param) ? refs.get(word.name) : undefined);
          else pipeline(a.value);
        });
        return;
      }
    }
  };

  for (const s of file.statements) {
    if (s.type === 'let') pipeline(s.value);
    else if (s.type === 'pipeline') pipeline(s.pipeline);
    else {
      for (const entry of s.entries) {
        const r: ResolvedSetting = { key: entry.key.span, name: entry.key.name, value: entry.value.span, setting: settingNamed(entry.key.name) };
        resolution.settings.push(r);
        settings.set(entry, r);
        pipeline(entry.value);
      }
    }
  }
  return { resolution, lets, calls, names, settings };
}
