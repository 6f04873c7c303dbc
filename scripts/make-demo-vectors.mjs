#!/usr/bin/env node
// Makes specs/models/demo-16d (a small model pretrained on a bigger demo corpus) and
// specs/vectors/demo.16d.vec (its embedding as word vectors), the lecture's pretraining recipe:
// train on a bigger, similar dataset, keep only the embedding. The corpus is rnnc's own
// generated one (src/train/demo-data.ts) with 10x the examples and another seed, so nothing is
// downloaded. Deterministic (seeded): same rnnc, same weights and vectors. Run after `npm run build`:
//   node scripts/make-demo-vectors.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoCorpusTsv } from '../dist/data/demo.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'rnnc.js');
const model = join(root, 'specs', 'models', 'demo-16d');
const vec = join(root, 'specs', 'vectors', 'demo.16d.vec');
const work = mkdtempSync(join(tmpdir(), 'rnnc-demo-vectors-'));

const rnnc = (...args) => {
  const r = spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    rmSync(work, { recursive: true, force: true });
    process.exit(r.status ?? 1);
  }
};

try {
  const data = join(work, 'pretrain.tsv');
  writeFileSync(data, demoCorpusTsv({ size: 20000, seed: 1 }));
  const spec = join(work, 'pretrain.rnn');
  writeFileSync(spec, '# Pretraining model for specs/vectors/demo.16d.vec: only its embedding is kept.\nembed(16, vocab: 256) |> gru(16) |> dense(1)\n');
  rnnc('train', spec, '--data', data, '-o', model, '--epochs', '4', '--maxlen', '32', '--seed', '7', '--quiet');
  // The model is shipped for `embed(from: …)`; its resume checkpoint is not needed, and the
  // temporary data path says nothing to a reader.
  rmSync(join(model, 'checkpoint.json'));
  rmSync(join(model, 'checkpoint.bin'));
  const metricsFile = join(model, 'metrics.json');
  const metrics = JSON.parse(readFileSync(metricsFile, 'utf8'));
  metrics.data.source = 'rnnc demo corpus (generated): demoCorpus({ size: 20000, seed: 1 })';
  writeFileSync(metricsFile, `${JSON.stringify(metrics, null, 2)}\n`);
  rnnc('vectors', model, '-o', vec);
} finally {
  rmSync(work, { recursive: true, force: true });
}
