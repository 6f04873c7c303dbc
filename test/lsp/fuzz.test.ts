import { afterAll, expect, test } from 'vitest';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { LineIndex } from '../../src/diagnostics/positions.js';
import { checkText } from '../../src/program.js';
import { LspClient } from './client.js';
import { seededRandom } from '../../src/util/random.js';

// RNNC_FUZZ_SEED=N tries another sequence.
const SEED = Number(process.env.RNNC_FUZZ_SEED ?? 20240611);
const EDITS = 300;
const BATCH = 10;
const PIECES = [
  'embed(32, vocab: 10000)', ' |> ', '|>', 'lstm(', 'lsmt(64)', 'bi(gru(8), merge: ', 'concat', ')', ')', '(', ',', ', ', ':', ' dropout: 0.2',
  'dense(1)', 'x3', ' x0', 'let ', 'let a = ', ' = ', 'train {', '}', ' epochs: 3', '"', '"vec.txt"', 'vectors(', '# comment', '\n', '\n\n', '\r\n',
  '  ', '-1e999', '0.5', '99999999999999999999', 'pretrained', 'frozen', 'a', 'b', 'é', '😀', '\t',
];

const URI = 'file:///tmp/rnnc-fuzz/fuzz.rnn';
let client: LspClient | undefined;

afterAll(() => {
  if (client && client.proc.exitCode === null) client.kill();
});

test('the server survives 300 random edits (garbage, half-typed text, huge lines) and keeps answering', async () => {
  const random = seededRandom(SEED);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  client = await LspClient.start();
  let mirror = TextDocument.create(URI, 'rnn', 1, 'let block = lstm(32)\nembed(32, vocab: 10000)\n  |> block x2\n  |> dense(1)\n');
  await client.open(URI, mirror.getText());

  const garbage = (n: number): string => {
    let s = '';
    // Any UTF-16 code unit, lone surrogates and NUL included.
    for (let i = 0; i < n; i++) s += String.fromCharCode(int(0x10000));
    return s;
  };
  const edit = (): TextDocumentContentChangeEvent => {
    const text = mirror.getText();
    const at = int(text.length + 1);
    const to = Math.min(text.length, at + int(40));
    const r = (a: number, b: number) => ({ start: mirror.positionAt(a), end: mirror.positionAt(b) });
    // Keep the document from growing without bound: huge inputs are tested, not accumulated.
    if (text.length > 150_000) return { text: '' };
    const k = random();
    if (k < 0.45) return { range: r(at, at), text: pick(PIECES) };
    if (k < 0.65) return { range: r(at, to), text: '' };
    if (k < 0.75) return { range: r(at, to), text: pick(PIECES) + pick(PIECES) };
    if (k < 0.82) return { range: r(at, to), text: garbage(1 + int(300)) };
    if (k < 0.86) return { range: r(0, text.length), text: '' };
    if (k < 0.9) return { range: r(at, at), text: '('.repeat(100 + int(400)) };
    if (k < 0.93) return { text: Array.from({ length: 1 + int(50) }, () => pick(PIECES)).join('') };
    // Huge lines: a 10k-40k character pipeline, or one 20k-80k character word.
    if (k < 0.95) return { range: r(at, at), text: 'lstm(1) |> '.repeat(1_000 + int(3_000)) };
    if (k < 0.97) return { range: r(at, at), text: 'a'.repeat(20_000 + int(60_000)) };
    return { range: r(at, to), text: `\n${pick(PIECES)}` };
  };

  const requests: ((line: number, character: number) => Promise<unknown>)[] = [
    (line, character) => client!.request('textDocument/hover', { textDocument: { uri: URI }, position: { line, character } }),
    (line, character) => client!.request('textDocument/completion', { textDocument: { uri: URI }, position: { line, character } }),
    () => client!.request('textDocument/semanticTokens/full', { textDocument: { uri: URI } }),
    () => client!.request('textDocument/formatting', { textDocument: { uri: URI }, options: { tabSize: 2, insertSpaces: true } }),
    () => client!.request('textDocument/documentSymbol', { textDocument: { uri: URI } }),
    () => client!.request('textDocument/inlayHint', { textDocument: { uri: URI }, range: { start: { line: 0, character: 0 }, end: { line: 999_999, character: 0 } } }),
    (line, character) => client!.request('textDocument/codeAction', { textDocument: { uri: URI }, range: { start: { line: 0, character: 0 }, end: { line, character } }, context: { diagnostics: [] } }),
    (line, character) => client!.request('textDocument/references', { textDocument: { uri: URI }, position: { line, character }, context: { includeDeclaration: true } }),
    (line, character) => client!.request('textDocument/definition', { textDocument: { uri: URI }, position: { line, character } }),
    (line, character) => client!.request('textDocument/prepareRename', { textDocument: { uri: URI }, position: { line, character } }),
    // An invalid name is refused with an error response: still an answer.
    (line, character) => client!.request('textDocument/rename', { textDocument: { uri: URI }, position: { line, character }, newName: int(2) ? 'fresh_name' : '1bad' }).catch((e: Error) => e.message),
    () => client!.request('textDocument/codeLens', { textDocument: { uri: URI } }),
    // Text that does not check is answered with a RequestFailed error: still an answer.
    () => client!.request('workspace/executeCommand', { command: 'rnnc.showModel', arguments: [URI] }).catch((e: Error) => e.message),
  ];

  let version = 1;
  let answered = 0;
  for (let b = 0; b < EDITS / BATCH; b++) {
    for (let i = 0; i < BATCH; i++) {
      const change = edit();
      version = await client.changeNoWait(URI, [change]);
      mirror = TextDocument.update(mirror, [change], version);
    }
    // After each batch, a request must get an answer (and soon): the server is alive and not stuck.
    const at = mirror.positionAt(int(mirror.getText().length + 1));
    const answer = await Promise.race([
      requests[b % requests.length]!(at.line, at.character).then(() => 'answered'),
      new Promise((resolve) => setTimeout(() => resolve('timeout'), 10_000)),
    ]);
    expect(answer).toBe('answered');
    answered++;
  }
  expect(answered).toBe(EDITS / BATCH);

  // A last edit; its diagnostics must be the checker's on the text the client holds: the
  // incremental updates were applied exactly.
  const change = { range: { start: mirror.positionAt(0), end: mirror.positionAt(0) }, text: '# end\n' };
  const published = await client.change(URI, [change]);
  mirror = TextDocument.update(mirror, [change], published.version!);
  const text = mirror.getText();
  const lines = new LineIndex(text);
  const expected = checkText(text, { fileName: '/tmp/rnnc-fuzz/fuzz.rnn' }).diagnostics.map((d) => ({
    code: d.code,
    message: d.message,
    range: { start: lines.lspPosition(d.span.start), end: lines.lspPosition(d.span.end) },
  }));
  expect(published.diagnostics.map((d) => ({ code: d.code, message: d.message, range: d.range }))).toEqual(expected);

  // Odd but well-formed requests: positions out of range, unknown documents, inverted ranges.
  const odd = [
    client.request('textDocument/hover', { textDocument: { uri: URI }, position: { line: -5, character: -1 } }),
    client.request('textDocument/hover', { textDocument: { uri: URI }, position: { line: 1e9, character: 1e9 } }),
    client.request('textDocument/completion', { textDocument: { uri: 'file:///nowhere.rnn' }, position: { line: 0, character: 0 } }),
    client.request('textDocument/inlayHint', { textDocument: { uri: URI }, range: { start: { line: 9, character: 0 }, end: { line: 0, character: 0 } } }),
    client.request('textDocument/formatting', { textDocument: { uri: 'untitled:Untitled-1' }, options: { tabSize: 2, insertSpaces: true } }),
  ];
  await client.conn.sendNotification('textDocument/didChange', { textDocument: { uri: 'file:///never-opened.rnn', version: 2 }, contentChanges: [{ text: 'x' }] });
  const answers = await Promise.all(odd);
  // Unknown documents get empty answers; the others any answer at all.
  expect([answers[2], answers[4]]).toEqual([[], []]);
  expect(answers[3]).toEqual([]);

  // No handler failed (each would have logged an error), and the process is still the first one.
  expect(client.stderr).toBe('');
  expect(client.proc.exitCode).toBeNull();
  expect(await client.stop()).toBe(0);
}, 60_000);
