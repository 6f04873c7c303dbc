import { basename, dirname, resolve } from 'node:path';
import { compileProgram } from '../../compile/compile.js';
import { optString, UsageError, type ParsedArgs } from '../args.js';
import { EXIT_OK } from '../exit.js';
import { frontEnd } from '../frontend.js';
import { summaryJson, summaryTable } from '../format.js';
import type { Io } from '../io.js';
import { runtimeFromArgs, runtimeLines } from '../runtime.js';

/** `rnnc compile FILE -o DIR`: model.json + weights.bin + spec.json, written atomically. */
export async function runCompile(io: Io, args: ParsedArgs): Promise<number> {
  const file = args.positionals[0]!;
  const out = optString(args, 'out');
  if (!out) throw new UsageError('missing -o DIR (where to write model.json, weights.bin and spec.json)');
  const fe = frontEnd(io, file, args);
  if ('exit' in fe) return fe.exit;
  const { program, analysis } = fe.result;
  const compiled = await compileProgram(program!, {
    ...runtimeFromArgs(args),
    baseDir: dirname(resolve(file)),
    outDir: out,
  });
  for (const l of runtimeLines(compiled)) io.err(`${l}\n`);
  if (optString(args, 'format') === 'json') io.out(`${JSON.stringify(summaryJson(analysis!), null, 2)}\n`);
  else io.out(`${summaryTable(basename(file), analysis!, program!.layers)}\n`);
  io.err(`wrote ${out}/model.json, ${out}/weights.bin, ${out}/spec.json\n`);
  const pretrained = program!.layers.find((l) => l.kind === 'embedding' && l.pretrained !== undefined);
  if (pretrained?.kind === 'embedding' && pretrained.pretrained) {
    // Vectors are rows of the vocabulary, which only training builds (from the data).
    const from = pretrained.pretrained.source === 'vectors' ? `the vectors in ${pretrained.pretrained.path}` : `the embedding of ${pretrained.pretrained.path}`;
    io.err(
      `note: the embedding is random in this compiled model: ${from} are applied by \`rnnc train\`, ` +
        `which builds the vocabulary from the data and fills each word's row\n`,
    );
  }
  compiled.model.dispose();
  return EXIT_OK;
}
