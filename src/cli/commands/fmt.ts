import { diag } from '../../diagnostics/codes.js';
import { formatSource } from '../../fmt/format.js';
import { optFlag, type ParsedArgs } from '../args.js';
import { EXIT_ERRORS, EXIT_OK, EXIT_USAGE } from '../exit.js';
import { loadSource, printDiagnostics, type Io } from '../io.js';
import { writeFileAtomic } from '../../util/write-atomic.js';

/**
 * `rnnc fmt FILE… [--check]`: rewrites each file in the canonical layout (`-` formats standard
 * input to standard output). With `--check`, lists the files that would change and exits 1.
 * A file with syntax errors is never rewritten: its diagnostics are printed and the exit is 1.
 */
export async function runFmt(io: Io, args: ParsedArgs): Promise<number> {
  const check = optFlag(args, 'check');
  let exit = EXIT_OK;
  const worse = (code: number): void => {
    if (code === EXIT_USAGE || exit === EXIT_OK) exit = code;
  };
  let changed = 0;
  let unchanged = 0;
  for (const file of args.positionals) {
    let text: string;
    if (file === '-') {
      text = io.stdin ? await io.stdin() : '';
    } else {
      const loaded = loadSource(file);
      if (!loaded.ok) {
        printDiagnostics(io, file, '', [loaded.diagnostic]);
        worse(EXIT_USAGE);
        continue;
      }
      text = loaded.text;
    }
    const r = formatSource(text);
    if ('diagnostics' in r) {
      printDiagnostics(io, file === '-' ? '<stdin>' : file, text, r.diagnostics);
      worse(EXIT_ERRORS);
      continue;
    }
    if (file === '-') {
      if (check) {
        if (r.text !== text) {
          io.out('<stdin>\n');
          changed++;
          worse(EXIT_ERRORS);
        } else unchanged++;
      } else io.out(r.text);
      continue;
    }
    if (r.text === text) {
      unchanged++;
      continue;
    }
    changed++;
    if (check) {
      io.out(`${file}\n`);
      worse(EXIT_ERRORS);
      continue;
    }
    try {
      writeFileAtomic(file, r.text);
    } catch (e) {
      printDiagnostics(io, file, '', [diag('CannotWrite', { start: 0, end: 0 }, `cannot write ${file}: ${(e as Error).message}`)]);
      worse(EXIT_USAGE);
    }
  }
  const files = (n: number): string => `${n} file${n === 1 ? '' : 's'}`;
  if (check) io.err(changed ? `${files(changed)} would be reformatted, ${unchanged} already formatted\n` : `${files(unchanged)} already formatted\n`);
  else if (!(args.positionals.length === 1 && args.positionals[0] === '-')) io.err(`formatted ${files(changed)}, ${unchanged} unchanged\n`);
  return exit;
}
