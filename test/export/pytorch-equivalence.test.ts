import type * as Tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestEntries, parseModelJson } from '../../src/artifacts/weights.js';
import { loadTf, prepareModel, type LoadedTf } from '../../src/compile/backend.js';
import { modelFiles } from '../../src/compile/save.js';
import { buildPytorch, WEIGHTS_FILE } from '../../src/export/pytorch/export.js';
import { decodeSafetensors } from '../../src/export/safetensors.js';
import { tempDir } from '../train-e2e/helpers.js';
import { repo } from '../cli/run.js';
import { runPython, torch } from '../support/torch.js';
import { batches, expectSpread, exportCases, randomizeWeights, TIME } from './cases.js';

// The exported PyTorch module (model.py + state_dict.safetensors) against TensorFlow.js on the
// model it came from: the same ids must give outputs within 1e-5 (absolute), for every model in
// cases.ts (every spec in specs/, every cell, direction, merge mode and stacking) and every
// padding pattern, both on nn.LSTM/nn.RNN where model.py uses them and on its step loop. The
// reference is tfjs-layers' own kernels and rnnc's fused kernels. One Python process runs every
// model (PyTorch takes seconds to import).

const TOL = 1e-5;
const dir = tempDir('pytorch-equivalence');

interface Prepared {
  stock: ArrayLike<number>[];
  fused: ArrayLike<number>[];
  patterns: string[];
  keys: string[];
}
interface PythonResult {
  keys: string[];
  native: number[][];
  loop: number[][];
}

let tf: typeof Tf;
let loaded: LoadedTf;
const cases = exportCases();
const prepared: Prepared[] = [];
let results: PythonResult[] = [];
let pythonError = '';

const worst = new Map<string, number>();
afterAll(() => {
  if (worst.size > 0) console.log(['max |PyTorch − tfjs| per group:', ...[...worst].map(([g, d]) => `  ${g}: ${d.toExponential(2)}`)].join('\n'));
});

describe.skipIf(!torch)('the PyTorch module equals tfjs within 1e-5', () => {
  beforeAll(async () => {
    loaded = await loadTf({ backend: 'wasm', kernels: 'fused', threads: 2 });
    tf = loaded.tf;
    const jobs: { dir: string; batches: number[][][] }[] = [];
    for (const [k, c] of cases.entries()) {
      const model = c.build(tf);
      randomizeWeights(tf, model, c.seed);
      const files = await modelFiles(model);
      const json = parseModelJson(files['model.json'], 'model.json');
      const exported = buildPytorch({ json, entries: manifestEntries(json), bytes: files['weights.bin'], file: 'model.json', source: c.name, rnncVersion: 'test' });
      const out = join(dir, `case-${k}`);
      mkdirSync(out);
      for (const [name, content] of exported.files) writeFileSync(join(out, name), content);
      const vocab = Number(model.layers[0]!.getConfig()['inputDim']);
      const inputs = batches(vocab, c.seed + 1);
      const predict = (rows: number[][]) => tf.tidy(() => (model.predict(tf.tensor2d(rows, [rows.length, TIME], 'int32')) as Tf.Tensor).dataSync().slice());
      const stock = inputs.map((b) => predict(b.rows));
      prepareModel(loaded, model);
      const fused = inputs.map((b) => predict(b.rows));
      model.dispose();
      const keys = [...decodeSafetensors(exported.files.get(WEIGHTS_FILE) as Uint8Array, WEIGHTS_FILE).tensors.keys()];
      prepared.push({ stock, fused, patterns: inputs.map((b) => b.pattern), keys });
      jobs.push({ dir: out, batches: inputs.map((b) => b.rows) });
    }
    writeFileSync(join(dir, 'jobs.json'), JSON.stringify(jobs));
    const r = await runPython([join(repo, 'test/support/torch_forward.py'), join(dir, 'jobs.json')]);
    if (r.code !== 0) pythonError = r.stderr;
    else results = JSON.parse(r.stdout) as PythonResult[];
  }, 600_000);

  const sections = new Map<string, number[]>();
  cases.forEach((c, k) => sections.set(c.section, [...(sections.get(c.section) ?? []), k]));
  for (const [section, indices] of sections) {
    describe(section, () => {
      for (const k of indices) {
        const c = cases[k]!;
        it(c.name, () => {
          expect(pythonError).toBe('');
          const p = prepared[k]!;
          const r = results[k]!;
          // load_state_dict was strict; the file holds exactly the module's parameters, in its order.
          expect(r.keys).toEqual(p.keys);
          expectSpread(p.stock, TOL, c.group);
          for (const mode of ['native', 'loop'] as const) {
            p.patterns.forEach((pattern, i) => {
              const got = r[mode][i]!;
              expect(got.length, `${c.name}, ${pattern}`).toBe(p.stock[i]!.length);
              for (const ref of [p.stock[i]!, p.fused[i]!]) {
                const d = Math.max(...got.map((v, j) => Math.abs(v - ref[j]!)));
                expect(d, `${c.name}, ${pattern}, ${mode}: PyTorch ${got.join(' ')} vs tfjs ${Array.from(ref).join(' ')}`).toBeLessThan(TOL);
                worst.set(c.group, Math.max(worst.get(c.group) ?? 0, d));
                worst.set(`padding pattern: ${pattern}`, Math.max(worst.get(`padding pattern: ${pattern}`) ?? 0, d));
              }
            });
          }
        });
      }
    });
  }
});
