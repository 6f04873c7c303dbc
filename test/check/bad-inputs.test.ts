import { describe, expect, it } from 'vitest';
import { checkText } from '../../src/program.js';
import { fixtureDir } from '../fixtures.js';
import { diagnosticsOf } from '../helpers.js';

/**
 * Bad inputs with the exact diagnostics they must produce: code and 1-based range
 * (end exclusive). Every independent problem in a file is reported, in source order.
 */
const cases: { name: string; src: string; expected: string[]; message?: RegExp }[] = [
  { name: 'a layer-name typo', src: 'embed(32) |> lsmt(64) |> dense(1)', expected: ['E3002 1:14-1:18'], message: /unknown layer `lsmt`/ },
  { name: 'an argument-name typo', src: 'embed(32) |> lstm(64, dropuot: 0.2) |> dense(1)', expected: ['E3003 1:23-1:30'], message: /no argument `dropuot`/ },
  { name: 'a word where a number goes', src: 'embed(32) |> lstm(sixty) |> dense(1)', expected: ['E3006 1:19-1:24'] },
  // What `rnnc train` would refuse, reported by `check` first (#8 case 5).
  { name: 'a binary loss on a softmax head', src: 'embed(32) |> lstm(64) |> dense(3)\ntrain { loss: binary_crossentropy }', expected: ['E3026 2:15-2:34'], message: /loss `binary_crossentropy` does not fit the head: a softmax over 3 classes/ },
  { name: 'a categorical loss on a sigmoid head', src: 'embed(32) |> lstm(64) |> dense(1)\ntrain { loss: categorical_crossentropy }', expected: ['E3026 2:15-2:39'], message: /does not fit the head: a sigmoid `dense\(1\)`/ },
  { name: 'a token pattern that is not a regular expression', src: 'embed(32) |> lstm(64) |> dense(1)\ntrain { token_pattern: "[a-" }', expected: ['E3026 2:24-2:29'], message: /^token_pattern: invalid regular expression: [^/]*$/ },
  { name: 'a fraction where a whole number goes', src: 'embed(32) |> lstm(64.5) |> dense(1)', expected: ['E3006 1:19-1:23'], message: /must be a whole number, found `64\.5`$/ },
  { name: 'units of zero', src: 'embed(32) |> lstm(0) |> dense(1)', expected: ['E2006 1:19-1:20'], message: /`units` must be at least 1, found 0/ },
  { name: 'a dropout rate of 1.5', src: 'embed(32) |> gru(8, dropout: 1.5) |> dense(1)', expected: ['E2006 1:30-1:33'], message: /less than 1/ },
  { name: 'a bad enum value', src: 'embed(8) |> bi(lstm(4), merge: concatenate) |> dense(1)', expected: ['E3008 1:32-1:43'] },
  { name: 'an unclosed parenthesis', src: 'embed(32 |> lstm(64) |> dense(1)', expected: ['E1003 1:6-1:7'], message: /unclosed `\(`/ },
  { name: 'an unmatched closing parenthesis', src: 'embed(32)) |> lstm(64) |> dense(1)', expected: ['E1005 1:10-1:11'] },
  { name: 'x0', src: 'embed(32) |> lstm(64) x0 |> dense(1)', expected: ['E3011 1:23-1:25'] },
  { name: 'a dense inside bi', src: 'embed(32) |> bi(dense(4)) |> dense(1)', expected: ['E3015 1:17-1:25'], message: /`bi` wraps one recurrent layer, not `dense`/ },
  { name: 'two cells inside bi', src: 'embed(32) |> bi(lstm(4) |> lstm(4)) |> dense(1)', expected: ['E3015 1:17-1:35'] },
  { name: 'bi inside bi', src: 'embed(32) |> bi(bi(gru(4))) |> dense(1)', expected: ['E3015 1:17-1:27'] },
  { name: 'an empty file', src: '', expected: ['E1006 1:1-1:1'] },
  { name: 'only comments', src: '# nothing here\n', expected: ['E1006 1:1-1:1'] },
  { name: 'binary garbage', src: '\u0000\u0001\u0002\u00ff\ufffd\u0007garbage', expected: ['E1008 1:1-1:1'] },
  { name: 'stray characters', src: 'embed(32) |> lstm(64) @@ |> dense(1)', expected: ['E1001 1:23-1:25'] },
  { name: 'a doubled pipe', src: 'embed(32) |> |> lstm(3) |> dense(1)', expected: ['E1004 1:14-1:16'] },
  { name: 'an unterminated string', src: 'embed(from: "models/x) |> lstm(3) |> dense(1)', expected: ['E1003 1:6-1:7', 'E1002 1:13-1:46'] },
  { name: 'units so large the budget trips', src: 'embed(32) |> lstm(100000) |> dense(1)', expected: ['E3017 1:14-1:26'], message: /40,013,620,001 parameters, over the budget of 50,000,000/ },
  { name: 'an undefined name', src: 'embed(32) |> encoder |> dense(1)', expected: ['E3001 1:14-1:21'] },
  { name: 'a duplicate binding', src: 'let a = lstm(4)\nlet a = gru(4)\nembed(8) |> a |> dense(1)', expected: ['E3004 2:5-2:6'] },
  { name: 'a binding cycle', src: 'let a = b |> lstm(2)\nlet b = a\nembed(8) |> a |> dense(1)', expected: ['E3005 2:9-2:10'] },
  { name: 'embed not first', src: 'lstm(4) |> embed(8) |> dense(1)', expected: ['E3012 1:12-1:20'] },
  { name: 'embed twice', src: 'embed(8) |> lstm(4) |> embed(8) |> lstm(2) |> dense(1)', expected: ['E3013 1:24-1:32'] },
  { name: 'no embed', src: 'lstm(4) |> dense(1)', expected: ['E3014 1:1-1:8'] },
  { name: 'nothing reads the sequence', src: 'embed(8) |> dense(1)', expected: ['E3016 1:13-1:21'] },
  { name: 'a GRU with reset_after: true', src: 'embed(8) |> gru(4, reset_after: true) |> dense(1)', expected: ['E3021 1:33-1:37'] },
  { name: 'a layer used without arguments', src: 'embed(8) |> lstm |> dense(1)', expected: ['E3009 1:13-1:17'] },
  { name: 'a missing required argument', src: 'embed(8) |> lstm() |> dense(1)', expected: ['E3009 1:13-1:19'] },
  { name: 'too many positional arguments', src: 'embed(8) |> lstm(4, 5) |> dense(1)', expected: ['E3024 1:21-1:22'] },
  { name: 'an argument given twice', src: 'embed(8) |> lstm(4, units: 5) |> dense(1)', expected: ['E3010 1:21-1:26'] },
  { name: 'two pipelines', src: 'embed(8) |> lstm(4) |> dense(1)\nembed(8) |> gru(4) |> dense(1)', expected: ['E1007 2:1-2:31'] },
  { name: 'frozen and trainable together', src: 'let pretrained = vectors("v.txt")\nembed(4, pretrained, frozen, trainable) |> lstm(2) |> dense(1)', expected: ['E3023 2:30-2:39'] },
  { name: 'an unknown train setting', src: 'embed(8) |> lstm(4) |> dense(1)\ntrain { epoch: 3 }', expected: ['E3025 2:9-2:14'] },
  { name: 'deep nesting', src: `embed(8) |> ${'('.repeat(100)}lstm(4)${')'.repeat(100)} |> dense(1)`, expected: ['E1012 1:77-1:78'] },
];

describe('bad inputs: exact codes and ranges', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = checkText(c.src, { fileName: 'bad.rnn', resolveDim: () => 4 });
      expect(diagnosticsOf(c.src, { resolveDim: () => 4 })).toEqual(c.expected);
      if (c.message) expect(r.diagnostics[0]!.message).toMatch(c.message);
      expect(r.program).toBeUndefined();
    });
  }
});

describe('one run reports every independent problem', () => {
  it('reports syntax, name and value problems together', () => {
    const src = 'embed(32) |> lsmt(64) x0\n  |> bi(dense(4))\n  |> dense(1, activation: relu6)\n  |> lstm(8, dropuot: 0.1)';
    expect(diagnosticsOf(src)).toEqual(['E3002 1:14-1:18', 'E3011 1:23-1:25', 'E3015 2:9-2:17', 'E3008 3:27-3:32', 'E3003 4:14-4:21']);
  });

  it('keeps going after a syntax error', () => {
    const src = 'embed(8) |> |> lsmt(3)\nlet x = gru(4, dropout: 2)';
    const ds = diagnosticsOf(src);
    expect(ds).toContain('E1004 1:13-1:15');
    expect(ds).toContain('E3002 1:16-1:20');
  });

  it('warns about a frozen embedding without a pretrained source, and still builds', () => {
    const r = checkText('embed(8, frozen) |> lstm(4) |> dense(1)', { fileName: 'w.rnn' });
    expect(r.diagnostics.map((d) => [d.severity, d.code])).toEqual([['warning', 'W3101']]);
    expect(r.program).toBeDefined();
    expect(r.analysis!.nonTrainableParams).toBe(80_000);
  });

  it('gives did-you-mean fixes that repair the source', () => {
    const src = 'embed(8) |> lsmt(4) |> dense(1, activation: sigmoyd)';
    const r = checkText(src, { fileName: 'f.rnn' });
    let fixed = src;
    for (const d of [...r.diagnostics].reverse()) {
      const edit = d.fixes![0]!.edits[0]!;
      fixed = fixed.slice(0, edit.span.start) + edit.text + fixed.slice(edit.span.end);
    }
    expect(fixed).toBe('embed(8) |> lstm(4) |> dense(1, activation: sigmoid)');
    expect(checkText(fixed, { fileName: 'f.rnn' }).diagnostics).toEqual([]);
  });

  it('refuses a huge file at once', () => {
    const huge = 'embed(8) |> lstm(4) |> dense(1)\n' + '# padding\n'.repeat(500_000);
    const t = Date.now();
    expect(diagnosticsOf(huge)).toEqual(['E1009 1:1-1:1']);
    expect(Date.now() - t).toBeLessThan(2000);
  });

  it('checks bindings the model never uses, and counts the names they use', () => {
    const src = 'let a = lstm(3)\nlet b = a x2\nlet c = gru(sixty)\nembed(8) |> rnn(2) |> dense(1)';
    expect(diagnosticsOf(src)).toEqual(['W3104 2:5-2:6', 'W3104 3:5-3:6', 'E3006 3:13-3:18']);
  });

  it('warns, at the activation, about a head `rnnc train` refuses; the model still compiles (#8 case 5)', () => {
    const one = checkText('embed(32) |> lstm(64) |> dense(1, softmax)', { fileName: 's.rnn' });
    expect(diagnosticsOf('embed(32) |> lstm(64) |> dense(1, softmax)')).toEqual(['W3102 1:35-1:42']);
    expect(one.diagnostics[0]!.message).toBe('a softmax over one unit is always 1: this head cannot learn, and `rnnc train` refuses it');
    expect(one.diagnostics[0]!.fixes).toEqual([{ title: 'use `sigmoid`', edits: [{ span: { start: 34, end: 41 }, text: 'sigmoid' }] }]);
    expect(one.program).toBeDefined();
    expect(diagnosticsOf('embed(32) |> lstm(64) |> dense(3, relu)')).toEqual(['W3102 1:35-1:39']);
    // The heads train takes, written out or left to rnnc, are fine.
    for (const src of ['embed(32) |> lstm(64) |> dense(1, sigmoid)', 'embed(32) |> lstm(64) |> dense(4, softmax)', 'embed(32) |> lstm(64) |> dense(4)']) {
      expect(diagnosticsOf(src)).toEqual([]);
    }
  });

  it('quotes a whole value written as a decimal as written, and offers the integer (#8 case 8)', () => {
    const d = checkText('embed(32) |> lstm(64.0) |> dense(1)', { fileName: 's.rnn' }).diagnostics.find((x) => x.code === 'E3006')!;
    expect(d.message).toBe('`units` must be a whole number, found `64.0`');
    expect(d.help).toBe('write `64`, without the decimal point');
    expect(d.fixes).toEqual([{ title: 'replace with `64`', edits: [{ span: { start: 18, end: 22 }, text: '64' }] }]);
    // A fraction gets no guess at which whole number was meant.
    expect(checkText('embed(32) |> lstm(64.5) |> dense(1)', { fileName: 's.rnn' }).diagnostics[0]!.help).toBeUndefined();
  });

  it('reports an unclosed parenthesis once, even when a train block follows', () => {
    expect(diagnosticsOf('embed(8 |> lstm(4) |> dense(1)\ntrain { epochs: 2 }')).toEqual(['E1003 1:6-1:7']);
  });

  it('offers to close an unterminated string where its line ends', () => {
    const src = 'let pretrained = vectors("glove.txt)\nembed(pretrained) |> lstm(4) |> dense(1)';
    const d = checkText(src, { fileName: 's.rnn' }).diagnostics.find((x) => x.code === 'E1002')!;
    const edit = d.fixes![0]!.edits[0]!;
    const fixed = src.slice(0, edit.span.start) + edit.text + src.slice(edit.span.end);
    expect(fixed.split('\n')[0]).toBe('let pretrained = vectors("glove.txt)"');
  });

  it('stays fast on a pasted 200,000-character word', () => {
    const t = Date.now();
    expect(diagnosticsOf(`embed(8) |> ${'q'.repeat(200_000)}(4) |> dense(1)`)).toEqual(['E3002 1:13-1:200013']);
    expect(Date.now() - t).toBeLessThan(1000);
  });

  it('raises the parameter budget on request', () => {
    const src = 'embed(32) |> lstm(4000) |> dense(1)';
    expect(diagnosticsOf(src)).toEqual(['E3017 1:14-1:24']);
    expect(diagnosticsOf(src, { maxParams: 100_000_000 })).toEqual([]);
  });
});

describe('pretrained sources read by the checker', () => {
  const { fixture } = fixtureDir('check-vectors');

  it('takes the dimension from GloVe, word2vec (text and binary) and fastText headers', () => {
    const glove = fixture('g.txt', 'the 0.1 0.2 0.3\ngood 1 2 3\n');
    const vec = fixture('f.vec', '2 4\nthe 1 2 3 4\ngood 5 6 7 8\n');
    const floats = Buffer.from(new Float32Array([1, 2, 3, 4, 5]).buffer);
    const bin = fixture('w.bin', Buffer.concat([Buffer.from('1 5\nthe '), floats]));
    for (const [file, dim] of [[glove, 3], [vec, 4], [bin, 5]] as const) {
      const r = checkText(`embed(pretrained: vectors(${JSON.stringify(file)})) |> lstm(2) |> dense(1)`, { fileName: 'v.rnn' });
      expect(r.diagnostics, file).toEqual([]);
      expect(r.program!.layers[0]).toMatchObject({ output_dim: dim });
    }
  });

  it('reports a format that contradicts the file, and a dimension that contradicts embed', () => {
    const vec = fixture('f.vec', '2 4\nthe 1 2 3 4\ngood 5 6 7 8\n');
    const src = `let pretrained = vectors(${JSON.stringify(vec)}, format: glove)\nembed(pretrained) |> lstm(2) |> dense(1)`;
    const r = checkText(src, { fileName: 'v.rnn' });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['E3020']);
    expect(r.diagnostics[0]!.message).toContain('word2vec/fastText header');
    const mismatch = `let pretrained = vectors(${JSON.stringify(vec)})\nembed(8, pretrained) |> lstm(2) |> dense(1)`;
    expect(diagnosticsOf(mismatch).map((d) => d.split(' ')[0])).toEqual(['E3019']);
  });
});

describe('limits: hostile inputs are diagnostics, not crashes (#8 case 9)', () => {
  const check = (src: string, fileName = 'limits.rnn') => checkText(src, { fileName, resolveDim: () => 4 });

  it('nested repeats are counted multiplied: ((lstm(1) x1000) x1000) x1000 is E3028, at once', () => {
    const src = 'embed(8) |> ((lstm(1) x1000) x1000) x1000 |> dense(1)';
    expect(diagnosticsOf(src)).toEqual(['E3028 1:30-1:35']); // the middle repeat: 1,000 × 1000
    expect(check(src).diagnostics[0]!.message).toBe('this repeat makes 1,000,000 layers, over the 1000 a model may have');
  });

  it('bindings that add up past 1,000 layers are E3028 where the model grows past it', () => {
    expect(diagnosticsOf('let a = lstm(1) x500\nembed(8) |> a |> a |> a |> dense(1)')).toEqual(['E3028 2:18-2:19']);
  });

  it('a chain of 3,000 `let` bindings is one E1012, not a stack overflow', () => {
    const lines = ['let a0 = lstm(1)', ...Array.from({ length: 2999 }, (_, i) => `let a${i + 1} = a${i}`), 'embed(8) |> a2999 |> dense(1)'];
    const r = check(lines.join('\n'));
    expect(r.diagnostics.map((d) => d.code)).toEqual(['E1012']);
    expect(r.diagnostics[0]!.message).toBe('bindings refer to bindings more than 256 deep here');
  });

  it('130,000 unmatched `)` are 100 diagnostics and a note, not a stack overflow', () => {
    const r = check(`embed(8) |> lstm(4) |> dense(1)${')'.repeat(130_000)}`);
    expect(r.diagnostics).toHaveLength(101);
    expect(r.diagnostics[100]!.code).toBe('E1011');
  });

  it('IR JSON nested 3,000 deep is one E1012 at the 65th bracket; a JSON file over 4 MB is E1009', () => {
    const r = check(`${'['.repeat(3000)}${']'.repeat(3000)}`, 'deep.rnn.json');
    expect(r.diagnostics.map((d) => `${d.code} ${d.span.start}`)).toEqual(['E1012 64']);
    const big = check(`{"format":"rnnc-ir","pad":"${'x'.repeat(4 * 1024 * 1024)}"}`, 'big.rnn.json');
    expect(big.diagnostics.map((d) => d.code)).toEqual(['E1009']);
  });

  it('150 warnings are capped with a warning, not an error: the model still compiles', () => {
    const src = [...Array.from({ length: 150 }, (_, i) => `let unused${i} = lstm(1)`), 'embed(8) |> lstm(4) |> dense(1)'].join('\n');
    const r = check(src);
    expect(r.diagnostics).toHaveLength(101);
    expect(r.diagnostics[100]).toMatchObject({ code: 'W1014', severity: 'warning', message: 'too many problems: 50 more not shown' });
    expect(r.program).toBeDefined();
  });

  it('a second `train` block has a code of its own (E1013), not the second pipeline’s E1007', () => {
    expect(diagnosticsOf('embed(8) |> lstm(4) |> dense(1)\ntrain { epochs: 2 }\ntrain { epochs: 3 }').map((d) => d.slice(0, 5))).toEqual(['E1013']);
  });
});
