import { describe, expect, it } from 'vitest';
import { checkText } from '../../src/program.js';
import { located } from '../helpers.js';

const ir = (layers: string) => `{\n  "format": "rnnc-ir",\n  "version": 1,\n  "layers": [\n${layers}\n  ]\n}\n`;

const good = ir(
  [
    '    { "kind": "embedding", "input_dim": 10000, "output_dim": 32 },',
    '    { "kind": "lstm", "units": 32 },',
    '    { "kind": "dense", "units": 1 }',
  ].join('\n'),
);

function diags(text: string): string[] {
  return checkText(text, { fileName: 'model.rnn.json' }).diagnostics.map((d) => located(text, d));
}

describe('hand-written IR (.rnn.json)', () => {
  it('is accepted and means the same as the .rnn it mirrors', () => {
    const fromJson = checkText(good, { fileName: 'model.rnn.json' });
    const fromRnn = checkText('embed(32, vocab: 10000) |> lstm(32) |> dense(1)', { fileName: 'model.rnn' });
    expect(fromJson.diagnostics).toEqual([]);
    expect(fromJson.program).toEqual(fromRnn.program);
    expect(fromJson.analysis!.totalParams).toBe(328_353);
  });

  it('maps a range error to the offending value', () => {
    const text = good.replace('"units": 32', '"units": 0');
    expect(diags(text)).toEqual(['E2006 6:32-6:33']);
  });

  it('maps an unknown property to its key, with a did-you-mean', () => {
    const text = good.replace('"units": 32 }', '"units": 32, "dropuot": 0.1 }');
    const r = checkText(text, { fileName: 'model.rnn.json' });
    expect(r.diagnostics.map((d) => located(text, d))).toEqual(['E2003 6:36-6:45']);
    expect(r.diagnostics[0]!.help).toBe('did you mean `dropout`?');
  });

  it('names the allowed kinds when a kind is misspelt', () => {
    const text = good.replace('"kind": "lstm"', '"kind": "lsmt"');
    const r = checkText(text, { fileName: 'model.rnn.json' });
    expect(r.diagnostics.map((d) => located(text, d))).toEqual(['E2005 6:15-6:21']);
    expect(r.diagnostics[0]!.help).toBe('did you mean `lstm`?');
  });

  it('reports a missing required property at its object', () => {
    const text = good.replace('{ "kind": "dense", "units": 1 }', '{ "kind": "dense" }');
    expect(diags(text)).toEqual(['E2002 7:5-7:24']);
  });

  it('reports wrong types', () => {
    const text = good.replace('"output_dim": 32', '"output_dim": "32"');
    expect(diags(text)).toEqual(['E2004 5:62-5:66']);
  });

  it('reports JSON syntax errors with their place', () => {
    const text = good.replace('"units": 32 },', '"units": 32 }');
    expect(diags(text)).toEqual(['E2001 7:5-7:6']);
  });

  it('runs the structural checks on IR too, pointing at the layer', () => {
    const text = ir(['    { "kind": "lstm", "units": 4 },', '    { "kind": "embedding", "input_dim": 100, "output_dim": 8 },', '    { "kind": "dense", "units": 1 }'].join('\n'));
    expect(diags(text)).toEqual(['E3012 6:5-6:63']);
  });

  it('accepts every IR that rnnc itself writes for the specs', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    for (const f of readdirSync('specs').filter((n) => n.endsWith('.rnn'))) {
      const r = checkText(readFileSync(`specs/${f}`, 'utf8'), { fileName: `specs/${f}` });
      const json = JSON.stringify(r.program, null, 2);
      const back = checkText(json, { fileName: `${f}.json` });
      expect(back.diagnostics, f).toEqual([]);
      expect(back.program, f).toEqual(r.program);
    }
  });
});
