import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile, check } from '../src/index.js';
import { countParams } from '../src/compile/layers.js';
import { formatSource } from '../src/fmt/format.js';

/**
 * Every spec in specs/ with the parameter counts Keras gives for the same design,
 * worked out by hand from the formulas in docs/language.md.
 */
const expected: Record<string, { total: number; trainable: number }> = {
  // 10000·32 + (32(32+32)+32) + (32+1)
  'simple-rnn.rnn': { total: 322_113, trainable: 322_113 },
  // 10000·32 + 4(32(32+32)+32) + 33
  'lstm.rnn': { total: 328_353, trainable: 328_353 },
  // 10000·32 + 3(32(32+32)+32) + 33
  'gru.rnn': { total: 326_273, trainable: 326_273 },
  // 10000·32 + 3 · 4(32(32+32)+32) + 33
  'stacked.rnn': { total: 344_993, trainable: 344_993 },
  // keras-io: 20000·128 + 2·4(64(128+64)+64) + 2·4(64(128+64)+64) + 129
  'bidirectional.rnn': { total: 2_757_761, trainable: 2_757_761 },
  // frozen 10000·16 (dim from vectors/demo.16d.vec) + 2·4(64(16+64)+64) + 2·4(64(128+64)+64) + 129
  'pretrained-frozen.rnn': { total: 300_417, trainable: 140_417 },
  // frozen 1000·16 (dim from models/demo-16d) + 3(32(16+32)+32) + 33
  'transfer.rnn': { total: 20_737, trainable: 4_737 },
};

const specs = readdirSync('specs').filter((f) => f.endsWith('.rnn'));

describe('specs/', () => {
  it('has an expected parameter count for every spec', () => {
    expect(specs.filter((s) => !(s in expected))).toEqual([]);
  });

  for (const name of specs) {
    it(`${name} checks clean and compiles to a tfjs model with Keras's counts`, async () => {
      const text = readFileSync(`specs/${name}`, 'utf8');
      const checked = check(text, { fileName: `specs/${name}` });
      expect(checked.diagnostics).toEqual([]);
      const want = expected[name]!;
      expect(checked.analysis!.totalParams).toBe(want.total);
      expect(checked.analysis!.trainableParams).toBe(want.trainable);
      const { model } = await compile(text, { fileName: `specs/${name}`, backend: 'wasm' });
      expect(countParams(model)).toEqual({ total: want.total, trainable: want.trainable, nonTrainable: want.total - want.trainable });
      // Layer by layer, the checker's numbers are the model's.
      expect(model.layers.map((l) => [l.name, l.countParams()])).toEqual(
        checked.analysis!.layers.map((l) => [l.name, l.params]),
      );
    });
  }

  it('every spec, experiments included, is in rnnc fmt layout', () => {
    const all = [...specs.map((f) => `specs/${f}`), ...readdirSync('specs/experiments').map((f) => `specs/experiments/${f}`)];
    for (const f of all) {
      const text = readFileSync(f, 'utf8');
      const r = formatSource(text);
      expect('text' in r ? r.text : r, f).toBe(text);
    }
  });

  it('the worked checks from the issue', () => {
    expect(check('embed(32, vocab: 10000) |> lstm(32) |> dense(1)').analysis!.totalParams).toBe(328_353);
    expect(check('embed(128, vocab: 20000) |> bi(lstm(64)) x2 |> dense(1)').analysis!.totalParams).toBe(2_757_761);
  });
});
