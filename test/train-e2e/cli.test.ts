import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SIZE, demoCorpusTsv } from '../../src/data/demo.js';
import { loadVectors } from '../../src/vectors/load.js';
import { Vocab } from '../../src/text/vocab.js';
import { tarGz, type TarEntry } from '../support/tar-writer.js';
import { rnnc, runNode, tempDir, type Run } from './helpers.js';

const dir = tempDir('train-cli');
const spec = join(dir, 'tiny.rnn');
writeFileSync(spec, '# a tiny classifier for CLI tests\nembed(16, vocab: 300) |> gru(16) |> dense(1)\n');
const model = join(dir, 'model');
const demoTsv = join(dir, 'demo.tsv');
writeFileSync(demoTsv, demoCorpusTsv());

describe('rnnc train on the embedded demo corpus (no --data)', () => {
  let run: Run;
  beforeAll(async () => {
    run = await rnnc(['train', spec, '-o', model, '--epochs', '3', '--lr', '0.01', '--quiet']);
  });

  it('trains, learns, prints the backend and per-epoch lines, and writes the model directory', () => {
    expect(run.stderr).toContain('no --data: training on the embedded demo corpus (2000 generated movie-review sentences');
    expect(run.stderr).toMatch(/^backend: wasm/m);
    expect(run.stderr).toMatch(/^epoch 3\/3 {2}loss \d\.\d{4} {2}acc \d\.\d{4} {2}val_loss \d\.\d{4} {2}val_acc \d\.\d{4} {2}\d+s/m);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^trained 3 epochs in \d+s on wasm \(kernels: fused, \d threads?\); kept epoch \d \(best validation loss\)\nparams: 6,401 \(6,401 trainable\)\nvalidation \(200 examples\):\n {2}examples: {2}200\n/);
    for (const f of ['model.json', 'weights.bin', 'vocab.json', 'spec.json', 'metrics.json', 'checkpoint.json', 'checkpoint.bin']) {
      expect(existsSync(join(model, f)), f).toBe(true);
    }
    const metrics = JSON.parse(readFileSync(join(model, 'metrics.json'), 'utf8'));
    expect(metrics.data).toMatchObject({ source: 'rnnc demo corpus (generated)', format: 'demo', examples: DEMO_SIZE, train: 1800, validation: 200 });
    expect(metrics.settings.maxlen).toBe(32); // the demo corpus's own maxlen
    // Well above chance on the demo task after 3 epochs of a 16-unit GRU at lr 0.01 (measured: 0.94).
    expect(metrics.final.validation.accuracy).toBeGreaterThan(0.8);
  });

  it('stock TensorFlow.js alone classifies with the folder as docs/examples/predict-with-tfjs.mjs shows, with the numbers of rnnc predict', async () => {
    const texts = ['what a wonderful film', 'the plot is utterly dull', 'Ünïcode and 10,000 UNKNOWN-words!'];
    const [example, ours] = await Promise.all([
      runNode(['docs/examples/predict-with-tfjs.mjs', model, ...texts]),
      rnnc(['predict', model, '--format', 'json', ...texts]),
    ]);
    expect([example.code, ours.code]).toEqual([0, 0]);
    const theirs = example.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    const mine = ours.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(theirs.map((o) => o.text)).toEqual(texts);
    for (const [i, o] of theirs.entries()) {
      for (const label of ['0', '1']) expect(Math.abs(o.probabilities[label] - mine[i].probabilities[label])).toBeLessThan(1e-5);
    }
  });

  it('predict: texts as arguments, or one per line on stdin; --format json gives JSON lines', async () => {
    const args = await rnnc(['predict', model, 'what a wonderful film', 'the plot is utterly dull']);
    expect(args.code).toBe(0);
    expect(args.stderr).toMatch(/^backend: wasm/);
    const lines = args.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^1\tP\(1\)=0\.\d{4}\twhat a wonderful film$/);
    expect(lines[1]).toMatch(/^0\tP\(0\)=0\.\d{4}\tthe plot is utterly dull$/);

    const piped = await rnnc(['predict', model, '--format', 'json'], { input: 'what a wonderful film\nthe plot is utterly dull\n' });
    expect(piped.code).toBe(0);
    const objs = piped.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(objs.map((o) => [o.text, o.label])).toEqual([
      ['what a wonderful film', '1'],
      ['the plot is utterly dull', '0'],
    ]);
    for (const [i, o] of objs.entries()) {
      expect(o.probability).toBe(o.probabilities[o.label]);
      expect(o.probabilities['0'] + o.probabilities['1']).toBeCloseTo(1, 6);
      expect(lines[i]!.split('\t')[1]).toBe(`P(${o.label})=${o.probability.toFixed(4)}`);
    }
  });

  it('eval prints metrics, and --format json the same numbers', async () => {
    const printed = join(dir, 'printed.tsv');
    const demo = await rnnc(['data', 'demo', '-o', printed]);
    expect(demo.code).toBe(0);
    expect(readFileSync(printed, 'utf8')).toBe(readFileSync(demoTsv, 'utf8'));
    expect(readFileSync(demoTsv, 'utf8').split('\n')).toHaveLength(DEMO_SIZE + 2);
    const text = await rnnc(['eval', model, '--data', demoTsv]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^examples: {2}2000\nloss: {6}\d\.\d{4}\naccuracy: {2}\d+\.\d\d%\nprecision: \d+\.\d\d% {2}\(positive class "1"\)\nrecall: {4}\d+\.\d\d%\nf1: {8}\d+\.\d\d%\nconfusion matrix/);
    const json = JSON.parse((await rnnc(['eval', model, '--data', demoTsv, '--format', 'json'])).stdout);
    expect(json).toMatchObject({ count: 2000, averaging: 'binary', positive: '1', labels: ['0', '1'] });
    expect(text.stdout).toContain(`accuracy:  ${(json.accuracy * 100).toFixed(2)}%`);
    expect(json.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(2000);
  });

  it('vectors exports the embedding as a .vec file that reads back', async () => {
    const vec = join(dir, 'demo.vec');
    const r = await rnnc(['vectors', model, '-o', vec]);
    expect(r.code).toBe(0);
    const vocab = Vocab.fromJSON(JSON.parse(readFileSync(join(model, 'vocab.json'), 'utf8')));
    expect(r.stderr).toBe(`wrote ${vec}: ${vocab.size - 2} words × 16 dimensions\n`);
    const back = await loadVectors(vec, vocab);
    expect(back).toMatchObject({ format: 'fasttext', dim: 16, found: vocab.size - 2, total: vocab.size - 2 });
  });

  it('experiment compares specs on one split and writes Markdown with the command', async () => {
    const second = join(dir, 'tiny-rnn.rnn');
    writeFileSync(second, 'embed(16, vocab: 300) |> rnn(8) |> dense(1)\n');
    const md = join(dir, 'results.md');
    const r = await rnnc(['experiment', spec, second, '--data', demoTsv, '--test-split', '0.2', '--epochs', '1', '--lr', '0.01', '--quiet', '--maxlen', '32', '--out', md]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^spec +params +trainable +train time +epochs \(kept\/run\) +val accuracy +test accuracy$/);
    expect(lines[2]).toMatch(/^tiny\.rnn +6,401 +6,401 +\d+ s +1\/1 +\d+\.\d% +\d+\.\d%$/);
    expect(lines[3]).toMatch(/^tiny-rnn\.rnn +5,009 +5,009 /);
    expect(r.stderr).toContain('experiment: 2 specs; 1600 examples for training and validation (val_split 0.1), 400 for test; seed 42');
    const text = readFileSync(md, 'utf8');
    expect(text).toContain('| spec | params | trainable | train time | epochs (kept/run) | val accuracy | test accuracy |');
    expect(text).toMatch(/```sh\nrnnc experiment .*tiny\.rnn .*tiny-rnn\.rnn --data .*demo\.tsv --test-split 0\.2 --epochs 1 --lr 0\.01 --quiet --maxlen 32 --out .*results\.md\n```/);
  });
});

describe('rnnc train: bad input is a message and an exit code', () => {
  it('usage errors exit 2', async () => {
    const noOut = await rnnc(['train', spec]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('rnnc train: missing -o DIR');
    for (const [flag, value, message] of [
      ['--epochs', '0', '--epochs must be between 1 and 100000, got 0'],
      ['--val-split', '1.5', '--val-split must be in [0, 1), got 1.5'],
      ['--optimizer', 'adamw', '--optimizer must be one of adam, sgd, rmsprop, adagrad, got "adamw"'],
    ] as const) {
      const r = await rnnc(['train', spec, '-o', join(dir, 'x'), flag, value]);
      expect(r.code, flag).toBe(2);
      expect(r.stderr).toContain(`rnnc train: ${message}`);
      expect(r.stderr).not.toContain('    at ');
    }
  });

  it('a missing data file exits 2; labels that do not fit the head exit 1', async () => {
    const missing = await rnnc(['train', spec, '-o', join(dir, 'x'), '--data', join(dir, 'nope.tsv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`rnnc train: error[E4001]: data file not found: ${join(dir, 'nope.tsv')}\n`);

    const notAModel = await rnnc(['train', spec, '-o', dir, '--epochs', '1']);
    expect(notAModel.code).toBe(2);
    expect(notAModel.stderr).toContain(`rnnc train: error[E4002]: cannot write the model to ${dir}: it is a folder with other files (no model.json); refusing to replace it`);

    const three = join(dir, 'three.tsv');
    writeFileSync(three, 'label\ttext\npos\tgreat\nneg\tawful\nmeh\tfine i guess\n');
    const r = await rnnc(['train', spec, '-o', join(dir, 'x'), '--data', three]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rnnc train: error[E4007]: the data has 3 labels: "meh", "neg", "pos", but the model\'s head `dense(1)` is binary (two labels)\n  = help: end the model with `dense(3)` (softmax over 3 classes)\n');
  });

  it('malformed rows are reported with file and line, counted, and training goes on', async () => {
    const rows = ['label\ttext', ...Array.from({ length: 60 }, (_, i) => `${i % 2}\t${i % 2 ? 'a wonderful film' : 'a dull film'} ${i}`)];
    rows.splice(5, 0, 'just one field');
    rows.splice(9, 0, '1\t');
    const bad = join(dir, 'bad.tsv');
    writeFileSync(bad, `${rows.join('\n')}\n`);
    const r = await rnnc(['train', spec, '-o', join(dir, 'bad-model'), '--data', bad, '--epochs', '1', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6: warning: .+ \\(row skipped\\)$`, 'm'));
    expect(r.stderr).toMatch(/:10: warning: .+ \(row skipped\)$/m);
    expect(r.stderr).toContain('2 rows could not be used');
    expect(JSON.parse(readFileSync(join(dir, 'bad-model', 'metrics.json'), 'utf8')).data).toMatchObject({ examples: 60, problems: 2 });
  });

  it('--val-file validates on another file; a label the training data lacks exits 1', async () => {
    const val = join(dir, 'val.tsv');
    writeFileSync(val, readFileSync(demoTsv, 'utf8').split('\n').slice(0, 101).join('\n'));
    const r = await rnnc(['train', spec, '--data', demoTsv, '--val-file', val, '-o', join(dir, 'val-model'), '--epochs', '1', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('data: 2000 training, 100 validation examples');
    const odd = join(dir, 'odd.tsv');
    writeFileSync(odd, 'label\ttext\n1\tgood\n2\tstrange\n');
    const bad = await rnnc(['train', spec, '--data', demoTsv, '--val-file', odd, '-o', join(dir, 'odd-model'), '--epochs', '1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`error[E4007]: validation file ${odd} has label "2", which the model does not know (its labels: "0", "1")`);
  });

  it('eval, predict and vectors on a folder that is not a model exit 2', async () => {
    for (const args of [
      ['eval', dir, '--data', join(dir, 'three.tsv')],
      ['predict', dir, 'text'],
      ['vectors', dir, '-o', join(dir, 'v.vec')],
    ]) {
      const r = await rnnc(args);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr, args[0]).toMatch(/error\[E400[16]\]: .*(vocab\.json|not a trained rnnc model)/);
    }
    expect((await rnnc(['eval', dir])).stderr).toContain('rnnc eval: missing --data PATH');
  });
});

describe('Ctrl-C and --resume through the CLI', () => {
  it('SIGINT stops after saving a checkpoint (exit 130); --resume continues from it', async () => {
    const out = join(dir, 'interrupted');
    const args = ['train', spec, '-o', out, '--epochs', '300', '--lr', '0.01', '--quiet'];
    // Signal once the first epoch has been checkpointed.
    let sent = false;
    const first = await rnnc(args, {
      onStderr: (err, signal) => {
        if (!sent && /^epoch 1\/300 /m.test(err)) {
          sent = true;
          signal('SIGINT');
        }
      },
    });
    expect(first.code).toBe(130);
    expect(first.stderr).toContain('Ctrl-C: stopping after this step and saving a checkpoint');
    expect(first.stderr).toMatch(/^interrupted in epoch \d+ after step \d+\/57$/m);
    expect(first.stderr).toContain(`checkpoint saved in ${out}; to continue, run the same command with --resume`);
    const state = JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8'));
    expect(state.done).toBe(false);
    const next = state.epoch + 1;
    const resumed = await rnnc(['train', spec, '-o', out, '--epochs', String(next), '--lr', '0.01', '--quiet', '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`resuming at epoch ${next}${state.step > 0 ? `, step ${state.step + 1}/57` : ''}`);
    expect(resumed.stderr).toMatch(new RegExp(`^epoch ${next}/${next} `, 'm'));
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics).toMatchObject({ complete: true, epochs_run: next });
    expect(metrics.history.map((h: { epoch: number }) => h.epoch)).toEqual(Array.from({ length: next }, (_, i) => i + 1));

    const changed = await rnnc(['train', spec, '-o', out, '--epochs', String(next + 1), '--lr', '0.01', '--resume', '--batch', '16']);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain('error[E4008]: cannot change batch when resuming: the checkpoint was trained with batch = 32, not 16\n  = help: drop --batch or start a new run in another directory');
  });
});

describe('rnnc data fetch', () => {
  const entries: TarEntry[] = [
    { name: 'aclImdb/', type: '5' },
    { name: 'aclImdb/train/pos/0_9.txt', data: 'A wonderful film.' },
    { name: 'aclImdb/train/neg/0_2.txt', data: 'Dull.<br />Too long.' },
    { name: 'aclImdb/test/pos/0_10.txt', data: 'Superb.' },
    { name: 'aclImdb/test/neg/0_1.txt', data: 'Dreadful.' },
  ];
  const archive = tarGz(entries);
  const sha = createHash('sha256').update(archive).digest('hex');
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url !== '/imdb.tar.gz') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': archive.length });
      res.end(archive);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('downloads from a mirror, verifies, unpacks and prints the folder', async () => {
    const cache = join(dir, 'cache');
    const r = await rnnc(['data', 'fetch', 'imdb', '--cache', cache, '--url', `${base}/imdb.tar.gz`, '--sha256', sha]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${join(cache, 'aclImdb')}\n`);
    expect(r.stderr).toMatch(/downloading imdb \[#+\] 100\.0%/);
    expect(r.stderr).toContain(`imdb is in ${join(cache, 'aclImdb')} (train: 2 reviews)`);
    const bad = await rnnc(['data', 'fetch', 'imdb', '--cache', join(dir, 'cache2'), '--url', `${base}/imdb.tar.gz`, '--sha256', '0'.repeat(64)]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`rnnc data fetch: error[E4010]: checksum mismatch for ${base}/imdb.tar.gz`);
    const missing = await rnnc(['data', 'fetch', 'imdb', '--cache', join(dir, 'cache3'), '--url', `${base}/gone.tar.gz`, '--sha256', sha]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('HTTP 404');
    expect((await rnnc(['data', 'fetch', 'mnist'])).code).toBe(2);
  });
});
