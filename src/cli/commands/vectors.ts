import { join } from 'node:path';
import { ModelFolder } from '../../artifacts/model-folder.js';
import { embeddingToVec } from '../../train/embedding-init.js';
import { optString, UsageError, type ParsedArgs } from '../args.js';
import { EXIT_OK } from '../exit.js';
import { writeOutputFile, type Io } from '../io.js';

/** `rnnc vectors DIR -o FILE.vec`: a trained model's embedding as a fastText/word2vec text file. */
export async function runVectors(io: Io, args: ParsedArgs): Promise<number> {
  const dir = args.positionals[0]!;
  const out = optString(args, 'out');
  if (!out) throw new UsageError('missing -o FILE.vec');
  const stored = await (await ModelFolder.open(dir)).embedding();
  const text = embeddingToVec(stored);
  writeOutputFile(out, text, join(out, 'embedding.vec'));
  const words = Number(text.slice(0, text.indexOf(' ')));
  io.err(`wrote ${out}: ${words} words × ${stored.dim} dimensions\n`);
  return EXIT_OK;
}
