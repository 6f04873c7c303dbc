import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { hasErrors } from '../diagnostics/types.js';
import type { PretrainedSource } from '../ir/types.js';
import { checkText, type CheckOptions, type CheckResult } from '../program.js';
import { optNumber, optString, type OptionSpec, type ParsedArgs } from './args.js';
import { EXIT_ERRORS, exitCodeFor } from './exit.js';
import { loadSource, printDiagnostics, type Io } from './io.js';
import { FRONT_END_SETTINGS_OPTIONS } from './settings-flags.js';

/** Options every command that reads a spec accepts. */
export const FRONTEND_OPTIONS: OptionSpec[] = [
  ...FRONT_END_SETTINGS_OPTIONS,
  { name: 'pretrained', value: 'string', help: 'vectors file (or trained model dir) for a bare `pretrained`' },
  { name: 'max-params', value: 'int', help: 'parameter budget (default 50,000,000)' },
];


/** `--pretrained PATH`: a directory is a trained model, anything else a vectors file (relative to the working directory). */
export function pretrainedOption(path: string | undefined): PretrainedSource | undefined {
  if (!path) return undefined;
  const abs = resolve(path);
  try {
    if (statSync(abs).isDirectory()) return { source: 'model', path: abs };
  } catch {
    // A missing file is reported by the checker, where the flag is used.
  }
  return { source: 'vectors', path: abs };
}

export function checkOptions(args: ParsedArgs, file: string): CheckOptions {
  return {
    fileName: file,
    vocab: optNumber(args, 'vocab'),
    pretrained: pretrainedOption(optString(args, 'pretrained')),
    maxParams: optNumber(args, 'max-params'),
  };
}

/**
 * Loads and checks one spec for a command that needs a valid program; prints its diagnostics
 * to stderr. Returns the result, or the exit code to stop with.
 */
export function frontEnd(io: Io, file: string, args: ParsedArgs): { result: CheckResult } | { exit: number } {
  const loaded = loadSource(file);
  if (!loaded.ok) {
    printDiagnostics(io, file, '', [loaded.diagnostic]);
    return { exit: exitCodeFor([loaded.diagnostic]) };
  }
  const result = checkText(loaded.text, checkOptions(args, file));
  printDiagnostics(io, file, loaded.text, result.diagnostics);
  if (hasErrors(result.diagnostics) || !result.program || !result.analysis) return { exit: Math.max(EXIT_ERRORS, exitCodeFor(result.diagnostics)) };
  return { result };
}
