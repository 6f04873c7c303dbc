/**
 * Classification metrics from predicted probabilities, computed in plain JS so that training,
 * `rnnc eval` and `rnnc experiment` report the same numbers the same way.
 *
 * Conventions:
 * - Labels are the model's class list (vocab.json `labels`, sorted as the data reader sorts
 *   them: numbers numerically, then text). A sigmoid head (1 unit) outputs P(labels[1]): the
 *   **positive class is the second sorted label** — `1` of 0/1, `pos` of neg/pos, `true` of
 *   false/true. A softmax head outputs one probability per label, in that order.
 * - Binary: precision, recall and F1 are those of the positive class, and a text is predicted
 *   positive when p > 0.5 (as Keras's binary accuracy; p = 0.5 counts as negative).
 * - Multi-class: the predicted class is the arg-max (first on ties); precision, recall and F1
 *   are macro averages (unweighted mean over classes, as scikit-learn's `average='macro'`).
 * - A precision or recall whose denominator is 0 is 0 (scikit-learn's `zero_division=0`).
 * - The confusion matrix has one row per true label and one column per predicted label.
 * - Loss is the mean cross-entropy with probabilities clipped to [1e-7, 1 − 1e-7], as Keras
 *   and tfjs clip (`epsilon()`).
 */

/** Keras's `epsilon()`: probabilities are clipped to [EPSILON, 1 − EPSILON] before the log. */
export const EPSILON = 1e-7;

/** What a model's last layer computes. */
export type HeadKind = 'sigmoid' | 'softmax';

/** The metrics of one set of predictions. */
export interface Metrics {
  /** Number of examples. */
  count: number;
  loss: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** `binary`: of the positive class; `macro`: unweighted means over classes. */
  averaging: 'binary' | 'macro';
  /** The positive class (binary only). */
  positive?: string;
  labels: string[];
  /** confusion[true][predicted], indices into `labels`. */
  confusion: number[][];
}

/**
 * Predicted class index of row `i`: for a sigmoid head 1 when p > 0.5; for softmax the arg-max.
 * `probs` is `n` values (sigmoid) or `n × k` row-major (softmax).
 */
export function predictedClass(probs: ArrayLike<number>, i: number, head: HeadKind, classes: number): number {
  if (head === 'sigmoid') return probs[i]! > 0.5 ? 1 : 0;
  let best = 0;
  for (let c = 1; c < classes; c++) if (probs[i * classes + c]! > probs[i * classes + best]!) best = c;
  return best;
}

/** The probability a model gives to class `c` for row `i`. */
export function classProbability(probs: ArrayLike<number>, i: number, c: number, head: HeadKind, classes: number): number {
  if (head === 'sigmoid') return c === 1 ? probs[i]! : 1 - probs[i]!;
  return probs[i * classes + c]!;
}

/** What `rnnc predict --format json` and `rnnc serve` say of one text. */
export interface Prediction {
  label: string;
  /** The probability of `label`. */
  probability: number;
  /** Every label's probability, in the model's label order. */
  probabilities: Record<string, number>;
}

/** The prediction for row `i` of `probs` (see {@link predictedClass}), with every class's probability. */
export function predictionOf(probs: ArrayLike<number>, i: number, labels: readonly string[], head: HeadKind): Prediction {
  const c = predictedClass(probs, i, head, labels.length);
  return {
    label: labels[c]!,
    probability: classProbability(probs, i, c, head, labels.length),
    probabilities: Object.fromEntries(labels.map((l, k) => [l, classProbability(probs, i, k, head, labels.length)])),
  };
}

/** Mean cross-entropy (binary for sigmoid heads, categorical for softmax) with Keras's clipping. */
export function crossEntropy(probs: ArrayLike<number>, truth: ArrayLike<number>, head: HeadKind, classes: number): number {
  const n = truth.length;
  if (n === 0) return 0;
  const clip = (p: number): number => Math.min(Math.max(p, EPSILON), 1 - EPSILON);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const y = truth[i]!;
    if (head === 'sigmoid') {
      const p = clip(probs[i]!);
      sum -= y === 1 ? Math.log(p) : Math.log(1 - p);
    } else {
      sum -= Math.log(clip(probs[i * classes + y]!));
    }
  }
  return sum / n;
}

/** a / b, or 0 when b is 0 (scikit-learn's `zero_division=0`). */
const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/**
 * Accuracy, precision, recall, F1, confusion matrix and loss of predictions `probs` against
 * true class indices `truth` (see the module comment for the conventions).
 */
export function computeMetrics(probs: ArrayLike<number>, truth: ArrayLike<number>, labels: readonly string[], head: HeadKind): Metrics {
  const k = labels.length;
  const n = truth.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const p = predictedClass(probs, i, head, k);
    const t = truth[i]!;
    confusion[t]![p]!++;
    if (p === t) correct++;
  }
  const all = perClassMetrics(confusion);
  const base = { count: n, loss: crossEntropy(probs, truth, head, k), accuracy: ratio(correct, n), labels: [...labels], confusion };
  if (head === 'sigmoid') {
    const { precision, recall, f1 } = all[1]!;
    return { ...base, precision, recall, f1, averaging: 'binary', positive: labels[1] };
  }
  const mean = (f: (m: ClassMetrics) => number): number => all.reduce((s, m) => s + f(m), 0) / k;
  return { ...base, precision: mean((m) => m.precision), recall: mean((m) => m.recall), f1: mean((m) => m.f1), averaging: 'macro' };
}

/** One class's precision, recall and F1 (that class taken as positive), and its true count. */
export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Examples whose true label is the class (the row's sum). */
  support: number;
}

/**
 * Each class's metrics from a confusion matrix (`confusion[true][predicted]`), with the module's
 * conventions (a zero denominator gives 0). computeMetrics averages them; `rnnc report` shows
 * them per class.
 */
export function perClassMetrics(confusion: readonly (readonly number[])[]): ClassMetrics[] {
  return confusion.map((row, c) => {
    const tp = row[c] ?? 0;
    const predicted = confusion.reduce((s, r) => s + (r[c] ?? 0), 0);
    const support = row.reduce((s, v) => s + v, 0);
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    return { precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
  });
}

/** A wrong prediction: row `index`, its true and predicted class, and the probability given to the prediction. */
export interface Mistake {
  index: number;
  truth: number;
  predicted: number;
  probability: number;
}

/**
 * The `n` most confident wrong predictions (highest probability given to the predicted class
 * first; on equal probabilities, the earlier row first), and how many predictions were wrong.
 */
export function confidentMistakes(probs: ArrayLike<number>, truth: ArrayLike<number>, head: HeadKind, classes: number, n: number): { wrong: number; top: Mistake[] } {
  const wrong: Mistake[] = [];
  for (let i = 0; i < truth.length; i++) {
    const predicted = predictedClass(probs, i, head, classes);
    if (predicted !== truth[i]) wrong.push({ index: i, truth: truth[i]!, predicted, probability: classProbability(probs, i, predicted, head, classes) });
  }
  wrong.sort((a, b) => b.probability - a.probability || a.index - b.index);
  return { wrong: wrong.length, top: wrong.slice(0, n) };
}

/** The metrics as text lines for `rnnc eval` and the end of `rnnc train`. */
export function formatMetrics(m: Metrics): string[] {
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  const what = m.averaging === 'binary' ? `positive class ${JSON.stringify(m.positive)}` : 'macro average';
  const lines = [
    `examples:  ${m.count}`,
    `loss:      ${m.loss.toFixed(4)}`,
    `accuracy:  ${pct(m.accuracy)}`,
    `precision: ${pct(m.precision)}  (${what})`,
    `recall:    ${pct(m.recall)}`,
    `f1:        ${pct(m.f1)}`,
    'confusion matrix (rows: true label, columns: predicted):',
  ];
  const cells = m.confusion.map((row) => row.map(String));
  const w = Math.max(...m.labels.map((l) => l.length), ...cells.flat().map((c) => c.length), 4);
  lines.push(`  ${''.padEnd(w)}  ${m.labels.map((l) => l.padStart(w)).join('  ')}`);
  m.labels.forEach((l, i) => lines.push(`  ${l.padEnd(w)}  ${cells[i]!.map((c) => c.padStart(w)).join('  ')}`));
  return lines;
}
