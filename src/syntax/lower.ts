import { MAX_BINDING_DEPTH, MAX_LAYERS, MAX_REPEAT } from '../limits.js';
import { formatCount } from '../util/numbers.js';
import { BUILTIN_BY_NAME, BUILTINS, CELL_NAMES, TRAIN_SETTINGS, type BuiltinSpec, type ParamSpec } from '../language/builtins.js';
import { clip, quote } from '../language/quote.js';
import { didYouMean } from '../language/suggest.js';
import { diag, type CodeName } from '../diagnostics/codes.js';
import type { Diagnostic, Fix, Span } from '../diagnostics/types.js';
import { DEFAULT_VOCAB } from '../ir/normalize.js';
import {
  CELL_KINDS,
  IR_FORMAT,
  IR_VERSION,
  type Activation,
  type Layer,
  type MergeMode,
  type PretrainedSource,
  type Program,
  type RecurrentLayer,
  type TrainSettings,
} from '../ir/types.js';
import type { Arg, Call, Expr, LetStatement, Pipeline, SourceFile, Stage, TrainBlock } from './ast.js';

/** Options that come from outside the file (CLI flags, the editor's settings). */
export interface LowerOptions {
  /** `--vocab N`: the vocabulary size when `embed` has no `vocab:`. */
  vocab?: number;
  /** `--pretrained FILE`: the source a bare `pretrained` flag means when no `let pretrained` exists. */
  pretrained?: PretrainedSource;
  /**
   * Reads the dimension of a pretrained source when `embed` gives none. Injected so lowering
   * itself does no I/O; a string is an error message.
   */
  resolveDim?: (source: PretrainedSource) => number | string;
}

/** Where each IR value came from: JSON pointer → source span, plus the stages of the model pipeline. */
export interface SourceMap {
  pointers: Map<string, Span>;
  /** For each stage of the model pipeline, the indices of the IR layers it made. */
  stages: { span: Span; layers: number[] }[];
  /** The span of the model pipeline statement. */
  pipeline: Span | undefined;
}

/** A `let` name, where it is bound and every place it is used. */
export interface Binding {
  name: string;
  decl: Span;
  statement: Span;
  uses: Span[];
}

export interface LowerResult {
  program: Program;
  map: SourceMap;
  bindings: Binding[];
  diagnostics: Diagnostic[];
}

/** A layer while lowering: relative spans keyed by IR property path ('' = the whole call). */
interface Lowered {
  layer: Layer;
  spans: Map<string, Span>;
}

type Value =
  | { t: 'num'; value: number; integer: boolean; raw: string; span: Span }
  | { t: 'str'; value: string; span: Span }
  | { t: 'sym'; name: string; span: Span }
  | { t: 'layers'; items: Lowered[]; span: Span }
  | { t: 'source'; source: PretrainedSource; span: Span }
  | { t: 'error'; span: Span };

/** What users write for each IR kind. */
const SURFACE_NAME: Record<Layer['kind'], string> = {
  embedding: 'embed',
  simple_rnn: 'rnn',
  lstm: 'lstm',
  gru: 'gru',
  bidirectional: 'bi',
  dense: 'dense',
  dropout: 'dropout',
};

/** Arguments of one call, matched to parameter names. */
type Args = Map<string, { arg: Arg; value: Value }>;

const LAYER_NAMES = BUILTINS.filter((b) => b.makes === 'layer').map((b) => b.name);


function describeValue(v: Value): string {
  switch (v.t) {
    case 'num':
      return 'a number';
    case 'str':
      return 'a string';
    case 'sym':
      return quote(v.name);
    case 'layers':
      return v.items.length === 1 ? 'a layer' : 'a pipeline';
    case 'source':
      return 'a pretrained source';
    case 'error':
      return 'an invalid value';
  }
}

/** Why a file's own text (a vectors file's reason it cannot be read) may fill a message: at most this much. */
const MAX_REASON_CHARS = 200;

/** A binding cycle as `a` → `b` → `a`; a long one shows its ends. */
function describeCycle(cycle: readonly string[]): string {
  const names = cycle.map((c) => quote(c));
  return (names.length > 8 ? [...names.slice(0, 4), '…', ...names.slice(-3)] : names).join(' → ');
}

class Lowerer {
  readonly diagnostics: Diagnostic[] = [];
  private readonly lets = new Map<string, LetStatement>();
  private readonly bindings = new Map<string, Binding>();
  private readonly cache = new Map<string, Value>();
  private readonly evaluating: string[] = [];
  private vocabFromTrain: number | undefined;

  constructor(
    private readonly file: SourceFile,
    private readonly options: LowerOptions,
  ) {}

  private report(name: CodeName, span: Span, message: string, extra: Partial<Diagnostic> = {}): void {
    this.diagnostics.push(diag(name, span, message, extra));
  }

  private renameFix(span: Span, to: string): Fix {
    return { title: `replace with \`${to}\``, edits: [{ span, text: to }] };
  }

  run(): LowerResult {
    const pipelines: Pipeline[] = [];
    let train: TrainBlock | undefined;
    for (const s of this.file.statements) {
      if (s.type === 'let') {
        const prev = this.lets.get(s.name.name);
        if (prev) {
          this.report('DuplicateBinding', s.name.span, `${quote(s.name.name)} is already bound`, {
            labels: [{ span: prev.name.span, message: 'first bound here' }],
            help: 'rename one of them',
          });
          continue;
        }
        this.lets.set(s.name.name, s);
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

    const settings = train ? this.lowerTrain(train) : undefined;
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
    return { program, map, bindings: [...this.bindings.values()], diagnostics: this.diagnostics };
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
        return this.nameValue(e.name, e.span, true);
      case 'call':
        return this.callValue(e);
    }
  }

  /** A bare name: a binding, else a symbol (enum value, `true`/`false`) for the caller to judge. */
  private nameValue(name: string, span: Span, standalone: boolean): Value {
    const bound = this.lets.get(name);
    if (bound) return this.bindingValue(name, span);
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
        fixes: guess ? [this.renameFix(span, guess)] : undefined,
      });
      return { t: 'error', span };
    }
    return { t: 'sym', name, span };
  }

  private bindingValue(name: string, span: Span): Value {
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
  private argValue(p: Pipeline): Value {
    if (p.stages.length === 1 && !p.stages[0]!.repeat && p.stages[0]!.expr.type === 'name') {
      const e = p.stages[0]!.expr;
      return this.nameValue(e.name, e.span, false);
    }
    return this.pipelineValue(p);
  }

  // --- calls ----------------------------------------------------------------------------------

  private callValue(call: Call): Value {
    const spec = BUILTIN_BY_NAME.get(call.callee.name);
    if (!spec) {
      const guess = didYouMean(call.callee.name, BUILTINS.map((b) => b.name));
      this.report('UnknownLayer', call.callee.span, `unknown layer ${quote(call.callee.name)}`, {
        label: 'not a layer',
        help: guess ? `did you mean \`${guess}\`?` : `layers are ${LAYER_NAMES.map((n) => `\`${n}\``).join(', ')}`,
        fixes: guess ? [this.renameFix(call.callee.span, guess)] : undefined,
      });
      // Still evaluate the arguments, so problems inside them are reported too.
      for (const a of call.args) this.argValue(a.value);
      return { t: 'error', span: call.span };
    }
    // The arguments that could be matched are still checked when others could not, so one run
    // reports every independent problem; the call only yields a layer when all is well.
    const { args, ok } = this.bindArgs(call, spec);
    const v = this.build(call, spec, args);
    return ok ? v : { t: 'error', span: call.span };
  }

  private build(call: Call, spec: BuiltinSpec, args: Args): Value {
    switch (spec.name) {
      case 'embed':
        return this.embed(call, args);
      case 'rnn':
      case 'lstm':
      case 'gru':
        return this.cell(call, spec.name, args);
      case 'bi':
        return this.bi(call, args);
      case 'dense':
        return this.dense(call, args);
      case 'dropout':
        return this.dropout(call, args);
      case 'vectors':
        return this.vectors(call, args);
      default:
        return { t: 'error', span: call.span };
    }
  }

  /**
   * Matches arguments to parameters: named ones by name, bare flags by name, the rest by
   * position. Reports unknown names (with did-you-mean), duplicates and extra positionals.
   */
  private bindArgs(call: Call, spec: BuiltinSpec): { args: Args; ok: boolean } {
    const out: Args = new Map();
    const positional = spec.params.filter((p) => p.positional);
    let next = 0;
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
    for (const arg of call.args) {
      if (arg.name) {
        const p = spec.params.find((q) => q.name === arg.name!.name);
        if (!p) {
          const guess = didYouMean(arg.name.name, spec.params.map((q) => q.name));
          this.report('UnknownArgument', arg.name.span, `\`${spec.name}\` has no argument ${quote(arg.name.name)}`, {
            help: guess ? `did you mean \`${guess}\`?` : `its arguments are ${spec.params.map((q) => `\`${q.name}\``).join(', ')}`,
            fixes: guess ? [this.renameFix(arg.name.span, guess)] : undefined,
          });
          this.argValue(arg.value);
          ok = false;
          continue;
        }
        put(p, arg, this.argValue(arg.value), arg.name.span);
        continue;
      }
      const only = arg.value.stages.length === 1 && !arg.value.stages[0]!.repeat ? arg.value.stages[0]!.expr : undefined;
      // A bare word naming a flag of this call (`frozen`, `pretrained`) is that flag, even if bound.
      if (only?.type === 'name') {
        const flag = spec.params.find((q) => q.flag && q.name === only.name);
        if (flag) {
          put(flag, arg, { t: 'sym', name: only.name, span: only.span }, only.span);
          continue;
        }
      }
      const value = this.argValue(arg.value);
      const p = positional[next++];
      if (!p) {
        if (value.t === 'sym') {
          const guess = didYouMean(value.name, spec.params.filter((q) => q.flag).map((q) => q.name));
          if (guess || !this.lets.has(value.name)) {
            this.report(guess ? 'UnknownArgument' : 'UndefinedName', value.span, guess ? `\`${spec.name}\` has no flag ${quote(value.name)}` : `${quote(value.name)} is not defined`, {
              help: guess ? `did you mean \`${guess}\`?` : undefined,
              fixes: guess ? [this.renameFix(value.span, guess)] : undefined,
            });
            ok = false;
            continue;
          }
        }
        this.report('TooManyArguments', arg.span, `\`${spec.name}\` takes ${positional.length === 1 ? '1 positional argument' : `${positional.length} positional arguments`}`, {
          help: positional.length ? `its positional arguments are ${positional.map((q) => `\`${q.name}\``).join(', ')}; name the others` : undefined,
        });
        ok = false;
        continue;
      }
      put(p, arg, value, arg.span);
    }
    return { args: out, ok };
  }

  /** An argument's value: undefined when not given, null when already reported as invalid. */
  private given(args: Args, name: string): Exclude<Value, { t: 'error' }> | null | undefined {
    const a = args.get(name);
    if (!a) return undefined;
    return a.value.t === 'error' ? null : a.value;
  }

  private int(args: Args, name: string): { n: number; span: Span } | null | undefined {
    const v = this.given(args, name);
    if (!v) return v;
    if (v.t === 'num' && v.integer && Number.isSafeInteger(v.value)) return { n: v.value, span: v.span };
    // Quote the literal as written: `64.0` has a whole value but is written as a decimal.
    const whole = v.t === 'num' && Number.isSafeInteger(v.value);
    this.report('WrongValueType', v.span, `\`${name}\` must be a whole number, found ${v.t === 'num' ? quote(v.raw) : describeValue(v)}`, {
      help: whole ? `write \`${v.value}\`, without the decimal point` : undefined,
      fixes: whole ? [this.renameFix(v.span, String(v.value))] : undefined,
    });
    return null;
  }

  private num(args: Args, name: string): { n: number; span: Span } | null | undefined {
    const v = this.given(args, name);
    if (!v) return v;
    if (v.t === 'num') return { n: v.value, span: v.span };
    this.report('WrongValueType', v.span, `\`${name}\` must be a number, found ${describeValue(v)}`);
    return null;
  }

  private enumValue<T extends string>(args: Args, spec: BuiltinSpec, name: string): { v: T; span: Span } | null | undefined {
    const v = this.given(args, name);
    if (!v) return v;
    const allowed = spec.params.find((q) => q.name === name)!.values ?? [];
    const word = v.t === 'sym' ? v.name : v.t === 'str' ? v.value : undefined;
    if (word !== undefined && allowed.includes(word)) return { v: word as T, span: v.span };
    const guess = word !== undefined ? didYouMean(word, allowed) : undefined;
    this.report('BadEnumValue', v.span, `\`${name}\` must be one of ${allowed.map((x) => `\`${x}\``).join(', ')}, found ${word !== undefined ? quote(word) : describeValue(v)}`, {
      help: guess ? `did you mean \`${guess}\`?` : undefined,
      fixes: guess ? [this.renameFix(v.span, guess)] : undefined,
    });
    return null;
  }

  private bool(args: Args, name: string): { b: boolean; span: Span } | null | undefined {
    const v = this.given(args, name);
    if (!v) return v;
    // A bare flag (`trainable`) means true.
    if (v.t === 'sym' && (v.name === 'true' || v.name === name)) return { b: true, span: v.span };
    if (v.t === 'sym' && v.name === 'false') return { b: false, span: v.span };
    this.report('WrongValueType', v.span, `\`${name}\` must be \`true\` or \`false\`, found ${v.t === 'sym' ? quote(v.name) : describeValue(v)}`);
    return null;
  }

  private str(args: Args, name: string): { s: string; span: Span } | null | undefined {
    const v = this.given(args, name);
    if (!v) return v;
    if (v.t === 'str') return { s: v.value, span: v.span };
    this.report('WrongValueType', v.span, `\`${name}\` must be a string, found ${describeValue(v)}`, {
      help: v.t === 'sym' ? `quote it: ${quote(`"${clip(v.name)}"`, Infinity)}` : undefined,
    });
    return null;
  }

  private required<T>(call: Call, spec: BuiltinSpec, name: string, got: T | null | undefined): T | null {
    if (got === undefined) {
      this.report('MissingArgument', call.span, `\`${spec.name}\` needs \`${name}\``, {
        help: `e.g. \`${spec.name}(${name === 'units' ? '64' : name === 'rate' ? '0.5' : name === 'path' ? '"vectors.txt"' : name})\``,
      });
      return null;
    }
    return got;
  }

  private embed(call: Call, args: Args): Value {
    const spans = new Map<string, Span>([['', call.span]]);
    let ok = true;
    const dim = this.int(args, 'dim');
    const vocab = this.int(args, 'vocab');
    const mask = this.bool(args, 'mask');
    const trainable = this.bool(args, 'trainable');
    const from = this.str(args, 'from');
    if (dim === null || vocab === null || mask === null || trainable === null || from === null) ok = false;
    const frozenArg = args.get('frozen');

    let source: PretrainedSource | undefined;
    let sourceSpan: Span | undefined;
    const pre = args.get('pretrained');
    if (pre) {
      sourceSpan = pre.arg.span;
      const v = pre.value;
      if (v.t === 'sym' && v.name === 'pretrained') {
        if (this.lets.has('pretrained')) {
          const bound = this.bindingValue('pretrained', v.span);
          if (bound.t === 'source') source = bound.source;
          else if (bound.t === 'str') source = { source: 'vectors', path: bound.value };
          else if (bound.t !== 'error') {
            this.report('WrongValueType', v.span, `\`pretrained\` is bound to ${describeValue(bound)}, not to a pretrained source`, {
              labels: [{ span: this.lets.get('pretrained')!.value.span, message: 'bound here' }],
              help: 'bind it to `vectors("FILE")`',
            });
            ok = false;
          } else ok = false;
        } else if (this.options.pretrained) {
          source = this.options.pretrained;
        } else {
          this.report('NoPretrainedSource', v.span, '`pretrained` has no source', {
            help: 'add `let pretrained = vectors("FILE")`, or pass `--pretrained FILE`',
          });
          ok = false;
        }
      } else if (v.t === 'source') source = v.source;
      else if (v.t === 'str') source = { source: 'vectors', path: v.value };
      else if (v.t !== 'error') {
        this.report('WrongValueType', v.span, `\`pretrained\` must be \`vectors("FILE")\`, found ${describeValue(v)}`);
        ok = false;
      } else ok = false;
    }
    if (from) {
      if (pre) {
        this.report('ConflictingArguments', from.span, '`from` and `pretrained` both give the initial vectors', {
          labels: [{ span: pre.arg.span, message: 'pretrained given here' }],
          help: 'keep one of them',
        });
        ok = false;
      } else {
        source = { source: 'model', path: from.s };
        sourceSpan = args.get('from')!.arg.span;
      }
    }
    if (frozenArg && trainable) {
      this.report('ConflictingArguments', trainable.span, '`frozen` and `trainable` contradict each other', {
        labels: [{ span: frozenArg.arg.span, message: 'frozen here' }],
        help: 'keep one of them',
      });
      ok = false;
    }
    if (frozenArg && !pre && !from) {
      this.report('FrozenWithoutPretrained', frozenArg.arg.span, 'a frozen embedding without pretrained vectors stays random', {
        help: 'add `pretrained` (or `from: "MODEL_DIR"`), or drop `frozen`',
      });
    }

    let outputDim = dim?.n;
    if (dim) spans.set('output_dim', dim.span);
    if (source && this.options.resolveDim) {
      const found = this.options.resolveDim(source);
      if (typeof found === 'string') {
        if (outputDim === undefined) {
          this.report('UnknownDim', sourceSpan ?? call.span, `cannot tell the embedding dimension: ${clip(found, MAX_REASON_CHARS)}`, {
            help: 'give it: `embed(50, …)`, or fix the source',
          });
          ok = false;
        } else {
          this.report('VectorsNotFound', sourceSpan ?? call.span, `${clip(found, MAX_REASON_CHARS)}; it is needed to train`, {
            help: source.source === 'vectors' ? 'check the path (relative to this spec)' : 'check the model directory',
          });
        }
      } else if (outputDim !== undefined && outputDim !== found) {
        this.report('DimMismatch', dim!.span, `\`embed\` says ${outputDim} dimensions, but the pretrained source has ${found}`, {
          labels: sourceSpan ? [{ span: sourceSpan, message: `${found}-dimensional` }] : undefined,
          help: `write \`embed(${found}, …)\`, or omit the dimension`,
          fixes: [{ title: `use ${found}`, edits: [{ span: dim!.span, text: String(found) }] }],
        });
        ok = false;
      } else outputDim = found;
    }
    if (outputDim === undefined && ok) {
      this.report('UnknownDim', call.span, '`embed` needs a dimension', {
        help: source ? 'give it: `embed(50, …)`' : 'give it, e.g. `embed(64)`, or use `pretrained` vectors',
      });
      ok = false;
    }
    if (!ok || outputDim === undefined) return { t: 'error', span: call.span };

    const inputDim = vocab?.n ?? this.options.vocab ?? this.vocabFromTrain ?? DEFAULT_VOCAB;
    if (vocab) spans.set('input_dim', vocab.span);
    const layer: Layer = {
      kind: 'embedding',
      input_dim: inputDim,
      output_dim: outputDim,
      mask_zero: mask ? mask.b : true,
      trainable: frozenArg ? false : true,
    };
    if (mask) spans.set('mask_zero', mask.span);
    if (frozenArg) spans.set('trainable', frozenArg.arg.span);
    if (source) {
      layer.pretrained = source;
      if (sourceSpan) spans.set('pretrained', sourceSpan);
    }
    return { t: 'layers', items: [{ layer, spans }], span: call.span };
  }

  private cell(call: Call, name: 'rnn' | 'lstm' | 'gru', args: Args): Value {
    const spec = BUILTIN_BY_NAME.get(name)!;
    const spans = new Map<string, Span>([['', call.span]]);
    const units = this.required(call, spec, 'units', this.int(args, 'units'));
    const activation = this.enumValue<Activation>(args, spec, 'activation');
    const recAct = name === 'rnn' ? undefined : this.enumValue<Activation>(args, spec, 'recurrent_activation');
    const dropout = this.num(args, 'dropout');
    const recDrop = this.num(args, 'recurrent_dropout');
    const resetAfter = name === 'gru' ? this.bool(args, 'reset_after') : undefined;
    let ok = units !== null && activation !== null && recAct !== null && dropout !== null && recDrop !== null && resetAfter !== null;
    if (resetAfter?.b) {
      this.report('Unsupported', resetAfter.span, 'TensorFlow.js builds GRU only with `reset_after: false`', {
        notes: ['Keras 3 and PyTorch default to reset_after=True (3(u(i+u)+2u) parameters); rnnc GRUs have 3(u(i+u)+u)'],
        help: 'remove `reset_after: true`',
      });
      ok = false;
    }
    if (!ok || !units) return { t: 'error', span: call.span };
    const layer: RecurrentLayer = { kind: CELL_NAMES[name], units: units.n } as RecurrentLayer;
    spans.set('units', units.span);
    if (activation) (layer.activation = activation.v), spans.set('activation', activation.span);
    if (recAct) (layer.recurrent_activation = recAct.v), spans.set('recurrent_activation', recAct.span);
    if (dropout) (layer.dropout = dropout.n), spans.set('dropout', dropout.span);
    if (recDrop) (layer.recurrent_dropout = recDrop.n), spans.set('recurrent_dropout', recDrop.span);
    if (resetAfter) (layer.reset_after = false), spans.set('reset_after', resetAfter.span);
    return { t: 'layers', items: [{ layer, spans }], span: call.span };
  }

  private bi(call: Call, args: Args): Value {
    const spec = BUILTIN_BY_NAME.get('bi')!;
    const v = this.required(call, spec, 'cell', this.given(args, 'cell'));
    const merge = this.enumValue<MergeMode>(args, spec, 'merge');
    if (!v || merge === null) return { t: 'error', span: call.span };
    if (v.t !== 'layers' || v.items.length !== 1 || !(CELL_KINDS as readonly string[]).includes(v.items[0]!.layer.kind)) {
      const what = v.t === 'layers' && v.items.length === 1 ? `\`${SURFACE_NAME[v.items[0]!.layer.kind]}\`` : describeValue(v);
      this.report('CannotWrap', v.span, `\`bi\` wraps one recurrent layer, not ${what}`, {
        label: 'not rnn, lstm or gru',
        help: v.t === 'layers' && v.items.length > 1 ? 'repeat the wrapper instead: `bi(lstm(64)) x2`' : 'write e.g. `bi(lstm(64))`',
      });
      return { t: 'error', span: call.span };
    }
    const inner = v.items[0]!;
    const spans = new Map<string, Span>([['', call.span]]);
    for (const [k, s] of inner.spans) spans.set(k ? `layer/${k}` : 'layer', s);
    const layer: Layer = { kind: 'bidirectional', layer: inner.layer as RecurrentLayer } as Layer;
    if (merge) {
      (layer as { merge_mode?: MergeMode }).merge_mode = merge.v;
      spans.set('merge_mode', merge.span);
    }
    return { t: 'layers', items: [{ layer, spans }], span: call.span };
  }

  private dense(call: Call, args: Args): Value {
    const spec = BUILTIN_BY_NAME.get('dense')!;
    const units = this.required(call, spec, 'units', this.int(args, 'units'));
    const activation = this.enumValue<Activation>(args, spec, 'activation');
    if (!units || activation === null) return { t: 'error', span: call.span };
    const spans = new Map<string, Span>([['', call.span], ['units', units.span]]);
    const layer = { kind: 'dense', units: units.n } as Layer & { activation?: Activation };
    if (activation) (layer.activation = activation.v), spans.set('activation', activation.span);
    return { t: 'layers', items: [{ layer, spans }], span: call.span };
  }

  private dropout(call: Call, args: Args): Value {
    const spec = BUILTIN_BY_NAME.get('dropout')!;
    const rate = this.required(call, spec, 'rate', this.num(args, 'rate'));
    if (!rate) return { t: 'error', span: call.span };
    const spans = new Map<string, Span>([['', call.span], ['rate', rate.span]]);
    return { t: 'layers', items: [{ layer: { kind: 'dropout', rate: rate.n }, spans }], span: call.span };
  }

  private vectors(call: Call, args: Args): Value {
    const spec = BUILTIN_BY_NAME.get('vectors')!;
    const path = this.required(call, spec, 'path', this.str(args, 'path'));
    const format = this.enumValue<NonNullable<Extract<PretrainedSource, { source: 'vectors' }>['format']>>(args, spec, 'format');
    const oov = this.enumValue<NonNullable<Extract<PretrainedSource, { source: 'vectors' }>['oov']>>(args, spec, 'oov');
    if (!path || format === null || oov === null) return { t: 'error', span: call.span };
    const source: PretrainedSource = { source: 'vectors', path: path.s };
    if (format) source.format = format.v;
    if (oov) source.oov = oov.v;
    return { t: 'source', source, span: call.span };
  }

  // --- train { … } ----------------------------------------------------------------------------

  private lowerTrain(block: TrainBlock): TrainSettings {
    const out: Record<string, unknown> = {};
    const seen = new Map<string, Span>();
    for (const entry of block.entries) {
      const key = entry.key.name;
      const spec = TRAIN_SETTINGS.find((s) => s.name === key);
      if (!spec) {
        const guess = didYouMean(key, TRAIN_SETTINGS.map((s) => s.name));
        this.report('UnknownTrainSetting', entry.key.span, `unknown train setting ${quote(key)}`, {
          help: guess ? `did you mean \`${guess}\`?` : `settings are ${TRAIN_SETTINGS.map((s) => `\`${s.name}\``).join(', ')}`,
          fixes: guess ? [this.renameFix(entry.key.span, guess)] : undefined,
        });
        continue;
      }
      const prev = seen.get(key);
      if (prev) {
        this.report('DuplicateArgument', entry.key.span, `${quote(key)} is set twice`, { labels: [{ span: prev, message: 'first set here' }] });
        continue;
      }
      seen.set(key, entry.key.span);
      const fake: BuiltinSpec = { name: 'train', makes: 'source', summary: '', params: [spec] };
      const args = new Map([[key, { arg: { name: entry.key, value: entry.value, span: entry.span } as Arg, value: this.argValue(entry.value) }]]);
      const got =
        spec.type === 'int'
          ? this.int(args, key)?.n
          : spec.type === 'number' || spec.type === 'rate'
            ? this.num(args, key)?.n
            : spec.type === 'bool'
              ? this.bool(args, key)?.b
              : spec.type === 'enum'
                ? this.enumValue(args, fake, key)?.v
                : this.str(args, key)?.s;
      if (got !== undefined && got !== null) {
        out[key] = got;
        this.trainSpans.set(`/train/${key}`, entry.value.span);
      }
    }
    return out as TrainSettings;
  }

  readonly trainSpans = new Map<string, Span>();
}

/**
 * Lowers a syntax tree to the IR: resolves `let` names (forward references allowed, cycles
 * reported), matches arguments to parameters, expands `xN`, and records where every IR value
 * came from so later stages (schema, checks) can point at the source.
 */
export function lower(file: SourceFile, options: LowerOptions = {}): LowerResult {
  const l = new Lowerer(file, options);
  const result = l.run();
  for (const [k, v] of l.trainSpans) result.map.pointers.set(k, v);
  return result;
}
