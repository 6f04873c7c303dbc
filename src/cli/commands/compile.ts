import { basename, dirname, resolve } from 'node:path';
import { diag } from '../../diagnostics/codes.js';
import { compileProgram, CompileError } from '../../compile/compile.js';
import { optString, type ParsedArgs } from '../args.js';
import { EXIT_OK, EXIT_USAGE, frontEnd } from '../frontend.js';
import { summaryJson, summaryTable } from '../format.js';
import { printDiagnostics, type Io } from '../io.js';
import { runtimeFromArgs, runtimeLines } from '../runtime.js';

/** `rnnc compile FILE -o DIR`: model.json + weights.bin + spec.json, written atomically. */
export async function runCompile(io: Io, args: ParsedArgs): Promise<number> {
  const file = args.positionals[0]!;
  const out = optString(args, 'out');
  if (!out) {
    io.err('rnnc compile: missing -o DIR (where to write model.json, weights.bin and spec.json)\n');
    return EXIT_USAGE;
  }
  const fe = frontEnd(io, file, args);
  if ('exit' in fe) return fe.exit;
  const { program, analysis } = fe.result;
  try {
    const compiled = await compileProgram(program!, {
      ...runtimeFromArgs(args),
      baseDir: dirname(resolve(file)),
      outDir: out,
    });
    for (const l of runtimeLines(compiled)) io.err(`${l}\n`);
    if (optString(args, 'format') === 'json') io.out(`${JSON.stringify(summaryJson(analysis!), null, 2)}\n`);
    else io.out(`${summaryTable(basename(file), analysis!, program!.layers)}\n`);
    io.err(`wrote ${out}/model.json, ${out}/weights.bin, ${out}/spec.json\n`);
    return EXIT_OK;
  } catch (e) {
    if (e instanceof CompileError) {
      printDiagnostics(io, file, '', [diag(e.codeName, { start: 0, end: 0 }, e.message, e.help ? { help: e.help } : {})]);
      return EXIT_USAGE;
    }
    throw e;
  }
}
