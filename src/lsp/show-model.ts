/**
 * `rnnc.showModel`: the language server's `rnnc draw`. A code lens "Show model" on the first
 * line of the model pipeline invokes it with the document's URI; `workspace/executeCommand`
 * answers `{ svg }` for the document's current text, or, when the text does not check, a
 * `RequestFailed` error whose message names the first error and whose data carries every error
 * as an LSP diagnostic. Editors show the SVG (VS Code: a webview beside the spec that follows
 * the edits). The drawing module is imported on first use, so the server starts without it.
 */
import { basename } from 'node:path';
import { ErrorCodes, LSPErrorCodes, ResponseError, type CodeLens, type Diagnostic as LspDiagnostic, type ExecuteCommandParams } from 'vscode-languageserver';
import { toLspDiagnostic } from './diagnostics.js';
import { fileNameOf, type Analyzed } from './document.js';

export const SHOW_MODEL = 'rnnc.showModel';

/** The commands `workspace/executeCommand` takes, as announced in the server's capabilities. */
export const COMMANDS: readonly string[] = [SHOW_MODEL];

export interface ShowModel {
  svg: string;
  /** The document version drawn, so a client can drop answers that arrive after newer ones. */
  version: number;
}

/** What a `RequestFailed` answer carries when the text does not check. */
export interface ShowModelFailure {
  uri: string;
  version: number;
  diagnostics: LspDiagnostic[];
}

/** "Show model" on the first line of the model pipeline (none while the file has no pipeline). */
export function modelLenses(doc: Analyzed): CodeLens[] {
  const span = doc.result.map?.pipeline;
  if (!span) return [];
  const at = doc.lines.lspPosition(span.start);
  return [{ range: { start: at, end: at }, command: { title: 'Show model', command: SHOW_MODEL, arguments: [doc.uri] } }];
}

/** The drawing's title: the file's name (`model.rnn`), or the URI's last segment for unsaved documents. */
function titleOf(uri: string): string {
  const file = fileNameOf(uri);
  if (file) return basename(file);
  const last = uri.split(/[/:]/).pop();
  return last ? decodeURIComponent(last) : uri;
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

async function draw(doc: Analyzed): Promise<ShowModel | ResponseError<ShowModelFailure>> {
  const { program, analysis, diagnostics } = doc.result;
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!program || !analysis || errors.length > 0) {
    const lsp = errors.map((d) => toLspDiagnostic(doc.uri, doc.lines, d));
    const first = lsp[0];
    const message = first
      ? `${titleOf(doc.uri)} has ${plural(lsp.length, 'error')}, so its model cannot be drawn: ${first.message} (${String(first.code)} at line ${first.range.start.line + 1})`
      : `${titleOf(doc.uri)}: the model cannot be drawn`;
    return new ResponseError(LSPErrorCodes.RequestFailed, message, { uri: doc.uri, version: doc.version, diagnostics: lsp });
  }
  const { drawModel } = await import('../draw/draw.js');
  return { svg: drawModel({ program, analysis }, titleOf(doc.uri)).svg, version: doc.version };
}

/**
 * `workspace/executeCommand`. `lookup` gives the open document's analysis; `log` reports a bug,
 * which is answered with an internal error rather than taking the server down.
 */
export async function executeCommand(
  params: ExecuteCommandParams,
  lookup: (uri: string) => Analyzed | undefined,
  log: (message: string) => void,
): Promise<ShowModel | ResponseError<ShowModelFailure | undefined>> {
  if (params.command !== SHOW_MODEL) return new ResponseError(ErrorCodes.InvalidParams, `unknown command ${params.command}; this server has ${COMMANDS.join(', ')}`);
  const uri: unknown = params.arguments?.[0];
  if (typeof uri !== 'string') return new ResponseError(ErrorCodes.InvalidParams, `${SHOW_MODEL} takes the document's URI`);
  try {
    const doc = lookup(uri);
    if (!doc) return new ResponseError(ErrorCodes.InvalidParams, `${uri} is not open in the editor`);
    return await draw(doc);
  } catch (e) {
    log(`rnnc lsp: ${SHOW_MODEL} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return new ResponseError(ErrorCodes.InternalError, `rnnc: drawing the model failed (a bug in rnnc; the server's log has the details)`);
  }
}
