import type * as Tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestEntries, parseModelJson } from '../../src/artifacts/weights.js';
import { loadTf, prepareModel, type LoadedTf } from '../../src/compile/backend.js';
import { modelFiles } from '../../src/compile/save.js';
import { buildOnnx } from '../../src/export/onnx.js';
import { ort, runOnnx } from '../support/onnx-runtime.js';
import { batches, expectSpread, exportCases, randomizeWeights, TIME } from './cases.js';

// ONNX Runtime on the exported graph against TensorFlow.js on the model it came from: the same
// ids must give outputs within 1e-5 (absolute), for every model in cases.ts (every spec in
// specs/, every cell, direction, merge mode and stacking) and every padding pattern. The
// reference is tfjs-layers' own kernels (the definition) and rnnc's fused kernels (what
// `rnnc predict` runs).

const TOL = 1e-5;

let tf: typeof Tf;
let loaded: LoadedTf;
beforeAll(async () => {
  loaded = await loadTf({ backend: 'wasm', kernels: 'fused', threads: 2 });
  tf = loaded.tf;
});

/** Largest |ONNX Runtime − tfjs| seen per group, printed at the end (the numbers the docs quote). */
const worst = new Map<string, number>();
afterAll(() => {
  if (worst.size === 0) return;
  console.log(['max |ONNX Runtime − tfjs| per group:', ...[...worst].map(([g, d]) => `  ${g}: ${d.toExponential(2)}`)].join('\n'));
});

async function onnxOf(model: Tf.LayersModel): Promise<Uint8Array> {
  const files = await modelFiles(model);
  const json = parseModelJson(files['model.json'], 'model.json');
  return buildOnnx(json, manifestEntries(json), files['weights.bin'], 'model.json').bytes;
}

/**
 * Exports `model` and compares ONNX Runtime with tfjs on every padding pattern: first tfjs's stock
 * kernels, then (the same model, fused in place) rnnc's. Returns the largest difference.
 */
async function compare(model: Tf.LayersModel, group: string, seed: number): Promise<number> {
  randomizeWeights(tf, model, seed);
  const bytes = await onnxOf(model);
  const vocab = Number(model.layers[0]!.getConfig()['inputDim']);
  const cases = batches(vocab, seed + 1);
  const predict = (rows: number[][]) => tf.tidy(() => (model.predict(tf.tensor2d(rows, [rows.length, TIME], 'int32')) as Tf.Tensor).dataSync().slice());
  const stock = cases.map((c) => predict(c.rows));
  prepareModel(loaded, model);
  const fused = cases.map((c) => predict(c.rows));
  expectSpread(stock, TOL, group);
  let max = 0;
  for (const [i, c] of cases.entries()) {
    const got = await runOnnx(bytes, c.rows);
    expect(got.length, `${group}, ${c.pattern}`).toBe(stock[i]!.length);
    for (const ref of [stock[i]!, fused[i]!]) {
      const d = Math.max(...Array.from(got, (v, k) => Math.abs(v - ref[k]!)));
      expect(d, `${group}, ${c.pattern}: ONNX ${Array.from(got).join(' ')} vs tfjs ${Array.from(ref).join(' ')}`).toBeLessThan(TOL);
      max = Math.max(max, d);
      worst.set(`padding pattern: ${c.pattern}`, Math.max(worst.get(`padding pattern: ${c.pattern}`) ?? 0, d));
    }
  }
  worst.set(group, Math.max(worst.get(group) ?? 0, max));
  model.dispose();
  return max;
}

describe.skipIf(!ort)('ONNX Runtime equals tfjs within 1e-5', () => {
  const sections = new Map<string, ReturnType<typeof exportCases>>();
  for (const c of exportCases().filter((c) => c.onnx !== false)) sections.set(c.section, [...(sections.get(c.section) ?? []), c]);
  for (const [section, cases] of sections) {
    describe(section, () => {
      for (const c of cases) {
        it(c.name, async () => {
          await compare(c.build(tf), c.group, c.seed);
        });
      }
    });
  }
});
