#!/usr/bin/env node
// Time from a didChange notification to the publishDiagnostics for that version, through the
// real `rnnc lsp` process over stdio, on a generated 2,000-line spec (1,000 `let` bindings,
// 1,000 comment lines, one pipeline). Run after `npm run build`: `node bench/lsp.mjs`.
// The baseline, measured in the same run, is the in-process check of the same text: the
// difference is what the server and the protocol add.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';
import { check } from '../dist/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const WARMUP = 5;
const RUNS = 21;
const LINES = 2000;

const lines = [];
for (let i = 0; lines.length < LINES - 4; i++) {
  lines.push(`# binding ${i}: a recurrent block of ${(i % 64) + 1} units`);
  lines.push(`let b${i} = lstm(${(i % 64) + 1}, dropout: 0.1)`);
}
lines.push('embed(64, vocab: 20000)', '  |> b1', '  |> b2 x2', '  |> dense(1)');
const text = `${lines.join('\n')}\n`;
// The line holding `let b1 = lstm(2, …)`: each change rewrites its unit count.
const target = lines.indexOf('let b1 = lstm(2, dropout: 0.1)');

const proc = spawn(process.execPath, [`${root}bin/rnnc.js`, 'lsp', '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
const conn = createMessageConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
const waiting = new Map();
conn.onNotification('textDocument/publishDiagnostics', (p) => {
  const resolve = waiting.get(p.version);
  if (resolve) {
    waiting.delete(p.version);
    resolve(p);
  }
});
conn.listen();

const uri = `file://${root}bench/generated-2000-lines.rnn`;
const published = (version) => new Promise((resolve) => waiting.set(version, resolve));

await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
await conn.sendNotification('initialized', {});
let version = 1;
const opened = published(1);
await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'rnn', version, text } });
const first = await opened;

const times = [];
for (let i = 0; i < WARMUP + RUNS; i++) {
  version++;
  const units = String(2 + (i % 50));
  const old = i === 0 ? '2' : String(2 + ((i - 1) % 50));
  const change = {
    range: { start: { line: target, character: 14 }, end: { line: target, character: 14 + old.length } },
    text: units,
  };
  const done = published(version);
  const t0 = performance.now();
  await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [change] });
  await done;
  if (i >= WARMUP) times.push(performance.now() - t0);
}

await conn.sendRequest('shutdown');
await conn.sendNotification('exit');
conn.dispose();

const inProcess = [];
for (let i = 0; i < WARMUP + RUNS; i++) {
  const edited = text.replace('let b1 = lstm(2,', `let b1 = lstm(${2 + (i % 50)},`);
  const t0 = performance.now();
  check(edited, { fileName: `${root}bench/generated-2000-lines.rnn` });
  if (i >= WARMUP) inProcess.push(performance.now() - t0);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const m = median(times);
const base = median(inProcess);
console.log(
  `lsp change→diagnostics (2,000 lines): median ${m.toFixed(1)} ms  (in-process check of the same text ${base.toFixed(1)} ms; ` +
    `${m >= base ? '+' : '-'}${Math.abs(m - base).toFixed(1)} ms server and protocol; ${RUNS} changes, ${first.diagnostics.length} diagnostics published)`,
);
