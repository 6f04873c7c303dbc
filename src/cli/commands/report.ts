import { basename, join, resolve } from 'node:path';
import { hasErrors } from '../../diagnostics/types.js';
import { drawModel } from '../../draw/draw.js';
import { checkText } from '../../program.js';
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
  const modelSvg = drawingOf(dir, report.spec);
  const page = await renderModelReport(report, modelSvg === undefined ? {} : { modelSvg });
  if (out === '-') {
    io.out(page);
    return EXIT_OK;
  }
  writeOutputFile(out, page, join(out, 'report.html'));
  io.err(`wrote ${out}\n`);
  return EXIT_OK;
}

/**
 * The model as `rnnc draw` draws it, from the folder's spec.json (checked like a `.rnn.json`
 * file); none when the folder has no spec.json or it no longer checks (the page says so).
 */
function drawingOf(dir: string, spec: Record<string, unknown> | undefined): string | undefined {
  if (spec === undefined) return undefined;
  const r = checkText(JSON.stringify(spec), { fileName: join(dir, 'spec.json') });
  if (hasErrors(r.diagnostics) || !r.program || !r.analysis) return undefined;
  return drawModel({ program: r.program, analysis: r.analysis }, basename(resolve(dir))).svg;
}
