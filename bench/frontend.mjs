#!/usr/bin/env node
// Front-end speed: parse + check in-process (a typical spec, a generated 2,000-line spec) and
// `rnnc check` cold start, each as a ratio against a baseline measured in the same run.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { check } from '../dist/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function time(fn, runs) {
  for (let i = 0; i < Math.min(20, runs); i++) fn(); // warm-up
  const t = [];
  for (let i = 0; i < runs; i++) {
    const s = process.hrtime.bigint();
    fn();
    t.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  return median(t);
}

/**
 * A 2,000-line spec: bindings with comments and blank lines between them, each used once in a
 * long model pipeline (three lines a binding keep the model under the 1,000-layer limit).
 */
export function generateSpec(lines = 2000) {
  const out = ['# generated for benchmarks'];
  const n = Math.floor((lines - 4) / 3);
  for (let i = 0; i < n; i++) {
    out.push(`# block ${i}`);
    out.push(`let b${i} = ${['dropout(0.1)', 'dense(16, relu)'][i % 2]}`);
    out.push('');
  }
  out.push('embed(16, vocab: 1000)');
  out.push(`  |> ${Array.from({ length: n }, (_, i) => `b${i}`).join(' |> ')}`);
  out.push('  |> lstm(8) |> dense(1)');
  return out.join('\n') + '\n';
}

const typical = readFileSync(`${root}specs/bidirectional.rnn`, 'utf8');
const typicalIr = JSON.stringify(check(typical, { fileName: 'b.rnn' }).program);
const big = generateSpec(2000);
const bigChecked = check(big, { fileName: 'big.rnn' });
if (bigChecked.diagnostics.some((d) => d.severity === 'error')) throw new Error('generated spec does not check');

const tTypical = time(() => check(typical, { fileName: 'b.rnn' }), 300);
const tIr = time(() => check(typicalIr, { fileName: 'b.rnn.json' }), 300);
const tBig = time(() => check(big, { fileName: 'big.rnn' }), 20);

function wall(args, runs = 11) {
  const t = [];
  for (let i = 0; i < runs; i++) {
    const s = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
    t.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  return median(t);
}
const tNode = wall(['-e', '']);
const tCheck = wall(['bin/rnnc.js', 'check', 'specs/bidirectional.rnn']);

const f = (ms) => `${ms.toFixed(2)} ms`;
console.log('front end');
console.log(`  parse+check, typical spec (specs/bidirectional.rnn):  ${f(tTypical)}  (${(tTypical / tIr).toFixed(1)}x checking its IR JSON, ${f(tIr)})`);
console.log(`  parse+check, generated 2,000-line spec:               ${f(tBig)}  (${(tBig / tTypical).toFixed(0)}x the typical spec; ${(tBig / 2000 * 1000).toFixed(1)} µs/line)`);
console.log(`  rnnc check cold start (wall, median of 11):           ${f(tCheck)}  (${(tCheck / tNode).toFixed(2)}x node -e "" at ${f(tNode)}; +${f(tCheck - tNode)})`);
