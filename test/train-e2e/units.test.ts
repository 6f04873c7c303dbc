import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../src/cli/args.js';
import { ProgressPrinter } from '../../src/cli/progress.js';
import { RnncError } from '../../src/diagnostics/error.js';
import { DEMO_MAXLEN, DEMO_SIZE, demoCorpus, demoCorpusTsv } from '../../src/data/demo.js';
import { computeMetrics, crossEntropy, formatMetrics } from '../../src/train/metrics.js';
import { deriveSeed, seededRandom, shuffleInPlace, withMathRandom } from '../../src/util/random.js';
import { DEFAULT_SETTINGS, effectiveSettings } from '../../src/train/settings.js';
import { SETTINGS_OPTIONS, settingsFromArgs } from '../../src/cli/settings-flags.js';
import { tokenize } from '../../src/text/tokenizer.js';
import { headOf, seededSplit } from '../../src/train/trainer.js';
import { programOf } from '../helpers.js';

const flags = (...argv: string[]) => settingsFromArgs(parseArgs(argv, [...SETTINGS_OPTIONS, { name: 'vocab', value: 'int', help: '' }]));

describe('settings', () => {
  it('are the defaults of the train table in docs/language.md', () => {
    const doc = readFileSync('docs/language.md', 'utf8');
    const table = doc.slice(doc.indexOf('| setting | type | default | flag |'));
    const rows = new Map<string, string>();
    for (const line of table.split('\n').slice(2)) {
      if (!line.startsWith('|')) break;
      const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
      rows.set(cells[1]!.replace(/`/g, ''), cells[3]!.replace(/`/g, ''));
    }
    for (const [name, value] of Object.entries(DEFAULT_SETTINGS)) {
      if (name === 'token_pattern') continue; // "see below"
      expect(rows.get(name), name).toBe(String(value));
    }
    expect(rows.get('val_file')).toBe('—');
  });

  it('layer as defaults ← spec ← flags, with val_file relative to the spec or the working directory', () => {
    const spec = { epochs: 3, lr: 0.01, val_file: 'val.tsv', seed: 7 };
    const s = effectiveSettings(spec, flags('--epochs', '5', '--val-split', '0.2'), '/specs');
    expect(s).toEqual({ ...DEFAULT_SETTINGS, epochs: 5, lr: 0.01, val_split: 0.2, seed: 7, val_file: '/specs/val.tsv' });
    expect(effectiveSettings(spec, flags('--val-file', 'v.tsv'), '/specs').val_file).toBe(`${process.cwd()}/v.tsv`);
    expect(effectiveSettings(undefined, {}, '/')).toEqual(DEFAULT_SETTINGS);
  });

  it('reads every flag', () => {
    expect(
      flags('--epochs', '2', '--batch', '16', '--lr', '3e-4', '--optimizer', 'rmsprop', '--loss', 'auto', '--maxlen', '40', '--seed', '0', '--val-split', '0',
        '--patience', '0', '--lowercase', 'false', '--token-pattern', '\\S+', '--label-column', 'y', '--text-column', 'x', '--vocab', '500'),
    ).toEqual({ epochs: 2, batch: 16, lr: 3e-4, optimizer: 'rmsprop', loss: 'auto', maxlen: 40, seed: 0, val_split: 0, patience: 0, lowercase: false, token_pattern: '\\S+', label_column: 'y', text_column: 'x', vocab: 500 });
  });

  it.each([
    [['--epochs', '0'], '--epochs must be between 1 and 100000, got 0'],
    [['--epochs', '2.5'], '--epochs needs a whole number, got "2.5"'],
    [['--batch', 'many'], '--batch needs a whole number, got "many"'],
    [['--lr', '0'], '--lr must be in (0, 10], got 0'],
    [['--lr', 'fast'], '--lr needs a number, got "fast"'],
    [['--val-split', '1'], '--val-split must be in [0, 1), got 1'],
    [['--optimizer', 'adamw'], '--optimizer must be one of adam, sgd, rmsprop, adagrad, got "adamw"'],
    [['--seed', '-1'], '--seed needs a whole number, got "-1"'],
    [['--lowercase', 'yes'], '--lowercase must be true or false, got "yes"'],
    [['--token-pattern', '('], '--token-pattern: invalid regular expression: Unterminated group'],
  ])('rejects %j', (argv, message) => {
    expect(() => flags(...argv)).toThrow(UsageError);
    expect(() => flags(...argv)).toThrow(message);
  });
});

describe('metrics', () => {
  it('binary: positive class is the second label, p > 0.5, confusion rows are true labels', () => {
    const m = computeMetrics([0.9, 0.2, 0.6, 0.4, 0.5], [1, 0, 0, 1, 1], ['neg', 'pos'], 'sigmoid');
    // tp 1 (0.9), fp 1 (0.6), fn 2 (0.4, 0.5), tn 1 (0.2)
    expect(m).toMatchObject({ count: 5, accuracy: 0.4, precision: 0.5, recall: 1 / 3, averaging: 'binary', positive: 'pos', confusion: [[1, 1], [2, 1]] });
    expect(m.f1).toBeCloseTo(0.4, 12);
    const loss = -(Math.log(0.9) + Math.log(0.8) + Math.log(0.4) + Math.log(0.4) + Math.log(0.5)) / 5;
    expect(m.loss).toBeCloseTo(loss, 12);
  });

  it('multi-class: arg-max and macro averages; zero division is 0', () => {
    const probs = [0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.6, 0.3, 0.1];
    const m = computeMetrics(probs, [0, 1, 2], ['a', 'b', 'c'], 'softmax');
    expect(m.confusion).toEqual([[1, 0, 0], [0, 1, 0], [1, 0, 0]]);
    expect(m.accuracy).toBeCloseTo(2 / 3, 12);
    expect(m.precision).toBeCloseTo((0.5 + 1 + 0) / 3, 12);
    expect(m.recall).toBeCloseTo((1 + 1 + 0) / 3, 12);
    expect(m.averaging).toBe('macro');
    expect(m.positive).toBeUndefined();
  });

  it('clips probabilities like Keras before the log', () => {
    expect(crossEntropy([1, 0], [0, 1], 'sigmoid', 2)).toBeCloseTo(-Math.log(1e-7), 6);
  });

  it('renders a text block', () => {
    const m = computeMetrics([0.9, 0.1], [1, 0], ['0', '1'], 'sigmoid');
    expect(formatMetrics(m)).toEqual([
      'examples:  2',
      'loss:      0.1054',
      'accuracy:  100.00%',
      'precision: 100.00%  (positive class "1")',
      'recall:    100.00%',
      'f1:        100.00%',
      'confusion matrix (rows: true label, columns: predicted):',
      '           0     1',
      '  0        1     0',
      '  1        0     1',
    ]);
  });
});

describe('seeded randomness', () => {
  it('is the same stream for the same seed, and Math.random is restored', async () => {
    const a = seededRandom(5);
    const b = seededRandom(5);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
    expect(deriveSeed(1, 2, 3)).not.toBe(deriveSeed(1, 3, 2));
    const original = Math.random;
    const seq = withMathRandom(9, () => [Math.random(), Math.random()]);
    expect(withMathRandom(9, () => [Math.random(), Math.random()])).toEqual(seq);
    expect(Math.random).toBe(original);
    await withMathRandom(9, async () => {
      await Promise.resolve();
      expect(Math.random).not.toBe(original);
    });
    expect(Math.random).toBe(original);
    expect(shuffleInPlace([1, 2, 3, 4, 5], seededRandom(1))).toEqual(shuffleInPlace([1, 2, 3, 4, 5], seededRandom(1)));
  });

  it('splits by seed: test and validation streams differ, order is kept', () => {
    const ex = Array.from({ length: 100 }, (_, i) => ({ text: `t${i}`, label: String(i % 2) }));
    const v = seededSplit(ex, 0.1, 42);
    expect(v.held).toHaveLength(10);
    expect(v.kept).toHaveLength(90);
    expect(seededSplit(ex, 0.1, 42)).toEqual(v);
    expect(seededSplit(ex, 0.1, 42, 'test').held).not.toEqual(v.held);
    expect(v.kept.map((e) => Number(e.text.slice(1)))).toEqual([...v.kept.map((e) => Number(e.text.slice(1)))].sort((a, b) => a - b));
  });
});

describe('embedded demo corpus', () => {
  it('is deterministic, balanced, labelled 0/1 and shorter than its maxlen', () => {
    const c = demoCorpus();
    expect(c).toHaveLength(DEMO_SIZE);
    expect(demoCorpus()).toEqual(c);
    expect(c.filter((e) => e.label === '1')).toHaveLength(DEMO_SIZE / 2);
    expect(new Set(c.map((e) => e.label))).toEqual(new Set(['0', '1']));
    expect(Math.max(...c.map((e) => tokenize(e.text).length))).toBeLessThanOrEqual(DEMO_MAXLEN);
    expect(new Set(c.map((e) => e.text)).size).toBeGreaterThan(DEMO_SIZE * 0.9);
    expect(demoCorpus({ size: 10, seed: 2 })).not.toEqual(demoCorpus({ size: 10, seed: 3 }));
    expect(demoCorpusTsv({ size: 2 }).split('\n')[0]).toBe('label\ttext');
  });

  it('needs word order: "but" clauses and negations carry the label', () => {
    const c = demoCorpus();
    const but = c.filter((e) => e.text.includes(', but'));
    const negated = c.filter((e) => /\b(not|n't|never|hardly|nothing)\b/.test(e.text));
    expect(but.length).toBeGreaterThan(DEMO_SIZE * 0.2);
    expect(negated.length).toBeGreaterThan(DEMO_SIZE * 0.2);
  });
});

describe('heads', () => {
  it('sigmoid for dense(1), softmax for dense(N); anything else is refused', () => {
    expect(headOf(programOf('embed(8, vocab: 50) |> gru(4) |> dense(1)').program)).toEqual({ kind: 'sigmoid', units: 1 });
    expect(headOf(programOf('embed(8, vocab: 50) |> gru(4) |> dense(3)').program)).toEqual({ kind: 'softmax', units: 3 });
    expect(() => headOf(programOf('embed(8, vocab: 50) |> gru(4) |> dense(1, relu)').program)).toThrow(RnncError);
    expect(() => headOf(programOf('embed(8, vocab: 50) |> gru(4)').program)).toThrow('does not end with a `dense` classifier head');
  });
});

describe('progress output', () => {
  const record = { epoch: 1, loss: 0.5, accuracy: 0.75, val_loss: 0.4, val_accuracy: 0.8, seconds: 12 };
  const step = { type: 'step' as const, epoch: 1, epochs: 2, steps: 10, loss: 0.5, accuracy: 0.75, seconds: 1, etaSeconds: 75 };

  it('draws a bar in place on a terminal', () => {
    let err = '';
    const p = new ProgressPrinter({ out: () => undefined, err: (s) => (err += s), isTTY: true }, 'bar');
    p.event({ type: 'epoch-start', epoch: 1, epochs: 2, steps: 10 });
    p.event({ ...step, step: 10 });
    p.event({ type: 'epoch-end', record, epochs: 2, best: true });
    expect(err).toBe(
      '\r\x1b[Kepoch 1/2  [####################] 10/10  loss 0.5000  acc 0.7500  ETA 1m15s' +
        '\r\x1b[Kepoch 1/2  loss 0.5000  acc 0.7500  val_loss 0.4000  val_acc 0.8000  12s  (best)\n',
    );
  });

  it('prints plain lines otherwise, and only epochs with --quiet', () => {
    let err = '';
    const p = new ProgressPrinter({ out: () => undefined, err: (s) => (err += s), isTTY: false }, 'quiet', '[x.rnn] ');
    p.event({ type: 'epoch-start', epoch: 1, epochs: 2, steps: 10 });
    p.event({ ...step, step: 3 });
    p.event({ type: 'epoch-end', record: { ...record, val_loss: undefined, val_accuracy: undefined }, epochs: 2, best: true });
    p.event({ type: 'early-stop', epoch: 4, bestEpoch: 2 });
    expect(err).toBe('[x.rnn] epoch 1/2  loss 0.5000  acc 0.7500  12s\n[x.rnn] early stopping after epoch 4: no better validation loss since epoch 2\n');
  });
});
