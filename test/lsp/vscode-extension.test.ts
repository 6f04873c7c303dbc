import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ROOT } from './build.js';

// The VS Code client cannot run outside VS Code: load it with `vscode` and the language client
// stubbed, and check what it would start. (The server side is tested for real in server.test.ts.)
const ext = join(ROOT, 'editors/vscode');

interface Started {
  id: string;
  server: unknown;
  client: { documentSelector: unknown };
}

function load(settings: Record<string, string>): { ext: { activate: (c: unknown) => Promise<void> }; started: Started[]; commands: string[] } {
  const require = createRequire(join(ext, 'extension.js'));
  const started: Started[] = [];
  const commands: string[] = [];
  const stubs: Record<string, unknown> = {
    vscode: {
      workspace: { getConfiguration: () => ({ get: (k: string) => settings[k] }), onDidChangeConfiguration: () => ({ dispose() {} }) },
      window: { showErrorMessage: () => undefined },
      commands: { registerCommand: (name: string) => (commands.push(name), { dispose() {} }) },
    },
    'vscode-languageclient/node': {
      TransportKind: { stdio: 0, ipc: 1 },
      LanguageClient: class {
        constructor(id: string, _name: string, server: unknown, client: { documentSelector: unknown }) {
          started.push({ id, server, client });
        }
        start(): Promise<void> {
          return Promise.resolve();
        }
      },
    },
  };
  // Node's CommonJS loader: hand out the stubs for the two modules VS Code would provide.
  const Module = require('node:module') as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = Module._load;
  Module._load = function (request: string, ...rest: unknown[]) {
    return request in stubs ? stubs[request] : original.call(this, request, ...rest);
  };
  try {
    delete require.cache[require.resolve('./extension.js')];
    return { ext: require('./extension.js') as { activate: (c: unknown) => Promise<void> }, started, commands };
  } finally {
    Module._load = original;
  }
}

test('the VS Code client starts `rnnc lsp` over stdio for .rnn documents', async () => {
  const { ext: e, started, commands } = load({});
  await e.activate({ subscriptions: [] });
  expect(started).toEqual([
    {
      id: 'rnnc',
      server: { command: 'rnnc', args: ['lsp'], transport: 0, options: { shell: process.platform === 'win32' } },
      client: { documentSelector: [{ language: 'rnn' }], synchronize: { configurationSection: 'rnnc' } },
    },
  ]);
  expect(commands).toEqual(['rnnc.restartServer']);
  // A checkout's bin/rnnc.js runs with VS Code's own Node.js.
  const js = load({ path: '/src/rnnc/bin/rnnc.js' });
  await js.ext.activate({ subscriptions: [] });
  expect(js.started[0]!.server).toEqual({ module: '/src/rnnc/bin/rnnc.js', args: ['lsp'], transport: 0 });
});

test('the extension manifest: the .rnn language, its grammar and configuration', () => {
  const manifest = JSON.parse(readFileSync(join(ext, 'package.json'), 'utf8'));
  expect(manifest.contributes.languages).toEqual([
    { id: 'rnn', aliases: ['rnn', 'RNN spec'], extensions: ['.rnn'], configuration: './language-configuration.json' },
  ]);
  expect(manifest.contributes.grammars).toEqual([{ language: 'rnn', scopeName: 'source.rnn', path: './syntaxes/rnn.tmLanguage.json' }]);
  expect(manifest.contributes.configuration.properties['rnnc.path'].default).toBe('rnnc');
  expect(manifest.scripts['package-vsix']).toBeDefined();
  const config = JSON.parse(readFileSync(join(ext, 'language-configuration.json'), 'utf8'));
  expect(config.comments).toEqual({ lineComment: '#' });
  expect(config.brackets).toEqual([
    ['(', ')'],
    ['{', '}'],
  ]);
  expect(config.autoClosingPairs.map((p: { open: string }) => p.open)).toEqual(['(', '{', '"']);
});
