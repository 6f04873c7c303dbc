import fc from 'fast-check';
import { BUILTINS, TRAIN_SETTINGS } from '../../src/language/builtins.js';
import { seededRandom } from '../../src/util/random.js';

/**
 * Input generators for the fuzz targets, as fast-check arbitraries (so failures shrink):
 * raw strings, grammar-aware `.rnn` programs, mutations of seed files, JSON values and IR.
 */

// --- raw text --------------------------------------------------------------------------------

/** Any UTF-16 code unit: lone surrogates, NUL and controls included. */
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

/** Characters and pieces that mean something to the lexer, so random text reaches the parser. */
const LEXICAL = [
  '(', ')', '{', '}', ',', ':', '=', '|>', '|', '>', '#', '"', '\\', '\n', '\r\n', '\r', ' ', '\t', '.', '-', 'e', 'x', '0', '1', '9',
  'x2', 'let', 'train', 'embed', 'lstm', 'gru', 'rnn', 'bi', 'dense', 'dropout', 'vectors', 'a', '_', 'é', '😀', '\u00a0', '\ufeff', '\u2028',
];

/** Random strings: any code units, or the lexer's alphabet in random order. */
export const randomText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: anyCodeUnit, maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.array(fc.constantFrom(...LEXICAL), { maxLength: 120 }).map((a) => a.join('')),
);

// --- grammar-aware programs ------------------------------------------------------------------

const LAYERS = BUILTINS.filter((b) => b.makes === 'layer').map((b) => b.name);
const PARAMS = [...new Set(BUILTINS.flatMap((b) => b.params.map((p) => p.name)))];
const ENUM_WORDS = [...new Set([...BUILTINS, { params: TRAIN_SETTINGS }].flatMap((b) => b.params.flatMap((p) => p.values ?? [])))];
/** Names the generated `let`s bind, so uses often resolve (and sometimes cycle). */
export const BOUND_NAMES = ['a', 'b', 'enc', 'cell', 'head', 'units', 'pretrained', 'block'];

const identifier = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/);
/** A near miss of a known word: one character dropped, doubled or swapped. */
const typo = fc.tuple(fc.constantFrom(...LAYERS, ...PARAMS, ...ENUM_WORDS), fc.nat(), fc.nat(2)).map(([w, i, k]) => {
  const at = i % w.length;
  if (k === 0) return w.slice(0, at) + w.slice(at + 1) || w;
  if (k === 1) return w.slice(0, at) + w[at]! + w.slice(at);
  return at + 1 < w.length ? w.slice(0, at) + w[at + 1]! + w[at]! + w.slice(at + 2) : w;
});
const word = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...BOUND_NAMES) },
  { weight: 2, arbitrary: fc.constantFrom(...ENUM_WORDS, 'true', 'false', ...PARAMS) },
  { weight: 1, arbitrary: fc.constantFrom(...LAYERS, 'vectors') },
  { weight: 1, arbitrary: typo },
  { weight: 1, arbitrary: identifier },
);

const number = fc.oneof(
  fc.integer({ min: 0, max: 300 }).map(String),
  fc.constantFrom('1', '2', '8', '16', '32', '64', '10000', '0', '-1', '0.5', '.5', '0.2', '1e-3', '2.5E2', '64.0', '1e999', '-1e999',
    '99999999999999999999', '1000', '1001', '4294967296', '9007199254740993', '-0', '0.999999', '1e-320'),
  fc.double({ noNaN: true }).map(String).filter((s) => /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]+)?$/.test(s)),
);

const string = fc.oneof(
  fc.constantFrom(
    '"vectors/demo.16d.vec"', '"models/demo-16d"', '"missing.vec"', '"vectors"', '"glove.6B.50d.txt"', '"a\\"b"', '"\\u00e9\\n"', '"\\q"',
    '""', '"unterminated', '"[a-z]+"', '"(["', '"label"', '"text"', '"\\p{L}+"',
  ),
  fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s)),
);

const repeat = fc.oneof(fc.constantFrom('x1', 'x2', 'x3', 'x0', 'x1000', 'x1001', 'x01', 'x99999999999999999999'), fc.nat(40).map((n) => `x${n}`));

type Tokens = string | Tokens[];

/** Tokens of an arbitrary pipeline: calls, names, values, groups, repeats, nested to a few levels. */
const { pipeline: anyPipeline } = fc.letrec<{ value: Tokens; arg: Tokens; call: Tokens; group: Tokens; stage: Tokens; pipeline: Tokens }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, number, string, word, tie('call'), tie('group')),
  arg: fc.oneof(
    { weight: 3, arbitrary: tie('pipeline') },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...PARAMS), fc.constant(':'), tie('pipeline')) },
    { weight: 1, arbitrary: fc.constantFrom('frozen', 'trainable', 'pretrained') },
  ),
  call: fc
    .tuple(fc.oneof(fc.constantFrom(...LAYERS, 'vectors'), word), fc.array(tie('arg'), { maxLength: 4, depthIdentifier: 'args' }), fc.boolean())
    .map(([callee, args, comma]): Tokens => [callee, '(', ...args.flatMap((a, i) => (i ? [',', a] : [a])), ...(comma && args.length ? [','] : []), ')']),
  group: tie('pipeline').map((p): Tokens => ['(', p, ')']),
  stage: fc.tuple(tie('value'), fc.option(repeat, { freq: 4 })).map(([v, r]): Tokens => (r ? [v, r] : [v])),
  pipeline: fc.array(tie('stage'), { minLength: 1, maxLength: 4, depthIdentifier: 'stages' }).map((ss): Tokens => ss.flatMap((s, i) => (i ? ['|>', s] : [s]))),
}));

const units = fc.oneof(fc.constantFrom('1', '8', '16', '32', '64'), fc.integer({ min: 1, max: 512 }).map(String));
const rate = fc.constantFrom('0', '0.1', '0.2', '0.5', '.25', '0.999');
const activation = fc.constantFrom('relu', 'tanh', 'sigmoid', 'softmax', 'linear');

/** A recurrent cell, usually well-formed. */
const cell: fc.Arbitrary<Tokens> = fc
  .tuple(
    fc.constantFrom('lstm', 'gru', 'rnn'),
    units,
    fc.option(fc.tuple(fc.constantFrom('dropout', 'recurrent_dropout'), rate), { freq: 3 }),
    fc.option(activation, { freq: 5 }),
  )
  .map(([name, u, drop, act]) => [name, '(', u, ...(drop ? [',', drop[0], ':', drop[1]] : []), ...(act ? [',', 'activation', ':', act] : []), ')']);

/** A stage of a plausible model: a cell, `bi(cell)`, dropout, dense, a bound name or a group, maybe repeated. */
const layerStage: fc.Arbitrary<Tokens> = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: cell },
      { weight: 3, arbitrary: fc.tuple(cell, fc.option(fc.constantFrom('concat', 'sum', 'mul', 'ave'))).map(([c, m]): Tokens => ['bi', '(', c, ...(m ? [',', 'merge', ':', m] : []), ')']) },
      { weight: 1, arbitrary: rate.map((r): Tokens => ['dropout', '(', r, ')']) },
      { weight: 1, arbitrary: units.map((u): Tokens => ['dense', '(', u, ')']) },
      { weight: 2, arbitrary: fc.constantFrom(...BOUND_NAMES) },
      { weight: 1, arbitrary: fc.tuple(cell, cell).map(([a, b]): Tokens => ['(', a, '|>', b, ')']) },
    ),
    fc.option(fc.constantFrom('x1', 'x2', 'x3'), { freq: 4 }),
  )
  .map(([s, r]) => (r ? [s, r] : [s]));

const embed: fc.Arbitrary<Tokens> = fc.oneof(
  fc.tuple(units, fc.option(fc.constantFrom('100', '1000', '10000', '2', '1'))).map(([d, v]): Tokens => ['embed', '(', d, ...(v ? [',', 'vocab', ':', v] : []), ')']),
  fc.constantFrom<Tokens>(
    ['embed', '(', 'pretrained', ',', 'frozen', ')'],
    ['embed', '(', 'pretrained', ':', 'vectors', '(', '"vectors/demo.16d.vec"', ')', ')'],
    ['embed', '(', 'from', ':', '"models/demo-16d"', ',', 'frozen', ',', 'vocab', ':', '1000', ')'],
    ['embed', '(', '16', ',', 'pretrained', ':', 'vectors', '(', '"missing.vec"', ')', ')'],
    ['embed', '(', '8', ',', 'mask', ':', 'false', ',', 'trainable', ')'],
  ),
);

/** A model pipeline that is often valid: embed, a few recurrent stages, a head. */
const modelPipeline: fc.Arbitrary<Tokens> = fc
  .tuple(embed, fc.array(layerStage, { maxLength: 4 }), fc.option(fc.tuple(units, fc.option(activation)), { freq: 5 }))
  .map(([e, stages, head]) => [e, ...stages.flatMap((s) => ['|>', s]), ...(head ? ['|>', 'dense', '(', head[0], ...(head[1] ? [',', head[1]] : []), ')'] : [])]);

const trainValue: fc.Arbitrary<Tokens> = fc.oneof(number, string, word, fc.constantFrom('adam', 'sgd', 'true', 'false', 'auto', 'binary_crossentropy'));
const trainBlock: fc.Arbitrary<Tokens> = fc
  .array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...TRAIN_SETTINGS.map((s) => s.name)) }, { weight: 1, arbitrary: typo }), trainValue, fc.boolean()), { maxLength: 6 })
  .map((entries) => ['train', '{', ...entries.flatMap(([k, v, comma]) => [k, ':', v, ...(comma ? [','] : [])]), '}']);

const letStatement: fc.Arbitrary<Tokens> = fc
  .tuple(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...BOUND_NAMES) }, { weight: 1, arbitrary: identifier }), fc.oneof(layerStage, anyPipeline, number, string))
  .map(([n, v]) => ['let', n, '=', v]);

/** How statements are laid out: token separators, comments, line endings. */
interface Layout {
  seed: number;
  crlf: boolean;
  /** Chance of a comment at a token boundary. */
  comments: number;
}
const layout: fc.Arbitrary<Layout> = fc.record({ seed: fc.integer(), crlf: fc.constantFrom(false, false, false, false, true), comments: fc.constantFrom(0, 0, 0.05, 0.2) });

const COMMENT_TEXTS = ['# c', '#', '# a comment', '#  two  spaces ', '# ( unclosed', '# "quote', '# é 😀', '## x', '# |> lstm(8)'];

function render(statements: Tokens[], l: Layout): string {
  const random = seededRandom(l.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  let n = 0;
  const out: string[] = [];
  const walk = (t: Tokens): void => {
    if (typeof t === 'string') {
      const prev = out[out.length - 1];
      if (prev !== undefined) {
        let gap = pick([' ', ' ', ' ', '', '', '\n', '  ', '\t', '\n  ', '\n\n']);
        // Words must not run together (that would be another program, not another layout).
        if (gap === '' && /[\w."]$/.test(prev) && /^[\w."-]/.test(t)) gap = ' ';
        if (random() < l.comments) gap = `${pick([' ', '  ', '\n'])}${pick(COMMENT_TEXTS)}${n++ % 2 ? '' : ' x'}\n`;
        out.push(gap);
      }
      out.push(t);
    } else t.forEach(walk);
  };
  statements.forEach((s, i) => {
    if (i) out.push(pick(['\n', '\n\n', '\n', ' ']));
    walk(s);
  });
  let text = out.join('');
  if (random() < l.comments) text = `${pick(COMMENT_TEXTS)}\n${text}`;
  if (random() < l.comments) text = `${text}\n${pick(COMMENT_TEXTS)}`;
  if (random() < 0.7) text += '\n';
  return l.crlf ? text.replace(/\r?\n/g, '\r\n') : text;
}

/**
 * Whole `.rnn` programs: `let` bindings, usually one model pipeline (sometimes none or two),
 * sometimes a `train` block (rarely two), in any order, with comments and any layout.
 */
export const rnnProgram: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(letStatement, { maxLength: 4 }),
    fc.oneof({ weight: 8, arbitrary: modelPipeline.map((m) => [m]) }, { weight: 2, arbitrary: anyPipeline.map((m) => [m]) }, { weight: 1, arbitrary: fc.array(modelPipeline, { maxLength: 2 }) }),
    fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 2, arbitrary: trainBlock.map((t) => [t]) }, { weight: 1, arbitrary: fc.array(trainBlock, { maxLength: 2 }) }),
    fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
    layout,
  )
  .map(([lets, models, trains, order, l]) => {
    const statements: Tokens[] = [...lets];
    for (const s of [...models, ...trains]) statements.splice(order[statements.length % order.length]! % (statements.length + 1), 0, s);
    return render(statements, l);
  });

// --- mutations -------------------------------------------------------------------------------

export type Mutation =
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; len: number }
  | { op: 'duplicate'; at: number; len: number; to: number; times: number }
  | { op: 'swap'; at: number; len: number; to: number; len2: number }
  | { op: 'truncate'; at: number };

/** Pieces inserted into a text: language tokens, odd characters, long words. */
const PIECES = [
  '(', ')', '{', '}', ',', ':', '=', '|>', ' |> ', 'x2', ' x1000', 'let ', 'let a = ', 'train {', 'embed(8)', 'lstm(', 'bi(', 'dense(1)', '"', '"\\', '#', '\n',
  '\r', '\r\n', '\u0000', '\ufffd', '\ud800', '😀', 'é', '-', '.', 'e9', '1e999', '99999999999999999999', 'pretrained', 'frozen', 'vectors("', 'a', '_',
];
const piece = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...PIECES) },
  { weight: 2, arbitrary: fc.string({ unit: anyCodeUnit, maxLength: 8 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', '(', 'x', '9', '#', ' ', '|> lstm(1) ', '"', 'ab '), fc.integer({ min: 50, max: 5000 })).map(([s, n]) => s.repeat(n)) },
);

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: piece }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.nat(40) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), len: fc.nat(60), to: fc.nat(), times: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 300 })) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('swap' as const), at: fc.nat(), len: fc.nat(40), to: fc.nat(), len2: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
);

/** Applies mutations in order; positions are taken modulo the current length, so any list applies to any text. */
export function mutate(text: string, ms: readonly Mutation[]): string {
  let s = text;
  const pos = (n: number): number => n % (s.length + 1);
  for (const m of ms) {
    const at = pos(m.at);
    switch (m.op) {
      case 'insert':
        s = s.slice(0, at) + m.text + s.slice(at);
        break;
      case 'delete':
        s = s.slice(0, at) + s.slice(at + m.len);
        break;
      case 'duplicate': {
        const slice = s.slice(at, at + m.len).repeat(m.times);
        const to = pos(m.to);
        s = s.slice(0, to) + slice + s.slice(to);
        break;
      }
      case 'swap': {
        const a = [at, Math.min(s.length, at + m.len)] as const;
        const to = pos(m.to);
        const b = [to, Math.min(s.length, to + m.len2)] as const;
        if (a[1] <= b[0]) s = s.slice(0, a[0]) + s.slice(b[0], b[1]) + s.slice(a[1], b[0]) + s.slice(a[0], a[1]) + s.slice(b[1]);
        else if (b[1] <= a[0]) s = s.slice(0, b[0]) + s.slice(a[0], a[1]) + s.slice(b[1], a[0]) + s.slice(b[0], b[1]) + s.slice(a[1]);
        break;
      }
      case 'truncate':
        s = s.slice(0, at);
        break;
    }
    // Stay well inside the size limit: past it every text is the same one-line refusal.
    if (s.length > 1_000_000) s = s.slice(0, 1_000_000);
  }
  return s;
}

/** A seed file (by index) and the mutations applied to it. */
export interface Mutated {
  seed: number;
  mutations: Mutation[];
}

export function mutatedOf(count: number, max = 8): fc.Arbitrary<Mutated> {
  return fc.record({ seed: fc.nat(count - 1), mutations: fc.array(mutation, { minLength: 1, maxLength: max }) });
}

// --- JSON ------------------------------------------------------------------------------------

/** Words of the IR schema, so random objects often have the right keys and values. */
const IR_KEYS = [
  'format', 'version', 'layers', 'train', 'kind', 'name', 'units', 'input_dim', 'output_dim', 'mask_zero', 'trainable', 'pretrained', 'source', 'path',
  'format', 'oov', 'activation', 'recurrent_activation', 'dropout', 'recurrent_dropout', 'reset_after', 'merge_mode', 'layer', 'rate', '$schema',
  ...TRAIN_SETTINGS.map((s) => s.name), 'unitz', 'kind ', '', '/', '~', '~1', 'a/b',
];
const IR_WORDS = [
  'rnnc-ir', 'embedding', 'simple_rnn', 'lstm', 'gru', 'bidirectional', 'dense', 'dropout', 'relu', 'tanh', 'sigmoid', 'softmax', 'linear', 'concat',
  'sum', 'vectors', 'model', 'glove', 'zeros', 'adam', 'auto', 'lstm_1', 'embedding', 'lsmt', '', 'a/b', '\u0000', 'x'.repeat(300),
];

const irScalar: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<unknown>(...IR_WORDS) },
  { weight: 3, arbitrary: fc.constantFrom<unknown>(0, 1, 2, -1, 8, 32, 10000, 0.5, 1.5, 0.999, 1, 1e308, -1e308, 2 ** 53 + 2, 4294967296, 1e-320, true, false, null) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.string({ unit: anyCodeUnit, maxLength: 20 }) },
);

/** JSON values shaped like IR: objects with IR keys, arrays of such objects, IR words and numbers. */
export const irLikeValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown; object: unknown; array: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, irScalar, tie('object'), tie('array')),
  object: fc.dictionary(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...IR_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }), tie('value'), { maxKeys: 6 }),
  array: fc.array(tie('value'), { maxLength: 5 }),
})).value;

/** A value at the top of an IR file: `{format, version, layers: [...]}`, with anything in it. */
export const irLikeProgram: fc.Arbitrary<unknown> = fc
  .tuple(fc.array(irLikeValue, { maxLength: 6 }), fc.option(irLikeValue), fc.dictionary(fc.constantFrom(...IR_KEYS), irScalar, { maxKeys: 2 }))
  .map(([layers, train, extra]) => ({ format: 'rnnc-ir', version: 1, layers, ...(train !== null ? { train } : {}), ...extra }));

/** Deep or wide structures: nesting near and past the limit, long arrays and objects, long strings and keys. */
export const bigJson: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 200 }), fc.constantFrom('[', '{"a":'), fc.boolean()).map(([depth, open, closed]) => {
    const close = open === '[' ? ']' : '}';
    return open.repeat(depth) + '1' + (closed ? close.repeat(depth) : '');
  }),
  fc.tuple(fc.integer({ min: 100, max: 5_000 }), irLikeValue).map(([n, v]) => JSON.stringify({ format: 'rnnc-ir', version: 1, layers: Array.from({ length: n }, () => v) })),
  fc.tuple(fc.integer({ min: 100, max: 10_000 }), irScalar).map(([n, v]) =>
    JSON.stringify({ format: 'rnnc-ir', version: 1, layers: [{ kind: 'embedding', input_dim: 10, output_dim: 2, ...Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, v])) }] }),
  ),
  fc.tuple(fc.integer({ min: 1_000, max: 200_000 }), fc.constantFrom('units', 'kind', 'x')).map(([n, key]) =>
    JSON.stringify({ format: 'rnnc-ir', version: 1, layers: [{ kind: 'lstm', [key]: 'u'.repeat(n) }] }),
  ),
  fc.tuple(fc.integer({ min: 1_000, max: 100_000 }), fc.integer({ min: 10, max: 5_000 })).map(([keyLength, n]) =>
    JSON.stringify({ ['k'.repeat(keyLength)]: Array.from({ length: n }, () => [0]), layers: [] }),
  ),
  fc.tuple(fc.integer({ min: 100, max: 10_000 }), fc.integer({ min: 1, max: 60 })).map(([n, depth]) =>
    JSON.stringify({ format: 'rnnc-ir', version: 1, layers: Array.from({ length: n }, () => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown) }),
  ),
);

/** How a JSON value is written: compact, indented, or with random blanks; sometimes cut short or followed by junk. */
export const jsonText = (value: fc.Arbitrary<unknown>): fc.Arbitrary<string> =>
  fc
    .tuple(value, fc.constantFrom(0, 2, '\t', ' \r\n'), fc.option(fc.oneof(fc.nat().map((n) => ({ cut: n })), fc.constantFrom({ junk: '}' }, { junk: ' x' }, { junk: ',' }, { junk: '//c' })), { freq: 5 }))
    .map(([v, indent, damage]) => {
      let s = JSON.stringify(v, null, indent) ?? 'null';
      if (damage && 'cut' in damage) s = s.slice(0, damage.cut % (s.length + 1));
      else if (damage && 'junk' in damage) s += damage.junk;
      return s;
    });

export type JsonMutation =
  | { op: 'set'; pick: number; value: unknown }
  | { op: 'delete'; pick: number }
  | { op: 'add'; pick: number; key: string; value: unknown }
  | { op: 'repeat'; pick: number; times: number }
  | { op: 'wrap'; pick: number; array: boolean };

export const jsonMutation: fc.Arbitrary<JsonMutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), pick: fc.nat(), value: fc.oneof(irScalar, irLikeValue) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('add' as const), pick: fc.nat(), key: fc.constantFrom(...IR_KEYS), value: irLikeValue }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('repeat' as const), pick: fc.nat(), times: fc.oneof(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 2, max: 3000 })) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('wrap' as const), pick: fc.nat(), array: fc.boolean() }) },
);

/** Every container in a value with the key (or index) of each child: the places a mutation can act on. */
function places(root: unknown): { parent: Record<string, unknown> | unknown[]; key: string | number }[] {
  const out: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach((c, i) => (out.push({ parent: v, key: i }), walk(c)));
    else if (v !== null && typeof v === 'object') {
      for (const [k, c] of Object.entries(v)) {
        out.push({ parent: v as Record<string, unknown>, key: k });
        walk(c);
      }
    }
  };
  walk(root);
  return out;
}

/** Applies structural mutations to a copy of a JSON value. */
export function mutateJson(value: unknown, ms: readonly JsonMutation[]): unknown {
  const root: { v: unknown } = { v: structuredClone(value) };
  for (const m of ms) {
    const ps = [{ parent: root as Record<string, unknown>, key: 'v' as string | number }, ...places(root.v)];
    const p = ps[m.pick % ps.length]!;
    const get = (): unknown => (p.parent as Record<string | number, unknown>)[p.key];
    const put = (v: unknown): void => {
      (p.parent as Record<string | number, unknown>)[p.key] = v;
    };
    switch (m.op) {
      case 'set':
        put(structuredClone(m.value));
        break;
      case 'delete':
        if (p.parent === (root as unknown)) put(undefined);
        else if (Array.isArray(p.parent)) p.parent.splice(p.key as number, 1);
        else delete p.parent[p.key as string];
        break;
      case 'add': {
        const v = get();
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) (v as Record<string, unknown>)[m.key] = structuredClone(m.value);
        else if (Array.isArray(v)) v.push(structuredClone(m.value));
        break;
      }
      case 'repeat':
        if (Array.isArray(p.parent)) {
          const item = get();
          p.parent.splice(p.key as number, 0, ...Array.from({ length: m.times - 1 }, () => structuredClone(item)));
        }
        break;
      case 'wrap':
        put(m.array ? [get()] : { layer: get() });
        break;
    }
  }
  return root.v;
}
