#!/usr/bin/env node
// The CLI end to end, as a user runs it, against the same work in PyTorch (bench/torch_cli.py):
// one `rnnc train` epoch and one `rnnc predict` pass over standard input, on 3,200 texts of 100
// words, for `embed(64, vocab: 10000) |> bi(lstm(64)) x2 |> dense(1)` at maxlen 100, and the
// same `rnnc predict` with `--engine onnx` when onnxruntime-node is installed. Wall time
// of whole processes: start-up, reading, tokenizing, training with validation, saving, loading,
// predicting and printing all count. Rounds alternate the two and each keeps its best.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoCorpus } from '../dist/data/demo.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const rnnc = fileURLToPath(new URL('../bin/rnnc.js', import.meta.url));
const TEXTS = 3200;
const WORDS = 100;
const ROUNDS = Number(process.env.RNNC_BENCH_ROUNDS ?? 2);

/**
 * 3,200 labelled texts of exactly 100 words: sentences of the demo corpus with the text's label,
 * mixed with filler words from a 30,000-word Zipf-like vocabulary (so the vocabulary fills its
 * 10,000 ids, as real reviews do). Deterministic.
 */
function makeTexts() {
  const demo = demoCorpus({ seed: 7 });
  const byLabel = { 0: demo.filter((e) => e.label === '0'), 1: demo.filter((e) => e.label === '1') };
  let s = 9;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: TEXTS }, (_, i) => {
    const label = String(i % 2);
    const words = [];
    while (words.length < WORDS) {
      if (rnd() < 0.5) words.push(...byLabel[label][Math.floor(rnd() * byLabel[label].length)].text.split(' '));
      else words.push(`w${Math.floor(30000 * rnd() ** 3)}`);
    }
    return { label, text: words.slice(0, WORDS).join(' ') };
  });
}

const dir = mkdtempSync(join(tmpdir(), 'rnnc-bench-cli-'));
try {
  const texts = makeTexts();
  writeFileSync(join(dir, 'data.tsv'), `label\ttext\n${texts.map((t) => `${t.label}\t${t.text}`).join('\n')}\n`);
  writeFileSync(join(dir, 'texts.txt'), `${texts.map((t) => t.text).join('\n')}\n`);
  writeFileSync(join(dir, 'model.rnn'), 'embed(64, vocab: 10000) |> bi(lstm(64)) x2 |> dense(1)\n');
  const input = readFileSync(join(dir, 'texts.txt'));

  const wall = (cmd, args, stdin) => {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { cwd: dir, input: stdin, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const s = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').pop()}`);
    return { s, out: r.stdout };
  };
  const rnncTrain = () => wall(process.execPath, [rnnc, 'train', 'model.rnn', '--data', 'data.tsv', '--epochs', '1', '--maxlen', '100', '-o', 'rnnc-model', '--quiet']).s;
  const rnncPredict = (engine = 'tfjs') => {
    const r = wall(process.execPath, [rnnc, 'predict', 'rnnc-model', '--engine', engine], input);
    if (r.out.split('\n').length !== TEXTS + 1) throw new Error('rnnc predict printed the wrong number of lines');
    return r.s;
  };

  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  const hasTorch = !probe.error && probe.status === 0;
  const torchTrain = (threads) => wall('/usr/bin/python3', [`${here}torch_cli.py`, 'train', 'data.tsv', 'torch-model', String(threads)]).s;
  const torchPredict = (threads) => wall('/usr/bin/python3', [`${here}torch_cli.py`, 'predict', 'torch-model', String(threads)], input).s;

  const hasOrt = await import('onnxruntime-node').then(
    () => true,
    () => false,
  );
  let best = { rnncTrain: Infinity, rnncPredict: Infinity, onnxPredict: Infinity, torchTrain: Infinity, torchPredict: Infinity };
  let torchThreads = 1;
  if (hasTorch) {
    // PyTorch's faster thread count on this machine, by one run of each.
    const t1 = torchTrain(1) + torchPredict(1);
    const t2 = torchTrain(2) + torchPredict(2);
    torchThreads = t2 < t1 ? 2 : 1;
  }
  for (let r = 0; r < ROUNDS; r++) {
    best.rnncTrain = Math.min(best.rnncTrain, rnncTrain());
    best.rnncPredict = Math.min(best.rnncPredict, rnncPredict());
    if (hasOrt) best.onnxPredict = Math.min(best.onnxPredict, rnncPredict('onnx'));
    if (hasTorch) {
      best.torchTrain = Math.min(best.torchTrain, torchTrain(torchThreads));
      best.torchPredict = Math.min(best.torchPredict, torchPredict(torchThreads));
    }
  }
  console.log(`the CLI end to end: ${TEXTS} texts of ${WORDS} words, embed(64, vocab: 10000) |> bi(lstm(64)) x2 |> dense(1), maxlen 100, wall seconds`);
  console.log(`  ${''.padEnd(48)} ${'train 1 epoch'.padStart(14)} ${'predict (stdin)'.padStart(16)}`);
  const line = (label, a, b) => console.log(`  ${label.padEnd(48)} ${a.padStart(14)} ${b.padStart(16)}`);
  line('rnnc (defaults: wasm, fused kernels)', `${best.rnncTrain.toFixed(1)} s`, `${best.rnncPredict.toFixed(1)} s`);
  if (hasOrt) line('rnnc predict --engine onnx (ONNX Runtime)', '—', `${best.onnxPredict.toFixed(1)} s`);
  if (hasTorch) {
    line(`PyTorch (bench/torch_cli.py, ${torchThreads} thread${torchThreads === 1 ? '' : 's'})`, `${best.torchTrain.toFixed(1)} s`, `${best.torchPredict.toFixed(1)} s`);
    line('rnnc speed-up', `${(best.torchTrain / best.rnncTrain).toFixed(2)}×`, `${(best.torchPredict / best.rnncPredict).toFixed(2)}×`);
    if (hasOrt) line('rnnc --engine onnx speed-up', '—', `${(best.torchPredict / best.onnxPredict).toFixed(2)}×`);
  } else {
    console.log('  PyTorch: absent (/usr/bin/python3 cannot import torch; Debian: apt-get install python3-torch libopenblas0-pthread)');
  }
  if (!hasOrt) console.log('  ONNX Runtime: absent (onnxruntime-node, an optional dependency, is not installed)');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
