import type * as Tf from '@tensorflow/tfjs';
import { resolveSourcePath } from '../util/paths.js';
import type { EmbeddingLayer, OovPolicy, Program } from '../ir/types.js';
import { ModelFolder, type StoredEmbedding } from '../artifacts/model-folder.js';
import { fail } from '../diagnostics/error.js';
import { coverageMessage, loadVectors } from '../vectors/load.js';
import { OOV_ID, OOV_TOKEN, PAD_ID, type Vocab } from '../text/vocab.js';

type TfModule = typeof Tf;

/** The IR's default OOV policy for `vectors(…)` (docs/language.md). */
export const DEFAULT_OOV: OovPolicy = 'random';

/** What filling the embedding did, for the run's messages and metrics.json. */
export interface EmbeddingInitReport {
  source: 'vectors' | 'model';
  /** Absolute path of the vectors file or the source model directory. */
  path: string;
  /** Vocabulary words (padding and the unknown-word id excluded) that got a row from the source. */
  found: number;
  total: number;
  /** "found 18,734 of 20,000 words (93.7%)". */
  coverage: string;
  /** How rows of words the source lacks were filled. */
  oov: OovPolicy;
  frozen: boolean;
  /** Vectors files: the detected format. */
  format?: string;
  /** A few words the source had no row for, most frequent first. */
  missingExamples: string[];
}

function embeddingOf(program: Program): EmbeddingLayer {
  const first = program.layers[0];
  if (!first || first.kind !== 'embedding') throw new Error('the program must start with an embedding');
  return first;
}

/**
 * Fills the model's embedding from its pretrained source, if it has one: word vectors
 * (streamed; only the vocabulary's words are kept) or another trained rnnc model (rows aligned
 * **by word** through the two vocabularies, not by id). Rows of words the source lacks follow
 * the OOV policy: for vectors the `oov:` of `vectors(…)` (default `random`, ±0.05 uniform from
 * `seed`); for a model source they keep the layer's own random initialisation (the same
 * distribution). Ids the vocabulary does not use (a vocabulary smaller than `input_dim`) keep
 * their initial values. `frozen` is already in the built layer (non-trainable).
 * Returns undefined for an embedding without a source.
 */
export async function initEmbedding(
  tf: TfModule,
  model: Tf.LayersModel,
  program: Program,
  vocab: Vocab,
  opts: { baseDir: string; seed: number },
): Promise<EmbeddingInitReport | undefined> {
  const layer = embeddingOf(program);
  const source = layer.pretrained;
  if (!source) return undefined;
  const path = resolveSourcePath(source.path, opts.baseDir);
  const tfLayer = model.layers[0]!;
  const current = tfLayer.getWeights()[0]!;
  const [inputDim, dim] = current.shape as [number, number];
  const matrix = (await current.data()).slice() as Float32Array;
  const rows = Math.min(vocab.size, inputDim);

  let report: EmbeddingInitReport;
  if (source.source === 'vectors') {
    const oov = source.oov ?? DEFAULT_OOV;
    const loaded = await loadVectors(path, vocab, { format: source.format ?? 'auto', oov, expectedDim: dim, seed: opts.seed });
    matrix.set(loaded.matrix.subarray(0, rows * dim), 0);
    report = {
      source: 'vectors',
      path,
      found: loaded.found,
      total: loaded.total,
      coverage: coverageMessage(loaded.found, loaded.total),
      oov,
      frozen: !layer.trainable,
      format: loaded.format,
      missingExamples: loaded.missingExamples,
    };
  } else {
    const stored = await (await ModelFolder.open(path)).embedding();
    if (stored.dim !== dim) {
      throw fail('DimMismatch', `${path}: its embedding has ${stored.dim} dimensions, but this model's has ${dim}`, { file: path });
    }
    const sourceIds = new Map<string, number>();
    stored.vocab.words.forEach((w, i) => {
      if (i < stored.inputDim) sourceIds.set(w, i);
    });
    let found = 0;
    let total = 0;
    const missingExamples: string[] = [];
    for (let id = 0; id < rows; id++) {
      const word = vocab.words[id]!;
      const counted = id !== PAD_ID && !(id === OOV_ID && word === OOV_TOKEN);
      if (counted) total++;
      const sid = sourceIds.get(word);
      if (sid === undefined) {
        if (counted && missingExamples.length < 10) missingExamples.push(word);
        continue;
      }
      if (counted) found++;
      matrix.set(stored.matrix.subarray(sid * dim, sid * dim + dim), id * dim);
    }
    report = {
      source: 'model',
      path,
      found,
      total,
      coverage: coverageMessage(found, total),
      oov: 'random',
      frozen: !layer.trainable,
      missingExamples,
    };
  }
  const t = tf.tensor2d(matrix, [inputDim, dim]);
  tfLayer.setWeights([t]);
  t.dispose();
  return report;
}

/** One number of a `.vec` file: 6 significant digits, no exponent noise for small values. */
function formatValue(v: number): string {
  if (v === 0) return '0';
  const s = v.toPrecision(6);
  return s.includes('e') ? String(Number(s)) : s.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

/**
 * A trained model's embedding as a fastText/word2vec text `.vec` file (`count dim` header,
 * then `word v1 … vdim`), one line per vocabulary word in id order; the padding and
 * unknown-word rows are left out.
 */
export function embeddingToVec(stored: StoredEmbedding): string {
  const lines: string[] = [];
  const n = Math.min(stored.vocab.size, stored.inputDim);
  for (let id = 0; id < n; id++) {
    const word = stored.vocab.words[id]!;
    if (id === PAD_ID || (id === OOV_ID && word === OOV_TOKEN)) continue;
    // A word containing whitespace cannot be written in this format (readers split on it).
    if (/\s/.test(word)) continue;
    const row = stored.matrix.subarray(id * stored.dim, (id + 1) * stored.dim);
    lines.push(`${word} ${Array.from(row, formatValue).join(' ')}`);
  }
  return `${lines.length} ${stored.dim}\n${lines.join('\n')}\n`;
}
