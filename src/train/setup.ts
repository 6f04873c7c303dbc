import { createHash } from 'node:crypto';
import { fail } from '../diagnostics/error.js';
import type { Layer, Program } from '../ir/types.js';
import { deriveSeed, seededRandom, shuffleInPlace } from '../util/random.js';
import type { HeadKind } from './metrics.js';
import { compareLabels, type Example } from '../data/readers.js';
import type { EffectiveSettings } from './settings.js';

// Seeds for the independent random streams of one run, mixed with the run's seed.
export const STREAM_SPLIT = 0x5911;
export const STREAM_TEST = 0x7e57;
export const STREAM_INIT = 0x1417;
export const STREAM_SHUFFLE = 0x5b0f;
export const STREAM_STEP = 0x57e9;

/** The classifier head of a program: sigmoid (1 unit) or softmax (k units). Throws NotTrainable (E3029) otherwise. */
export function headOf(program: Program): { kind: HeadKind; units: number } {
  const last: Layer | undefined = program.layers[program.layers.length - 1];
  if (!last || last.kind !== 'dense') {
    throw fail('NotTrainable', 'cannot train: the model does not end with a `dense` classifier head', {
      help: 'end the pipeline with `dense(1)` (binary) or `dense(N)` (N classes)',
    });
  }
  if (last.units === 1 && last.activation === 'sigmoid') return { kind: 'sigmoid', units: 1 };
  if (last.units > 1 && last.activation === 'softmax') return { kind: 'softmax', units: last.units };
  throw fail('NotTrainable', `cannot train: the head \`dense(${last.units}, ${last.activation})\` is not a classifier (sigmoid with 1 unit, or softmax with one unit per class)`, {
    help: 'leave out the activation of the last `dense`: rnnc picks sigmoid or softmax',
  });
}

/** Checks that the labels fit the head and the loss; returns the tfjs loss name. */
export function lossFor(head: { kind: HeadKind; units: number }, labels: readonly string[], settings: EffectiveSettings): string {
  const shown = labels.length <= 6 ? `: ${labels.map((l) => JSON.stringify(l)).join(', ')}` : '';
  if (labels.length < 2) {
    throw fail('BadData', `the training data has ${labels.length === 0 ? 'no labels' : `only one label${shown}`}; a classifier needs at least two`);
  }
  if (head.kind === 'sigmoid' && labels.length !== 2) {
    throw fail('BadData', `the data has ${labels.length} labels${shown}, but the model's head \`dense(1)\` is binary (two labels)`, {
      help: `end the model with \`dense(${labels.length})\` (softmax over ${labels.length} classes)`,
    });
  }
  if (head.kind === 'softmax' && labels.length !== head.units) {
    throw fail('BadData', `the data has ${labels.length} labels${shown}, but the model's head \`dense(${head.units})\` has ${head.units} classes`, {
      help: `end the model with \`dense(${labels.length === 2 ? 1 : labels.length})\``,
    });
  }
  const loss = settings.loss === 'auto' ? (head.kind === 'sigmoid' ? 'binary_crossentropy' : 'sparse_categorical_crossentropy') : settings.loss;
  if ((loss === 'binary_crossentropy') !== (head.kind === 'sigmoid')) {
    throw fail('BadTrainValue', `loss ${loss} does not fit the model's ${head.kind === 'sigmoid' ? 'sigmoid (binary)' : 'softmax'} head`, { help: 'use `loss: auto`' });
  }
  return { binary_crossentropy: 'binaryCrossentropy', categorical_crossentropy: 'categoricalCrossentropy', sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy' }[loss];
}

/** Distinct labels in reader order (numbers numerically, then text). */
export function labelsOf(...sets: Example[][]): string[] {
  const s = new Set<string>();
  for (const set of sets) for (const e of set) s.add(e.label);
  return [...s].sort(compareLabels);
}

/**
 * Splits examples into train and held-out parts with a seeded shuffle: `fraction` of them
 * (rounded) are held out. `stream` separates the test split of `rnnc experiment` from the
 * validation split, so both are fixed by the same seed without being the same rows.
 */
export function seededSplit(examples: readonly Example[], fraction: number, seed: number, stream: 'val' | 'test' = 'val'): { kept: Example[]; held: Example[] } {
  const order = shuffleInPlace(
    examples.map((_, i) => i),
    seededRandom(deriveSeed(seed, stream === 'val' ? STREAM_SPLIT : STREAM_TEST)),
  );
  const nHeld = Math.round(examples.length * fraction);
  const heldIdx = new Set(order.slice(0, nHeld));
  const kept: Example[] = [];
  const held: Example[] = [];
  // Original order within each part: the split only chooses rows.
  examples.forEach((e, i) => (heldIdx.has(i) ? held : kept).push(e));
  return { kept, held };
}

/** A hash of examples (label and text, in order): `--resume` refuses other data. */
export function fingerprint(examples: readonly Example[]): string {
  const h = createHash('sha256');
  for (const e of examples) h.update(`${e.label}\t${e.text}\n`);
  return h.digest('hex');
}
