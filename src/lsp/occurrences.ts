import { BUILTIN_BY_NAME, TRAIN_SETTINGS, type BuiltinSpec, type ParamSpec } from '../language/builtins.js';
import type { Span } from '../diagnostics/types.js';
import type { Arg, Call, Expr, LetStatement, Pipeline, SourceFile, Stage, TrainEntry } from '../syntax/ast.js';

/** Where a value sits: the call and parameter it is given to, or the train setting it sets. */
export interface ValueSite {
  call?: Call;
  spec?: BuiltinSpec;
  param?: ParamSpec;
  setting?: ParamSpec;
}

/** One meaningful word or literal of the syntax tree, in source order; hover, semantic tokens and references read these. */
export type Occurrence =
  | { kind: 'callee'; span: Span; call: Call; spec: BuiltinSpec | undefined; inLet: LetStatement | undefined }
  | { kind: 'name'; span: Span; name: string; site: ValueSite }
  | { kind: 'argName'; span: Span; call: Call; spec: BuiltinSpec | undefined; param: ParamSpec | undefined }
  | { kind: 'letName'; span: Span; statement: LetStatement }
  | { kind: 'trainKey'; span: Span; entry: TrainEntry; setting: ParamSpec | undefined }
  | { kind: 'repeat'; span: Span; stage: Stage }
  | { kind: 'number' | 'string'; span: Span; site: ValueSite };

/**
 * Which parameter each argument of a call binds, as the lowering matches them: by name, a bare
 * word naming a flag, else the next positional parameter.
 */
export function paramsOfArgs(call: Call, spec: BuiltinSpec | undefined): (ParamSpec | undefined)[] {
  if (!spec) return call.args.map(() => undefined);
  const positional = spec.params.filter((p) => p.positional);
  let next = 0;
  return call.args.map((a) => {
    if (a.name) return spec.params.find((p) => p.name === a.name!.name);
    const only = a.value.stages.length === 1 && !a.value.stages[0]!.repeat ? a.value.stages[0]!.expr : undefined;
    if (only?.type === 'name') {
      const flag = spec.params.find((p) => p.flag && p.name === only.name);
      if (flag) return flag;
    }
    return positional[next++];
  });
}

/** Every occurrence in the file, in source order. */
export function occurrences(file: SourceFile): Occurrence[] {
  const out: Occurrence[] = [];
  let inLet: LetStatement | undefined;

  const pipeline = (p: Pipeline, site: ValueSite): void => {
    for (const s of p.stages) stage(s, p.stages.length === 1 ? site : {});
  };
  const stage = (s: Stage, site: ValueSite): void => {
    expr(s.expr, s.repeat ? {} : site);
    if (s.repeat) out.push({ kind: 'repeat', span: s.repeat.span, stage: s });
  };
  const expr = (e: Expr, site: ValueSite): void => {
    switch (e.type) {
      case 'number':
      case 'string':
        out.push({ kind: e.type, span: e.span, site });
        return;
      case 'name':
        out.push({ kind: 'name', span: e.span, name: e.name, site });
        return;
      case 'group':
        pipeline(e.pipeline, {});
        return;
      case 'call': {
        const spec = BUILTIN_BY_NAME.get(e.callee.name);
        out.push({ kind: 'callee', span: e.callee.span, call: e, spec, inLet });
        const params = paramsOfArgs(e, spec);
        e.args.forEach((a: Arg, i) => {
          const param = params[i];
          if (a.name) out.push({ kind: 'argName', span: a.name.span, call: e, spec, param });
          pipeline(a.value, { call: e, spec, param });
        });
        return;
      }
    }
  };

  for (const s of file.statements) {
    if (s.type === 'let') {
      out.push({ kind: 'letName', span: s.name.span, statement: s });
      inLet = s;
      pipeline(s.value, {});
      inLet = undefined;
    } else if (s.type === 'train') {
      for (const entry of s.entries) {
        const setting = TRAIN_SETTINGS.find((t) => t.name === entry.key.name);
        out.push({ kind: 'trainKey', span: entry.key.span, entry, setting });
        pipeline(entry.value, { setting });
      }
    } else pipeline(s.pipeline, {});
  }
  return out;
}

/** The occurrence whose span holds `offset` (its end counts, so a cursor just after a word finds it). */
export function occurrenceAt(list: readonly Occurrence[], offset: number): Occurrence | undefined {
  let best: Occurrence | undefined;
  for (const o of list) {
    if (o.span.start <= offset && offset <= o.span.end) {
      // Prefer the word that starts at the cursor over one that ends there.
      if (!best || o.span.start > best.span.start) best = o;
    }
  }
  return best;
}
