import { statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { SPEC_JSON } from '../../artifacts/layout.js';
import { ModelFolder } from '../../artifacts/model-folder.js';
import { hasErrors } from '../../diagnostics/types.js';
import { drawModel, type Drawable } from '../../draw/draw.js';
import { htmlPage } from '../../draw/html.js';
import { checkText } from '../../program.js';
import { optString, UsageError, type ParsedArgs } from '../args.js';
import { EXIT_ERRORS, EXIT_OK, exitCodeFor } from '../exit.js';
import { checkOptions, frontEnd } from '../frontend.js';
import { printDiagnostics, writeOutputFile, type Io } from '../io.js';

type DrawFormat = 'svg' | 'png' | 'html';

const BY_EXTENSION: Readonly<Record<string, DrawFormat>> = { '.svg': 'svg', '.png': 'png', '.html': 'html', '.htm': 'html' };

/** `--format`, else the extension of `-o`, else SVG; a contradiction between the two is a usage error. */
export function drawFormat(format: string | undefined, out: string | undefined): DrawFormat {
  const fromName = out === undefined ? undefined : BY_EXTENSION[extname(out).toLowerCase()];
  const given = format as DrawFormat | undefined;
  if (given && fromName && given !== fromName) throw new UsageError(`-o ${out} is a .${fromName} file name but --format is ${given}`);
  if (out !== undefined && !given && !fromName) throw new UsageError(`cannot tell the format from -o ${out}: name it .svg, .png or .html, or give --format svg|png|html`);
  const chosen = given ?? fromName ?? 'svg';
  if (chosen === 'png' && out === undefined) throw new UsageError('a PNG needs a file: -o FILE.png (SVG and HTML go to standard output without -o)');
  return chosen;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // missing: the front end reports it as any command does
  }
}

/**
 * A trained (or compiled) model's folder: its `spec.json`, the IR it was built from, checked by
 * the same front end as a `.rnn.json` file. Nothing else in the folder is read, so no weights
 * are loaded and no TensorFlow is needed.
 */
async function fromModelFolder(io: Io, dir: string, args: ParsedArgs): Promise<Drawable | { exit: number }> {
  const folder = await ModelFolder.open(dir);
  const file = folder.shown(SPEC_JSON);
  const text = (await folder.bytes(SPEC_JSON)).toString('utf8');
  const result = checkText(text, checkOptions(args, file));
  printDiagnostics(io, file, text, result.diagnostics);
  if (hasErrors(result.diagnostics) || !result.program || !result.analysis) return { exit: Math.max(EXIT_ERRORS, exitCodeFor(result.diagnostics)) };
  return { program: result.program, analysis: result.analysis };
}

/** `rnnc draw FILE|DIR [-o OUT] [--format svg|png|html]`: the model as the lecture draws it. */
export async function runDraw(io: Io, args: ParsedArgs): Promise<number> {
  const target = args.positionals[0]!;
  const out = optString(args, 'out');
  const format = drawFormat(optString(args, 'format'), out);
  let checked: Drawable;
  if (isFolder(target)) {
    const r = await fromModelFolder(io, target, args);
    if ('exit' in r) return r.exit;
    checked = r;
  } else {
    const fe = frontEnd(io, target, args);
    if ('exit' in fe) return fe.exit;
    checked = { program: fe.result.program!, analysis: fe.result.analysis! };
  }
  const title = basename(resolve(target));
  const { picture, svg } = drawModel(checked, title);
  if (format === 'png') {
    const { svgToPng } = await import('../../draw/png.js');
    writeOutputFile(out!, await svgToPng(svg), join(out!, 'model.png'));
  } else {
    const text = format === 'html' ? htmlPage(svg, title, picture.description) : svg;
    if (out === undefined) {
      io.out(text);
      return EXIT_OK;
    }
    writeOutputFile(out, text, join(out, `model.${format}`));
  }
  io.err(`wrote ${out}\n`);
  return EXIT_OK;
}
