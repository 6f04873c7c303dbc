import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, expect, test, vi } from 'vitest';
import { ROOT } from './build.js';

// The VS Code client cannot run outside VS Code: load it with `vscode` and the language client
// stubbed, and check what it would start. (The server side is tested for real in server.test.ts.)
const ext = join(ROOT, 'editors/vscode');

interface Started {
  id: string;
  server: unknown;
  client: { documentSelector: unknown; middleware?: { executeCommand: ExecuteCommand } };
}

type ExecuteCommand = (command: string, args: unknown[], next: (command: string, args: unknown[]) => Promise<unknown>) => unknown;

/** A webview panel as the extension sees it, recording what it was asked to do. */
interface FakePanel {
  viewType: string;
  title: string;
  showOptions: unknown;
  options: unknown;
  html: string[];
  reveals: number;
  disposed: boolean;
  webview: { html: string };
  reveal(): void;
  onDidDispose(f: () => void): { dispose(): void };
  dispose(): void;
}

interface Loaded {
  ext: { activate: (c: unknown) => Promise<void> };
  started: Started[];
  commands: string[];
  panels: FakePanel[];
  /** The extension's document-change listener. */
  changed: (uri: string) => void;
  /** What the client sent with sendRequest, and how it answers (set by a test). */
  requests: unknown[][];
  answer: { next: (params: unknown) => Promise<unknown> };
  active: { editor: unknown };
  messages: string[];
}

function load(settings: Record<string, string>): Loaded {
  const require = createRequire(join(ext, 'extension.js'));
  const started: Started[] = [];
  const commands: string[] = [];
  const panels: FakePanel[] = [];
  const requests: unknown[][] = [];
  const messages: string[] = [];
  const answer = { next: (_params: unknown): Promise<unknown> => Promise.reject(new Error('no answer set')) };
  const active: { editor: unknown } = { editor: undefined };
  let onChange: (e: { document: { uri: { toString(): string } } }) => void = () => undefined;
  const stubs: Record<string, unknown> = {
    vscode: {
      workspace: {
        getConfiguration: () => ({ get: (k: string) => settings[k] }),
        onDidChangeConfiguration: () => ({ dispose() {} }),
        onDidChangeTextDocument: (f: typeof onChange) => ((onChange = f), { dispose() {} }),
      },
      window: {
        showErrorMessage: () => undefined,
        showInformationMessage: (m: string) => void messages.push(m),
        get activeTextEditor() {
          return active.editor;
        },
        createWebviewPanel: (viewType: string, title: string, showOptions: unknown, options: unknown): FakePanel => {
          let disposeListener = (): void => undefined;
          const html: string[] = [];
          const panel: FakePanel = {
            viewType,
            title,
            showOptions,
            options,
            html,
            reveals: 0,
            disposed: false,
            webview: {
              get html() {
                return html[html.length - 1] ?? '';
              },
              set html(v: string) {
                html.push(v);
              },
            },
            reveal: () => void panel.reveals++,
            onDidDispose: (f) => ((disposeListener = f), { dispose() {} }),
            dispose: () => {
              panel.disposed = true;
              disposeListener();
            },
          };
          panels.push(panel);
          return panel;
        },
      },
      ViewColumn: { Beside: -2 },
      commands: { registerCommand: (name: string) => (commands.push(name), { dispose() {} }) },
    },
    'vscode-languageclient/node': {
      TransportKind: { stdio: 0, ipc: 1 },
      LanguageClient: class {
        constructor(id: string, _name: string, server: unknown, client: Started['client']) {
          started.push({ id, server, client });
        }
        start(): Promise<void> {
          return Promise.resolve();
        }
        sendRequest(method: string, params: unknown): Promise<unknown> {
          requests.push([method, params]);
          return answer.next(params);
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
    for (const m of ['./extension.js', './model-view.js']) delete require.cache[require.resolve(m)];
    return {
      ext: require('./extension.js') as Loaded['ext'],
      started,
      commands,
      panels,
      changed: (uri) => onChange({ document: { uri: { toString: () => uri } } }),
      requests,
      answer,
      active,
      messages,
    };
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
      client: { documentSelector: [{ language: 'rnn' }], synchronize: { configurationSection: 'rnnc' }, middleware: { executeCommand: expect.any(Function) } },
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

const URI = 'file:///work/specs/card.rnn';

/** Activates the extension; `show` runs its `rnnc.showModel` middleware as the client's command would. */
async function withModelView(): Promise<Loaded & { show: (args: unknown[]) => Promise<unknown>; reply: (f: (params: unknown) => Promise<unknown>) => void }> {
  const loaded = load({});
  await loaded.ext.activate({ subscriptions: [] });
  const run = loaded.started[0]!.client.middleware!.executeCommand;
  const notForwarded = (): Promise<unknown> => Promise.reject(new Error('the view asks the server itself, not through `next`'));
  return {
    ...loaded,
    show: async (args) => run('rnnc.showModel', args, notForwarded),
    reply: (f) => void (loaded.answer.next = f),
  };
}

const ask = (uri: string): unknown[] => ['workspace/executeCommand', { command: 'rnnc.showModel', arguments: [uri] }];

afterEach(() => {
  vi.useRealTimers();
});

test('Show model: the lens’s command asks the server and opens the SVG in a webview beside the spec', async () => {
  const m = await withModelView();
  m.reply(async () => ({ svg: '<svg id="v1"/>', version: 1 }));
  const result = await m.show([URI]);
  expect(m.requests).toEqual([ask(URI)]);
  expect(result).toEqual({ svg: '<svg id="v1"/>', version: 1 });
  expect(m.panels.map((p) => [p.viewType, p.title, p.showOptions, p.options])).toEqual([
    ['rnnc.model', 'Model: card.rnn', { viewColumn: -2, preserveFocus: true }, { enableScripts: false }],
  ]);
  const html = m.panels[0]!.webview.html;
  expect(html).toContain('<div class="model"><svg id="v1"/></div>');
  expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:;"`);
  expect(html).not.toContain('<script');
  // Asking again brings the same panel forward instead of opening another.
  m.reply(async () => ({ svg: '<svg id="v2"/>', version: 2 }));
  await m.show([URI]);
  expect([m.panels.length, m.panels[0]!.reveals]).toEqual([1, 1]);
  expect(m.panels[0]!.webview.html).toContain('<svg id="v2"/>');
  // Other server commands go through untouched.
  const passed: unknown[][] = [];
  await m.started[0]!.client.middleware!.executeCommand('rnnc.other', [1], async (c, a) => void passed.push([c, a]));
  expect(passed).toEqual([['rnnc.other', [1]]]);
});

test('Show model: redraws as the document changes, once per pause in typing', async () => {
  vi.useFakeTimers();
  const m = await withModelView();
  let n = 0;
  m.reply(async () => ({ svg: `<svg id="v${++n}"/>`, version: n }));
  await m.show([URI]);
  m.changed(URI);
  await vi.advanceTimersByTimeAsync(200);
  m.changed(URI);
  m.changed('file:///work/specs/other.rnn'); // no panel for it: nothing to redraw
  await vi.advanceTimersByTimeAsync(299);
  expect(m.requests).toEqual([ask(URI)]);
  await vi.advanceTimersByTimeAsync(1);
  expect(m.requests).toEqual([ask(URI), ask(URI)]);
  expect(m.panels[0]!.webview.html).toContain('<svg id="v2"/>');
  // Closed panels are forgotten: no more requests for them.
  m.panels[0]!.dispose();
  m.changed(URI);
  await vi.advanceTimersByTimeAsync(1000);
  expect(m.requests.length).toBe(2);
});

test('Show model: errors in the spec keep the last drawing, faded, under the server’s message', async () => {
  const m = await withModelView();
  m.reply(async () => ({ svg: '<svg id="good"/>', version: 1 }));
  await m.show([URI]);
  const error = Object.assign(new Error('card.rnn has 1 error, so its model cannot be drawn: unknown layer `gur` (E3002 at line 5)'), {
    code: -32803,
    data: { uri: URI, version: 2, diagnostics: [{ code: 'E3002', message: 'unknown layer `gur`', range: { start: { line: 4, character: 8 }, end: { line: 4, character: 11 } } }] },
  });
  m.reply(() => Promise.reject(error));
  expect(await m.show([URI])).toBeUndefined();
  const html = m.panels[0]!.webview.html;
  expect(html).toContain('<strong>card.rnn has 1 error, so its model cannot be drawn: unknown layer `gur` (E3002 at line 5)</strong>');
  expect(html).toContain('<li>line 5: unknown layer `gur` (E3002)</li>');
  expect(html).toContain('<div class="stale"><svg id="good"/></div>');
  // An answer overtaken by a newer request is dropped.
  let release: (v: unknown) => void = () => undefined;
  m.reply(() => new Promise((r) => (release = r)));
  const slow = m.show([URI]);
  m.reply(async () => ({ svg: '<svg id="newest"/>', version: 4 }));
  await m.show([URI]);
  release({ svg: '<svg id="older"/>', version: 3 });
  await slow;
  expect(m.panels[0]!.webview.html).toContain('<svg id="newest"/>');
});

test('Show model from the command palette draws the active .rnn editor, or says to open one', async () => {
  const m = await withModelView();
  m.reply(async () => ({ svg: '<svg/>', version: 1 }));
  m.active.editor = { document: { languageId: 'rnn', uri: { toString: () => URI } } };
  await m.show([]);
  expect(m.requests).toEqual([ask(URI)]);
  m.active.editor = { document: { languageId: 'python', uri: { toString: () => 'file:///x.py' } } };
  expect(await m.show([])).toBeUndefined();
  expect(m.messages).toEqual(['rnnc: open a .rnn file to show its model.']);
  expect(m.requests.length).toBe(1);
});

test('the manifest declares Show model, in the palette and the editor title for .rnn files', () => {
  const manifest = JSON.parse(readFileSync(join(ext, 'package.json'), 'utf8'));
  expect(manifest.contributes.commands).toContainEqual({ command: 'rnnc.showModel', title: 'rnnc: Show model', icon: '$(type-hierarchy)' });
  expect(manifest.contributes.menus).toEqual({
    'editor/title': [{ command: 'rnnc.showModel', when: 'editorLangId == rnn', group: 'navigation' }],
    commandPalette: [{ command: 'rnnc.showModel', when: 'editorLangId == rnn' }],
  });
  // The packaged extension is one bundle of extension.js: model-view.js must be reachable from it.
  expect(readFileSync(join(ext, 'extension.js'), 'utf8')).toContain("require('./model-view')");
});
