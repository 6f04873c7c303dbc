import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type {
  CodeAction,
  CompletionItem,
  Diagnostic,
  DocumentSymbol,
  Hover,
  InlayHint,
  Location,
  SemanticTokens,
  TextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver';
import { SEMANTIC_LEGEND } from '../../src/lsp/semantic-tokens.js';
import { BIN } from './build.js';
import { LspClient } from './client.js';

// One server for the whole file: starting one is ~100 ms, and sharing it also shows it keeps
// state per document correctly. The last test shuts it down and checks the exit code.
let client: LspClient;
let dir: string;

const MULTI = [
  'let cell = lstm(32)',
  'let encoder = bi(cell) x2',
  'let unused = gru(8)',
  'embed(32, vocab: 1000)',
  '  |> encoder',
  '  |> cell',
  '  |> lsmt(4)',
  '  |> dense(1, activation: sigmoidd)',
  'train { epochs: 3, optimiser: adam }',
  '',
].join('\n');

const GOOD = [
  '# stacked',
  'let block = lstm(32, dropout: 0.1)',
  'embed(32, vocab: 10000)',
  '  |> block x2',
  '  |> bi(gru(16), merge: sum)',
  '  |> dense(1)',
  '',
].join('\n');

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return pathToFileURL(file).href;
}

const pos = (line: number, character: number) => ({ line, character });
const range = (l1: number, c1: number, l2: number, c2: number) => ({ start: pos(l1, c1), end: pos(l2, c2) });

async function completionLabels(uri: string, line: number, character: number): Promise<string[]> {
  const r = await client.request<CompletionItem[] | { items: CompletionItem[] }>('textDocument/completion', { textDocument: { uri }, position: pos(line, character) });
  return (Array.isArray(r) ? r : r.items).map((i) => i.label);
}

async function hoverText(uri: string, line: number, character: number): Promise<string> {
  const h = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: pos(line, character) });
  return h && typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '';
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rnnc-lsp-'));
  writeFileSync(join(dir, 'vec.txt'), 'the 0.1 0.2 0.3 0.4\ncat 0.5 0.6 0.7 0.8\n');
  client = await LspClient.start();
});

afterAll(() => {
  if (client.proc.exitCode === null) client.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('rnnc lsp over stdio', () => {
  test('initialize announces incremental sync and every feature', () => {
    const caps = client.initializeResult.capabilities;
    expect(caps.textDocumentSync).toEqual({ openClose: true, change: 2 });
    expect(caps.hoverProvider).toBe(true);
    expect(caps.completionProvider?.triggerCharacters).toContain(':');
    expect(caps.renameProvider).toEqual({ prepareProvider: true });
    expect(caps.semanticTokensProvider?.legend).toEqual(SEMANTIC_LEGEND);
    expect(caps.inlayHintProvider).toBe(true);
    expect(caps.documentFormattingProvider).toBe(true);
    expect(client.initializeResult.serverInfo?.name).toBe('rnnc');
  });

  test('diagnostics on open are exactly `rnnc check`’s: codes, messages, ranges', async () => {
    const uri = write('multi.rnn', MULTI);
    const published = await client.open(uri, MULTI);
    expect(published.version).toBe(1);
    const got = published.diagnostics.map((d: Diagnostic) => ({ code: d.code, severity: d.severity, message: d.message, range: d.range }));
    expect(got).toEqual([
      { code: 'W3104', severity: 2, message: '`unused` is never used', range: range(2, 4, 2, 10) },
      { code: 'E3002', severity: 1, message: 'unknown layer `lsmt`', range: range(6, 5, 6, 9) },
      {
        code: 'E3008',
        severity: 1,
        message: '`activation` must be one of `relu`, `tanh`, `sigmoid`, `softmax`, `linear`, found `sigmoidd`',
        range: range(7, 26, 7, 34),
      },
      { code: 'E3025', severity: 1, message: 'unknown train setting `optimiser`', range: range(8, 19, 8, 28) },
    ]);
    // The same file through the CLI: identical codes, messages and (1-based) ranges.
    const cli = spawnSync(process.execPath, [BIN, 'check', '--format', 'json', join(dir, 'multi.rnn')], { encoding: 'utf8' });
    const json = JSON.parse(cli.stdout) as { diagnostics: { code: string; message: string; range: { start: { line: number; column: number }; end: { line: number; column: number } } }[] };
    expect(
      json.diagnostics.map((d) => ({ code: d.code, message: d.message, range: range(d.range.start.line - 1, d.range.start.column - 1, d.range.end.line - 1, d.range.end.column - 1) })),
    ).toEqual(got.map(({ code, message, range: r }) => ({ code, message, range: r })));
    expect(published.diagnostics[0]!.tags).toEqual([1]); // unused: faded, not underlined
    // Help text travels as related information at the diagnostic's own range.
    expect(published.diagnostics[1]!.relatedInformation).toEqual([
      { location: { uri, range: range(6, 5, 6, 9) }, message: 'not a layer' },
      { location: { uri, range: range(6, 5, 6, 9) }, message: 'help: did you mean `lstm`?' },
    ]);
  });

  test('incremental changes update diagnostics and clear them when fixed', async () => {
    const uri = write('multi.rnn', MULTI);
    // Fix the typos one at a time, from the end, with ranged (incremental) edits.
    let p = await client.change(uri, [{ range: range(8, 19, 8, 28), text: 'optimizer' }]);
    expect(p.diagnostics.map((d) => d.code)).toEqual(['W3104', 'E3002', 'E3008']);
    p = await client.change(uri, [
      { range: range(7, 26, 7, 34), text: 'sigmoid' },
      { range: range(6, 5, 6, 9), text: 'lstm' },
    ]);
    expect(p.diagnostics.map((d) => d.code)).toEqual(['W3104']);
    // Delete the unused binding's line: nothing left to report, and the server says so.
    p = await client.change(uri, [{ range: range(2, 0, 3, 0), text: '' }]);
    expect(p.version).toBe(4);
    expect(p.diagnostics).toEqual([]);
    // Break it again: a syntax error where the edit left an unclosed call.
    p = await client.change(uri, [{ range: range(5, 11, 5, 12), text: '' }]);
    expect(p.diagnostics.map((d) => [d.code, d.message, d.range])).toEqual([
      ['E1003', 'unclosed `(`', range(5, 9, 5, 10)],
    ]);
  });

  test('hover on a layer: summary, output shape, parameters with the formula, trainable', async () => {
    const uri = write('good.rnn', GOOD);
    expect((await client.open(uri, GOOD)).diagnostics).toEqual([]);
    expect(await hoverText(uri, 1, 13)).toBe(
      [
        '**lstm**: LSTM: input, forget and output gates with a cell state (unit forget bias on, as in Keras).',
        'Parameters: `4(u(i + u) + u)` (i = input width, u = units).',
        '- `lstm`: output (None, None, 32), 8,320 params = 4 × (32 × (32 + 32) + 32), trainable\n' +
          '- `lstm_1`: output (None, None, 32), 8,320 params = 4 × (32 × (32 + 32) + 32), trainable',
      ].join('\n\n'),
    );
    const bi = await hoverText(uri, 4, 6);
    expect(bi).toContain('**bi**: Bidirectional');
    expect(bi).toContain('- `bidirectional`: output (None, 16), 4,704 params = 2 × (3 × (16 × (32 + 16) + 16)), trainable');
    expect(await hoverText(uri, 4, 9)).toContain('- one direction of `bidirectional`: 2,352 params = 3 × (16 × (32 + 16) + 16)');
    expect(await hoverText(uri, 4, 19)).toBe('**merge**: concat | sum | mul | ave: how the two directions combine (default `concat`, which doubles the width)');
    const use = await hoverText(uri, 3, 7);
    expect(use).toContain('```rnn\nlet block = lstm(32, dropout: 0.1)\n```');
    expect(use).toContain('`block`: used once by the model');
    expect(use).toContain('- `lstm_1`: output (None, None, 32)');
  });

  test('hover on a frozen pretrained embedding says so (paths resolve against the file)', async () => {
    const text = 'let pretrained = vectors("vec.txt")\nembed(pretrained, frozen)\n  |> lstm(8)\n  |> dense(1)\n';
    const uri = write('frozen.rnn', text);
    expect((await client.open(uri, text)).diagnostics).toEqual([]);
    expect(await hoverText(uri, 1, 2)).toContain('- `embedding`: output (None, None, 4), 40,000 params = 10,000 × 4, frozen (not trained)');
    expect(await hoverText(uri, 1, 20)).toBe('**frozen** (flag): flag: do not train the embedding (its weights count as non-trainable)');
  });

  test('inlay hints after each stage: output shape and parameters', async () => {
    const uri = write('good.rnn', GOOD);
    const hints = await client.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range: range(0, 0, 7, 0) });
    expect(hints.map((h) => [h.position, h.label, h.paddingLeft])).toEqual([
      [pos(2, 23), '(None, None, 32) · 320,000 params', true],
      [pos(3, 13), '(None, None, 32) · 16,640 params', true],
      [pos(4, 28), '(None, 16) · 4,704 params', true],
      [pos(5, 13), '(None, 1) · 17 params', true],
    ]);
    const part = await client.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range: range(4, 0, 4, 40) });
    expect(part.map((h) => h.label)).toEqual(['(None, 16) · 4,704 params']);
  });

  test('completion inside a half-typed call: argument names', async () => {
    const uri = write('half.rnn', 'embed(32) |> lstm(64, dro');
    await client.open(uri, 'embed(32) |> lstm(64, dro');
    const r = await client.request<CompletionItem[]>('textDocument/completion', { textDocument: { uri }, position: pos(0, 25) });
    // `units` is already given (by position).
    expect(r.map((i) => i.label)).toEqual(['activation', 'recurrent_activation', 'dropout', 'recurrent_dropout']);
    const dropout = r.find((i) => i.label === 'dropout')!;
    // Replaces the half-typed word.
    expect(dropout.textEdit).toEqual({ range: range(0, 22, 0, 25), newText: 'dropout: ' });
    expect(dropout.documentation).toBe('dropout on the inputs, in [0, 1) (default 0)');
  });

  test('completion after `|> `: layer names and the bindings in scope', async () => {
    const text = 'let enc = bi(lstm(8))\nembed(32) |> ';
    const uri = write('pipe.rnn', text);
    await client.open(uri, text);
    expect(await completionLabels(uri, 1, 13)).toEqual(['embed', 'rnn', 'lstm', 'gru', 'bi', 'dense', 'dropout', 'enc']);
  });

  test('completion after `merge: `: the enum values', async () => {
    const text = 'embed(32) |> bi(lstm(64), merge: ';
    const uri = write('merge.rnn', text);
    await client.open(uri, text);
    expect(await completionLabels(uri, 0, text.length)).toEqual(['concat', 'sum', 'mul', 'ave']);
    // And half-typed, with more of the file broken after it.
    const broken = 'embed(32) |> dense(1, activation: si |> ) )';
    await client.open(uri.replace('merge', 'act'), broken);
    expect(await completionLabels(uri.replace('merge', 'act'), 0, 36)).toEqual(['relu', 'tanh', 'sigmoid', 'softmax', 'linear']);
  });

  test('completion in broken code: earlier errors do not stop it', async () => {
    // An unknown layer above, an unclosed `embed(` before the cursor: `bi(` still gets its arguments.
    const text = 'let a = lsmt(3)\nembed(32 |> a |> bi(';
    const uri = write('broken.rnn', text);
    await client.open(uri, text);
    expect(await completionLabels(uri, 1, 20)).toEqual(['cell', 'merge', 'rnn', 'lstm', 'gru', 'a']);
    const train = write('train.rnn', 'embed(8) |> lstm(8) |> dense(1)\ntrain {\n  epochs: 3\n  optimizer: \n}');
    await client.open(train, 'embed(8) |> lstm(8) |> dense(1)\ntrain {\n  epochs: 3\n  optimizer: \n}');
    expect(await completionLabels(train, 3, 13)).toEqual(['adam', 'sgd', 'rmsprop', 'adagrad']);
    // Touching the end of a value (`3|`) a word cannot start.
    expect(await completionLabels(train, 2, 11)).toEqual([]);
    const keys = write('keys.rnn', '');
    await client.open(keys, 'embed(8) |> lstm(8) |> dense(1)\ntrain {\n  epochs: 3\n  \n}');
    const settings = await completionLabels(keys, 3, 2);
    expect(settings).toContain('lr');
    expect(settings).not.toContain('epochs');
    // At the start of a statement: keywords, layers, bindings; nothing inside a comment.
    const start = write('start.rnn', '');
    await client.open(start, '# note\n');
    expect(await completionLabels(start, 1, 0)).toEqual(['let', 'train', 'embed', 'rnn', 'lstm', 'gru', 'bi', 'dense', 'dropout']);
    expect(await completionLabels(start, 0, 4)).toEqual([]);
  });

  test('go to definition, references and rename across bindings', async () => {
    const uri = write('multi.rnn', MULTI);
    const text = 'let cell = lstm(32)\nlet encoder = bi(cell) x2\nembed(32)\n  |> encoder\n  |> cell\n  |> dense(1)\n';
    await client.change(uri, [{ range: range(0, 0, 20, 0), text }]);
    const def = await client.request<Location[]>('textDocument/definition', { textDocument: { uri }, position: pos(4, 6) });
    expect(def).toEqual([{ uri, range: range(0, 4, 0, 8) }]);
    const refs = await client.request<Location[]>('textDocument/references', { textDocument: { uri }, position: pos(1, 18), context: { includeDeclaration: true } });
    expect(refs.map((l) => l.range)).toEqual([range(0, 4, 0, 8), range(1, 17, 1, 21), range(4, 5, 4, 9)]);
    const prepared = await client.request<{ range: unknown; placeholder: string }>('textDocument/prepareRename', { textDocument: { uri }, position: pos(4, 6) });
    expect(prepared).toEqual({ range: range(4, 5, 4, 9), placeholder: 'cell' });
    const edit = await client.request<WorkspaceEdit>('textDocument/rename', { textDocument: { uri }, position: pos(1, 18), newName: 'unit' });
    expect(edit.changes![uri]).toEqual([
      { range: range(0, 4, 0, 8), newText: 'unit' },
      { range: range(1, 17, 1, 21), newText: 'unit' },
      { range: range(4, 5, 4, 9), newText: 'unit' },
    ]);
    await expect(client.request('textDocument/rename', { textDocument: { uri }, position: pos(1, 18), newName: 'encoder' })).rejects.toThrow('`encoder` is already used in this file');
    await expect(client.request('textDocument/rename', { textDocument: { uri }, position: pos(1, 18), newName: '2x' })).rejects.toThrow('`2x` is not a valid name');
    // Not a binding: nothing to rename.
    expect(await client.request('textDocument/prepareRename', { textDocument: { uri }, position: pos(5, 6) })).toBeNull();
  });

  test('document symbols: bindings, the model with its stages, the train block', async () => {
    const uri = write('good.rnn', GOOD);
    await client.change(uri, [{ range: range(6, 0, 6, 0), text: 'train { epochs: 2 }\n' }]);
    const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
    const brief = (s: DocumentSymbol): unknown => [s.name, s.kind, s.detail, ...(s.children ? [s.children.map(brief)] : [])];
    expect(symbols.map(brief)).toEqual([
      ['block', 13, 'lstm(32, dropout: 0.1)'],
      [
        'model',
        5,
        '341,361 params',
        [
          ['embed(32, vocab: 10000)', 12, '(None, None, 32) · 320,000 params'],
          ['block x2', 13, '(None, None, 32) · 16,640 params'],
          ['bi(gru(16), merge: sum)', 12, '(None, 16) · 4,704 params'],
          ['dense(1)', 12, '(None, 1) · 17 params'],
        ],
      ],
      ['train', 23, undefined, [['epochs', 7, '2']]],
    ]);
  });

  test('code action: the did-you-mean fix for `lsmt`', async () => {
    const text = 'embed(32)\n  |> lsmt(64)\n  |> dense(1)\n';
    const uri = write('typo.rnn', text);
    const published = await client.open(uri, text);
    expect(published.diagnostics.map((d) => d.code)).toEqual(['E3002']);
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: range(1, 6, 1, 6),
      context: { diagnostics: published.diagnostics },
    });
    expect(actions).toEqual([
      {
        title: 'replace with `lstm`',
        kind: 'quickfix',
        diagnostics: [published.diagnostics[0]],
        isPreferred: true,
        edit: { changes: { [uri]: [{ range: range(1, 5, 1, 9), newText: 'lstm' }] } },
      },
    ]);
    // Applying it clears the diagnostic.
    const after = await client.change(uri, actions[0]!.edit!.changes![uri]!.map((e) => ({ range: e.range, text: e.newText })));
    expect(after.diagnostics).toEqual([]);
    // Elsewhere in the file: no actions.
    expect(await client.request('textDocument/codeAction', { textDocument: { uri }, range: range(0, 0, 0, 1), context: { diagnostics: [] } })).toEqual([]);
  });

  test('formatting edits: the same text as `rnnc fmt`; none for syntax errors', async () => {
    const text = '# model\nembed(32,vocab:10000)|>lstm(32,dropout:0.1) x2  # stack\n|>dense(1)\nlet unused=gru(4)\n';
    const uri = write('fmt.rnn', text);
    await client.open(uri, text);
    const edits = await client.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 4, insertSpaces: true } });
    const cli = execFileSync(process.execPath, [BIN, 'fmt', '-'], { input: text, encoding: 'utf8' });
    expect(cli).toBe('# model\nlet unused = gru(4)\n\nembed(32, vocab: 10000)\n  |> lstm(32, dropout: 0.1) x2  # stack\n  |> dense(1)\n');
    expect(edits).toEqual([{ range: range(0, 0, 4, 0), newText: cli }]);
    await client.change(uri, [{ range: range(0, 0, 4, 0), text: cli }]);
    expect(await client.request('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } })).toEqual([]);
    await client.change(uri, [{ range: range(2, 0, 2, 0), text: 'lstm(' }]);
    expect(await client.request('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } })).toEqual([]);
  });

  test('semantic tokens classify keywords, layers, bindings, arguments, values, comments', async () => {
    const uri = write('good.rnn', GOOD);
    await client.open(uri, GOOD);
    const tokens = await client.request<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri } });
    const lines = GOOD.split('\n');
    const decoded: string[] = [];
    let line = 0;
    let char = 0;
    for (let i = 0; i < tokens.data.length; i += 5) {
      const [dl, dc, len, type, mods] = tokens.data.slice(i, i + 5) as [number, number, number, number, number];
      line += dl;
      char = dl === 0 ? char + dc : dc;
      const modNames = SEMANTIC_LEGEND.tokenModifiers.filter((_, b) => mods & (1 << b));
      decoded.push(`${lines[line]!.slice(char, char + len)}:${SEMANTIC_LEGEND.tokenTypes[type]}${modNames.length ? `.${modNames.join('.')}` : ''}`);
    }
    expect(decoded).toEqual([
      '# stacked:comment',
      'let:keyword',
      'block:variable.declaration.readonly',
      'lstm:function.defaultLibrary',
      '32:number',
      'dropout:parameter',
      '0.1:number',
      'embed:function.defaultLibrary',
      '32:number',
      'vocab:parameter',
      '10000:number',
      '|>:operator',
      'block:variable.readonly',
      'x2:operator',
      '|>:operator',
      'bi:function.defaultLibrary',
      'gru:function.defaultLibrary',
      '16:number',
      'merge:parameter',
      'sum:enumMember',
      '|>:operator',
      'dense:function.defaultLibrary',
      '1:number',
    ]);
  });

  test('closing a document clears its diagnostics', async () => {
    const uri = write('typo.rnn', 'lsmt(1)');
    await client.open(uri, 'lsmt(1)');
    const cleared = client.diagnostics(uri);
    await client.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
    expect((await cleared).diagnostics).toEqual([]);
  });

  test('a didOpen without text: checked as empty once, no flood, still answering (#8 case 9)', async () => {
    const uri = write('notext.rnn', '');
    const published = client.diagnostics(uri, 1);
    await client.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'rnn', version: 1 } });
    expect((await published).diagnostics.map((d) => d.code)).toEqual(['E1006']);
    // Before the fix a failing check rescheduled itself forever, logging each time.
    await new Promise((r) => setTimeout(r, 300));
    expect(client.published.filter((p) => p.uri === uri)).toHaveLength(1);
    expect(client.stderr).toBe('');
    const hover = await client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
    expect(hover).toBeNull();
  });

  test('shutdown and exit: the process exits with 0', async () => {
    expect(client.stderr).toBe('');
    expect(await client.stop()).toBe(0);
  });
});
