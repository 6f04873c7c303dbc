import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CodeLens } from 'vscode-languageserver';
import { drawModel } from '../../src/draw/draw.js';
import { checkText } from '../../src/program.js';
import { all, attr, one, parseSvg, textOf } from '../draw/svg-query.js';
import { LspClient } from './client.js';

/** The language server's `rnnc.showModel` and its "Show model" code lens, over stdio. */

let client: LspClient;
let dir: string;

const SPEC = ['# the design card', 'let pretrained = vectors("vec.txt")', '', 'embed(pretrained, frozen)', '  |> bi(lstm(8)) x2', '  |> dense(1)', ''].join('\n');

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return pathToFileURL(file).href;
}

const show = (uri: unknown): Promise<{ svg: string; version: number }> => client.request('workspace/executeCommand', { command: 'rnnc.showModel', arguments: [uri] });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rnnc-lsp-show-'));
  writeFileSync(join(dir, 'vec.txt'), 'the 0.1 0.2 0.3 0.4\ncat 0.5 0.6 0.7 0.8\n');
  client = await LspClient.start();
});

afterAll(async () => {
  if (client.proc.exitCode === null) expect(await client.stop()).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

describe('rnnc.showModel', () => {
  test('is announced: the command, and code lenses', () => {
    const caps = client.initializeResult.capabilities;
    expect(caps.executeCommandProvider).toEqual({ commands: ['rnnc.showModel'] });
    expect(caps.codeLensProvider).toEqual({ resolveProvider: false });
  });

  test('a "Show model" lens on the first line of the pipeline invokes it with the document', async () => {
    const uri = write('card.rnn', SPEC);
    expect((await client.open(uri, SPEC)).diagnostics).toEqual([]);
    const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    expect(lenses).toEqual([
      { range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, command: { title: 'Show model', command: 'rnnc.showModel', arguments: [uri] } },
    ]);
    // No pipeline, no lens.
    const empty = write('empty.rnn', '# nothing yet\n');
    await client.open(empty, '# nothing yet\n');
    expect(await client.request('textDocument/codeLens', { textDocument: { uri: empty } })).toEqual([]);
  });

  test('returns the SVG of the current text, structured as the spec says', async () => {
    const uri = write('card.rnn', SPEC);
    const r = await show(uri);
    expect(r.version).toBe(1);
    // Exactly `rnnc draw`'s drawing of the same text.
    const checked = checkText(SPEC, { fileName: join(dir, 'card.rnn') });
    expect(r.svg).toBe(drawModel({ program: checked.program!, analysis: checked.analysis! }, 'card.rnn').svg);
    const doc = parseSvg(r.svg);
    expect(textOf(one(doc, { id: 'rnnc-title' }))).toBe('card.rnn');
    const layers = all(doc, { 'data-role': 'layer' });
    expect(layers.map((g) => [attr(g, 'data-kind'), attr(g, 'data-params'), attr(g, 'data-shape')])).toEqual(
      checked.analysis!.layers.map((l) => [l.kind, String(l.params), l.outputShape.length === 3 ? `(None, None, ${l.outputShape[2]})` : `(None, ${l.outputShape[1]})`]),
    );
    const embed = layers[0]!;
    expect([attr(embed, 'data-frozen'), attr(embed, 'data-source')]).toEqual(['true', 'vectors:vec.txt']);
    for (const bi of layers.slice(1, 3)) {
      expect(all(bi, { 'data-role': 'cell', 'data-direction': 'forward' }).length).toBe(4);
      expect(all(bi, { 'data-role': 'cell', 'data-direction': 'backward' }).length).toBe(4);
    }
    expect(all(layers[2]!, { 'data-role': 'final-state' }).map(textOf)).toEqual(['ht', "ht'"]);
  });

  test('follows edits: the next request draws the new text', async () => {
    const uri = write('card.rnn', SPEC);
    await client.change(uri, [{ range: { start: { line: 4, character: 8 }, end: { line: 4, character: 15 } }, text: 'gru(4)' }]);
    const r = await show(uri);
    expect(r.version).toBe(2);
    const doc = parseSvg(r.svg);
    expect(all(doc, { 'data-role': 'layer' }).map((g) => `${attr(g, 'data-kind')} ${attr(g, 'data-cell') ?? ''}`.trim())).toEqual(['embedding', 'bidirectional gru', 'bidirectional gru', 'dense']);
  });

  test('text that does not check: an error naming the first problem, with every error as a diagnostic', async () => {
    const uri = write('card.rnn', SPEC);
    await client.change(uri, [{ range: { start: { line: 4, character: 8 }, end: { line: 4, character: 11 } }, text: 'gur' }]);
    const failure = await show(uri).then(
      () => undefined,
      (e: { code: number; message: string; data: { uri: string; version: number; diagnostics: { code: string; message: string; range: unknown }[] } }) => e,
    );
    expect(failure?.code).toBe(-32803); // RequestFailed
    expect(failure?.message).toBe('card.rnn has 1 error, so its model cannot be drawn: unknown layer `gur` (E3002 at line 5)');
    expect(failure?.data.uri).toBe(uri);
    expect(failure?.data.version).toBe(3);
    expect(failure?.data.diagnostics.map((d) => [d.code, d.message, d.range])).toEqual([
      ['E3002', 'unknown layer `gur`', { start: { line: 4, character: 8 }, end: { line: 4, character: 11 } }],
    ]);
  });

  test('bad requests are errors, not crashes', async () => {
    await expect(show(pathToFileURL(join(dir, 'never-opened.rnn')).href)).rejects.toThrow('is not open in the editor');
    await expect(show(42)).rejects.toThrow("rnnc.showModel takes the document's URI");
    await expect(client.request('workspace/executeCommand', { command: 'rnnc.frobnicate', arguments: [] })).rejects.toThrow('unknown command rnnc.frobnicate');
    // Still serving.
    const ok = write('ok.rnn', 'embed(8) |> lstm(4) |> dense(1)\n');
    await client.open(ok, 'embed(8) |> lstm(4) |> dense(1)\n');
    expect((await show(ok)).svg).toContain('<svg');
    expect(client.stderr).toBe('');
  });
});
