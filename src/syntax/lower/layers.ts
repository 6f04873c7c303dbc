import type { Span } from '../../diagnostics/types.js';
import { CELL_KINDS, type Activation, type Layer, type MergeMode, type PretrainedSource, type RecurrentLayer } from '../../ir/types.js';
import { BUILTIN_BY_NAME, CELL_NAMES, type BuiltinSpec } from '../../language/builtins.js';
import type { Call } from '../ast.js';
import type { LowerContext } from './context.js';
import { embed } from './embed.js';
import { describeValue, SURFACE_NAME, type Args, type Value } from './values.js';

/** The value a call to built-in `spec` makes from its matched arguments: a layer, a pretrained source, or an error. */
export function build(cx: LowerContext, call: Call, spec: BuiltinSpec, args: Args): Value {
  switch (spec.name) {
    case 'embed':
      return embed(cx, call, args);
    case 'rnn':
    case 'lstm':
    case 'gru':
      return cell(cx, call, spec.name, args);
    case 'bi':
      return bi(cx, call, args);
    case 'dense':
      return dense(cx, call, args);
    case 'dropout':
      return dropout(cx, call, args);
    case 'vectors':
      return vectors(cx, call, args);
    default:
      return { t: 'error', span: call.span };
  }
}

function cell(cx: LowerContext, call: Call, name: 'rnn' | 'lstm' | 'gru', args: Args): Value {
  const spec = BUILTIN_BY_NAME.get(name)!;
  const spans = new Map<string, Span>([['', call.span]]);
  const units = cx.read.required(call, spec, 'units', cx.read.int(args, 'units'));
  const activation = cx.read.enumValue<Activation>(args, spec, 'activation');
  const recAct = name === 'rnn' ? undefined : cx.read.enumValue<Activation>(args, spec, 'recurrent_activation');
  const dropout = cx.read.num(args, 'dropout');
  const recDrop = cx.read.num(args, 'recurrent_dropout');
  const resetAfter = name === 'gru' ? cx.read.bool(args, 'reset_after') : undefined;
  let ok = units !== null && activation !== null && recAct !== null && dropout !== null && recDrop !== null && resetAfter !== null;
  if (resetAfter?.b) {
    cx.out.report('Unsupported', resetAfter.span, 'TensorFlow.js builds GRU only with `reset_after: false`', {
      notes: ['Keras 3 and PyTorch default to reset_after=True (3(u(i+u)+2u) parameters); rnnc GRUs have 3(u(i+u)+u)'],
      help: 'remove `reset_after: true`',
    });
    ok = false;
  }
  if (!ok || !units) return { t: 'error', span: call.span };
  const layer: RecurrentLayer = { kind: CELL_NAMES[name], units: units.n } as RecurrentLayer;
  spans.set('units', units.span);
  if (activation) {
    layer.activation = activation.v;
    spans.set('activation', activation.span);
  }
  if (recAct) {
    layer.recurrent_activation = recAct.v;
    spans.set('recurrent_activation', recAct.span);
  }
  if (dropout) {
    layer.dropout = dropout.n;
    spans.set('dropout', dropout.span);
  }
  if (recDrop) {
    layer.recurrent_dropout = recDrop.n;
    spans.set('recurrent_dropout', recDrop.span);
  }
  if (resetAfter) {
    layer.reset_after = false;
    spans.set('reset_after', resetAfter.span);
  }
  return { t: 'layers', items: [{ layer, spans }], span: call.span };
}

function bi(cx: LowerContext, call: Call, args: Args): Value {
  const spec = BUILTIN_BY_NAME.get('bi')!;
  const v = cx.read.required(call, spec, 'cell', cx.read.given(args, 'cell'));
  const merge = cx.read.enumValue<MergeMode>(args, spec, 'merge');
  if (!v || merge === null) return { t: 'error', span: call.span };
  if (v.t !== 'layers' || v.items.length !== 1 || !(CELL_KINDS as readonly string[]).includes(v.items[0]!.layer.kind)) {
    const what = v.t === 'layers' && v.items.length === 1 ? `\`${SURFACE_NAME[v.items[0]!.layer.kind]}\`` : describeValue(v);
    cx.out.report('CannotWrap', v.span, `\`bi\` wraps one recurrent layer, not ${what}`, {
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

function dense(cx: LowerContext, call: Call, args: Args): Value {
  const spec = BUILTIN_BY_NAME.get('dense')!;
  const units = cx.read.required(call, spec, 'units', cx.read.int(args, 'units'));
  const activation = cx.read.enumValue<Activation>(args, spec, 'activation');
  if (!units || activation === null) return { t: 'error', span: call.span };
  const spans = new Map<string, Span>([['', call.span], ['units', units.span]]);
  const layer = { kind: 'dense', units: units.n } as Layer & { activation?: Activation };
  if (activation) {
    layer.activation = activation.v;
    spans.set('activation', activation.span);
  }
  return { t: 'layers', items: [{ layer, spans }], span: call.span };
}

function dropout(cx: LowerContext, call: Call, args: Args): Value {
  const spec = BUILTIN_BY_NAME.get('dropout')!;
  const rate = cx.read.required(call, spec, 'rate', cx.read.num(args, 'rate'));
  if (!rate) return { t: 'error', span: call.span };
  const spans = new Map<string, Span>([['', call.span], ['rate', rate.span]]);
  return { t: 'layers', items: [{ layer: { kind: 'dropout', rate: rate.n }, spans }], span: call.span };
}

function vectors(cx: LowerContext, call: Call, args: Args): Value {
  const spec = BUILTIN_BY_NAME.get('vectors')!;
  const path = cx.read.required(call, spec, 'path', cx.read.str(args, 'path'));
  const format = cx.read.enumValue<NonNullable<Extract<PretrainedSource, { source: 'vectors' }>['format']>>(args, spec, 'format');
  const oov = cx.read.enumValue<NonNullable<Extract<PretrainedSource, { source: 'vectors' }>['oov']>>(args, spec, 'oov');
  if (!path || format === null || oov === null) return { t: 'error', span: call.span };
  const source: PretrainedSource = { source: 'vectors', path: path.s };
  if (format) source.format = format.v;
  if (oov) source.oov = oov.v;
  return { t: 'source', source, span: call.span };
}
