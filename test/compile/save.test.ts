import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTf } from '../../src/compile/backend.js';
import { buildModel, countParams } from '../../src/compile/layers.js';
import { loadModel, saveModel } from '../../src/compile/save.js';
import { RnncError } from '../../src/diagnostics/error.js';
import type { Program } from '../../src/ir/types.js';
import { bi, cell, dense, embed, program } from './helpers.js';

let tf: typeof Tf;
let root: string;

beforeAll(async () => {
  ({ tf } = await loadTf({ backend: 'wasm' }));
  root = await mkdtemp(join(tmpdir(), 'rnnc-save-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let n = 0;
/** A fresh parent folder per test, so leftovers (temp dirs) are visible. */
const freshParent = async () => {
  const p = join(root, `t${n++}`);
  await mkdir(p);
  return p;
};

const X = [
  [3, 4, 5, 0, 0],
  [6, 7, 8, 9, 10],
  [11, 3, 0, 0, 0],
  [12, 13, 14, 15, 0],
];
const Y = [[1], [0], [1], [0]];
const xs = () => tf.tensor2d(X, [4, 5], 'int32');
const ys = () => tf.tensor2d(Y, [4, 1]);
const predict = (m: Tf.LayersModel) => Array.from((m.predict(xs()) as Tf.Tensor).dataSync());
const weights = (m: Tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

const biModel: Program = program(embed(20, 4), bi(cell('lstm', 3)), dense(2, { activation: 'relu' }), bi(cell('gru', 2), 'ave'), dense(1));

describe('saveModel / loadModel round trip', () => {
  it('writes the tfjs layers-model layout plus extra files', async () => {
    const dir = join(await freshParent(), 'model');
    const model = buildModel(tf, biModel);
    await saveModel(model, dir, { 'spec.json': '{"a":1}', 'vocab.json': Buffer.from('["<pad>","<unk>"]') });
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'spec.json', 'vocab.json', 'weights.bin']);
    expect(await readFile(join(dir, 'spec.json'), 'utf8')).toBe('{"a":1}');
    expect(await readFile(join(dir, 'vocab.json'), 'utf8')).toBe('["<pad>","<unk>"]');

    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.convertedBy).toBeNull();
    expect(json.generatedBy).toMatch(/^TensorFlow\.js tfjs-layers v4\./);
    expect(json.modelTopology.class_name).toBe('Sequential');
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    const specs: { name: string; shape: number[]; dtype: string }[] = json.weightsManifest[0].weights;
    expect(specs[0]).toEqual({ name: 'embedding/embeddings', shape: [20, 4], dtype: 'float32' });
    const bytes = specs.reduce((s, w) => s + 4 * w.shape.reduce((a, d) => a * d, 1), 0);
    expect(bytes).toBe(4 * countParams(model).total);
    expect((await readFile(join(dir, 'weights.bin'))).length).toBe(bytes);
  });

  it('the loaded model predicts exactly the same numbers', async () => {
    const dir = join(await freshParent(), 'model');
    const model = buildModel(tf, biModel);
    await saveModel(model, dir);
    const loaded = await loadModel(tf, dir);
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    expect(countParams(loaded)).toEqual(countParams(model));
    expect(weights(loaded)).toEqual(weights(model));
    expect(predict(loaded)).toEqual(predict(model));
  });

  it('weight names have no tfjs uniquifying suffix even after other models in the process', async () => {
    buildModel(tf, biModel);
    buildModel(tf, biModel);
    const dir = join(await freshParent(), 'model');
    await saveModel(buildModel(tf, biModel), dir);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    const names: string[] = json.weightsManifest[0].weights.map((w: { name: string }) => w.name);
    expect(names.filter((s) => /_\d+$/.test(s.split('/').pop()!))).toEqual([]);
    expect(names).toContain('bidirectional_1/backward_gru_of_bidirectional_1/recurrent_kernel');
  });

  it('a loaded model trains further (recompiled)', async () => {
    const dir = join(await freshParent(), 'model');
    await saveModel(buildModel(tf, biModel), dir);
    const loaded = await loadModel(tf, dir);
    loaded.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy' });
    const before = weights(loaded);
    const h = await loaded.fit(xs(), ys(), { epochs: 5, batchSize: 4, verbose: 0, shuffle: false });
    const loss = h.history['loss'] as number[];
    expect(loss[4]!).toBeLessThan(loss[0]!);
    expect(weights(loaded)[0]).not.toEqual(before[0]); // the embedding moved: its gradient ran on wasm
  });

  it('with includeOptimizer, training resumes where the saved model stopped (Adam state restored)', async () => {
    const dir = join(await freshParent(), 'model');
    const model = buildModel(tf, biModel);
    model.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy' });
    await model.fit(xs(), ys(), { epochs: 2, batchSize: 4, verbose: 0, shuffle: false });
    await saveModel(model, dir, {}, { includeOptimizer: true });
    const resumed = await loadModel(tf, dir);
    expect(resumed.optimizer).toBeDefined();
    const fresh = await loadModel(tf, dir);
    fresh.compile({ optimizer: tf.train.adam(0.05), loss: 'binaryCrossentropy' });
    for (const m of [model, resumed, fresh]) await m.fit(xs(), ys(), { epochs: 1, batchSize: 4, verbose: 0, shuffle: false });
    const maxDiff = (m: Tf.LayersModel) => {
      const a = weights(model).flat();
      return Math.max(...weights(m).flat().map((v, i) => Math.abs(v - a[i]!)));
    };
    // Not bit-exact: tfjs recomputes Adam's beta^t from the step count instead of restoring its running product.
    expect(maxDiff(resumed)).toBeLessThan(1e-5);
    expect(maxDiff(fresh)).toBeGreaterThan(1e-3);
  });

  it('frozen layers stay frozen after loading (tfjs resets Bidirectional.trainable)', async () => {
    const dir = join(await freshParent(), 'model');
    const p = program(embed(20, 4, { trainable: false }), { ...bi(cell('lstm', 3)), trainable: false }, dense(1));
    const model = buildModel(tf, p);
    await saveModel(model, dir);
    const loaded = await loadModel(tf, dir);
    expect(countParams(model)).toEqual({ total: 80 + 2 * 4 * (3 * 7 + 3) + 7, trainable: 7, nonTrainable: 80 + 192 });
    expect(countParams(loaded)).toEqual(countParams(model));
  });
});

describe('atomic save', () => {
  it('replaces an earlier model directory and leaves nothing beside it', async () => {
    const parent = await freshParent();
    const dir = join(parent, 'model');
    await saveModel(buildModel(tf, biModel), dir, { 'old.txt': 'old' });
    const second = buildModel(tf, biModel);
    await saveModel(second, dir, { 'new.txt': 'new' });
    // `model` names the new version in the store beside it, which keeps the one before it for
    // readers still reading that (store.ts) and nothing else.
    expect((await readdir(parent)).sort()).toEqual(['.model.rnnc', 'model']);
    expect((await lstat(dir)).isSymbolicLink()).toBe(true);
    expect((await readdir(join(parent, '.model.rnnc'))).length).toBe(2);
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'new.txt', 'weights.bin']);
    expect(predict(await loadModel(tf, dir))).toEqual(predict(second));
  });

  it('a failed write leaves the earlier directory intact and no temp dir behind', async () => {
    const parent = await freshParent();
    const dir = join(parent, 'model');
    const first = buildModel(tf, biModel);
    await saveModel(first, dir, { 'spec.json': 'first' });
    const before = await readFile(join(dir, 'weights.bin'));

    // model.json and weights.bin are written into the temp dir before the bad extra fails.
    const unserializable = { not: 'bytes' } as unknown as string;
    const err = await saveModel(buildModel(tf, biModel), dir, { 'spec.json': 'second', 'vocab.json': unserializable }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RnncError);
    expect((err as RnncError).codeName).toBe('CannotWrite');
    expect((err as RnncError).message).toMatch(/^cannot write the model to .*model: /);

    expect((await readdir(parent)).sort()).toEqual(['.model.rnnc', 'model']);
    expect((await readdir(join(parent, '.model.rnnc'))).length).toBe(1);
    expect(await readFile(join(dir, 'spec.json'), 'utf8')).toBe('first');
    expect((await readFile(join(dir, 'weights.bin'))).equals(before)).toBe(true);
    expect(predict(await loadModel(tf, dir))).toEqual(predict(first));
  });

  it('a failed first save creates no directory at all', async () => {
    const parent = await freshParent();
    const bad = { 'x.json': 42 as unknown as string };
    await expect(saveModel(buildModel(tf, biModel), join(parent, 'model'), bad)).rejects.toBeInstanceOf(RnncError);
    expect(await readdir(parent)).toEqual([]);
  });

  it('refuses to replace a folder that is not a model directory', async () => {
    const parent = await freshParent();
    const dir = join(parent, 'src');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'keep me');
    await expect(saveModel(buildModel(tf, biModel), dir)).rejects.toThrow(
      `cannot write the model to ${dir}: it is a folder with other files (no model.json); refusing to replace it`,
    );
    expect(await readdir(dir)).toEqual(['notes.txt']);
    const file = join(parent, 'file');
    await writeFile(file, 'x');
    await expect(saveModel(buildModel(tf, biModel), file)).rejects.toThrow(/: it exists and is not a folder$/);
    expect((await readdir(parent)).sort()).toEqual(['file', 'src']);
  });

  it('rejects extra names that leave the directory or clobber the model', async () => {
    const dir = join(await freshParent(), 'model');
    const model = buildModel(tf, biModel);
    await expect(saveModel(model, dir, { '../escape.json': 'x' })).rejects.toThrow(/not a plain file name/);
    await expect(saveModel(model, dir, { 'model.json': 'x' })).rejects.toThrow(/overwrite the model/);
  });

  it('creates missing parent folders', async () => {
    const dir = join(await freshParent(), 'a', 'b', 'model');
    await saveModel(buildModel(tf, biModel), dir);
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
  });
});

describe('loadModel errors', () => {
  const loadError = async (dir: string) => {
    const err = await loadModel(tf, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RnncError);
    expect((err as RnncError).codeName).toBe('BadModelDir');
    return (err as RnncError).message;
  };
  const savedDir = async () => {
    const dir = join(await freshParent(), 'model');
    await saveModel(buildModel(tf, biModel), dir);
    return dir;
  };

  it('missing directory', async () => {
    const dir = join(root, 'nope');
    expect(await loadError(dir)).toBe(`no model folder ${dir}`);
  });

  it('invalid JSON, wrong format, no topology', async () => {
    const dir = await savedDir();
    await writeFile(join(dir, 'model.json'), '{"modelTopology": ');
    expect(await loadError(dir)).toMatch(/model\.json is not valid JSON/);
    await writeFile(join(dir, 'model.json'), JSON.stringify({ format: 'graph-model', modelTopology: {} }));
    expect(await loadError(dir)).toMatch(/model\.json holds a `graph-model`, not a tfjs layers model/);
    await writeFile(join(dir, 'model.json'), '{}');
    expect(await loadError(dir)).toMatch(/model\.json has no modelTopology/);
  });

  it('truncated or missing weights', async () => {
    const dir = await savedDir();
    const bin = await readFile(join(dir, 'weights.bin'));
    await writeFile(join(dir, 'weights.bin'), bin.subarray(0, bin.length - 4));
    expect(await loadError(dir)).toBe(`${dir}/weights.bin holds ${bin.length - 4} bytes, but its manifest describes ${bin.length}`);
    await rm(join(dir, 'weights.bin'));
    expect(await loadError(dir)).toBe(`${dir}/weights.bin is missing`);
  });

  it('weight paths outside the directory', async () => {
    const dir = await savedDir();
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = ['../../etc/passwd'];
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    expect(await loadError(dir)).toMatch(/weights path `\.\.\/\.\.\/etc\/passwd` is not a file in the folder/);
  });

  it('a malformed weights manifest', async () => {
    const dir = await savedDir();
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].weights[0].shape = 'big';
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    expect(await loadError(dir)).toMatch(/model\.json: malformed weight entry \{"name":"embedding\/embeddings","shape":"big"/);
    json.weightsManifest = [{}];
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    expect(await loadError(dir)).toMatch(/model\.json: a weightsManifest entry lacks `paths` or `weights`/);
  });

  it('a topology tfjs cannot rebuild', async () => {
    const dir = await savedDir();
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    json.modelTopology.config.layers[1].class_name = 'NoSuchLayer';
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    expect(await loadError(dir)).toMatch(/tfjs could not rebuild the model \(.*NoSuchLayer/);
  });
});
