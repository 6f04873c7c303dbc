import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoCorpusTsv } from '../../src/data/demo.js';
import { decodeModel } from '../../src/export/proto.js';
import { repo, rnnc, runNode, tempDir, type Run } from '../train-e2e/helpers.js';
import { ort } from '../support/onnx-runtime.js';

// `rnnc export`, and `predict`/`eval --engine onnx`, as a user runs them (the built bin).

const dir = tempDir('export-cli');
const spec = join(dir, 'tiny.rnn');
writeFileSync(spec, 'embed(8, vocab: 300) |> bi(gru(6)) |> dense(1)\n');
const model = join(dir, 'model');
const demoTsv = join(dir, 'demo.tsv');
writeFileSync(demoTsv, demoCorpusTsv().split('\n').slice(0, 301).join('\n'));
const noTfjs = ['--import', join(repo, 'test/cli/no-tfjs-hook.mjs')];
const noOrt = ['--import', join(repo, 'test/export/no-ort-hook.mjs')];
const texts = ['what a wonderful film', 'the plot is utterly dull', 'Ünïcode and 10,000 UNKNOWN-words!', ''];

beforeAll(async () => {
  const r = await rnnc(['train', spec, '-o', model, '--epochs', '1', '--lr', '0.01', '--quiet']);
  if (r.code !== 0) throw new Error(`training the test model failed:\n${r.stderr}`);
});

const jsonLines = (r: Run) => r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { text: string; probabilities: Record<string, number> });

describe('rnnc export', () => {
  it('writes the ONNX file and the folder’s vocab.json beside it, and says what it wrote', async () => {
    const out = join(dir, 'onnx', 'model.onnx');
    const r = await rnnc(['export', model, '--format', 'onnx', '-o', out], { nodeArgs: noTfjs });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^wrote .*model\.onnx: ONNX opset 17, [\d,]+ bytes; input `ids` int64 \[batch, time\], output `output` float32 \[batch, 1\]\n/);
    expect(r.stderr).toContain('  bidirectional: GRU bidirectional, concat\n');
    expect(readFileSync(join(dir, 'onnx', 'vocab.json'), 'utf8')).toBe(readFileSync(join(model, 'vocab.json'), 'utf8'));
    const m = decodeModel(readFileSync(out)) as { metadata_props: { key: string; value: string }[] };
    expect(m.metadata_props.find((p) => p.key === 'rnnc.labels')?.value).toBe('["0","1"]');
    // --format defaults to onnx.
    expect((await rnnc(['export', model, '-o', join(dir, 'again.onnx')])).code).toBe(0);
  });

  it('a compiled model (no vocabulary yet) exports with a note; a layer ONNX cannot express is E4014 naming it (exit 1)', async () => {
    const compiled = join(dir, 'compiled');
    expect((await rnnc(['compile', spec, '-o', compiled])).code).toBe(0);
    const r = await rnnc(['export', compiled, '-o', join(dir, 'c', 'm.onnx')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('has no vocab.json (a compiled model has no vocabulary until it is trained), so none was written');
    expect(existsSync(join(dir, 'c', 'vocab.json'))).toBe(false);

    const softmax = join(dir, 'softmax.rnn');
    writeFileSync(softmax, 'embed(4, vocab: 20) |> lstm(3, activation: softmax) |> dense(1)\n');
    expect((await rnnc(['compile', softmax, '-o', join(dir, 'softmax')])).code).toBe(0);
    const e = await rnnc(['export', join(dir, 'softmax'), '-o', join(dir, 's.onnx')]);
    expect(e.code).toBe(1);
    expect(e.stderr).toContain("error[E4014]: layer `lstm` (LSTM): its activation is softmax, which ONNX's LSTM operator does not offer");
    expect(existsSync(join(dir, 's.onnx'))).toBe(false);
  });

  it('refuses to write into the model folder (the next train replaces it), a bad --format, and no -o', async () => {
    const inside = await rnnc(['export', model, '-o', join(model, 'model.onnx')]);
    expect(inside.code).toBe(2);
    expect(inside.stderr).toContain('error[E4002]: cannot write');
    expect(inside.stderr).toContain('it is inside the model folder');
    const format = await rnnc(['export', model, '--format', 'keras', '-o', join(dir, 'x.h5')]);
    expect([format.code, format.stderr]).toEqual([2, 'rnnc export: --format must be onnx or pytorch, got keras\n(`rnnc export --help` shows its options)\n']);
    expect((await rnnc(['export', model])).stderr).toContain('missing -o FILE');
    const vocab = await rnnc(['export', model, '-o', join(dir, 'vocab.json')]);
    expect(vocab.code).toBe(2);
  });
});

describe('--engine', () => {
  it('onnx without onnxruntime-node is E4003 (exit 2) saying how to get it; a bad value or a tfjs flag with onnx is a usage error', async () => {
    const r = await rnnc(['predict', model, '--engine', 'onnx', 'a film'], { nodeArgs: noOrt });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[E4003]: ONNX Runtime is not installed (onnxruntime-node)');
    expect(r.stderr).toContain('install it with `npm install onnxruntime-node`, or run on TensorFlow.js with `--engine tfjs`');
    const bad = await rnnc(['eval', model, '--data', demoTsv, '--engine', 'torch']);
    expect([bad.code, bad.stderr]).toEqual([2, 'rnnc eval: --engine must be tfjs or onnx, got torch\n(`rnnc eval --help` shows its options)\n']);
    const mixed = await rnnc(['predict', model, '--engine', 'onnx', '--backend', 'wasm', 'a film']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('--backend chooses how TensorFlow.js runs; leave it out with --engine onnx');
  });
});

describe.skipIf(!ort)('on ONNX Runtime', () => {
  it('predict --engine onnx gives the probabilities tfjs gives (within 1e-5), without loading TensorFlow.js', async () => {
    const [onnx, tfjs] = await Promise.all([
      rnnc(['predict', model, '--engine', 'onnx', '--threads', '1', '--format', 'json', ...texts], { nodeArgs: noTfjs }),
      rnnc(['predict', model, '--format', 'json', ...texts]),
    ]);
    expect([onnx.code, tfjs.code], onnx.stderr).toEqual([0, 0]);
    expect(onnx.stderr).toMatch(/^engine: onnx \(ONNX Runtime 1\.\d+\.\d+, 1 thread\)\n$/);
    const a = jsonLines(onnx);
    const b = jsonLines(tfjs);
    expect(a.map((o) => o.text)).toEqual(texts);
    for (const [i, o] of a.entries()) for (const l of ['0', '1']) expect(Math.abs(o.probabilities[l]! - b[i]!.probabilities[l]!)).toBeLessThan(1e-5);
  });

  it('eval --engine onnx reports the metrics tfjs reports', async () => {
    const [onnx, tfjs] = await Promise.all([
      rnnc(['eval', model, '--data', demoTsv, '--engine', 'onnx', '--format', 'json']),
      rnnc(['eval', model, '--data', demoTsv, '--format', 'json']),
    ]);
    expect([onnx.code, tfjs.code], onnx.stderr).toEqual([0, 0]);
    const a = JSON.parse(onnx.stdout) as { loss: number; accuracy: number; confusion: number[][]; count: number };
    const b = JSON.parse(tfjs.stdout) as typeof a;
    expect(a.count).toBe(300);
    expect([a.accuracy, a.confusion]).toEqual([b.accuracy, b.confusion]);
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5);
  });

  it('ONNX Runtime alone classifies with the exported file as docs/examples/predict-with-onnxruntime.mjs shows, with the numbers of rnnc predict', async () => {
    const out = join(dir, 'example', 'model.onnx');
    expect((await rnnc(['export', model, '-o', out])).code).toBe(0);
    const [example, ours] = await Promise.all([runNode(['docs/examples/predict-with-onnxruntime.mjs', out, ...texts]), rnnc(['predict', model, '--format', 'json', ...texts])]);
    expect([example.code, ours.code], example.stderr).toEqual([0, 0]);
    const a = jsonLines(example);
    const b = jsonLines(ours);
    expect(a.map((o) => o.text)).toEqual(texts);
    for (const [i, o] of a.entries()) for (const l of ['0', '1']) expect(Math.abs(o.probabilities[l]! - b[i]!.probabilities[l]!)).toBeLessThan(1e-5);
  });
});
