import { Codes, type CodeName } from '../diagnostics/codes.js';
import type { Diagnostic } from '../diagnostics/types.js';

/**
 * The CLI's exit codes, in one place (the README's table lists the same):
 * 0 success (warnings allowed; also when a reader closes the output pipe early, as `| head` does),
 * 1 the spec, the data or the settings have errors, 2 usage, file, model-folder, backend or
 * download errors, 70 an internal error (a bug in rnnc), 130 training interrupted by Ctrl-C
 * after saving a checkpoint (128 + SIGINT, as shells report).
 */
export const EXIT_OK = 0;
export const EXIT_ERRORS = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 70;
export const EXIT_INTERRUPTED = 130;

/**
 * Codes that mean "the environment, not the content": a file that cannot be read or written, a
 * model folder that is not one, a backend that cannot start, a download, a checkpoint that
 * belongs to another run, a port or address the server cannot listen on. They exit 2; every
 * other error (the spec, the data, the settings, a limit) exits 1.
 */
const ENVIRONMENT: readonly CodeName[] = [
  'CannotRead',
  'CannotWrite',
  'BackendUnavailable',
  'BadModelDir',
  'ResumeMismatch',
  'DownloadFailed',
  'BadArchive',
  'ChartsUnavailable',
  'PngConverter',
  'CannotListen',
];
const ENVIRONMENT_CODES = new Set<string>(ENVIRONMENT.map((n) => Codes[n].code));

/** The exit code for a set of diagnostics: 0 without errors, else by the first error's code. */
export function exitCodeFor(diagnostics: readonly Diagnostic[]): number {
  const first = diagnostics.find((d) => d.severity === 'error');
  if (!first) return EXIT_OK;
  return ENVIRONMENT_CODES.has(first.code) ? EXIT_USAGE : EXIT_ERRORS;
}
