import type { Example } from './readers.js';
import { seededRandom, shuffleInPlace } from '../util/random.js';

/**
 * The embedded default corpus: movie-review-like sentences that rnnc generates itself, so that
 * `rnnc train SPEC` works on a fresh clone with no data and no network.
 *
 * Design: each sentence is built around one or two opinion clauses ("the acting is truly
 * wonderful", "i did n't enjoy the plot", "a tedious script") with optional intensifiers,
 * negation and neutral filler ("i saw it on a rainy sunday"). The label is the sentence's
 * sentiment: a negated clause flips its adjective or verb, and in "X , but Y" the clause after
 * `but` decides, as readers do. So a bag of words is not enough to get every sentence right —
 * word order matters, which is what a recurrent model is for — yet the task is easy enough to
 * learn in well under a minute. Labels are "1" (positive) and "0" (negative), balanced.
 * The sequence of sentences depends only on the seed (mulberry32), the same on every platform.
 */

const POSITIVE_ADJECTIVES = [
  'great', 'wonderful', 'brilliant', 'moving', 'charming', 'delightful', 'superb', 'gripping',
  'funny', 'beautiful', 'clever', 'touching', 'stunning', 'fresh', 'smart', 'warm', 'powerful',
  'excellent', 'memorable', 'lovely', 'engaging', 'witty', 'thrilling', 'heartfelt', 'masterful',
];
const NEGATIVE_ADJECTIVES = [
  'dull', 'boring', 'awful', 'clumsy', 'tedious', 'bland', 'predictable', 'forgettable', 'messy',
  'lifeless', 'terrible', 'silly', 'flat', 'slow', 'painful', 'weak', 'shallow', 'pointless',
  'tiresome', 'stale', 'mediocre', 'lazy', 'confusing', 'hollow', 'dreadful',
];
/** Verbs as [past, base] so that "i loved" and "i did n't love" both read naturally. */
const POSITIVE_VERBS: readonly [string, string][] = [
  ['loved', 'love'], ['enjoyed', 'enjoy'], ['liked', 'like'], ['admired', 'admire'], ['adored', 'adore'],
];
const NEGATIVE_VERBS: readonly [string, string][] = [
  ['hated', 'hate'], ['disliked', 'dislike'], ['regretted', 'regret'], ['resented', 'resent'],
];
const NOUNS = [
  'film', 'movie', 'story', 'script', 'acting', 'cast', 'direction', 'soundtrack', 'ending', 'plot',
  'dialogue', 'performance', 'pacing', 'camera work', 'humor', 'score', 'lead', 'villain', 'premise', 'sequel',
];
const INTENSIFIERS = ['very', 'really', 'truly', 'utterly', 'remarkably', 'quite', 'deeply', 'genuinely', 'thoroughly', 'so'];
const SUBJECTS = ['i', 'we', 'my friends', 'the audience', 'everyone i know', 'my family'];
const BE_NEGATIONS = ['not', "n't", 'never', 'hardly'];
const FILLER_BEFORE = [
  'i saw it last weekend .', 'we went to the late show .', 'it opened on friday .', 'i watched it on a rainy sunday .',
  'based on a novel i never read .', 'the theater was half empty .', 'it runs about two hours .',
  'my sister picked this one .', 'after a long day at work ,', 'honestly ,', 'to be fair ,', 'well ,',
];
const FILLER_AFTER = [
  'i went home right after .', 'the popcorn was cold .', 'it is rated pg-13 .', 'the sequel comes out next year .',
  'we talked about it over dinner .', 'see it on the big screen .', 'that is all i have to say .',
];

/** How many examples `rnnc train` uses when no `--data` is given. */
export const DEMO_SIZE = 2000;
/** Seed of the embedded corpus (fixed: the corpus is part of rnnc, not of a run). */
export const DEMO_SEED = 20240601;
/**
 * Tokens in the longest demo sentence are fewer than this, so training on the demo corpus uses
 * it as `maxlen` unless the spec or `--maxlen` sets one (shorter sequences train faster).
 */
export const DEMO_MAXLEN = 32;
/** Where the corpus says it comes from in metrics.json and messages. */
export const DEMO_SOURCE = 'rnnc demo corpus (generated)';

export interface DemoCorpusOptions {
  /** Number of examples (default DEMO_SIZE); half positive, half negative. */
  size?: number;
  /** Default DEMO_SEED. */
  seed?: number;
}

type Pick = <T>(xs: readonly T[]) => T;

function article(phrase: string): string {
  return `${/^[aeiou]/.test(phrase) ? 'an' : 'a'} ${phrase}`;
}

/** One opinion clause with the requested polarity (true = positive). */
function clause(positive: boolean, pick: Pick, chance: (p: number) => boolean): string {
  const negate = chance(0.3);
  // A negated clause carries the opposite word: "not dull" is (mildly) positive.
  const wordPositive = negate ? !positive : positive;
  const adj = (): string => pick(wordPositive ? POSITIVE_ADJECTIVES : NEGATIVE_ADJECTIVES);
  const intens = (): string => (chance(0.35) ? `${pick(INTENSIFIERS)} ` : '');
  const noun = pick(NOUNS);
  switch (pick([0, 1, 2, 3, 4])) {
    case 0:
      return `the ${noun} is ${negate ? `${pick(BE_NEGATIONS)} ` : ''}${intens()}${adj()}`;
    case 1: {
      const [past, base] = pick(wordPositive ? POSITIVE_VERBS : NEGATIVE_VERBS);
      return negate ? `${pick(SUBJECTS)} did ${pick(["n't", 'not'])} ${base} the ${noun}` : `${pick(SUBJECTS)} ${past} the ${noun}`;
    }
    case 2:
      if (negate) return `the ${noun} was ${pick(BE_NEGATIONS)} ${intens()}${adj()} at all`;
      return article(`${intens()}${adj()} ${noun}`);
    case 3:
      return negate ? `nothing about the ${noun} felt ${adj()}` : `what ${article(`${adj()} ${noun}`)}`;
    default:
      return `the ${noun} ${negate ? `was ${pick(['not', 'never'])}` : 'felt'} ${intens()}${adj()}`;
  }
}

function sentence(positive: boolean, pick: Pick, chance: (p: number) => boolean): string {
  const parts: string[] = [];
  if (chance(0.3)) parts.push(pick(FILLER_BEFORE));
  if (chance(0.35)) {
    // "X , but Y": the clause after `but` decides.
    parts.push(`${clause(!positive, pick, chance)} , but ${clause(positive, pick, chance)}`);
  } else if (chance(0.3)) {
    parts.push(`${clause(positive, pick, chance)} and ${clause(positive, pick, chance)}`);
  } else {
    parts.push(clause(positive, pick, chance));
  }
  parts.push(pick(['.', '.', '.', '!', '']));
  if (chance(0.2)) parts.push(pick(FILLER_AFTER));
  return parts.filter((p) => p !== '').join(' ');
}

/** Generates the labelled demo corpus ("1" positive, "0" negative), shuffled, deterministic. */
export function demoCorpus(opts: DemoCorpusOptions = {}): Example[] {
  const size = opts.size ?? DEMO_SIZE;
  const random = seededRandom(opts.seed ?? DEMO_SEED);
  const pick: Pick = (xs) => xs[Math.floor(random() * xs.length)]!;
  const chance = (p: number): boolean => random() < p;
  const out: Example[] = [];
  for (let i = 0; i < size; i++) {
    const positive = i % 2 === 0;
    out.push({ text: sentence(positive, pick, chance), label: positive ? '1' : '0' });
  }
  return shuffleInPlace(out, random);
}

/** The corpus as a `label<TAB>text` TSV with a header (what `rnnc data demo` writes). */
export function demoCorpusTsv(opts: DemoCorpusOptions = {}): string {
  return `label\ttext\n${demoCorpus(opts).map((e) => `${e.label}\t${e.text}\n`).join('')}`;
}
