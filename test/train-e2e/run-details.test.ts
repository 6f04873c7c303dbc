import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateWithPredictions } from '../../src/train/inference.js';
import { confidentMistakes } from '../../src/train/metrics.js';
import { MISTAKES_KEPT } from '../../src/train/run-details.js';
import { loadTrained, seededSplit } from '../../src/train/trainer.js';
import { demoSlice, quickSettings, specIn, tempDir, trainIn } from './helpers.js';

// What `train` records in metrics.json for `rnnc report`: label balance per split, the
// vocabulary's coverage of the validation text and the kept weights' most confidently wrong
// validation examples, each checked against a recomputation from the saved model.

const dir = tempDir('details');
const SMALL = 'embed(16, vocab: 300) |> gru(8) |> dense(1)\n';
const data = demoSlice(600);
// JSON read into `any` on purpose: the assertions check it (as the other e2e tests do).
const metricsOf = (out: string) => JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));

describe('metrics.json records the data and the validation mistakes', () => {
  it('label counts, validation coverage and mistakes equal a recomputation from the saved model', async () => {
    const { program } = specIn(dir, 'small.rnn', SMALL);
    const out = join(dir, 'binary');
    const r = await trainIn(program, dir, data, { outDir: out, settings: quickSettings({ epochs: 1 }) });
    r.model.dispose();
    const m = metricsOf(out);
    const { kept, held } = seededSplit(data, 0.1, 42);
    const count = (set: typeof data, label: string): number => set.filter((e) => e.label === label).length;
    expect(m.data.labels).toEqual(['0', '1']);
    expect(m.data.label_counts).toEqual({ train: [count(kept, '0'), count(kept, '1')], validation: [count(held, '0'), count(held, '1')] });
    expect(m.data.label_counts.train[0] + m.data.label_counts.train[1]).toBe(m.data.train);

    const c = r.vocab.coverage(held.map((e) => e.text));
    expect(m.vocab.validation_coverage).toEqual({ tokens: c.tokens, known_tokens: c.knownTokens, token_rate: c.tokenRate, types: c.types, known_types: c.knownTypes, type_rate: c.typeRate });

    // The saved model (the kept weights) predicts the validation split again: same mistakes.
    const loaded = await loadTrained(out, { backend: 'wasm' });
    const ev = await evaluateWithPredictions(loaded.tf, loaded.model, loaded.vocab, held, loaded.head);
    loaded.model.dispose();
    expect(ev.metrics).toEqual(m.final.validation);
    const expected = confidentMistakes(ev.probs, ev.truth, 'sigmoid', 2, MISTAKES_KEPT);
    const confusion = m.final.validation.confusion;
    expect(m.validation_mistakes.wrong).toBe(confusion[0][1] + confusion[1][0]);
    expect(m.validation_mistakes.wrong).toBe(expected.wrong);
    // One epoch of a small GRU is far from perfect: the list is full.
    expect(expected.wrong).toBeGreaterThan(MISTAKES_KEPT);
    expect(m.validation_mistakes).toEqual({
      epoch: m.best_epoch,
      wrong: expected.wrong,
      examples: expected.top.map((x) => ({ text: held[x.index]!.text, label: held[x.index]!.label, predicted: String(x.predicted), probability: x.probability })),
    });
  });

  it('a resumed run records what the uninterrupted one does', async () => {
    const { program } = specIn(dir, 'small.rnn', SMALL);
    const whole = join(dir, 'whole');
    (await trainIn(program, dir, data, { outDir: whole })).model.dispose();
    const split = join(dir, 'split');
    (await trainIn(program, dir, data, { outDir: split, settings: quickSettings({ epochs: 1 }) })).model.dispose();
    (await trainIn(program, dir, data, { outDir: split, resume: true })).model.dispose();
    const [a, b] = [metricsOf(whole), metricsOf(split)];
    expect(b.validation_mistakes).toEqual(a.validation_mistakes);
    expect(b.data).toEqual(a.data);
    expect(b.vocab.validation_coverage).toEqual(a.vocab.validation_coverage);
    expect(a.validation_mistakes.epoch).toBe(a.best_epoch);
  });

  it('without validation data there is nothing to record', async () => {
    const { program } = specIn(dir, 'small.rnn', SMALL);
    const out = join(dir, 'noval');
    (await trainIn(program, dir, data.slice(0, 200), { outDir: out, settings: quickSettings({ epochs: 1, val_split: 0 }) })).model.dispose();
    const m = metricsOf(out);
    expect(m.data.label_counts.validation).toEqual([0, 0]);
    expect(m.vocab.validation_coverage).toBeUndefined();
    expect(m.validation_mistakes).toBeUndefined();
  });
});
