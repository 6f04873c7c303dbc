import { SETTINGS } from '../ir/settings.js';
import { ACTIVATIONS, MERGE_MODES, OOV_POLICIES, VECTOR_FORMATS } from '../ir/types.js';

/**
 * The language's built-in calls: layer names, their arguments, and the documentation the
 * checker, the language server (hover, completion) and `docs/language.md` agree on.
 */

export type ParamType =
  | 'int' // a whole number
  | 'number' // any number
  | 'rate' // a number in [0, 1)
  | 'bool' // true | false
  | 'enum' // one of `values`
  | 'string' // a quoted string
  | 'flag' // bare word, no value
  | 'cell' // a recurrent layer call
  | 'source'; // vectors("FILE") or a name bound to one

export interface ParamSpec {
  name: string;
  type: ParamType;
  values?: readonly string[];
  /** May be given without `name:`; positional order is the order of these. */
  positional?: boolean;
  /** May also appear as a bare word (`frozen`, `pretrained`). */
  flag?: boolean;
  doc: string;
}

export interface BuiltinSpec {
  name: string;
  /** What the call makes: a layer, or a pretrained source. */
  makes: 'layer' | 'source';
  summary: string;
  /** Parameter formula as Keras counts it, i = input width, u = units. */
  formula?: string;
  params: ParamSpec[];
}

const recurrentParams = (withRecurrentActivation: boolean): ParamSpec[] => [
  { name: 'units', type: 'int', positional: true, doc: 'width of the hidden state' },
  { name: 'activation', type: 'enum', values: ACTIVATIONS, doc: 'state activation (default `tanh`)' },
  ...(withRecurrentActivation
    ? [{ name: 'recurrent_activation', type: 'enum', values: ACTIVATIONS, doc: 'gate activation (default `sigmoid`, as in Keras)' } as ParamSpec]
    : []),
  { name: 'dropout', type: 'rate', doc: 'dropout on the inputs, in [0, 1) (default 0)' },
  { name: 'recurrent_dropout', type: 'rate', doc: 'dropout on the recurrent state, in [0, 1) (default 0)' },
];

export const BUILTINS: readonly BuiltinSpec[] = [
  {
    name: 'embed',
    makes: 'layer',
    summary: 'Embedding: maps word ids to dense vectors; always the first layer.',
    formula: 'vocab × dim',
    params: [
      { name: 'dim', type: 'int', positional: true, doc: 'vector width; taken from the pretrained source when omitted' },
      { name: 'vocab', type: 'int', doc: 'vocabulary size, padding and unknown ids included (default: `--vocab`, then `train { vocab }`, then 10000)' },
      { name: 'pretrained', type: 'source', flag: true, doc: 'initial vectors: bare, the source bound by `let pretrained = vectors("FILE")` or `--pretrained FILE`; or `pretrained: vectors("FILE")`' },
      { name: 'from', type: 'string', doc: 'directory of another trained rnnc model whose embedding is reused, aligned word by word' },
      { name: 'frozen', type: 'flag', flag: true, doc: 'do not train the embedding (its weights count as non-trainable)' },
      { name: 'trainable', type: 'bool', flag: true, doc: 'train the embedding (the default)' },
      { name: 'mask', type: 'bool', doc: 'mask padding id 0 so recurrent layers skip it (default `true`)' },
    ],
  },
  {
    name: 'rnn',
    makes: 'layer',
    summary: 'SimpleRNN: h_t = activation(W x_t + U h_{t-1} + b).',
    formula: 'u(i + u) + u',
    params: recurrentParams(false),
  },
  {
    name: 'lstm',
    makes: 'layer',
    summary: 'LSTM: input, forget and output gates with a cell state (unit forget bias on, as in Keras).',
    formula: '4(u(i + u) + u)',
    params: recurrentParams(true),
  },
  {
    name: 'gru',
    makes: 'layer',
    summary: 'GRU with reset_after = false (the only form TensorFlow.js builds).',
    formula: '3(u(i + u) + u)',
    params: [
      ...recurrentParams(true),
      { name: 'reset_after', type: 'bool', doc: 'only `false` is supported: TensorFlow.js has no reset_after GRU' },
    ],
  },
  {
    name: 'bi',
    makes: 'layer',
    summary: 'Bidirectional: two independent copies of the cell, one reading left to right and one right to left; their states are merged.',
    formula: '2 × cell',
    params: [
      { name: 'cell', type: 'cell', positional: true, doc: 'the recurrent layer to run both ways: `rnn(…)`, `lstm(…)` or `gru(…)`' },
      { name: 'merge', type: 'enum', values: MERGE_MODES, doc: 'how the two directions combine (default `concat`, which doubles the width)' },
    ],
  },
  {
    name: 'dense',
    makes: 'layer',
    summary: 'Dense: a fully connected layer. A last `dense` without activation is the classifier head: sigmoid for 1 unit, softmax for more.',
    formula: 'i × units + units',
    params: [
      { name: 'units', type: 'int', positional: true, doc: 'output width' },
      { name: 'activation', type: 'enum', values: ACTIVATIONS, positional: true, doc: 'default: linear, or sigmoid/softmax for the last layer' },
    ],
  },
  {
    name: 'dropout',
    makes: 'layer',
    summary: 'Dropout: zeroes a fraction of its inputs while training.',
    formula: '0',
    params: [{ name: 'rate', type: 'rate', positional: true, doc: 'fraction dropped, in [0, 1)' }],
  },
  {
    name: 'vectors',
    makes: 'source',
    summary: 'Pretrained word vectors from a file: GloVe text, word2vec text or binary, fastText .vec.',
    params: [
      { name: 'path', type: 'string', positional: true, doc: 'the file, relative to the spec' },
      { name: 'format', type: 'enum', values: VECTOR_FORMATS, doc: 'file format (default `auto`: detected)' },
      { name: 'oov', type: 'enum', values: OOV_POLICIES, doc: 'rows for words not in the file (default `random`)' },
    ],
  },
];

export const BUILTIN_BY_NAME: ReadonlyMap<string, BuiltinSpec> = new Map(BUILTINS.map((b) => [b.name, b]));

/** Surface name → IR kind for recurrent cells. */
export const CELL_NAMES = { rnn: 'simple_rnn', lstm: 'lstm', gru: 'gru' } as const;

/** Settings allowed in `train { … }`, with their types; see `TrainSettings`. */
/** The `train { }` keys, as parameters (ir/settings.ts holds everything else about them). */
export const TRAIN_SETTINGS: readonly ParamSpec[] = SETTINGS.map((t) => {
  const def = t.defaultText ?? (t.default === undefined ? undefined : typeof t.default === 'string' ? `\`${t.default}\`` : String(t.default));
  return { name: t.name, type: t.type, ...(t.values ? { values: t.values } : {}), doc: def === undefined ? t.doc : `${t.doc} (default ${def})` };
});
