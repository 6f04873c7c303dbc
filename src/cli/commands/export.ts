import { realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ModelFolder } from '../../artifacts/model-folder.js';
import { VOCAB_JSON } from '../../artifacts/layout.js';
import { fail } from '../../diagnostics/error.js';
import { exportOnnx, INPUT, OPSET, OUTPUT } from '../../export/onnx.js';
import { RNNC_VERSION } from '../../train/checkpoint.js';
import { formatCount } from '../../util/numbers.js';
import { optString, UsageError, type ParsedArgs } from '../args.js';
import { EXIT_OK } from '../exit.js';
import { writeOutputFile, type Io } from '../io.js';

/**
 * `rnnc export DIR --format onnx -o FILE`: the model as an ONNX graph (src/export/), and the
 * folder's vocab.json beside the file, so that whoever runs it can turn text into ids.
 */
export async function runExport(io: Io, args: ParsedArgs): Promise<number> {
  const dir = args.positionals[0]!;
  const format = optString(args, 'format') ?? 'onnx';
  if (format !== 'onnx') throw new UsageError(`--format must be onnx, got ${format}`);
  const out = optString(args, 'out');
  if (!out) throw new UsageError('missing -o FILE (the .onnx file to write, e.g. -o model.onnx)');
  const folder = await ModelFolder.open(dir);
  const vocabOut = join(dirname(out), VOCAB_JSON);
  if (resolve(vocabOut) === resolve(out)) throw new UsageError(`-o ${out}: vocab.json is written beside the model; give the model another name, e.g. model.onnx`);
  if ((await realpath(dirname(resolve(out))).catch(() => '')) === folder.path) {
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
