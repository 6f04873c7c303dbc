import { describe, expect, it } from 'vitest';
import { Codes } from '../../src/diagnostics/codes.js';
import { BUILTIN_BY_NAME, TRAIN_SETTINGS } from '../../src/language/builtins.js';
import { checkText } from '../../src/program.js';
import { lower, matchArgs, type Resolution } from '../../src/syntax/lower.js';
import { parseSource } from '../../src/syntax/parse.js';

/** The resolution the lowering publishes for `text` (what the language server reads). */
function resolutionOf(text: string): Resolution {
  return lower(parseSource(text).ast, { resolveDim: () => 4 }).resolution;
}

const slice = (text: string, s: { start: number; end: number }): string => text.slice(s.start, s.end);

/** Calls as `[text, start, end]`, the built-in, and each argument as `[text, start, end, by, parameter]`. */
function calls(text: string, r: Resolution): unknown[] {
  return r.calls.map((c) => ({
    call: [slice(text, c.span), c.span.start, c.span.end],
    spec: c.spec?.name,
    args: c.args.map((a) => [slice(text, a.span), a.span.start, a.span.end, a.by, a.param?.name]),
  }));
}

/** Names as `[text, start, end]` and the binding as `[name, start, end]` of its definition. */
function names(text: string, r: Resolution): unknown[] {
  return r.names.map((n) => [slice(text, n.span), n.span.start, n.span.end, n.binding && [n.binding.name, n.binding.definition.start, n.binding.definition.end]]);
}

describe('the resolution the lowering publishes', () => {
  it('positional, named and flag arguments, with their ranges and the call’s built-in', () => {
    const text = 'let pretrained = vectors("v.txt")\nembed(8, pretrained, frozen, vocab: 100) |> dense(1, sigmoid)';
    const r = resolutionOf(text);
    // The embed call in full: each argument's span, how it was matched, and the specs themselves.
    const embed = BUILTIN_BY_NAME.get('embed')!;
    const param = (n: string) => embed.params.find((p) => p.name === n);
    expect(r.calls[1]).toEqual({
      span: { start: 34, end: 74 },
      callee: { start: 34, end: 39 },
      name: 'embed',
      spec: embed,
      args: [
        { span: { start: 40, end: 41 }, by: 'position', param: param('dim') },
        { span: { start: 43, end: 53 }, by: 'flag', param: param('pretrained') },
        { span: { start: 55, end: 61 }, by: 'flag', param: param('frozen') },
        { span: { start: 63, end: 73 }, by: 'key', param: param('vocab') },
      ],
    });
    expect(calls(text, r)).toEqual([
      { call: ['vectors("v.txt")', 17, 33], spec: 'vectors', args: [['"v.txt"', 25, 32, 'position', 'path']] },
      {
        call: ['embed(8, pretrained, frozen, vocab: 100)', 34, 74],
        spec: 'embed',
        args: [
          ['8', 40, 41, 'position', 'dim'],
          ['pretrained', 43, 53, 'flag', 'pretrained'],
          ['frozen', 55, 61, 'flag', 'frozen'],
          ['vocab: 100', 63, 73, 'key', 'vocab'],
        ],
      },
      // `dense` takes its activation second: a bare enum word is positional.
      { call: ['dense(1, sigmoid)', 78, 95], spec: 'dense', args: [['1', 84, 85, 'position', 'units'], ['sigmoid', 87, 94, 'position', 'activation']] },
    ]);
    // The bare `pretrained` flag reads `let pretrained` (a source flag does); `frozen` and `sigmoid` read nothing.
    expect(names(text, r)).toEqual([
      ['pretrained', 43, 53, ['pretrained', 4, 14]],
      ['frozen', 55, 61, undefined],
      ['sigmoid', 87, 94, undefined],
    ]);
  });

  it('bindings: a `let` used twice, nested `bi(…)`, a repeated stage, each call once', () => {
    const text = 'let cell = lstm(16)\nlet enc = bi(cell, merge: sum) x2\nembed(8) |> enc |> bi(gru(4)) |> cell';
    const r = resolutionOf(text);
    expect(calls(text, r)).toEqual([
      { call: ['lstm(16)', 11, 19], spec: 'lstm', args: [['16', 16, 18, 'position', 'units']] },
      // Repeated by `x2`, made into two layers: still one call with one resolution.
      { call: ['bi(cell, merge: sum)', 30, 50], spec: 'bi', args: [['cell', 33, 37, 'position', 'cell'], ['merge: sum', 39, 49, 'key', 'merge']] },
      { call: ['embed(8)', 54, 62], spec: 'embed', args: [['8', 60, 61, 'position', 'dim']] },
      // The outer call comes before the one in its argument.
      { call: ['bi(gru(4))', 73, 83], spec: 'bi', args: [['gru(4)', 76, 82, 'position', 'cell']] },
      { call: ['gru(4)', 76, 82], spec: 'gru', args: [['4', 80, 81, 'position', 'units']] },
    ]);
    expect(names(text, r)).toEqual([
      ['cell', 33, 37, ['cell', 4, 8]],
      ['sum', 46, 49, undefined],
      ['enc', 66, 69, ['enc', 24, 27]],
      ['cell', 87, 91, ['cell', 4, 8]],
    ]);
    // The evaluation read the same decisions: its uses are exactly the resolved names.
    const { bindings } = lower(parseSource(text).ast);
    expect(bindings.map((b) => [b.name, b.uses.map((u) => [u.start, u.end])])).toEqual([
      ['cell', [[33, 37], [87, 91]]],
      ['enc', [[66, 69]]],
    ]);
  });

  it('unknown names, layers, keys and extra arguments resolve to nothing; a bound flag word is the flag', () => {
    const text = 'let frozen = 2\nembed(8, frozen) |> lsmt(frozen) |> dense(1, relu, 3, nope, sizes: 2) |> mystery';
    const r = resolutionOf(text);
    expect(calls(text, r)).toEqual([
      { call: ['embed(8, frozen)', 15, 31], spec: 'embed', args: [['8', 21, 22, 'position', 'dim'], ['frozen', 24, 30, 'flag', 'frozen']] },
      { call: ['lsmt(frozen)', 35, 47], spec: undefined, args: [['frozen', 40, 46, 'position', undefined]] },
      {
        call: ['dense(1, relu, 3, nope, sizes: 2)', 51, 84],
        spec: 'dense',
        args: [
          ['1', 57, 58, 'position', 'units'],
          ['relu', 60, 64, 'position', 'activation'],
          ['3', 66, 67, 'position', undefined],
          ['nope', 69, 73, 'position', undefined],
          ['sizes: 2', 75, 83, 'key', undefined],
        ],
      },
    ]);
    expect(names(text, r)).toEqual([
      // `embed(…, frozen)` is the flag even though `frozen` is bound; in `lsmt(frozen)` it is the binding.
      ['frozen', 24, 30, undefined],
      ['frozen', 40, 46, ['frozen', 4, 10]],
      ['relu', 60, 64, undefined],
      ['nope', 69, 73, undefined],
      ['mystery', 88, 95, undefined],
    ]);
  });

  it('train keys resolve to settings, unknown and repeated keys included', () => {
    const text = 'let n = 3\nembed(8) |> lstm(4) |> dense(1)\ntrain { epochs: n, optimiser: adam, epochs: 2 }';
    const r = resolutionOf(text);
    const setting = (name: string) => TRAIN_SETTINGS.find((s) => s.name === name);
    expect(r.settings).toEqual([
      { key: { start: 50, end: 56 }, name: 'epochs', setting: setting('epochs') },
      { key: { start: 61, end: 70 }, name: 'optimiser', setting: undefined },
      { key: { start: 78, end: 84 }, name: 'epochs', setting: setting('epochs') },
    ]);
    expect(names(text, r)).toEqual([
      ['n', 58, 59, ['n', 4, 5]],
      ['adam', 72, 76, undefined],
    ]);
  });

  it('covers what the evaluation skips: a duplicate `let`, a second pipeline, stages past the layer limit', () => {
    const text = 'let a = lstm(1) x1000\nlet a = gru(a)\nembed(8) |> a |> dense(a)\ndropout(a)';
    const r = resolutionOf(text);
    const { diagnostics } = lower(parseSource(text).ast);
    // None of these are evaluated: the duplicate and the second pipeline are only reported, and
    // the model stops at the stage that passes the limit.
    expect(diagnostics.map((d) => d.code)).toEqual([Codes.DuplicateBinding.code, Codes.SecondPipeline.code, Codes.TooManyLayers.code]);
    expect(calls(text, r).map((c) => (c as { call: unknown[] }).call[0])).toEqual(['lstm(1)', 'gru(a)', 'embed(8)', 'dense(a)', 'dropout(a)']);
    expect(names(text, r)).toEqual([
      ['a', 34, 35, ['a', 4, 5]],
      ['a', 49, 50, ['a', 4, 5]],
      ['a', 60, 61, ['a', 4, 5]],
      ['a', 71, 72, ['a', 4, 5]],
    ]);
  });

  it('is published for broken text, as far as the parser recovered it', () => {
    const text = 'let cell = lstm(8)\nembed(8) |> bi(cell, merge: su |> dense(1';
    const checked = checkText(text, { fileName: 'broken.rnn' });
    expect(checked.diagnostics.some((d) => d.severity === 'error')).toBe(true);
    const r = checked.resolution!;
    expect(calls(text, r)).toEqual([
      { call: ['lstm(8)', 11, 18], spec: 'lstm', args: [['8', 16, 17, 'position', 'units']] },
      { call: ['embed(8)', 19, 27], spec: 'embed', args: [['8', 25, 26, 'position', 'dim']] },
      { call: ['bi(cell, merge: su |> dense(1', 31, 60], spec: 'bi', args: [['cell', 34, 38, 'position', 'cell'], ['merge: su |> dense(1', 40, 60, 'key', 'merge']] },
      { call: ['dense(1', 53, 60], spec: 'dense', args: [['1', 59, 60, 'position', 'units']] },
    ]);
    expect(names(text, r)).toEqual([
      ['cell', 34, 38, ['cell', 4, 8]],
      ['su', 47, 49, undefined],
    ]);
    // Text the parser gave up on has an empty tree, and so an empty resolution; IR JSON has none.
    expect(checkText('lstm(', { fileName: 'x.rnn' }).resolution).toBeDefined();
    expect(checkText('{}', { fileName: 'x.rnn.json' }).resolution).toBeUndefined();
  });
});

describe('matchArgs: the one rule for which parameter an argument gives', () => {
  const dense = BUILTIN_BY_NAME.get('dense')!;
  const embed = BUILTIN_BY_NAME.get('embed')!;
  const of = (spec: typeof dense | undefined, args: { key?: string; word?: string }[]) => {
    const { matches, next } = matchArgs(spec, args.map((a) => ({ key: a.key, word: a.word })));
    return { matches: matches.map((m) => `${m.by}:${m.param?.name ?? '-'}`), next: next?.name };
  };

  it('keys by name, bare flag words as flags, the rest by position; and the next positional', () => {
    expect(of(dense, [{}, {}])).toEqual({ matches: ['position:units', 'position:activation'], next: undefined });
    expect(of(dense, [{ key: 'activation' }, {}])).toEqual({ matches: ['key:activation', 'position:units'], next: 'activation' });
    expect(of(embed, [{ word: 'frozen' }, { word: 'trainable' }, { word: 'dim' }])).toEqual({ matches: ['flag:frozen', 'flag:trainable', 'position:dim'], next: undefined });
    expect(of(embed, [{ key: 'nope' }])).toEqual({ matches: ['key:-'], next: 'dim' });
    expect(of(undefined, [{ word: 'frozen' }, { key: 'x' }])).toEqual({ matches: ['position:-', 'key:-'], next: undefined });
  });
});
