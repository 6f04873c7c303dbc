import { publish } from '../../artifacts/store.js';
import { fail } from '../../diagnostics/error.js';
import { isWithin, realLocation } from '../../util/paths.js';
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
  if (isWithin(await realLocation(dir), await realLocation(out))) {
    // The model folder's store would take over DIR (it holds a model.json) and drop the export's own files.
    throw fail('CannotWrite', `cannot write ${out}: it would replace ${dir}, the export being read`, { file: out, help: 'give the model folder another name, e.g. -o imported' });
  }
  const { importPytorch } = await import('../../export/pytorch/import.js');
  const model = await importPytorch(dir);
  await publish(out, model.files, { finished: true });
  io.err(`wrote ${out}: ${Object.keys(model.files).join(', ')} (${model.tensors} tensors from ${dir})\n`);
  if (!model.hasVocab) io.err(`note: ${dir} has no vocab.json, so ${out} has none: predict and eval need one\n`);
  return EXIT_OK;
}
