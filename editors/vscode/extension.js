// The VS Code side of rnnc: it starts `rnnc lsp` and lets the language server do the work
// (diagnostics, hover, inlay hints, completion, rename, formatting, the model's picture), and
// shows the picture the server draws for `rnnc.showModel` in a panel (model-view.js).
'use strict';
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');
const { ModelViews, middleware, SHOW_MODEL } = require('./model-view');

/** @type {LanguageClient | undefined} */
let client;

/** The model panels; they ask whichever client is running (it changes on restart). */
const views = new ModelViews((uri) =>
  client ? client.sendRequest('workspace/executeCommand', { command: SHOW_MODEL, arguments: [uri] }) : Promise.reject(new Error('rnnc: the language server is not running')),
);

/**
 * How to run the server: `rnnc.path` names the command (default `rnnc` on PATH). A path to a
 * `.js` file (a checkout's `bin/rnnc.js`) is run with VS Code's own Node.js instead.
 * @param {string} path
 */
function serverOptions(path) {
  if (/\.[cm]?js$/.test(path)) {
    return { module: path, args: ['lsp'], transport: TransportKind.stdio };
  }
  // On Windows an npm-installed `rnnc` is a .cmd shim, which only a shell can run.
  return { command: path, args: ['lsp'], transport: TransportKind.stdio, options: { shell: process.platform === 'win32' } };
}

function start() {
  const path = vscode.workspace.getConfiguration('rnnc').get('path') || 'rnnc';
  client = new LanguageClient('rnnc', 'rnnc', serverOptions(path), {
    documentSelector: [{ language: 'rnn' }],
    synchronize: { configurationSection: 'rnnc' },
    middleware: middleware(views),
  });
  return client.start().catch((err) => {
    void vscode.window.showErrorMessage(`rnnc: could not start the language server with \`${path} lsp\` (${err && err.message ? err.message : err}). Set "rnnc.path" to the rnnc command.`);
  });
}

async function restart() {
  if (client) await client.stop().catch(() => undefined);
  await start();
}

/** @param {import('vscode').ExtensionContext} context */
function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('rnnc.restartServer', restart),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('rnnc.path')) void restart();
    }),
    vscode.workspace.onDidChangeTextDocument((e) => views.changed(e.document.uri.toString())),
    { dispose: () => views.dispose() },
  );
  return start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate, serverOptions, views };
