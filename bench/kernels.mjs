#!/usr/bin/env node
// Training and prediction speed of the recurrent models the issue names, in one run, on the
// same inputs: `embed(64, vocab: 10000) |> bi(CELL(64)) x2 |> dense(1)` for LSTM, GRU and
// SimpleRNN cells, batch 32 × length 100 of random ids (no padding), Adam 1e-3.
//
// Rows: tfjs's stock recurrent layers (with rnnc's fixes to wasm kernels; for the LSTM also as
// shipped, without them), rnnc's fused kernels on 1 and 2 threads, PyTorch at the faster of
// 1 and 2 threads when /usr/bin/python3 has torch (hand-written, and the module
// `rnnc export --format pytorch` writes), and ONNX Runtime (predict only) on the graph
// `rnnc export` writes, at the faster of 1 and 2 threads, when onnxruntime-node is installed. The
// machine is shared and noisy, so the fused, PyTorch and ONNX Runtime rows alternate in rounds
// and each keeps its best round.
// Then the physical limit: the matrix-product FLOPs of a step against the kernels' measured
// matrix-product rate.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { manifestEntries, parseModelJson } from '../dist/artifacts/weights.js';
import { modelFiles } from '../dist/compile/save.js';
import { buildPytorch } from '../dist/export/pytorch/export.js';
import { loadTf } from '../dist/compile/backend.js';
import { buildModel } from '../dist/compile/layers.js';
import { check } from '../dist/index.js';
import { fuseModel } from '../dist/kernels/fuse.js';
import { loadKernels } from '../dist/kernels/runtime.js';
import { registerKernelFixes, restoreStockKernels } from '../dist/kernels/stock.js';
import { exportModel, loadOrt, measurePredict, session } from './ort.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const BATCH = 32;
const LENGTH = 100;
const VOCAB = 10000;
const UNITS = 64;
const ROUNDS = Number(process.env.RNNC_BENCH_ROUNDS ?? 3);
const MODELS = [
  { name: 'BiLSTM ×2', cell: 'lstm', torch: 'lstm', gates: 4 },
  { name: 'BiGRU ×2', cell: 'gru', torch: 'gru', gates: 3 },
  { name: 'BiSimpleRNN ×2', cell: 'rnn', torch: 'rnn', gates: 1 },
];

const { tf } = await loadTf({ backend: 'wasm', kernels: 'stock' });
const fusedRt = { 1: await loadKernels({ threads: 1 }), 2: await loadKernels({ threads: 2 }) };

let seed = 1;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const ids = Int32Array.from({ length: BATCH * LENGTH }, () => 2 + Math.floor(rand() * (VOCAB - 2)));
const x = tf.tensor2d(ids, [BATCH, LENGTH], 'int32');
const y = tf.tensor2d(Float32Array.from({ length: BATCH }, () => (rand() < 0.5 ? 0 : 1)), [BATCH, 1]);

/** A compiled model for `cell`, fused on `rt` unless null. */
function makeModel(cell, rt) {
  const program = check(`embed(64, vocab: ${VOCAB}) |> bi(${cell}(${UNITS})) x2 |> dense(1)`, { fileName: 'bench.rnn' }).program;
  const model = buildModel(tf, program, { maxlen: LENGTH });
  if (rt) fuseModel(tf, model, rt);
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });
  return model;
}

/** samples/s of `steps` training steps and `batches` predictions (after one warm-up of each). */
async function measure(model, steps, batches) {
  await model.trainOnBatch(x, y);
  let t0 = performance.now();
  for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
  const train = (steps * BATCH) / ((performance.now() - t0) / 1000);
  const warm = model.predict(x);
  await warm.data();
  warm.dispose();
  t0 = performance.now();
  for (let i = 0; i < batches; i++) {
    const p = model.predict(x);
    await p.data();
    p.dispose();
  }
  return { train, predict: (batches * BATCH) / ((performance.now() - t0) / 1000) };
}

const best = (a, b) => (a ? { train: Math.max(a.train, b.train), predict: Math.max(a.predict, b.predict) } : b);

const torchProbe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
const hasTorch = !torchProbe.error && torchProbe.status === 0;
function torchRun(cell, threads) {
  const r = spawnSync('/usr/bin/python3', [`${here}torch_bench.py`, cell, String(threads), '2'], { encoding: 'utf8' });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`PyTorch bench failed: ${(r.stderr ?? '').trim().split('\n').pop() ?? `exit ${r.status}`}`);
  }
}

/** The model as `rnnc export --format pytorch` writes it, in a temporary folder. */
async function exportPytorchModel(model) {
  const files = await modelFiles(model);
  const json = parseModelJson(files['model.json'], 'model.json');
  const out = buildPytorch({ json, entries: manifestEntries(json), bytes: files['weights.bin'], file: 'model.json', source: 'bench', rnncVersion: 'bench' });
  const dir = mkdtempSync(join(tmpdir(), 'rnnc-bench-pytorch-'));
  for (const [name, content] of out.files) writeFileSync(join(dir, name), content);
  return dir;
}
function torchExportRun(dir, threads) {
  const r = spawnSync('/usr/bin/python3', [`${here}torch_bench.py`, 'exported', String(threads), '2', dir], { encoding: 'utf8' });
  try {
    return JSON.parse((r.stdout ?? '').trim().split('\n').pop() ?? '');
  } catch {
    throw new Error(`PyTorch export bench failed: ${(r.stderr ?? '').trim().split('\n').pop() ?? `exit ${r.status}`}`);
  }
}

const ort = await loadOrt();
const fmt = (v) => (v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1)).padStart(9);
const ratio = (a, b) => `${(a / b).toFixed(2)}×`.padStart(9);
const row = (label, r) => console.log(`  ${label.padEnd(56)} ${fmt(r.train)} ${fmt(r.predict)}`);

console.log(`recurrent models: embed(64, vocab: ${VOCAB}) |> bi(CELL(${UNITS})) x2 |> dense(1), batch ${BATCH} × length ${LENGTH}, samples/s`);
console.log(`  ${''.padEnd(56)} ${'train'.padStart(9)} ${'predict'.padStart(9)}`);
const results = {};
for (const m of MODELS) {
  console.log(m.name);
  if (m.cell === 'lstm') {
    restoreStockKernels(tf);
    row('tfjs-layers as shipped (wasm)', await measure(makeModel(m.cell, null), 1, 2));
    registerKernelFixes(tf);
  }
  row("tfjs-layers + rnnc's wasm kernel fixes", await measure(makeModel(m.cell, null), 2, 4));
  const fused = { 1: makeModel(m.cell, fusedRt[1]), 2: makeModel(m.cell, fusedRt[2]) };
  let f1;
  let f2;
  let torch;
  let torchInfo;
  // ONNX Runtime predicts on the exported graph of the 2-thread fused model's weights.
  const exported = ort ? await exportModel(fused[2]) : null;
  const sessions = exported ? { 1: await session(ort, exported.bytes, 1), 2: await session(ort, exported.bytes, 2) } : null;
  let onnx;
  const torchDir = hasTorch ? await exportPytorchModel(fused[2]) : null;
  let torchExported;
  for (let r = 0; r < ROUNDS; r++) {
    f1 = best(f1, await measure(fused[1], 4, 8));
    f2 = best(f2, await measure(fused[2], 4, 8));
    if (hasTorch) {
      for (const threads of [1, 2]) {
        const t = torchRun(m.torch, threads);
        torchInfo ??= t;
        torch = best(torch, t);
        torchExported = best(torchExported, torchExportRun(torchDir, threads));
      }
    }
    if (sessions) {
      for (const threads of [1, 2]) {
        const p = await measurePredict(ort, sessions[threads], ids, BATCH, LENGTH, 8);
        onnx = { predict: Math.max(onnx?.predict ?? 0, p) };
      }
    }
  }
  row('rnnc fused kernels, 1 thread', f1);
  row('rnnc fused kernels, 2 threads', f2);
  const fusedBest = best(f1, f2);
  if (hasTorch) {
    row(`PyTorch ${torchInfo.version.replace(/a0$/, '')} + ${torchInfo.blas}, faster of 1 and 2 threads`, torch);
    console.log(`  ${'rnnc fused / PyTorch'.padEnd(56)} ${ratio(fusedBest.train, torch.train)} ${ratio(fusedBest.predict, torch.predict)}`);
    row('PyTorch on the exported module (masking), faster of 1, 2', torchExported);
    console.log(`  ${'exported module / hand-written PyTorch'.padEnd(56)} ${ratio(torchExported.train, torch.train)} ${ratio(torchExported.predict, torch.predict)}`);
    rmSync(torchDir, { recursive: true, force: true });
  }
  if (onnx) {
    row(`ONNX Runtime ${ort.env.versions.node} (CPU), faster of 1 and 2 threads`, onnx);
    console.log(`  ${'rnnc fused / ONNX Runtime'.padEnd(56)} ${'—'.padStart(9)} ${ratio(fusedBest.predict, onnx.predict)}`);
    console.log(`  (the export to ONNX took ${exported.ms.toFixed(0)} ms, as \`predict --engine onnx\` does it on opening the model)`);
  }
  results[m.name] = { gates: m.gates, fused: fusedBest };
}
if (!hasTorch) console.log('PyTorch: absent (/usr/bin/python3 cannot import torch; Debian: apt-get install python3-torch libopenblas0-pthread)');
if (!ort) console.log('ONNX Runtime: absent (onnxruntime-node, an optional dependency, is not installed)');

// The physical limit: the step's matrix products at the kernels' measured product rate.
function gemmRate(rt) {
  const [M, N, K] = [3200, 256, 128];
  const ws = rt.workspace();
  const a = ws.alloc(M * K);
  const b = ws.alloc(K * N);
  const c = ws.alloc(M * N);
  rt.f32(a, M * K).fill(0.5);
  rt.f32(b, K * N).fill(0.25);
  const parts = 8;
  const tasks = Array.from({ length: parts }, (_, p) => {
    const m0 = (p * M) / parts;
    const args = ws.alloc(11);
    rt.i32(args, 11).set([M / parts, N, K, a + m0 * K * 4, K, 1, b, N, c + m0 * N * 4, N, 0]);
    return { fn: 'rnnc_gemm_task', arg: args };
  });
  let bestMs = Infinity;
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) rt.run(tasks);
    bestMs = Math.min(bestMs, (performance.now() - t0) / 10);
  }
  ws.release();
  return (2 * M * N * K) / bestMs / 1e6;
}
const rate1 = gemmRate(fusedRt[1]);
const rate2 = gemmRate(fusedRt[2]);
console.log('');
console.log(`physical limit: the kernels' matrix product ([3200×128]·[128×256], wasm SIMD128) runs at ${rate1.toFixed(0)} GFLOP/s on 1 thread, ${rate2.toFixed(0)} on 2`);
for (const [name, r] of Object.entries(results)) {
  // Per layer and direction: X·W over all steps and h·U per step (2·B·T·G·(D + H) FLOPs);
  // training adds backward's two products of each (dX, dW; dh, dU): 3× in all.
  const g = r.gates * UNITS;
  const forward = 2 * 2 * BATCH * LENGTH * g * (64 + UNITS) + 2 * 2 * BATCH * LENGTH * g * (2 * UNITS + UNITS);
  const train = 3 * forward;
  const limitTrain = (rate2 * 1e9) / train * BATCH;
  const limitPredict = (rate2 * 1e9) / forward * BATCH;
  console.log(
    `  ${name}: ${(train / 1e9).toFixed(2)} GFLOP per training step, ${(forward / 1e9).toFixed(2)} per prediction batch → at ${rate2.toFixed(0)} GFLOP/s at most ` +
      `${limitTrain.toFixed(0)} train and ${limitPredict.toFixed(0)} predict samples/s; fused reaches ${((100 * r.fused.train) / limitTrain).toFixed(0)}% and ${((100 * r.fused.predict) / limitPredict).toFixed(0)}%`,
  );
}
process.exit(0);
