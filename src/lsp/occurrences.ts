import type { BuiltinSpec, ParamSpec } from '../language/builtins.js';
import type { Span } from '../diagnostics/types.js';
import type { Arg, Call, Expr, LetStatement, Pipeline, SourceFile, Stage, TrainEntry } from '../syntax/ast.js';
import type { BindingRef, Resolution } from '../syntax/lower.js';

/** Where a value sits: the parameter of the call it is given to, or the train setting it sets. */
export interface ValueSite {
  param?: ParamSpec;
  setting?: ParamSpec;
}

/**
 * One meaningful word or literal of the syntax tree, in source order; hover, semantic tokens and
 * references read these. What calls, arguments, names and keys mean comes from the lowering's
 * resolution: nothing is resolved here.
 */
export type Occurrence =
  | { kind: 'callee'; span: Span; call: Call; spec: BuiltinSpec | undefined; inLet: LetStatement | undefined }
  | { kind: 'name'; span: Span; name: string; site: ValueSite; binding: BindingRef | undefined }
  | { kind: 'argName'; span: Span; call: Call; spec: BuiltinSpec | undefined; param: ParamSpec | undefined }
  | { kind: 'letName'; span: Span; statement: LetStatement }
  | { kind: 'trainKey'; span: Span; entry: TrainEntry; setting: ParamSpec | undefined }
  | { kind: 'repeat'; span: Span; stage: Stage }
  | { kind: 'number' | 'string'; span: Span; site: ValueSite };

/** Every occurrence in the file, in source order, with what the lowering resolved it to. */
export function occurrences(file: SourceFile, resolution: Resolution): Occurrence[] {
  // Each call, name and key starts at a different offset: its first token is its own.
  const calls = new Map(resolution.calls.map((c) => [c.callee.start, c]));
  const names = new Map(resolution.names.map((n) => [n.span.start, n]));
  const settings = new Map(resolution.settings.map((s) => [s.key.start, s]));
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
        out.push({ kind: 'name', span: e.span, name: e.name, site, binding: names.get(e.span.start)?.binding });
        return;
      case 'group':
        pipeline(e.pipeline, {});
        return;
      case 'call': {
        const resolved = calls.get(e.callee.span.start);
        const spec = resolved?.spec;
        out.push({ kind: 'callee', span: e.callee.span, call: e, spec, inLet });
        e.args.forEach((a: Arg, i) => {
          const param = resolved?.args[i]?.param;
          if (a.name) out.push({ kind: 'argName', span: a.name.span, call: e, spec, param });
          pipeline(a.value, { param });
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
        const setting = settings.get(entry.key.span.start)?.setting;
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
