import { join } from 'node:path';
import { EmbeddingInitError, embeddingToVec, readStoredEmbedding } from '../../train/embedding-init.js';
import { optString, UsageError, type ParsedArgs } from '../args.js';
import { EXIT_OK, EXIT_USAGE } from '../frontend.js';
import { writeOutputFile, type Io } from '../io.js';
import { handleError, reportError } from './train.js';

/** `rnnc vectors DIR -o FILE.vec`: a trained model's embedding as a fastText/word2vec text file. */
export async function runVectors(io: Io, args: ParsedArgs): Promise<number> {
  const dir = args.positionals[0]!;
  try {
    const out = optString(args, 'out');
    if (!out) throw new UsageError('missing -o FILE.vec');
    const stored = await readStoredEmbedding(dir);
    const text = embeddingToVec(stored);
    const problem = writeOutputFile(out, text, join(out, 'embedding.vec'));
    if (problem) return reportError(io, 'rnnc vectors', 'E4002', problem, EXIT_USAGE);
    const words = Number(text.slice(0, text.indexOf(' ')));
    io.err(`wrote ${out}: ${words} words × ${stored.dim} dimensions\n`);
    return EXIT_OK;
  } catch (e) {
    if (e instanceof EmbeddingInitError) return reportError(io, 'rnnc vectors', e.code, e.message, EXIT_USAGE);
    return handleError(io, 'vectors', e);
  }
}
