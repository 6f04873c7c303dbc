import { formatMetrics } from '../../train/metrics.js';
import { optString, UsageError, type ParsedArgs } from '../args.js';
import { evaluateWith, openPredictor } from '../engine.js';
import { EXIT_OK } from '../exit.js';
import type { Io } from '../io.js';
import { readDataReported } from '../run-data.js';

/** `rnnc eval DIR --data PATH`: accuracy, precision, recall, F1, confusion matrix and loss of a trained model. */
export async function runEval(io: Io, args: ParsedArgs): Promise<number> {
  const dir = args.positionals[0]!;
  const data = optString(args, 'data');
  if (!data) throw new UsageError('missing --data PATH (labelled examples to evaluate on)');
  const ds = await readDataReported(io, data, { labelColumn: optString(args, 'label-column'), textColumn: optString(args, 'text-column') });
  const trained = await openPredictor(dir, args);
  for (const l of trained.lines) io.err(`${l}\n`);
  const m = await evaluateWith(trained, ds.examples, data);
  await trained.close();
  if (optString(args, 'format') === 'json') {
    io.out(`${JSON.stringify({ data, problems: ds.problems.length, ...m }, null, 2)}\n`);
  } else {
    io.out(`${formatMetrics(m).join('\n')}\n`);
  }
  return EXIT_OK;
}
