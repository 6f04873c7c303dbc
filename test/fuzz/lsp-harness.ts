import { PassThrough } from 'node:stream';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node.js';
import type { PublishDiagnosticsParams } from 'vscode-languageserver';
import { createConnection, StreamMessageReader as ServerReader, StreamMessageWriter as ServerWriter } from 'vscode-languageserver/node.js';
import { startServer } from '../../src/lsp/server.js';

/**
 * The language server in this process: `startServer` on a connection whose streams are pipes
 * to a vscode-jsonrpc client, so every request still goes through JSON-RPC framing and the
 * server's own dispatch, without a child process. Message reader and writer objects (not
 * streams) are handed to the server, so closing the pipes never calls `process.exit`.
 */
export class InProcessServer {
  /** Errors the server logged (each handler logs its own failure before answering with a fallback). */
  readonly errors: string[] = [];
  private readonly published = new Map<string, PublishDiagnosticsParams[]>();
  private waiters: { uri: string; version: number; resolve: () => void }[] = [];

  private constructor(
    readonly client: MessageConnection,
    private readonly pipes: PassThrough[],
    private readonly server: { dispose(): void },
  ) {
    client.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      const list = this.published.get(p.uri);
      if (list) list.push(p);
      this.waiters = this.waiters.filter((w) => {
        if (w.uri !== p.uri || p.version !== w.version) return true;
        w.resolve();
        return false;
      });
    });
    client.onNotification('window/logMessage', (p: { type: number; message: string }) => {
      if (p.type === 1) this.errors.push(p.message);
    });
  }

  static async start(): Promise<InProcessServer> {
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    const conn = createConnection(new ServerReader(toServer), new ServerWriter(toClient));
    startServer(conn);
    const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
    client.listen();
    const server = new InProcessServer(client, [toServer, toClient], conn);
    // No processId: the server would poll it to exit with its parent.
    await client.sendRequest('initialize', {
      processId: null,
      rootUri: null,
      capabilities: { textDocument: { completion: { completionItem: { snippetSupport: true } }, publishDiagnostics: { versionSupport: true } } },
    });
    await client.sendNotification('initialized', {});
    return server;
  }

  /** Starts recording the diagnostics published for `uri`. */
  track(uri: string): void {
    this.published.set(uri, []);
  }

  /** Everything published for `uri` since `track`, and stops recording. */
  untrack(uri: string): PublishDiagnosticsParams[] {
    const list = this.published.get(uri) ?? [];
    this.published.delete(uri);
    return list;
  }

  /** Resolves when diagnostics for `uri` at `version` have been published (maybe already). */
  diagnostics(uri: string, version: number, timeoutMs: number): Promise<void> {
    if (this.published.get(uri)?.some((p) => p.version === version)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no diagnostics for ${uri} version ${version} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        uri,
        version,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  dispose(): void {
    this.client.dispose();
    this.server.dispose();
    for (const p of this.pipes) p.destroy();
  }
}
