/**
 * What metrics.json records about a run's data and validation predictions beyond the metrics
 * themselves, for `rnnc report`: how many examples of each label each split has, how much of
 * the validation text the vocabulary covers, and the validation examples the kept model gets
 * most confidently wrong. All of it is computed from what the trainer already has (the split,
 * the vocabulary, the validation probabilities), so recording it costs no extra inference.
 */
import type { Example } from '../data/readers.js';
import type { Vocab } from '../text/vocab.js';
import { confidentMistakes, type HeadKind } from './metrics.js';

/** How many confidently wrong validation examples metrics.json keeps. */
export const MISTAKES_KEPT = 10;

/** A kept example's text is cut to this many characters (reviews can be pages long). */
export const MISTAKE_TEXT_CHARS = 1000;

/** One wrong validation prediction, as metrics.json stores it. */
export interface MistakeRecord {
  text: string;
  /** The true label. */
  label: string;
  predicted: string;
  /** The probability the model gave to `predicted`. */
  probability: number;
  /** Present (true) when `text` was cut to {@link MISTAKE_TEXT_CHARS} characters. */
  truncated?: true;
}

/** metrics.json `validation_mistakes`: the kept epoch's most confident wrong predictions. */
export interface ValidationMistakes {
  /** The epoch whose weights made the predictions (the kept one). */
  epoch: number;
  /** Wrong predictions in all of the validation data. */
  wrong: number;
  /** At most {@link MISTAKES_KEPT}, most confident first. */
  examples: MistakeRecord[];
}

/** metrics.json `vocab.validation_coverage`: the share of validation tokens the vocabulary knows. */
export interface CoverageRecord {
  tokens: number;
  known_tokens: number;
  token_rate: number;
  types: number;
  known_types: number;
  type_rate: number;
}

/** Examples per label, in the order of `labels` (labels the examples lack count 0). */
export function labelCounts(examples: readonly Example[], labels: readonly string[]): number[] {
  const index = new Map(labels.map((l, i) => [l, i]));
  const counts = new Array<number>(labels.length).fill(0);
  for (const e of examples) {
    const i = index.get(e.label);
    if (i !== undefined) counts[i]!++;
  }
  return counts;
}

/** How much of `examples`' text the vocabulary covers (tokens and distinct tokens with an id of their own). */
export function coverageRecord(vocab: Vocab, examples: readonly Example[]): CoverageRecord {
  const c = vocab.coverage(examples.map((e) => e.text));
  return { tokens: c.tokens, known_tokens: c.knownTokens, token_rate: c.tokenRate, types: c.types, known_types: c.knownTypes, type_rate: c.typeRate };
}

/** The most confident wrong predictions among `examples`, from their probabilities and true class indices. */
export function validationMistakes(
  examples: readonly Example[],
  probs: ArrayLike<number>,
  truth: ArrayLike<number>,
  labels: readonly string[],
  head: HeadKind,
  epoch: number,
): ValidationMistakes {
  const { wrong, top } = confidentMistakes(probs, truth, head, labels.length, MISTAKES_KEPT);
  const records = top.map((m): MistakeRecord => {
    const text = examples[m.index]!.text;
    const cut = text.length > MISTAKE_TEXT_CHARS;
    return {
      text: cut ? cutText(text, MISTAKE_TEXT_CHARS) : text,
      label: labels[m.truth]!,
      predicted: labels[m.predicted]!,
      probability: m.probability,
      ...(cut ? { truncated: true as const } : {}),
    };
  });
  return { epoch, wrong, examples: records };
}

/** The first `n` UTF-16 units of `text`, one fewer if the cut would split a surrogate pair. */
function cutText(text: string, n: number): string {
  const last = text.charCodeAt(n - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? n - 1 : n);
}
