import { basename, dirname, join, resolve } from 'node:path';
import { isWithin, realLocation } from '../../util/paths.js';
import { ModelFolder } from '../../artifacts/model-folder.js';
import { VOCAB_JSON } from '../../artifacts/layout.js';
import { fail } from '../../diagnostics/error.js';
import { writeFolderAtomic } from '../../util/write-atomic.js';
import { exportOnnx, INPUT, OPSET, OUTPUT } from '../../export/onnx.js';
import { RNNC_VERSION } from '../../train/checkpoint.js';
import { formatCount } from '../../util/numbers.js';
import { optString, UsageError, type ParsedArgs } from '../args.js';
import { EXIT_OK } from '../exit.js';
import { writeOutputFile, type Io } from '../io.js';

/**
 * `rnnc export DIR --format onnx -o FILE`: the model as an ONNX graph (src/export/), and the
 * folder's vocab.json beside the file, so that whoever runs it can turn text into ids.
 * `--format pytorch -o OUTDIR`: a folder with the model as a PyTorch module, its weights and a
 * training script (src/export/pytorch/).
 */
export async function runExport(io: Io, args: ParsedArgs): Promise<number> {
  const dir = args.positionals[0]!;
  const format = optString(args, 'format') ?? 'onnx';
  if (format !== 'onnx' && format !== 'pytorch') throw new UsageError(`--format must be onnx or pytorch, got ${format}`);
  const out = optString(args, 'out');
  if (!out) throw new UsageError(format === 'onnx' ? 'missing -o FILE (the .onnx file to write, e.g. -o model.onnx)' : 'missing -o DIR (the folder to write, e.g. -o model-pytorch)');
  const folder = await ModelFolder.open(dir);
  if (format === 'pytorch') return exportToPytorch(io, folder, dir, out);
  const vocabOut = join(dirname(out), VOCAB_JSON);
  if (resolve(vocabOut) === resolve(out)) throw new UsageError(`-o ${out}: vocab.json is written beside the model; give the model another name, e.g. model.onnx`);
  if (isWithin(await realLocation(out), folder.path)) {
    // A model folder is replaced as a whole by the next train (artifacts/store.ts): a file
    // written into it would vanish then, and its vocab.json must stay the model's own.
    throw fail('CannotWrite', `cannot write ${out}: it is inside the model folder ${dir}`, { file: out, help: `write it elsewhere, e.g. -o ${join(dirname(dir), `${basename(resolve(dir))}.onnx`)}` });
  }
  const model = await exportOnnx(folder, RNNC_VERSION);
  writeOutputFile(out, model.bytes, 'model.onnx');
  io.err(
    `wrote ${out}: ONNX opset ${OPSET}, ${formatCount(model.bytes.length)} bytes; input \`${INPUT}\` int64 [batch, time], ` +
      `output \`${OUTPUT}\` float32 [batch, ${model.outputWidth}]\n`,
  );
  for (const l of model.layers) io.err(`  ${l.name}: ${l.onnx}\n`);
  if (model.vocabJson !== undefined) {
    writeOutputFile(vocabOut, model.vocabJson, VOCAB_JSON);
    io.err(`wrote ${vocabOut} (the tokenizer and labels: docs/model-folder.md)\n`);
  } else {
    io.err(`note: ${dir} has no vocab.json (a compiled model has no vocabulary until it is trained), so none was written beside ${out}\n`);
  }
  return EXIT_OK;
}

async function exportToPytorch(io: Io, folder: ModelFolder, dir: string, out: string): Promise<number> {
  const where = await realLocation(out);
  const cannot = (why: string, help: string) => fail('CannotWrite', `cannot write ${out}: ${why}`, { file: out, help });
  const elsewhere = `write it elsewhere, e.g. -o ${join(dirname(dir), `${basename(resolve(dir))}-pytorch`)}`;
  // A model folder is replaced as a whole by the next train (artifacts/store.ts): what is written
  // into it would vanish then. And replacing a folder that holds the model would delete it.
  if (isWithin(where, folder.path)) throw cannot(`it is inside the model folder ${dir}`, elsewhere);
  if (isWithin(folder.path, where)) throw cannot(`the model folder ${dir} is inside it, and the export replaces the folder whole`, elsewhere);
  const { exportPytorch, EXPORT_JSON, WEIGHTS_FILE } = await import('../../export/pytorch/export.js');
  const model = await exportPytorch(folder, RNNC_VERSION);
  // A folder an earlier export wrote is replaced whole, with what train.py leaves in it
  // (history.json, Python's cache); any other file in it is the user's, and stops the export.
  const ours = new Set([...model.files.keys(), 'history.json', '__pycache__']);
  writeFolderAtomic(
    out,
    model.files,
    (entries) => {
      const foreign = entries.filter((e) => !ours.has(e)).sort();
      if (foreign.length > 0) {
        const named = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? `, … (${foreign.length} in all)` : '');
        return { why: `it holds files an export does not write (${named}); refusing to replace them`, help: 'give a new folder, or move those files out of it' };
      }
      return entries.includes(EXPORT_JSON) && entries.includes(WEIGHTS_FILE) ? undefined : { why: 'it is a folder with other files; refusing to replace it' };
    },
    'give a new folder, or one an earlier `rnnc export --format pytorch` wrote',
  );
  io.err(`wrote ${out}/: model.py (the nn.Module), ${WEIGHTS_FILE}, train.py (torchrun / DDP), README.md\n`);
  for (const l of model.layers) io.err(`  ${l.name}: ${l.torch}\n`);
  if (!model.hasVocab) io.err(`note: ${dir} has no vocab.json (a compiled model has no vocabulary until it is trained): model.py runs on ids, but train.py needs one\n`);
  return EXIT_OK;
}
