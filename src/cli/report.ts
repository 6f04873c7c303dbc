import type { RnncError } from '../diagnostics/error.js';
import { LineIndex } from '../diagnostics/positions.js';
import { renderFileLevel, renderText } from '../diagnostics/render.js';
import { exitCodeFor } from './exit.js';
import type { Io } from './io.js';
import { colorDiagnostics } from './terminal.js';

/**
 * Prints a failure's diagnostics on stderr, rustc-style against the spec text when they point
 * into one, else as file-level lines under `prefix` (`rnnc train`); returns the exit code.
 */
export function reportFailure(io: Io, prefix: string, e: RnncError): number {
  const index = e.source ? new LineIndex(e.source.text) : undefined;
  for (const d of e.diagnostics) {
    const text = index && e.source ? renderText(e.source.file, index, d) : renderFileLevel(prefix, d);
    io.err(`${io.color?.err === true ? colorDiagnostics(text) : text}\n`);
  }
  return exitCodeFor(e.diagnostics);
}
