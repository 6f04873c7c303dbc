import { basename } from 'node:path';
import { optString, type ParsedArgs } from '../args.js';
import { EXIT_OK } from '../exit.js';
import { frontEnd } from '../frontend.js';
import { summaryJson, summaryTable } from '../format.js';
import type { Io } from '../io.js';

/** `rnnc summary FILE`: the Keras-style table, computed without TensorFlow. */
export function runSummary(io: Io, args: ParsedArgs): number {
  const file = args.positionals[0]!;
  const fe = frontEnd(io, file, args);
  if ('exit' in fe) return fe.exit;
  const { analysis, program } = fe.result;
  if (optString(args, 'format') === 'json') io.out(`${JSON.stringify(summaryJson(analysis!), null, 2)}\n`);
  else io.out(`${summaryTable(basename(file), analysis!, program!.layers)}\n`);
  return EXIT_OK;
}
