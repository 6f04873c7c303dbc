import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureDir } from '../fixtures.js';
import { repo, rnnc } from './run.js';

// Cases from issue #8 that once ended in a stack trace or a bad artifact, as a user meets them.
// Every command runs asynchronously, so the test workers never block.

const { dir } = fixtureDir('rnnc-robust-');
const model = join(repo, 'specs/models/demo-16d'); // a trained model folder kept in the repository
const internal = /internal error|\n\s+at /;

describe('a reader that closes the pipe early (`| head`)', () => {
  it('`rnnc data demo | head -1`: stops quietly with exit code 0', async () => {
    const r = await rnnc(['data', 'demo'], { onStdout: (s, stop) => s.includes('\n') && stop() });
    expect(r.stderr).not.toMatch(internal);
    expect(r.code).toBe(0);
  });

  it('`rnnc predict DIR < many-lines | head -2`: stops quietly with exit code 0', async () => {
    const input = `${Array.from({ length: 5000 }, (_, i) => `the film was great ${i}`).join('\n')}\n`;
    const r = await rnnc(['predict', model], { input, onStdout: (s, stop) => s.split('\n').length > 2 && stop() });
    expect(r.stderr).not.toMatch(internal);
    expect(r.code).toBe(0);
  });
});

describe('-o naming a folder where a file is wanted', () => {
  it.each([
    [['data', 'demo'], 'rnnc data demo', 'demo.tsv'],
    [['vectors', model], 'rnnc vectors', 'embedding.vec'],
  ])('%j: an E4002 naming the folder, exit 2, nothing left beside it', async (args, prefix, example) => {
    const parent = join(dir, `parent-${example}`);
    const folder = join(parent, 'existing');
    mkdirSync(folder, { recursive: true });
    const r = await rnnc([...args, '-o', `${folder}/`]);
    expect(r.stderr).toBe(`${prefix}: error[E4002]: cannot write ${folder}/: it is a folder\n  = help: give a file name, e.g. ${join(`${folder}/`, example)}\n`);
    expect(r.code).toBe(2);
    expect(readdirSync(parent)).toEqual(['existing']);
    expect(readdirSync(folder)).toEqual([]);
  });
});

describe('files where folders are wanted, and folders that are not text', () => {
  it('`rnnc eval SPEC.rnn --data …`: not a model folder, with what to give instead', async () => {
    const data = join(dir, 'd.tsv');
    writeFileSync(data, 'label\ttext\n1\tgood\n0\tbad\n');
    const r = await rnnc(['eval', 'specs/lstm.rnn', '--data', data]);
    expect(r.stderr).toBe(
      'rnnc eval: error[E4006]: specs/lstm.rnn is a file, not a model folder\n' +
        '  = help: give the folder that `rnnc train -o DIR` wrote (it holds model.json, weights.bin and vocab.json)\n',
    );
    expect(r.code).toBe(2);
  });

  it('`rnnc check weights.bin`: one E1008, and none of the file echoed to the terminal', async () => {
    const r = await rnnc(['check', join(model, 'weights.bin')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${join(model, 'weights.bin')}:1:1: error[E1008]: this is not a text file\n  = help: rnnc reads UTF-8 text; check the file name\n\n`);
  });
});

describe('model folders', () => {
  it('are as readable as any folder the user makes (not 0700)', async () => {
    const out = join(dir, 'perm-model');
    const r = await rnnc(['compile', 'specs/lstm.rnn', '-o', out, '--threads', '1']);
    expect(r.code).toBe(0);
    const umask = process.umask();
    expect(statSync(out).mode & 0o777).toBe(0o777 & ~umask);
  });
});

describe('training edge cases', () => {
  const spec = join(dir, 'nomask.rnn');
  writeFileSync(spec, 'embed(8, vocab: 100, mask: false) |> gru(4) |> dense(1)\n');

  it('maxlen 1 without a mask trains on the fused kernels, and says what stock kernels need', async () => {
    const ok = await rnnc(['train', spec, '--maxlen', '1', '--epochs', '1', '-o', join(dir, 'ml1'), '--quiet']);
    expect(ok.stderr).not.toMatch(internal);
    expect(ok.code).toBe(0);
    const stock = await rnnc(['train', spec, '--maxlen', '1', '--epochs', '1', '-o', join(dir, 'ml1-stock'), '--quiet', '--kernels', 'stock']);
    expect(stock.stderr).toContain(
      "rnnc train: error[E3026]: maxlen 1 without a padding mask needs the fused kernels: tfjs-layers' own recurrent layers cannot train on one-step sequences\n  = help: drop --kernels stock, or use a maxlen of 2 or more\n",
    );
    expect(stock.code).toBe(1);
  });

  it('--resume on a folder whose weights.bin is missing or short: E4006, not a raw ENOENT', async () => {
    const out = join(dir, 'resume-broken');
    const args = ['train', spec, '--maxlen', '4', '-o', out, '--quiet'];
    expect((await rnnc([...args, '--epochs', '1'])).code).toBe(0);
    const weights = join(out, 'weights.bin');
    const bytes = statSync(weights).size;
    writeFileSync(weights, Buffer.alloc(bytes - 4));
    const short = await rnnc([...args, '--epochs', '2', '--resume']);
    expect(short.stderr).toContain(`rnnc train: error[E4006]: cannot resume from ${out}: ${weights} holds ${bytes - 4} bytes, but its manifest describes ${bytes}\n`);
    expect(short.code).toBe(2);
    rmSync(weights);
    const missing = await rnnc([...args, '--epochs', '2', '--resume']);
    expect(missing.stderr).toContain(`rnnc train: error[E4006]: cannot resume from ${out}: ${weights} is missing\n  = help: start a new run without --resume (or in another folder)\n`);
    expect(missing.code).toBe(2);
  });
});

describe('a vocab.json that does not fit its model (#8 case 9)', () => {
  /** A copy of the repository's demo model with vocab.json edited by `edit`. */
  const withVocab = (name: string, edit: (v: Record<string, unknown>) => void): string => {
    const dest = join(dir, name);
    cpSync(model, dest, { recursive: true });
    const vocab = JSON.parse(readFileSync(join(dest, 'vocab.json'), 'utf8')) as Record<string, unknown>;
    edit(vocab);
    writeFileSync(join(dest, 'vocab.json'), JSON.stringify(vocab));
    return dest;
  };

  it('more ids than the embedding has rows: E4006, not an error from inside tfjs', async () => {
    const bad = withVocab('big-vocab', (v) => {
      v['words'] = [...(v['words'] as string[]), ...Array.from({ length: 5000 }, (_, i) => `extra${i}`)];
    });
    const r = await rnnc(['predict', bad, 'extra4999 extra1']);
    expect(r.stderr).toMatch(/^rnnc predict: error\[E4006\]: .*big-vocab: vocab\.json has [\d,]+ ids but the model's embedding has [\d,]+ rows: they are not from one training run\n$/m);
    expect(r.code).toBe(2);
  });

  it('a maxlen of a billion: E4006, before anything is allocated', async () => {
    const bad = withVocab('huge-maxlen', (v) => {
      v['maxlen'] = 1_000_000_000;
    });
    const r = await rnnc(['predict', bad, 'a fine film']);
    expect(r.stderr).toContain('vocab.json: maxlen must be at most 100,000, got 1,000,000,000');
    expect(r.code).toBe(2);
  });
});

describe('Ctrl-C during an epoch (#8 case 9)', () => {
  it('stops after the current step, mid-epoch, saves a checkpoint, exits 130', async () => {
    // Steps long enough that an epoch outlasts the wait below by far.
    const spec = join(dir, 'slow.rnn');
    writeFileSync(spec, 'embed(64, vocab: 1000) |> bi(lstm(128)) x3 |> dense(1)\n');
    let sent = false;
    const r = await rnnc(['train', spec, '-o', join(dir, 'ctrl-c'), '--batch', '4', '--maxlen', '64', '--epochs', '2', '--quiet'], {
      onStderr: (s, signal) => {
        if (!sent && s.includes('backend:')) {
          sent = true;
          setTimeout(() => signal('SIGINT'), 1500);
        }
      },
    });
    // Before, the loop never yielded to the event loop inside an epoch: the signal was seen
    // only at its end ("interrupted in epoch 2 after step 0").
    expect(r.stderr).toMatch(/interrupted in epoch 1 after step \d+\/450\n/);
    expect(r.stderr).toContain(`checkpoint saved in ${join(dir, 'ctrl-c')}; to continue, run the same command with --resume`);
    expect(r.code).toBe(130);
  });
});

describe('rnnc vectors on a corrupt model folder (#8 case 9)', () => {
  /** A copy of the demo model with `edit` applied to its files. */
  const corrupt = (name: string, edit: (folder: string, manifest: { weights: { name: string; shape: number[] }[] }) => void): string => {
    const dest = join(dir, name);
    cpSync(model, dest, { recursive: true });
    const modelJson = JSON.parse(readFileSync(join(dest, 'model.json'), 'utf8')) as { weightsManifest: { weights: { name: string; shape: number[] }[] }[] };
    edit(dest, modelJson.weightsManifest[0]!);
    writeFileSync(join(dest, 'model.json'), JSON.stringify(modelJson));
    return dest;
  };

  it.each([
    ['a truncated weights.bin', (f: string) => writeFileSync(join(f, 'weights.bin'), readFileSync(join(f, 'weights.bin')).subarray(0, 4000)), /weights\.bin holds 4000 bytes, but its manifest describes \d+/],
    ['a manifest entry missing', (_f: string, m: { weights: unknown[] }) => m.weights.pop(), /weights\.bin holds \d+ bytes, but its manifest describes \d+/],
    ['the embedding shape transposed', (_f: string, m: { weights: { shape: number[] }[] }) => m.weights[0]!.shape.reverse(), /vocab\.json has \d+ ids but the embedding embedding\/embeddings has 16 rows/],
    ['NaN in the embedding', (f: string) => {
      const b = readFileSync(join(f, 'weights.bin'));
      b.writeFloatLE(Number.NaN, 8);
      writeFileSync(join(f, 'weights.bin'), b);
    }, /holds values that are not finite numbers/],
  ] as const)('%s: an E4006, and no file written', async (name, edit, message) => {
    const folder = corrupt(name.replace(/\W+/g, '-'), edit);
    const out = join(dir, `${name.replace(/\W+/g, '-')}.vec`);
    const r = await rnnc(['vectors', folder, '-o', out]);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/^rnnc vectors: error\[E4006\]/);
    expect(r.code).toBe(2);
    expect(readdirSync(dir)).not.toContain(`${name.replace(/\W+/g, '-')}.vec`);
  });
});
