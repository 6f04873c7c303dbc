import type { Span } from '../../diagnostics/types.js';
import type { Layer, PretrainedSource } from '../../ir/types.js';
import { DEFAULT_VOCAB } from '../../ir/normalize.js';
import { clip } from '../../language/quote.js';
import type { Call } from '../ast.js';
import type { LowerContext } from './context.js';
import { bareName } from './match.js';
import { describeValue, type Args, type Value } from './values.js';

/** Why a file's own text (a vectors file's reason it cannot be read) may fill a message: at most this much. */
const MAX_REASON_CHARS = 200;

/**
 * `embed(…)`: the dimension (given, or read from the pretrained source), the vocabulary size
 * (given, `--vocab`, `train { vocab }`, the default), and where the initial vectors come from
 * (`pretrained`, a bound `vectors(…)`, `--pretrained`, or `from:` another model).
 */
export function embed(cx: LowerContext, call: Call, args: Args): Value {
  const spans = new Map<string, Span>([['', call.span]]);
  let ok = true;
  const dim = cx.read.int(args, 'dim');
  const vocab = cx.read.int(args, 'vocab');
  const mask = cx.read.bool(args, 'mask');
  const trainable = cx.read.bool(args, 'trainable');
  const from = cx.read.str(args, 'from');
  if (dim === null || vocab === null || mask === null || trainable === null || from === null) ok = false;
  const frozenArg = args.get('frozen');

  let source: PretrainedSource | undefined;
  let sourceSpan: Span | undefined;
  const pre = args.get('pretrained');
  if (pre) {
    sourceSpan = pre.arg.span;
    const v = pre.value;
    if (v.t === 'sym' && v.name === 'pretrained') {
      // Bare, the flag reads `let pretrained` when the resolution found one (match.ts: flagReadsBinding).
      const word = bareName(pre.arg.value);
      const binding = word && cx.resolved.names.get(word)?.binding;
      if (binding) {
        const bound = cx.bindingValue(binding.name, v.span);
        if (bound.t === 'source') source = bound.source;
        else if (bound.t === 'str') source = { source: 'vectors', path: bound.value };
        else if (bound.t !== 'error') {
          cx.out.report('WrongValueType', v.span, `\`pretrained\` is bound to ${describeValue(bound)}, not to a pretrained source`, {
            labels: [{ span: cx.lets.get(binding.name)!.value.span, message: 'bound here' }],
            help: 'bind it to `vectors("FILE")`',
          });
          ok = false;
        } else ok = false;
      } else if (cx.options.pretrained) {
        source = cx.options.pretrained;
      } else {
        cx.out.report('NoPretrainedSource', v.span, '`pretrained` has no source', {
          help: 'add `let pretrained = vectors("FILE")`, or pass `--pretrained FILE`',
        });
        ok = false;
      }
    } else if (v.t === 'source') source = v.source;
    else if (v.t === 'str') source = { source: 'vectors', path: v.value };
    else if (v.t !== 'error') {
      cx.out.report('WrongValueType', v.span, `\`pretrained\` must be \`vectors("FILE")\`, found ${describeValue(v)}`);
      ok = false;
    } else ok = false;
  }
  if (from) {
    if (pre) {
      cx.out.report('ConflictingArguments', from.span, '`from` and `pretrained` both give the initial vectors', {
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
    cx.out.report('ConflictingArguments', trainable.span, '`frozen` and `trainable` contradict each other', {
      labels: [{ span: frozenArg.arg.span, message: 'frozen here' }],
      help: 'keep one of them',
    });
    ok = false;
  }
  if (frozenArg && !pre && !from) {
    cx.out.report('FrozenWithoutPretrained', frozenArg.arg.span, 'a frozen embedding without pretrained vectors stays random', {
      help: 'add `pretrained` (or `from: "MODEL_DIR"`), or drop `frozen`',
    });
  }

  let outputDim = dim?.n;
  if (dim) spans.set('output_dim', dim.span);
  if (source && cx.options.resolveDim) {
    const found = cx.options.resolveDim(source);
    if (typeof found === 'string') {
      if (outputDim === undefined) {
        cx.out.report('UnknownDim', sourceSpan ?? call.span, `cannot tell the embedding dimension: ${clip(found, MAX_REASON_CHARS)}`, {
          help: 'give it: `embed(50, …)`, or fix the source',
        });
        ok = false;
      } else {
        cx.out.report('VectorsNotFound', sourceSpan ?? call.span, `${clip(found, MAX_REASON_CHARS)}; it is needed to train`, {
          help: source.source === 'vectors' ? 'check the path (relative to this spec)' : 'check the model directory',
        });
      }
    } else if (outputDim !== undefined && outputDim !== found) {
      cx.out.report('DimMismatch', dim!.span, `\`embed\` says ${outputDim} dimensions, but the pretrained source has ${found}`, {
        labels: sourceSpan ? [{ span: sourceSpan, message: `${found}-dimensional` }] : undefined,
        help: `write \`embed(${found}, …)\`, or omit the dimension`,
        fixes: [{ title: `use ${found}`, edits: [{ span: dim!.span, text: String(found) }] }],
      });
      ok = false;
    } else outputDim = found;
  }
  if (outputDim === undefined && ok) {
    cx.out.report('UnknownDim', call.span, '`embed` needs a dimension', {
      help: source ? 'give it: `embed(50, …)`' : 'give it, e.g. `embed(64)`, or use `pretrained` vectors',
    });
    ok = false;
  }
  if (!ok || outputDim === undefined) return { t: 'error', span: call.span };

  const inputDim = vocab?.n ?? cx.options.vocab ?? cx.vocabFromTrain ?? DEFAULT_VOCAB;
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
