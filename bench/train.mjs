#!/usr/bin/env node
// Training and prediction speed of the issue's reference model,
// `embed(64, vocab: 10000) |> bi(lstm(64)) x2 |> dense(1)`, batch 32 × length 100, on the
// backend rnnc picks (tfjs-node, else wasm, else cpu), and — when Debian's PyTorch is
// installed (`/usr/bin/python3 -c 'import torch'`) — the same model in PyTorch in the same run,
// printed as a ratio. Steps use random word ids (no padding), after one warm-up step.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadTf } from '../dist/compile/backend.js';
import { buildModel } from '../dist/compile/layers.js';
import { check } from '../dist/index.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const BATCH = 32;
const LENGTH = 100;
const VOCAB = 10000;
const TRAIN_STEPS = Number(process.env.RNNC_BENCH_STEPS ?? 4);
const PREDICT_BATCHES = 4;
const SPEC = `embed(64, vocab: ${VOCAB}) |> bi(lstm(64)) x2 |> dense(1)`;

const { tf, backend } = await loadTf();
const program = check(SPEC, { fileName: 'bench.rnn' }).program;
const model = buildModel(tf, program, { maxlen: LENGTH });
model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });

let seed = 1;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const ids = Int32Array.from({ length: BATCH * LENGTH }, () => 2 + Math.floor(rand() * (VOCAB - 2)));
const x = tf.tensor2d(ids, [BATCH, LENGTH], 'int32');
const y = tf.tensor2d(Float32Array.from({ length: BATCH }, () => (rand() < 0.5 ? 0 : 1)), [BATCH, 1]);

await model.trainOnBatch(x, y); // warm-up: kernels, weights' gradients, optimizer slots
let t0 = performance.now();
for (let i = 0; i < TRAIN_STEPS; i++) await model.trainOnBatch(x, y);
const trainSeconds = (performance.now() - t0) / 1000;
const trainRate = (TRAIN_STEPS * BATCH) / trainSeconds;

const p0 = model.predict(x);
await p0.data();
p0.dispose();
t0 = performance.now();
for (let i = 0; i < PREDICT_BATCHES; i++) {
  const p = model.predict(x);
  await p.data();
  p.dispose();
}
const predictRate = (PREDICT_BATCHES * BATCH) / ((performance.now() - t0) / 1000);

console.log(`training: ${SPEC}, batch ${BATCH} × length ${LENGTH}`);
console.log(`  tfjs ${backend}: ${trainRate.toFixed(1)} train samples/s (${(trainRate / BATCH).toFixed(2)} steps/s), ${predictRate.toFixed(0)} predict samples/s`);

const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  console.log('  PyTorch: absent (/usr/bin/python3 cannot import torch; Debian: apt-get install python3-torch libopenblas0-pthread)');
} else {
  const r = spawnSync('/usr/bin/python3', [`${here}torch_bench.py`, String(TRAIN_STEPS), String(PREDICT_BATCHES)], { encoding: 'utf8' });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  let torch;
  try {
    torch = JSON.parse(line);
  } catch {
    console.log(`  PyTorch: failed (${(r.stderr ?? '').trim().split('\n').pop() ?? `exit ${r.status}`})`);
  }
  if (torch) {
    console.log(`  PyTorch ${torch.version} (${torch.threads} threads, ${torch.blas}): ${torch.train.toFixed(1)} train samples/s, ${torch.predict.toFixed(0)} predict samples/s`);
    console.log(`  tfjs ${backend} / PyTorch: training ${(trainRate / torch.train).toFixed(2)}×, predict ${(predictRate / torch.predict).toFixed(2)}×`);
  }
}
