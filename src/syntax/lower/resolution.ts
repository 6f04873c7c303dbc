import type { Span } from '../../diagnostics/types.js';
import { BUILTIN_BY_NAME, type BuiltinSpec, type ParamSpec } from '../../language/builtins.js';
import type { Call, Expr, LetStatement, NameRef, Stage, TrainBlock, TrainEntry } from '../ast.js';
import { ArgMatcher, bareName, flagReadsBinding, settingNamed, type ArgMatch } from './match.js';

// What the lowering decided the words of a file mean, published with its result so the
// language server reads those decisions instead of making them again. Plain data: spans and
// the built-ins' specs, no syntax tree.

/** A `let` binding: its name and where it is bound (the name in `let NAME = …`). */
export interface BindingRef {
  name: string;
  definition: Span;
}

/** One argument of a call and the parameter it gives. */
export interface ResolvedArg {
  /** The whole argument, `key: value` or the value alone. */
  span: Span;
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

/**
 * Makes and records the lowering's decisions as it evaluates the file: arguments to parameters
 * (by `ArgMatcher`), names to the first `let` of their name, `train` keys to settings. The
 * evaluation acts on what was recorded. Parts the lowering reports without evaluating them are
 * resolved by `skipped`, with the same rules, so the resolution covers the whole tree.
 */
export class ResolutionRecorder {
  private readonly calls: ResolvedCall[] = [];
  private readonly names: ResolvedName[] = [];
  private readonly settings: ResolvedSetting[] = [];
  private readonly matcher = new ArgMatcher();
  /** Each bound name's binding, as entries name it. */
  private readonly refs = new Map<string, BindingRef>();

  /** `lets`: each bound name's `let` (the first of that name). */
  constructor(lets: ReadonlyMap<string, LetStatement>) {
    for (const [name, s] of lets) this.refs.set(name, { name, definition: s.name.span });
  }

  /** A call: its built-in (undefined: unknown) and the parameter each argument gives. */
  call(e: Call, spec: BuiltinSpec | undefined): ResolvedCall {
    const matcher = this.matcher.start(spec);
    const args = e.args.map((a): ResolvedArg => {
      const param = matcher.match(a.name?.name, bareName(a.value)?.name);
      return { span: a.span, by: matcher.by, param };
    });
    const r: ResolvedCall = { span: e.span, callee: e.callee.span, name: e.callee.name, spec, args };
    this.calls.push(r);
    return r;
  }

  /**
   * A bare name and the binding it reads: the `let` of that name, if any. Given `flag`, the
   * name is that flag of its call, which reads a binding only if the flag says so.
   */
  name(e: NameRef, flag?: ParamSpec): BindingRef | undefined {
    const binding = flag && !flagReadsBinding(flag) ? undefined : this.refs.get(e.name);
    this.names.push({ span: e.span, name: e.name, binding });
    return binding;
  }

  /** A `train` key and the setting it names. */
  setting(entry: TrainEntry): ParamSpec | undefined {
    const setting = settingNamed(entry.key.name);
    this.settings.push({ key: entry.key.span, name: entry.key.name, setting });
    return setting;
  }

  /** Resolves stages the lowering does not evaluate (it reports why), so they are resolved all the same. */
  skipped(stages: readonly Stage[]): void {
    for (const s of stages) this.skippedExpr(s.expr);
  }

  /** The same for a `train` block the lowering does not read. */
  skippedTrain(block: TrainBlock): void {
    for (const entry of block.entries) {
      this.setting(entry);
      this.skipped(entry.value.stages);
    }
  }

  /** Everything recorded, in source order (the lowering evaluates bindings where they are used). */
  finish(): Resolution {
    // Recorded in evaluation order (a binding where it is first used): runs in source order, which the sort merges.
    const bySpan = (a: { span: Span }, b: { span: Span }): number => a.span.start - b.span.start;
    return { calls: this.calls.sort(bySpan), names: this.names.sort(bySpan), settings: this.settings.sort((a, b) => a.key.start - b.key.start) };
  }

  private skippedExpr(e: Expr): void {
    switch (e.type) {
      case 'number':
      case 'string':
        return;
      case 'group':
        return this.skipped(e.pipeline.stages);
      case 'name':
        this.name(e);
        return;
      case 'call': {
        const r = this.call(e, BUILTIN_BY_NAME.get(e.callee.name));
        e.args.forEach((a, i) => {
          const { by, param } = r.args[i]!;
          const word = by === 'flag' ? bareName(a.value) : undefined;
          if (word) this.name(word, param);
          else this.skipped(a.value.stages);
        });
        return;
      }
    }
  }
}
