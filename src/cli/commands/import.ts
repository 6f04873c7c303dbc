import { publish } from '../../artifacts/store.js';
import { optString, UsageError, type ParsedArgs } from '../args.js';
import { EXIT_OK } from '../exit.js';
import type { Io } from '../io.js';

/**
 * `rnnc import DIR -o MODELDIR`: a PyTorch export folder (its train.py's output, or the export
 * itself) back to an rnnc model folder, written like every model folder (artifacts/store.ts).
 */
export async function runImport(io: Io, args: ParsedArgs): Promise<number> {
  const dir = args.positionals[0]!;
  const out = optString(args, 'out');
  if (!out) throw new UsageError('missing -o DIR (the model folder to write, e.g. -o out/imported)');
  const { importPytorch } = await import('../../export/pytorch/import.js');
  const model = await importPytorch(dir);
  await publish(out, model.files, { finished: true });
  io.err(`wrote ${out}: ${Object.keys(model.files).join(', ')} (${model.tensors} tensors from ${dir})\n`);
  if (!model.hasVocab) io.err(`note: ${dir} has no vocab.json, so ${out} has none: predict and eval need one\n`);
  return EXIT_OK;
}
