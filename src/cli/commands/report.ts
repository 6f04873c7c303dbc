import { join } from 'node:path';
import { renderModelReport } from '../../report/model-page.js';
import { readRunReport } from '../../report/read.js';
import { optString, UsageError, type ParsedArgs } from '../args.js';
import { EXIT_OK } from '../exit.js';
import { writeOutputFile, type Io } from '../io.js';

/**
 * `rnnc report DIR -o FILE.html`: one self-contained HTML page about a trained model folder,
 * drawn from its metrics.json and spec.json alone (no TensorFlow). `-o -` writes the page to
 * standard output.
 */
export async function runReport(io: Io, args: ParsedArgs): Promise<number> {
  const dir = args.positionals[0]!;
  const out = optString(args, 'out');
  if (!out) throw new UsageError('missing -o FILE.html (where to write the page; - for standard output)');
  const report = await readRunReport(dir);
  // The model drawing (src/draw) is not wired in yet: the page shows "drawing not available".
  const page = await renderModelReport(report);
  if (out === '-') {
    io.out(page);
    return EXIT_OK;
  }
  writeOutputFile(out, page, join(out, 'report.html'));
  io.err(`wrote ${out}\n`);
  return EXIT_OK;
}
