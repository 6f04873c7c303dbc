import { format } from 'node:util';
import {
  CodeActionKind,
  createConnection,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
  type TextEdit,
} from 'vscode-languageserver/node.js';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { formatSource } from '../fmt/format.js';
import { codeActions } from './code-actions.js';
import { completions } from './completion.js';
import { toLspDiagnostic } from './diagnostics.js';
import { analyze, type Analyzed } from './document.js';
import { hover } from './hover.js';
import { inlayHints } from './inlay-hints.js';
import { definition, highlights, prepareRename, references, rename } from './navigation.js';
import { SEMANTIC_LEGEND, semanticTokens } from './semantic-tokens.js';
import { COMMANDS, executeCommand, modelLenses } from './show-model.js';
import { documentSymbols } from './symbols.js';

/** Bursts of changes already queued are folded into one check; this bounds how long a check can be put off. */
const MAX_COALESCE_HOPS = 64;

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Starts the rnnc language server on `connection` (default: a new one on stdin/stdout). It
 * shares the one parser and checker with the CLI: diagnostics are exactly `rnnc check`'s.
 * Every handler catches its own failures, so no input can bring the server down.
 */
export function startServer(connection?: Connection): Connection {
  const owned = !connection;
  const conn = connection ?? createConnection(process.stdin, process.stdout);
  if (owned) {
    // stdout carries the protocol: anything printed there by accident would corrupt it.
    const log = (level: 'log' | 'info' | 'warn' | 'error') => (...args: unknown[]) => conn.console[level](format(...args));
    console.log = log('log');
    console.info = log('info');
    console.warn = log('warn');
    console.error = log('error');
    process.on('uncaughtException', (e) => conn.console.error(`rnnc lsp: internal error: ${e.stack ?? String(e)}`));
    process.on('unhandledRejection', (e) => conn.console.error(`rnnc lsp: internal error: ${String(e)}`));
  }

  const documents = new TextDocuments(TextDocument);
  const cache = new Map<string, Analyzed>();
  let snippets = false;

  const analyzed = (uri: string): Analyzed | undefined => {
    const doc = documents.get(uri);
    if (!doc) return undefined;
    const hit = cache.get(uri);
    if (hit && hit.version === doc.version) return hit;
    // A didOpen without `text` leaves the document's text undefined: treat it as empty.
    const text: unknown = doc.getText();
    const fresh = analyze(uri, doc.version, typeof text === 'string' ? text : '');
    cache.set(uri, fresh);
    return fresh;
  };

  /** Runs a handler; a bug in it is logged and answered with `fallback` instead of taking the server down. */
  const guard = <P, R>(what: string, fallback: R, f: (params: P) => R | ResponseError<void>) => {
    return (params: P): R | ResponseError<void> => {
      try {
        return f(params);
      } catch (e) {
        conn.console.error(`rnnc lsp: ${what} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return fallback;
      }
    };
  };

  const validating = new Set<string>();
  /** The version of each document last checked, or attempted: a check that failed is not retried for the same text. */
  const attempted = new Map<string, number>();
  const validate = async (uri: string): Promise<void> => {
    if (validating.has(uri)) return;
    validating.add(uri);
    try {
      // Let changes that are already queued arrive first, so a burst costs one check.
      let version = documents.get(uri)?.version;
      for (let i = 0; i < MAX_COALESCE_HOPS; i++) {
        await nextTick();
        const now = documents.get(uri)?.version;
        if (now === version) break;
        version = now;
      }
      if (version !== undefined) attempted.set(uri, version);
      const doc = analyzed(uri);
      if (!doc) return;
      const diagnostics = doc.result.diagnostics.map((d) => toLspDiagnostic(uri, doc.lines, d));
      await conn.sendDiagnostics({ uri, version: doc.version, diagnostics });
    } catch (e) {
      conn.console.error(`rnnc lsp: checking ${uri} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    } finally {
      validating.delete(uri);
    }
    // A change that arrived while the diagnostics were being sent. (Not the version whose check
    // just failed: retrying it would fail again, forever, at full speed.)
    const current = documents.get(uri);
    if (current && current.version !== attempted.get(uri)) void validate(uri);
  };

  conn.onInitialize((params): InitializeResult => {
    snippets = params.capabilities.textDocument?.completion?.completionItem?.snippetSupport ?? false;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['(', ',', ':', '>', '{', '='] },
        definitionProvider: true,
        referencesProvider: true,
        documentHighlightProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        documentFormattingProvider: true,
        semanticTokensProvider: { legend: SEMANTIC_LEGEND, full: true },
        inlayHintProvider: true,
        codeLensProvider: { resolveProvider: false },
        executeCommandProvider: { commands: [...COMMANDS] },
      },
      serverInfo: { name: 'rnnc', version: '0.1.0' },
    };
  });

  // A reopened document starts again at version 1: its old analysis must not be taken for the new text.
  documents.onDidOpen((e) => cache.delete(e.document.uri));
  documents.onDidChangeContent((e) => void validate(e.document.uri));
  documents.onDidClose((e) => {
    cache.delete(e.document.uri);
    attempted.delete(e.document.uri);
    void conn.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  const offsetOf = (doc: Analyzed, p: { line: number; character: number }): number => doc.lines.offsetAt(p.line, p.character);

  conn.onHover(
    guard('hover', null, (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc ? hover(doc, offsetOf(doc, p.position)) : null;
    }),
  );
  conn.onCompletion(
    guard('completion', [], (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc ? completions(doc, offsetOf(doc, p.position), snippets) : [];
    }),
  );
  conn.onDefinition(
    guard('definition', [], (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc ? definition(doc, offsetOf(doc, p.position)) : [];
    }),
  );
  conn.onReferences(
    guard('references', [], (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc ? references(doc, offsetOf(doc, p.position), p.context.includeDeclaration) : [];
    }),
  );
  conn.onDocumentHighlight(
    guard('highlight', [], (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc ? highlights(doc, offsetOf(doc, p.position)) : [];
    }),
  );
  conn.onPrepareRename(
    guard('prepareRename', null, (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc ? prepareRename(doc, offsetOf(doc, p.position)) : null;
    }),
  );
  conn.onRenameRequest(
    guard('rename', null, (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc ? rename(doc, offsetOf(doc, p.position), p.newName) : null;
    }),
  );
  conn.onDocumentSymbol(
    guard('documentSymbol', [], (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc ? documentSymbols(doc) : [];
    }),
  );
  conn.onCodeAction(
    guard('codeAction', [], (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc ? codeActions(doc, p.range, p.context.diagnostics, p.context.only) : [];
    }),
  );
  conn.onDocumentFormatting(
    guard('formatting', [] as TextEdit[], (p) => {
      const doc = analyzed(p.textDocument.uri);
      if (!doc) return [];
      const r = formatSource(doc.text);
      // Text with syntax errors is left alone; the errors are already shown as diagnostics.
      if ('diagnostics' in r || r.text === doc.text) return [];
      return [{ range: { start: { line: 0, character: 0 }, end: doc.lines.lspPosition(doc.text.length) }, newText: r.text }];
    }),
  );
  conn.languages.semanticTokens.on(
    guard('semanticTokens', { data: [] }, (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc ? semanticTokens(doc) : { data: [] };
    }),
  );
  conn.languages.inlayHint.on(
    guard('inlayHint', [], (p) => {
      const doc = analyzed(p.textDocument.uri);
      if (!doc) return [];
      return inlayHints(doc, offsetOf(doc, p.range.start), offsetOf(doc, p.range.end));
    }),
  );

  conn.onCodeLens(
    guard('codeLens', [], (p) => {
      const doc = analyzed(p.textDocument.uri);
      return doc ? modelLenses(doc) : [];
    }),
  );
  conn.onExecuteCommand((p) => executeCommand(p, analyzed, (m) => conn.console.error(m)));

  documents.listen(conn);
  conn.listen();
  return conn;
}
