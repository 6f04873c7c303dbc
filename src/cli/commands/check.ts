import { appendAll } from '../../util/arrays.js';
import { checkText } from '../../program.js';
import { optString, type ParsedArgs } from '../args.js';
import { EXIT_OK, exitCodeFor } from '../exit.js';
import { checkOptions } from '../frontend.js';
import { countLine, jsonDiagnostics, loadSource, printDiagnostics, type Io } from '../io.js';
import type { JsonDiagnostic } from '../../diagnostics/render.js';
import type { Diagnostic } from '../../diagnostics/types.js';

/** `rnnc check FILE…`: every problem in every file (`-`: standard input); never loads TensorFlow. */
export async function runCheck(io: Io, args: ParsedArgs): Promise<number> {
  const json = optString(args, 'format') === 'json';
  const all: JsonDiagnostic[] = [];
  const seen: Diagnostic[] = [];
  let exit = EXIT_OK;
  for (const arg of args.positionals) {
    // `-` is standard input, named `<stdin>` in messages; its relative paths resolve against the
    // working directory, as a spec file's resolve against its folder.
    const file = arg === '-' ? '<stdin>' : arg;
    const loaded = arg === '-' ? { ok: true as const, text: io.stdin ? await io.stdin() : '' } : loadSource(file);
    const text = loaded.ok ? loaded.text : '';
    const ds = loaded.ok ? checkText(text, checkOptions(args, file)).diagnostics : [loaded.diagnostic];
    // The worst exit over the files: 2 (a file that cannot be read) over 1 (errors in one).
    exit = Math.max(exit, exitCodeFor(ds));
    appendAll(seen, ds);
    if (json) appendAll(all, jsonDiagnostics(file, text, ds));
    else printDiagnostics(io, file, text, ds, 'out');
  }
  if (json) io.out(`${JSON.stringify({ diagnostics: all }, null, 2)}\n`);
  else io.err(`checked ${args.positionals.length} file${args.positionals.length === 1 ? '' : 's'}: ${countLine(seen)}\n`);
  return exit;
}
