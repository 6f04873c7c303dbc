import { describe, expect, it } from 'vitest';
import { computeMetrics, confidentMistakes, perClassMetrics } from '../../src/train/metrics.js';
import { labelCounts, MISTAKE_TEXT_CHARS, MISTAKES_KEPT, validationMistakes } from '../../src/train/run-details.js';

// What metrics.json records for `rnnc report` beyond the metrics, without TensorFlow: the
// probabilities are given, so every kept mistake and its order can be checked exactly.

describe('confident mistakes', () => {
  it('sigmoid: the wrong rows, most confident first (p of the predicted class), earlier rows first on ties', () => {
    // Truth:      1    0    1    0    1    0     1
    const probs = [0.9, 0.8, 0.3, 0.2, 0.1, 0.95, 0.5];
    const truth = [1, 0, 1, 0, 1, 0, 1];
    const { wrong, top } = confidentMistakes(probs, truth, 'sigmoid', 2, 10);
    // Row 1 says 1 with 0.8; row 2 says 0 with 0.7; row 4 says 0 with 0.9; row 5 says 1 with 0.95; row 6 (p = 0.5) says 0 with 0.5.
    expect(wrong).toBe(5);
    expect(top.map((m) => [m.index, m.truth, m.predicted])).toEqual([
      [5, 0, 1],
      [4, 1, 0],
      [1, 0, 1],
      [2, 1, 0],
      [6, 1, 0],
    ]);
    expect(top.map((m) => m.probability)).toEqual([0.95, 1 - 0.1, 0.8, 1 - 0.3, 0.5]);
    expect(confidentMistakes(probs, truth, 'sigmoid', 2, 2).top.map((m) => m.index)).toEqual([5, 4]);
    // Ties keep row order.
    expect(confidentMistakes([0.7, 0.7, 0.7], [0, 0, 0], 'sigmoid', 2, 3).top.map((m) => m.index)).toEqual([0, 1, 2]);
  });

  it('softmax: the arg-max is the prediction, its probability the confidence', () => {
    const probs = [0.1, 0.7, 0.2, /**/ 0.6, 0.3, 0.1, /**/ 0.2, 0.2, 0.6, /**/ 0.05, 0.05, 0.9];
    const truth = [1, 2, 2, 0];
    const { wrong, top } = confidentMistakes(probs, truth, 'softmax', 3, 10);
    expect(wrong).toBe(2);
    expect(top).toEqual([
      { index: 3, truth: 0, predicted: 2, probability: 0.9 },
      { index: 1, truth: 2, predicted: 0, probability: 0.6 },
    ]);
  });

  it('the wrong count is the confusion matrix off its diagonal', () => {
    const probs = Array.from({ length: 60 }, (_, i) => ((i * 37) % 100) / 100);
    const truth = Array.from({ length: 60 }, (_, i) => (i * 7) % 2);
    const m = computeMetrics(probs, truth, ['a', 'b'], 'sigmoid');
    const off = m.confusion[0]![1]! + m.confusion[1]![0]!;
    expect(confidentMistakes(probs, truth, 'sigmoid', 2, 5).wrong).toBe(off);
  });
});

describe('per-class metrics', () => {
  it('are the binary metrics for the positive class and average to the macro ones', () => {
    const confusion = [
      [5, 1, 0],
      [2, 6, 2],
      [0, 0, 0],
    ];
    const per = perClassMetrics(confusion);
    expect(per[0]).toEqual({ precision: 5 / 7, recall: 5 / 6, f1: (2 * (5 / 7) * (5 / 6)) / (5 / 7 + 5 / 6), support: 6 });
    expect(per[1]).toEqual({ precision: 6 / 7, recall: 6 / 10, f1: (2 * (6 / 7) * (6 / 10)) / (6 / 7 + 6 / 10), support: 10 });
    // No example and no prediction of the class: 0, not NaN.
    expect(per[2]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    // computeMetrics' binary numbers are class 1's.
    const bin = computeMetrics([0.9, 0.2, 0.7, 0.4], [1, 1, 0, 0], ['n', 'p'], 'sigmoid');
    const p1 = perClassMetrics(bin.confusion)[1]!;
    expect([bin.precision, bin.recall, bin.f1]).toEqual([p1.precision, p1.recall, p1.f1]);
  });
});

describe('metrics.json details', () => {
  const ex = (label: string, text = 'x'): { label: string; text: string } => ({ label, text });

  it('label counts follow the label order and count absent labels as 0', () => {
    expect(labelCounts([ex('b'), ex('a'), ex('b'), ex('b')], ['a', 'b', 'c'])).toEqual([1, 3, 0]);
    expect(labelCounts([], ['a', 'b'])).toEqual([0, 0]);
  });

  it('mistakes carry text, labels and probability, keep at most MISTAKES_KEPT and cut long texts', () => {
    const long = `${'é'.repeat(MISTAKE_TEXT_CHARS - 1)}😀 and more`;
    const examples = [ex('1', long), ...Array.from({ length: 14 }, (_, i) => ex(i % 2 ? '1' : '0', `text ${i}`))];
    // All wrong: the first is the surest.
    const probs = [0.001, ...Array.from({ length: 14 }, (_, i) => (i % 2 ? 0.4 - i / 100 : 0.6 + i / 100))];
    const truth = examples.map((e) => Number(e.label));
    const m = validationMistakes(examples, probs, truth, ['0', '1'], 'sigmoid', 3);
    expect(m.epoch).toBe(3);
    expect(m.wrong).toBe(15);
    expect(m.examples).toHaveLength(MISTAKES_KEPT);
    expect(m.examples[0]).toEqual({ text: 'é'.repeat(MISTAKE_TEXT_CHARS - 1), label: '1', predicted: '0', probability: 1 - 0.001, truncated: true });
    // Row 14 (text 13) says 0 with 1 − (0.4 − 0.13) = 0.73; row 13 (text 12) says 1 with 0.72.
    expect(m.examples[1]).toEqual({ text: 'text 13', label: '1', predicted: '0', probability: 1 - (0.4 - 13 / 100) });
    expect(m.examples[2]).toEqual({ text: 'text 12', label: '0', predicted: '1', probability: 0.6 + 12 / 100 });
    const ps = m.examples.map((e) => e.probability);
    expect(ps).toEqual([...ps].sort((a, b) => b - a));
  });
});
