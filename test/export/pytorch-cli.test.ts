import { createServer } from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoCorpusTsv } from '../../src/data/demo.js';
import { decodeSafetensors } from '../../src/export/safetensors.js';
import { repo, rnnc, tempDir, type Run } from '../train-e2e/helpers.js';
import { runPython, torch } from '../support/torch.js';

// `rnnc export --format pytorch` and `rnnc import` as a user runs them (the built bin), and the
// exported folder as its README says to use it: model.py predicts what `rnnc predict` does,
// train.py continues training under torchrun with two processes (DDP, gloo) and both end with
// the same weights, and `rnnc import` brings the result back.

const dir = tempDir('pytorch-cli');
const spec = join(dir, 'tiny.rnn');
writeFileSync(spec, 'embed(8, vocab: 300) |> bi(lstm(6), merge: sum) |> dropout(0.2) |> dense(1)\n');
const model = join(dir, 'model');
const data = join(dir, 'data.tsv');
writeFileSync(data, demoCorpusTsv().split('\n').slice(0, 257).join('\n'));
const noTfjs = ['--import', join(repo, 'test/cli/no-tfjs-hook.mjs')];
const texts = ['what a wonderful film', 'the plot is utterly dull', 'Ünïcode and 10,000 UNKNOWN-words!', ''];

beforeAll(async () => {
  const r = await rnnc(['train', spec, '--data', data, '-o', model, '--epochs', '1', '--lr', '0.01', '--quiet']);
  if (r.code !== 0) throw new Error(`training the test model failed:\n${r.stderr}`);
}, 120_000);

const probabilities = (r: Run) => r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { probabilities: Record<string, number> }).probabilities['1']!);

async function pythonPredict(folder: string): Promise<number[]> {
  writeFileSync(join(dir, 'texts.json'), JSON.stringify(texts));
  const r = await runPython([join(repo, 'test/support/torch_predict.py'), folder, join(dir, 'texts.json')]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as number[][]).map((row) => row[0]!);
}

function expectClose(got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i]!), `text ${i}: ${v} vs ${want[i]}`).toBeLessThan(1e-5));
}

/** A port free right now, for torchrun's rendezvous. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

describe('rnnc export --format pytorch', () => {
  const out = join(dir, 'pt');

  it('writes the folder without loading TensorFlow.js, and lists the layers', async () => {
    const r = await rnnc(['export', model, '--format', 'pytorch', '-o', out], { nodeArgs: noTfjs });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`wrote ${out}/: model.py (the nn.Module), state_dict.safetensors, train.py (torchrun / DDP), README.md\n`);
    expect(r.stderr).toContain('  bidirectional: LSTM(6) bidirectional, sum on nn.LSTM\n');
    expect(r.stderr).toContain('  dropout: Dropout 0.2 (training only)\n');
    expect(readdirSync(out).sort()).toEqual(['README.md', 'export.json', 'model.json', 'model.py', 'spec.json', 'state_dict.safetensors', 'torchrun_compat.py', 'train.py', 'vocab.json']);
    expect(readFileSync(join(out, 'vocab.json'), 'utf8')).toBe(readFileSync(join(model, 'vocab.json'), 'utf8'));
    // Its README says how to run it here and on a cluster, with this model's own facts.
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    for (const said of ['torchrun --nproc_per_node 2 train.py', 'torchrun --nnodes 4 --nproc_per_node 8 --rdzv_backend c10d', 'python3 torchrun_compat.py', '- `bidirectional`: LSTM(6) bidirectional, sum on nn.LSTM', 'Labels, in output order: `0`, `1`.', 'rnnc import trained -o model-dir']) {
      expect(readme, said).toContain(said);
    }
    const { tensors, metadata } = decodeSafetensors(readFileSync(join(out, 'state_dict.safetensors')), 'state_dict.safetensors');
    expect(metadata).toEqual({ format: 'pt', producer: expect.stringMatching(/^rnnc /) as string });
    expect([...tensors.values()].map((t) => `${t.name} [${t.shape.join(', ')}]`)).toEqual([
      'embedding.weight [300, 8]',
      'bidirectional.rnn.weight_ih_l0 [24, 8]',
      'bidirectional.rnn.weight_hh_l0 [24, 6]',
      'bidirectional.rnn.bias_ih_l0 [24]',
      'bidirectional.rnn.bias_hh_l0 [24]',
      'bidirectional.rnn_reverse.weight_ih_l0 [24, 8]',
      'bidirectional.rnn_reverse.weight_hh_l0 [24, 6]',
      'bidirectional.rnn_reverse.bias_ih_l0 [24]',
      'bidirectional.rnn_reverse.bias_hh_l0 [24]',
      'dense.linear.weight [1, 6]',
      'dense.linear.bias [1]',
    ]);
    const settings = (JSON.parse(readFileSync(join(out, 'export.json'), 'utf8')) as { settings: object }).settings;
    expect(settings).toEqual({ optimizer: 'adam', lr: 0.01, loss: 'auto', epochs: 1, batch: 32, patience: 2, seed: 42 });
  });

  it('replaces a folder it wrote before, and refuses one with other files, the model folder, or no -o', async () => {
    expect((await rnnc(['export', model, '--format', 'pytorch', '-o', out])).code).toBe(0);
    const other = join(dir, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'mine');
    const r = await rnnc(['export', model, '--format', 'pytorch', '-o', other]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error[E4002]: cannot write ${other}: it holds files an export does not write (notes.txt); refusing to replace them`);
    expect(readdirSync(other)).toEqual(['notes.txt']);
    // What train.py leaves in the folder goes with it; anything else is the user's and stops the export.
    writeFileSync(join(out, 'history.json'), '{}');
    mkdirSync(join(out, '__pycache__'));
    expect((await rnnc(['export', model, '--format', 'pytorch', '-o', out])).code).toBe(0);
    expect(existsSync(join(out, 'history.json'))).toBe(false);
    mkdirSync(join(out, 'trained'));
    writeFileSync(join(out, 'train.tsv'), 'label\ttext\n');
    const mine = await rnnc(['export', model, '--format', 'pytorch', '-o', out]);
    expect([mine.code, mine.stderr]).toEqual([2, expect.stringContaining(`cannot write ${out}: it holds files an export does not write (train.tsv, trained); refusing to replace them`) as string]);
    expect(existsSync(join(out, 'trained')) && existsSync(join(out, 'train.tsv'))).toBe(true);
    for (const inside of [join(model, 'pt'), join(model, 'new', 'deeper', 'pt')]) {
      const r = await rnnc(['export', model, '--format', 'pytorch', '-o', inside]);
      expect([r.code, r.stderr], inside).toEqual([2, expect.stringContaining('it is inside the model folder') as string]);
    }
    const holder = join(dir, 'holder');
    expect((await rnnc(['train', spec, '--data', data, '-o', join(holder, 'm'), '--epochs', '1', '--quiet'])).code).toBe(0);
    const around = await rnnc(['export', join(holder, 'm'), '--format', 'pytorch', '-o', holder]);
    expect([around.code, around.stderr]).toEqual([2, expect.stringContaining(`the model folder ${join(holder, 'm')} is inside it`) as string]);
    expect(existsSync(join(holder, 'm', 'model.json'))).toBe(true);
    const noOut = await rnnc(['export', model, '--format', 'pytorch']);
    expect([noOut.code, noOut.stderr]).toEqual([2, expect.stringContaining('missing -o DIR') as string]);
  });

  it('`rnnc import` of the untouched export gives back the same weights.bin, byte for byte', async () => {
    const back = join(dir, 'back');
    const r = await rnnc(['import', out, '-o', back], { nodeArgs: noTfjs });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`wrote ${back}: model.json, weights.bin, vocab.json, spec.json (11 tensors from ${out})\n`);
    expect(readFileSync(join(back, 'weights.bin')).equals(readFileSync(join(model, 'weights.bin')))).toBe(true);
    expect(JSON.parse(readFileSync(join(back, 'model.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(model, 'model.json'), 'utf8')));
  });

  it('`rnnc import` refuses what is not an export, and a weights file that does not fit, saying which file', async () => {
    const notExport = await rnnc(['import', model, '-o', join(dir, 'x')]);
    expect(notExport.code).toBe(2);
    expect(notExport.stderr).toContain(`error[E4006]: ${join(model, 'export.json')}: missing`);
    const broken = join(dir, 'broken');
    expect((await rnnc(['export', model, '--format', 'pytorch', '-o', broken])).code).toBe(0);
    const weights = readFileSync(join(broken, 'state_dict.safetensors'));
    weights[8] = 0x78; // the header's opening brace
    writeFileSync(join(broken, 'state_dict.safetensors'), weights);
    const r = await rnnc(['import', broken, '-o', join(dir, 'y')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error\[E4006\]: .*state_dict\.safetensors: not a usable safetensors file: its header is not JSON/);
    writeFileSync(join(broken, 'state_dict.safetensors'), weights.subarray(0, 200));
    const short = await rnnc(['import', broken, '-o', join(dir, 'y')]);
    expect(short.stderr).toMatch(/error\[E4006\]: .*model\.json: its weights manifest describes \d+ bytes of weights, more than .*state_dict\.safetensors holds \(200\)/);
    expect(existsSync(join(dir, 'y'))).toBe(false);
    // A model.json or spec.json that is not what an export writes is a diagnostic, not a crash.
    const hostile = join(dir, 'hostile');
    expect((await rnnc(['export', model, '--format', 'pytorch', '-o', hostile])).code).toBe(0);
    const modelJson = readFileSync(join(hostile, 'model.json'), 'utf8');
    writeFileSync(join(hostile, 'model.json'), modelJson.replace('"layers":[', '"layers":[null,'));
    const nullLayer = await rnnc(['import', hostile, '-o', join(dir, 'z')]);
    expect([nullLayer.code, nullLayer.stderr]).toEqual([2, expect.stringContaining('modelTopology lists a layer that is not an object') as string]);
    writeFileSync(join(hostile, 'model.json'), modelJson);
    writeFileSync(join(hostile, 'spec.json'), '{"layers": [');
    const badSpec = await rnnc(['import', hostile, '-o', join(dir, 'z')]);
    expect([badSpec.code, badSpec.stderr]).toEqual([2, expect.stringContaining('spec.json: not a JSON object') as string]);
    // Importing into the export itself would hand its folder to the model store.
    const self = await rnnc(['import', out, '-o', out]);
    expect([self.code, self.stderr]).toEqual([2, expect.stringContaining(`it would replace ${out}, the export being read`) as string]);
    expect(existsSync(join(out, 'train.py'))).toBe(true);
  });
});

describe.skipIf(!torch)('the exported folder in PyTorch', () => {
  const out = join(dir, 'pt-run');
  const trained = join(dir, 'trained');
  let run: Run;

  beforeAll(async () => {
    expect((await rnnc(['export', model, '--format', 'pytorch', '-o', out])).code).toBe(0);
    // torchrun itself; on PyTorch 1.13 with Python 3.11 (Debian 12) its own launcher cannot start,
    // so the export ships torchrun_compat.py, which is torchrun with that fixed (its header says how).
    const probe = await runPython(['-c', 'from torch.distributed.elastic.multiprocessing.api import Std; print(Std.from_str("0") is not None)']);
    const launcher = probe.stdout.trim() === 'True' ? ['-m', 'torch.distributed.run'] : [join(out, 'torchrun_compat.py')];
    const port = await freePort();
    run = await runPython([...launcher, '--nproc_per_node', '2', '--master_addr', '127.0.0.1', '--master_port', String(port), join(out, 'train.py'), '--data', data, '--epochs', '4', '--lr', '0.02', '--batch', '16', '--backend', 'gloo', '--out', trained], { cwd: dir });
  }, 300_000);

  it('model.py predicts what `rnnc predict` does, within 1e-5, from text', async () => {
    const want = await rnnc(['predict', model, '--format', 'json', ...texts]);
    expect(want.code, want.stderr).toBe(0);
    expectClose(await pythonPredict(out), probabilities(want));
  });

  it('train.py under torchrun with 2 processes (gloo): the loss falls and both end with the same weights', () => {
    expect(run.code, run.stderr).toBe(0);
    const records = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; loss?: number; processes?: number });
    expect(records[0]).toMatchObject({ event: 'start', examples: 256, processes: 2 });
    const losses = records.filter((r) => r.event === 'epoch').map((r) => r.loss!);
    expect(losses.length).toBe(4);
    expect(losses[3]!).toBeLessThan(losses[0]! - 0.01);
    const hashes = [...run.stderr.matchAll(/rank (\d) of 2: weights sha256 ([0-9a-f]{64})/g)].map((m) => [m[1], m[2]]);
    expect(hashes.map((h) => h[0]).sort(), run.stderr).toEqual(['0', '1']);
    expect(hashes[0]![1]).toBe(hashes[1]![1]);
    const before = decodeSafetensors(readFileSync(join(out, 'state_dict.safetensors')), 'before');
    const after = decodeSafetensors(readFileSync(join(trained, 'state_dict.safetensors')), 'after');
    expect([...after.tensors.keys()]).toEqual([...before.tensors.keys()]);
    expect(after.tensors.get('dense.linear.weight')!.data).not.toEqual(before.tensors.get('dense.linear.weight')!.data);
    expect(existsSync(join(trained, 'history.json'))).toBe(true);
  });

  it('`rnnc import` brings the trained weights back: rnnc predicts what the trained module does', async () => {
    const back = join(dir, 'back-trained');
    const r = await rnnc(['import', trained, '-o', back]);
    expect(r.code, r.stderr).toBe(0);
    const want = await rnnc(['predict', back, '--format', 'json', ...texts]);
    expect(want.code, want.stderr).toBe(0);
    expectClose(await pythonPredict(trained), probabilities(want));
  });
});

describe.skipIf(!torch)('train.py on one process: a softmax head, CSV data, --valid', () => {
  it('learns three classes from a CSV with its own column names, keeps the best epoch, and refuses labels the model does not have', async () => {
    const words: Record<string, string[]> = { a: ['good', 'great', 'fine'], b: ['bad', 'awful', 'poor'], c: ['meh', 'okay', 'average'] };
    const rows = Array.from({ length: 240 }, (_, i) => {
      const label = 'abc'[i % 3]!;
      const text = Array.from({ length: 4 }, (_, k) => words[label]![(i * 7 + k * 5) % 3]).join(' ');
      return `"${text}, ""quoted"", film",${label}`;
    });
    const csv = join(dir, 'three.csv');
    writeFileSync(csv, ['Sentence,Class', ...rows].join('\r\n'));
    const three = join(dir, 'three.rnn');
    writeFileSync(three, 'embed(8, vocab: 100) |> gru(6) |> dense(3)\n');
    expect((await rnnc(['train', three, '--data', csv, '-o', join(dir, 'm3'), '--epochs', '1', '--quiet'])).code).toBe(0);
    const pt = join(dir, 'p3');
    expect((await rnnc(['export', join(dir, 'm3'), '--format', 'pytorch', '-o', pt])).code).toBe(0);
    const r = await runPython([join(pt, 'train.py'), '--data', csv, '--valid', csv, '--epochs', '4', '--lr', '0.02', '--out', join(dir, 't3')], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const epochs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; val_loss?: number; val_accuracy?: number; kept?: boolean }).filter((e) => e.event === 'epoch');
    expect(epochs.length).toBe(4);
    expect(epochs[3]!.val_loss!).toBeLessThan(epochs[0]!.val_loss!);
    expect(epochs[3]!.val_accuracy!).toBeGreaterThan(0.9);
    expect(r.stderr).toMatch(/^rank 0 of 1: weights sha256 [0-9a-f]{64}$/m);
    writeFileSync(join(dir, 'four.csv'), 'label,text\na,good film\nd,what is this\n');
    const bad = await runPython([join(pt, 'train.py'), '--data', join(dir, 'four.csv'), '--out', join(dir, 't4')], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("four.csv: labels 'd' are not the model's ('a', 'b', 'c')");
    expect(existsSync(join(dir, 't4'))).toBe(false);
  }, 120_000);

  it('a compiled model (no vocabulary yet) exports with a note, and its train.py says what is missing', async () => {
    const compiled = join(dir, 'compiled');
    expect((await rnnc(['compile', spec, '-o', compiled])).code).toBe(0);
    const pt = join(dir, 'p-compiled');
    const r = await rnnc(['export', compiled, '--format', 'pytorch', '-o', pt]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`note: ${compiled} has no vocab.json (a compiled model has no vocabulary until it is trained): model.py runs on ids, but train.py needs one`);
    const t = await runPython([join(pt, 'train.py'), '--data', data, '--out', join(dir, 't-compiled')], { cwd: dir });
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('has no vocab.json: the model was exported before rnnc trained it');
  });
});
