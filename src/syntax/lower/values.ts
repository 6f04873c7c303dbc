import type { Span } from '../../diagnostics/types.js';
import type { Layer, PretrainedSource } from '../../ir/types.js';
import { quote } from '../../language/quote.js';
import type { Arg } from '../ast.js';

/** A layer while lowering: relative spans keyed by IR property path ('' = the whole call). */
export interface Lowered {
  layer: Layer;
  spans: Map<string, Span>;
}

/** What an expression evaluates to while lowering. */
export type Value =
  | { t: 'num'; value: number; integer: boolean; raw: string; span: Span }
  | { t: 'str'; value: string; span: Span }
  | { t: 'sym'; name: string; span: Span }
  | { t: 'layers'; items: Lowered[]; span: Span }
  | { t: 'source'; source: PretrainedSource; span: Span }
  | { t: 'error'; span: Span };

/** Arguments of one call, matched to parameter names. */
export type Args = Map<string, { arg: Arg; value: Value }>;

/** What users write for each IR kind. */
export const SURFACE_NAME: Record<Layer['kind'], string> = {
  embedding: 'embed',
  simple_rnn: 'rnn',
  lstm: 'lstm',
  gru: 'gru',
  bidirectional: 'bi',
  dense: 'dense',
  dropout: 'dropout',
};

/** A value as messages name it: "expected a layer, found a number". */
export function describeValue(v: Value): string {
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
