import type { ParsedArgs } from '../args.js';
import { EXIT_OK } from '../exit.js';
import type { Io } from '../io.js';

/**
 * `rnnc lsp`: the language server on stdin/stdout. Returns at once; the open connection keeps
 * the process alive until the client sends `exit` (or closes the pipe).
 */
export async function runLsp(_io: Io, _args: ParsedArgs): Promise<number> {
  const { startServer } = await import('../../lsp/server.js');
  startServer();
  return EXIT_OK;
}
