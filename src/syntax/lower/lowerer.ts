import { MAX_BINDING_DEPTH, MAX_LAYERS, MAX_REPEAT } from '../../limits.js';
import { formatCount } from '../../util/numbers.js';
import { BUILTIN_BY_NAME, BUILTINS, type BuiltinSpec, type ParamSpec } from '../../language/builtins.js';
import { clip, quote } from '../../language/quote.js';
import { didYouMean } from '../../language/suggest.js';
import type { CodeName } from '../../diagnostics/codes.js';
import type { Diagnostic, Span } from '../../diagnostics/types.js';
import { IR_FORMAT, IR_VERSION, type Layer, type Program } from '../../ir/types.js';
import type { Arg, Call, Expr, LetStatement, NameRef, Pipeline, SourceFile, Stage, TrainBlock } from '../ast.js';
import type { LowerContext } from './context.js';
import { build } from './layers.js';
import { bareName } from './match.js';
import { ArgReader } from './read.js';
import { renameFix, Reporter } from './report.js';
import type { Resolved, ResolvedArg } from './resolve.js';
import { lowerTrain } from './train.js';
import type { Binding, LowerOptions, LowerResult, SourceMap } from './types.js';
import { describeValue, type Args, type Lowered, type Value } from './values.js';

const LAYER_NAMES = BUILTINS.filter((b) => b.makes === 'layer').map((b) => b.name);

/** A binding cycle as `a` → `b` → `a`; a long one shows its ends. */
function describeCycle(cycle: readonly string[]): string {
  const names = cycle.map((c) => quote(c));
  return (names.length > 8 ? [...names.slice(0, 4), '…', ...names.slice(-3)] : names).join(' → ');
}

/**
 * Evaluates a file's statements: bindings on first use (cached, cycles and depth reported),
 * calls through their matched arguments, repeats expanded. One instance lowers one file.
 */
export class Lowerer implements LowerContext {
  readonly out = new Reporter();
  readonly read = new ArgReader(this.out);
  private readonly bindings = new Map<string, Binding>();
  private readonly cache = new Map<string, Value>();
  private readonly evaluating: string[] = [];
  vocabFromTrain: number | undefined;

  /** Each bound name's `let` (the first of that name). */
  readonly lets: ReadonlyMap<string, LetStatement>;

  constructor(
    private readonly file: SourceFile,
    readonly options: LowerOptions,
    readonly resolved: Resolved,
  ) {
    this.lets = resolved.lets;
  }

  private report(name: CodeName, span: Span, message: string, extra: Partial<Diagnostic> = {}): void {
    this.out.report(name, span, message, extra);
  }

  run(): LowerResult {
    const pipelines: Pipeline[] = [];
    let train: TrainBlock | undefined;
    for (const s of this.file.statements) {
      if (s.type === 'let') {
        const prev = this.lets.get(s.name.name)!;
        if (prev !== s) {
          this.report('DuplicateBinding', s.name.span, `${quote(s.name.name)} is already bound`, {
            labels: [{ span: prev.name.span, message: 'first bound here' }],
            help: 'rename one of them',
          });
          continue;
        }
        this.bindings.set(s.name.name, { name: s.name.name, decl: s.name.span, statement: s.span, uses: [] });
      } else if (s.type === 'train') {
        if (train) {
          this.report('SecondTrainBlock', s.span, 'more than one `train` block', {
            labels: [{ span: train.span, message: 'first one here' }],
            help: 'merge the settings into one block',
          });
        } else train = s;
      } else pipelines.push(s.pipeline);
    }

    const lowered = train ? lowerTrain(this, train) : undefined;
    const settings = lowered?.settings;
    if (settings?.vocab !== undefined) this.vocabFromTrain = settings.vocab;

    const map: SourceMap = { pointers: new Map(), stages: [], pipeline: pipelines[0]?.span };
    const layers: Layer[] = [];
    if (pipelines.length === 0) {
      this.report('EmptyProgram', { start: 0, end: 0 }, 'no model pipeline in this file', {
        help: 'write one, e.g. `embed(32) |> lstm(32) |> dense(1)`',
      });
    }
    for (const extra of pipelines.slice(1)) {
      this.report('SecondPipeline', extra.span, 'a file holds one model pipeline', {
        labels: [{ span: pipelines[0]!.span, message: 'the model is this pipeline' }],
        help: 'join them with `|>`, or bind one with `let`',
      });
    }
    const main = pipelines[0];
    if (main) {
      for (const stage of main.stages) {
        const v = this.stageValue(stage);
        const indices: number[] = [];
        if (v.t === 'layers' && layers.length + v.items.length > MAX_LAYERS) {
          this.report('TooManyLayers', stage.span, `the model grows past ${MAX_LAYERS} layers here`, {
            help: `a model has at most ${MAX_LAYERS} layers once repeats and bindings are expanded`,
          });
          break;
        }
        if (v.t === 'layers') {
          for (const item of v.items) {
            const i = layers.length;
            layers.push(item.layer);
            indices.push(i);
            for (const [key, span] of item.spans) map.pointers.set(key ? `/layers/${i}/${key}` : `/layers/${i}`, span);
            // Structural problems (order, shape) are reported where the layer is used.
            map.pointers.set(`/layers/${i}#use`, stage.span);
          }
        } else if (v.t !== 'error') {
          this.report('NotALayer', stage.span, `expected a layer, found ${describeValue(v)}`);
        }
        map.stages.push({ span: stage.span, layers: indices });
      }
    }

    // Bindings the model never reached are still checked: their problems are real, and the
    // names they use are used.
    for (const name of this.lets.keys()) {
      if (!this.cache.has(name)) this.evaluateBinding(name);
    }
    for (const b of this.bindings.values()) {
      if (b.uses.length === 0) {
        this.report('UnusedBinding', b.decl, `${quote(b.name)} is never used`, {
          help: 'remove the binding, or use it in the model pipeline',
          fixes: [{ title: `remove ${quote(`let ${b.name}`)}`, edits: [{ span: b.statement, text: '' }] }],
        });
      }
    }

    const program: Program = { format: IR_FORMAT, version: IR_VERSION, layers };
    if (settings && Object.keys(settings).length > 0) program.train = settings;
    if (train) map.pointers.set('/train', train.span);
    for (const [pointer, span] of lowered?.spans ?? []) map.pointers.set(pointer, span);
    return { program, map, bindings: [...this.bindings.values()], resolution: this.resolved.resolution, diagnostics: this.out.diagnostics };
  }

  // --- values ---------------------------------------------------------------------------------

  private pipelineValue(p: Pipeline): Value {
    if (p.stages.length === 1) return this.stageValue(p.stages[0]!);
    const items: Lowered[] = [];
    let ok = true;
    for (const s of p.stages) {
      const v = this.stageValue(s);
      if (v.t === 'layers' && items.length + v.items.length > MAX_LAYERS) {
        this.report('TooManyLayers', s.span, `the pipeline grows past ${MAX_LAYERS} layers here`, {
          help: `a model has at most ${MAX_LAYERS} layers once repeats and bindings are expanded`,
        });
        return { t: 'error', span: p.span };
      }
      if (v.t === 'layers') for (const item of v.items) items.push(item);
      else {
        ok = false;
        if (v.t !== 'error') this.report('NotALayer', s.span, `expected a layer, found ${describeValue(v)}`);
      }
    }
    return ok ? { t: 'layers', items, span: p.span } : { t: 'error', span: p.span };
  }

  private stageValue(s: Stage): Value {
    const v = this.exprValue(s.expr);
    if (!s.repeat) return v;
    const n = s.repeat.count;
    if (n < 1 || n > MAX_REPEAT) {
      this.report('BadRepeat', s.repeat.span, n < 1 ? `repeat count must be at least 1, found ${n}` : `repeat count must be at most ${MAX_REPEAT}, found ${n}`, {
        label: n < 1 ? 'makes no layers' : undefined,
        help: n < 1 ? 'remove the stage, or write `x1` or more' : undefined,
      });
      return { t: 'error', span: s.span };
    }
    if (v.t === 'error') return v;
    if (v.t !== 'layers') {
      this.report('NotALayer', s.expr.span, `only layers can be repeated, found ${describeValue(v)}`);
      return { t: 'error', span: s.span };
    }
    // Checked before expanding: nested repeats multiply, `((lstm(1) x1000) x1000) x1000` is 10⁹.
    if (v.items.length * n > MAX_LAYERS) {
      this.report('TooManyLayers', s.repeat.span, `this repeat makes ${formatCount(v.items.length * n)} layers, over the ${MAX_LAYERS} a model may have`, {
        label: `${formatCount(v.items.length)} × ${n}`,
      });
      return { t: 'error', span: s.span };
    }
    // Each copy has its own weights: copies are separate layers in the IR.
    const items: Lowered[] = [];
    for (let i = 0; i < n; i++) {
      for (const item of v.items) items.push({ layer: structuredClone(item.layer), spans: item.spans });
    }
    return { t: 'layers', items, span: s.span };
  }

  private exprValue(e: Expr): Value {
    switch (e.type) {
      case 'number':
        if (!Number.isFinite(e.value)) {
          this.report('BadNumber', e.span, `number out of range: ${quote(e.raw)}`);
          return { t: 'error', span: e.span };
        }
        return { t: 'num', value: e.value, integer: e.integer, raw: e.raw, span: e.span };
      case 'string':
        return e.unterminated ? { t: 'error', span: e.span } : { t: 'str', value: e.value, span: e.span };
      case 'group':
        return this.pipelineValue(e.pipeline);
      case 'name':
        return this.nameValue(e, true);
      case 'call':
        return this.callValue(e);
    }
  }

  /** A bare name: the binding it resolved to, else a symbol (enum value, `true`/`false`) for the caller to judge. */
  private nameValue(ref: NameRef, standalone: boolean): Value {
    const { name, span } = ref;
    if (this.resolved.names.get(ref)?.binding) return this.bindingValue(name, span);
    if (standalone) {
      const builtin = BUILTIN_BY_NAME.get(name);
      if (builtin) {
        const first = builtin.params.find((p) => p.positional);
        this.report('MissingArgument', span, `\`${name}\` needs arguments`, {
          help: `call it: \`${name}(${first ? first.name : ''})\``,
        });
        return { t: 'error', span };
      }
      const guess = didYouMean(name, [...this.lets.keys(), ...LAYER_NAMES]);
      this.report('UndefinedName', span, `${quote(name)} is not defined`, {
        help: guess ? `did you mean \`${guess}\`?` : `bind it first: ${quote(`let ${clip(name)} = …`, Infinity)}`,
        fixes: guess ? [renameFix(span, guess)] : undefined,
      });
      return { t: 'error', span };
    }
    return { t: 'sym', name, span };
  }

  bindingValue(name: string, span: Span): Value {
    this.bindings.get(name)?.uses.push(span);
    const cached = this.cache.get(name);
    if (cached) return cached.t === 'layers' ? { ...cached, span } : cached;
    if (this.evaluating.includes(name)) {
      const cycle = [...this.evaluating.slice(this.evaluating.indexOf(name)), name];
      this.report('BindingCycle', span, `${quote(name)} is defined in terms of itself: ${describeCycle(cycle)}`, {
        labels: [{ span: this.lets.get(name)!.name.span, message: 'bound here' }],
      });
      return { t: 'error', span };
    }
    // Each binding level is a few frames of recursion: a chain of thousands would overflow.
    if (this.evaluating.length >= MAX_BINDING_DEPTH) {
      this.report('NestingTooDeep', span, `bindings refer to bindings more than ${MAX_BINDING_DEPTH} deep here`, {
        help: 'define the layers with fewer levels of `let`',
      });
      return { t: 'error', span };
    }
    const v = this.evaluateBinding(name);
    return v.t === 'layers' ? { ...v, span } : v;
  }

  private evaluateBinding(name: string): Value {
    this.evaluating.push(name);
    const v = this.pipelineValue(this.lets.get(name)!.value);
    this.evaluating.pop();
    this.cache.set(name, v);
    return v;
  }

  /** The value of an argument: names may be bindings or symbols. */
  argValue(p: Pipeline): Value {
    const word = bareName(p);
    return word ? this.nameValue(word, false) : this.pipelineValue(p);
  }

  // --- calls ----------------------------------------------------------------------------------

  private callValue(call: Call): Value {
    const resolved = this.resolved.calls.get(call)!;
    const spec = resolved.spec;
    if (!spec) {
      const guess = didYouMean(call.callee.name, BUILTINS.map((b) => b.name));
      this.report('UnknownLayer', call.callee.span, `unknown layer ${quote(call.callee.name)}`, {
        label: 'not a layer',
        help: guess ? `did you mean \`${guess}\`?` : `layers are ${LAYER_NAMES.map((n) => `\`${n}\``).join(', ')}`,
        fixes: guess ? [renameFix(call.callee.span, guess)] : undefined,
      });
      // Still evaluate the arguments, so problems inside them are reported too.
      for (const a of call.args) this.argValue(a.value);
      return { t: 'error', span: call.span };
    }
    // The arguments that could be matched are still checked when others could not, so one run
    // reports every independent problem; the call only yields a layer when all is well.
    const { args, ok } = this.bindArgs(call, spec, resolved.args);
    const v = build(this, call, spec, args);
    return ok ? v : { t: 'error', span: call.span };
  }

  /**
   * Evaluates the arguments of a call and gives each to the parameter the resolution matched
   * it to. Reports unknown names (with did-you-mean), duplicates and extra positionals.
   */
  private bindArgs(call: Call, spec: BuiltinSpec, matched: readonly ResolvedArg[]): { args: Args; ok: boolean } {
    const out: Args = new Map();
    const positional = spec.params.filter((p) => p.positional);
    let ok = true;
    const put = (p: ParamSpec, arg: Arg, value: Value, at: Span): void => {
      const prev = out.get(p.name);
      if (prev) {
        this.report('DuplicateArgument', at, `\`${p.name}\` is given twice`, {
          labels: [{ span: prev.arg.span, message: 'first given here' }],
        });
        ok = false;
        return;
      }
      out.set(p.name, { arg, value });
    };
    call.args.forEach((arg, i) => {
      const { by, param: p } = matched[i]!;
      if (arg.name) {
        if (!p) {
          const guess = didYouMean(arg.name.name, spec.params.map((q) => q.name));
          this.report('UnknownArgument', arg.name.span, `\`${spec.name}\` has no argument ${quote(arg.name.name)}`, {
            help: guess ? `did you mean \`${guess}\`?` : `its arguments are ${spec.params.map((q) => `\`${q.name}\``).join(', ')}`,
            fixes: guess ? [renameFix(arg.name.span, guess)] : undefined,
          });
          this.argValue(arg.value);
          ok = false;
          return;
        }
        put(p, arg, this.argValue(arg.value), arg.name.span);
        return;
      }
      const word = by === 'flag' ? bareName(arg.value) : undefined;
      if (p && word) {
        // The flag itself, not a name (even if bound): the parameter reads the word.
        put(p, arg, { t: 'sym', name: word.name, span: word.span }, word.span);
        return;
      }
      const value = this.argValue(arg.value);
      if (!p) {
        if (value.t === 'sym') {
          const guess = didYouMean(value.name, spec.params.filter((q) => q.flag).map((q) => q.name));
          if (guess || !this.lets.has(value.name)) {
            this.report(guess ? 'UnknownArgument' : 'UndefinedName', value.span, guess ? `\`${spec.name}\` has no flag ${quote(value.name)}` : `${quote(value.name)} is not defined`, {
              help: guess ? `did you mean \`${guess}\`?` : undefined,
              fixes: guess ? [renameFix(value.span, guess)] : undefined,
            });
            ok = false;
            return;
          }
        }
        this.report('TooManyArguments', arg.span, `\`${spec.name}\` takes ${positional.length === 1 ? '1 positional argument' : `${positional.length} positional arguments`}`, {
          help: positional.length ? `its positional arguments are ${positional.map((q) => `\`${q.name}\``).join(', ')}; name the others` : undefined,
        });
        ok = false;
        return;
      }
      put(p, arg, value, arg.span);
    });
    return { args: out, ok };
  }

}
