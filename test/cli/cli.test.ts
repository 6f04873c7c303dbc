import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repo, rnnc } from './run.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rnnc-cli-'));
});

function file(name: string, text: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const stackTrace = /\n\s+at .+:\d+:\d+/;

describe('rnnc check', () => {
  it('passes every spec in specs/ with exit 0', async () => {
    const r = await rnnc(['check', 'specs/simple-rnn.rnn', 'specs/lstm.rnn', 'specs/gru.rnn', 'specs/stacked.rnn', 'specs/bidirectional.rnn']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('checked 5 files: 0 errors, 0 warnings\n');
    expect(r.code).toBe(0);
  });

  it('prints FILE:LINE:COL: error[CODE]: message with the source line and a caret', async () => {
    const p = file('typo.rnn', '# sentiment\nembed(32)\n  |> lsmt(64) x2\n  |> dense(1)\n');
    const r = await rnnc(['check', p]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        `${p}:3:6: error[E3002]: unknown layer \`lsmt\``,
        '3 |   |> lsmt(64) x2',
        '  |      ^^^^ not a layer',
        '  = help: did you mean `lstm`?',
        '',
        '',
      ].join('\n'),
    );
  });

  it('prints JSON diagnostics with 1-based ranges', async () => {
    const p = file('json.rnn', 'embed(32) |> lstm(0) |> dense(1, activation: rellu)');
    const r = await rnnc(['check', '--format', 'json', p]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      diagnostics: [
        {
          file: p,
          severity: 'error',
          code: 'E2006',
          message: '`units` must be at least 1, found 0',
          range: { start: { line: 1, column: 19 }, end: { line: 1, column: 20 } },
        },
        {
          file: p,
          severity: 'error',
          code: 'E3008',
          message: '`activation` must be one of `relu`, `tanh`, `sigmoid`, `softmax`, `linear`, found `rellu`',
          range: { start: { line: 1, column: 46 }, end: { line: 1, column: 51 } },
          help: 'did you mean `relu`?',
        },
      ],
    });
  });

  it('exits 0 with warnings only', async () => {
    const p = file('warn.rnn', 'embed(8, frozen) |> lstm(4) |> dense(1)');
    const r = await rnnc(['check', p]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('warning[W3101]');
  });

  it('exits 2 for a missing file, and still checks the others', async () => {
    const good = file('ok.rnn', 'embed(8) |> lstm(4) |> dense(1)');
    const r = await rnnc(['check', join(dir, 'missing.rnn'), good]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${join(dir, 'missing.rnn')}:1:1: error[E4001]: cannot read`);
    expect(r.stderr).toBe('checked 2 files: 1 error, 0 warnings\n');
  });

  it('never shows a stack trace for binary garbage, a directory or a huge file', async () => {
    const bin = file('garbage.rnn', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    const huge = file('huge.rnn', 'embed(8) |> lstm(4) |> dense(1)\n'.repeat(600_000));
    for (const target of [bin, dir, huge]) {
      const r = await rnnc(['check', target]);
      expect(r.code, target).toBeGreaterThan(0);
      expect(r.stdout + r.stderr).not.toMatch(stackTrace);
    }
    expect((await rnnc(['check', bin])).stdout).toContain('error[E1008]: this is not a text file');
  });

  it('does not load TensorFlow.js', async () => {
    const hook = ['--import', join(repo, 'test/cli/no-tfjs-hook.mjs')];
    const r = await rnnc(['check', 'specs/bidirectional.rnn'], { nodeArgs: hook });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('TFJS_LOADED');
    // The hook does bite: compile, which needs TensorFlow.js, fails under it.
    const c = await rnnc(['compile', 'specs/lstm.rnn', '-o', join(dir, 'blocked')], { nodeArgs: hook });
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('TFJS_LOADED');
  });
});

describe('usage errors exit 2 with one line on stderr', () => {
  // The message names what is wrong and where the help is; it does not repeat the whole help.
  it.each([
    [['frobnicate'], 'rnnc: unknown command `frobnicate`\n(`rnnc --help` lists the commands)\n'],
    [['trian'], 'rnnc: unknown command `trian` (did you mean `train`?)\n(`rnnc --help` lists the commands)\n'],
    [['help', 'trian'], 'rnnc: unknown command `trian` (did you mean `train`?)\n(`rnnc --help` lists the commands)\n'],
    [['check'], 'rnnc check: missing a spec file (or `-` for standard input): rnnc check FILE…\n(`rnnc check --help` shows its options)\n'],
    [['predict'], 'rnnc predict: missing a model folder (DIR): rnnc predict DIR [TEXT…]\n(`rnnc predict --help` shows its options)\n'],
    [['data'], 'rnnc data: missing a subcommand: `fetch imdb` or `demo`: rnnc data fetch imdb | demo\n(`rnnc data --help` shows its options)\n'],
    [['check', 'x.rnn', '--fromat', 'json'], 'rnnc check: unknown option --fromat (did you mean --format?)\n(`rnnc check --help` shows its options)\n'],
    [['check', 'x.rnn', '--format', 'yaml'], 'rnnc check: --format must be text or json, got yaml\n(`rnnc check --help` shows its options)\n'],
    [['summary', 'a.rnn', 'b.rnn'], 'rnnc summary: too many arguments: b.rnn\n(`rnnc summary --help` shows its options)\n'],
    [['check', 'specs/lstm.rnn', '--vocab', 'many'], 'rnnc check: --vocab needs a whole number, got "many"\n(`rnnc check --help` shows its options)\n'],
  ])('%j', async (args, message) => {
    const r = await rnnc(args);
    expect([r.code, r.stdout, r.stderr]).toEqual([2, '', message]);
  });

  it('`compile` without -o names it', async () => {
    const r = await rnnc(['compile', 'specs/lstm.rnn']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing -o DIR');
  });

  it('`rnnc` alone prints the commands on stderr and exits 2; `rnnc --help` on stdout, exit 0', async () => {
    const bare = await rnnc([]);
    expect([bare.code, bare.stdout]).toEqual([2, '']);
    expect(bare.stderr).toContain('rnnc train FILE -o DIR');
    const help = await rnnc(['--help']);
    expect([help.code, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toBe(bare.stderr);
  });

  it('`rnnc help train` is `rnnc train --help`', async () => {
    const [a, b] = await Promise.all([rnnc(['help', 'train']), rnnc(['train', '--help'])]);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^usage: rnnc train FILE -o DIR\n/);
    expect(a.stdout).toContain('--resume');
    expect(a.stdout).toBe(b.stdout);
  });
});

describe('rnnc check -', () => {
  it('reads the spec from standard input, named <stdin>', async () => {
    const ok = await rnnc(['check', '-'], { input: 'embed(8, vocab: 100) |> lstm(4) |> dense(1)\n' });
    expect([ok.code, ok.stdout, ok.stderr]).toEqual([0, '', 'checked 1 file: 0 errors, 0 warnings\n']);
    const bad = await rnnc(['check', '-'], { input: 'embed(8, vocab: 100) |> lsmt(4) |> dense(1)\n' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^<stdin>:1:25: error\[E3002\]: unknown layer `lsmt`/);
  });
});

describe('rnnc summary', () => {
  it('prints the Keras-style table', async () => {
    const r = await rnnc(['summary', 'specs/lstm.rnn']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'Model: "lstm.rnn"',
        '_________________________________________________',
        ' Layer (type)           Output Shape      Param #',
        '=================================================',
        ' embedding (Embedding)  (None, None, 32)  320,000',
        ' lstm (LSTM)            (None, 32)          8,320',
        ' dense (Dense)          (None, 1)              33',
        '=================================================',
        'Total params: 328,353',
        'Trainable params: 328,353',
        'Non-trainable params: 0',
        '_________________________________________________',
        '',
      ].join('\n'),
    );
  });

  it('prints JSON', async () => {
    const r = await rnnc(['summary', 'specs/bidirectional.rnn', '--format', 'json']);
    expect(JSON.parse(r.stdout)).toEqual({
      layers: [
        { name: 'embedding', kind: 'embedding', outputShape: [null, null, 128], params: 2_560_000, trainable: true },
        { name: 'bidirectional', kind: 'bidirectional', outputShape: [null, null, 128], params: 98_816, trainable: true },
        { name: 'bidirectional_1', kind: 'bidirectional', outputShape: [null, 128], params: 98_816, trainable: true },
        { name: 'dense', kind: 'dense', outputShape: [null, 1], params: 129, trainable: true },
      ],
      totalParams: 2_757_761,
      trainableParams: 2_757_761,
      nonTrainableParams: 0,
    });
  });

  it('honours --vocab and the parameter budget', async () => {
    const p = file('vocab.rnn', 'embed(16) |> gru(8) |> dense(1)');
    expect(JSON.parse((await rnnc(['summary', p, '--vocab', '500', '--format', 'json'])).stdout).totalParams).toBe(500 * 16 + 3 * (8 * 24 + 8) + 9);
    const r = await rnnc(['summary', p, '--vocab', '5000000']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[E3017]');
    expect((await rnnc(['summary', p, '--vocab', '5000000', '--max-params', '100000000'])).code).toBe(0);
  });
});

describe('rnnc compile', () => {
  it('writes model.json, weights.bin and spec.json and prints the summary', async () => {
    const out = join(dir, 'lstm-model');
    const r = await rnnc(['compile', 'specs/lstm.rnn', '-o', out, '--backend', 'wasm']);
    expect(r.stderr).toContain('backend: wasm');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Total params: 328,353');
    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(model.format).toBe('layers-model');
    expect(model.weightsManifest[0].paths).toEqual(['weights.bin']);
    // 328,353 float32 weights.
    expect(readFileSync(join(out, 'weights.bin')).length).toBe(328_353 * 4);
    expect(JSON.parse(readFileSync(join(out, 'spec.json'), 'utf8')).layers.map((l: { kind: string }) => l.kind)).toEqual(['embedding', 'lstm', 'dense']);
  });

  it('leaves an earlier output intact when the spec has errors or the write fails', async () => {
    const out = join(dir, 'keep');
    expect((await rnnc(['compile', 'specs/gru.rnn', '-o', out])).code).toBe(0);
    const before = readFileSync(join(out, 'weights.bin'));
    const bad = file('bad.rnn', 'embed(8) |> lstm(0) |> dense(1)');
    expect((await rnnc(['compile', bad, '-o', out])).code).toBe(1);
    expect(readFileSync(join(out, 'weights.bin'))).toEqual(before);
    // An output path under a regular file cannot be created: I/O error, exit 2, no trace.
    const blocker = file('blocker', 'x');
    const w = await rnnc(['compile', 'specs/gru.rnn', '-o', join(blocker, 'sub')]);
    expect(w.code).toBe(2);
    expect(w.stderr).toContain('error[E4002]');
    expect(w.stderr).not.toMatch(stackTrace);
  });

  it('says which kernels run the recurrent layers: fused by default, --kernels stock, --threads N', async () => {
    const fused = await rnnc(['compile', 'specs/lstm.rnn', '-o', join(dir, 'k-fused'), '--backend', 'wasm', '--threads', '1']);
    expect(fused.code).toBe(0);
    expect(fused.stderr).toContain('backend: wasm; kernels: fused, 1 thread\n');
    // The bundled CLI starts its worker threads (no fallback note).
    const two = await rnnc(['compile', 'specs/bidirectional.rnn', '-o', join(dir, 'k-two'), '--backend', 'wasm', '--threads', '2']);
    expect(two.code).toBe(0);
    expect(two.stderr).toContain('backend: wasm; kernels: fused, 2 threads\n');
    const stock = await rnnc(['compile', 'specs/lstm.rnn', '-o', join(dir, 'k-stock'), '--backend', 'wasm', '--kernels', 'stock']);
    expect(stock.code).toBe(0);
    expect(stock.stderr).toContain('backend: wasm; kernels: stock\n');
    // The model files do not depend on the kernels.
    expect(readFileSync(join(dir, 'k-stock', 'model.json'), 'utf8')).toBe(readFileSync(join(dir, 'k-fused', 'model.json'), 'utf8'));
    // A layer the kernels do not cover is named once, with the reason.
    const rd = file('rd.rnn', 'embed(8, vocab: 50) |> lstm(4, recurrent_dropout: 0.1) |> dense(1)\n');
    const note = await rnnc(['compile', rd, '-o', join(dir, 'k-rd'), '--backend', 'wasm']);
    expect(note.code).toBe(0);
    expect(note.stderr.match(/note: layer `lstm` runs on stock tfjs kernels: recurrent_dropout is not fused\n/g)).toHaveLength(1);
  });

  it.each([
    [['--kernels', 'fast'], '--kernels must be fused or stock, got fast'],
    [['--threads', '0'], '--threads must be between 1 and 32, got 0'],
    [['--threads', 'two'], '--threads needs a whole number, got "two"'],
  ])('refuses %j with a usage error', async (flags, message) => {
    const r = await rnnc(['compile', 'specs/lstm.rnn', '-o', join(dir, 'k-bad'), ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('fails with E4003 when the node backend is asked for but not installed', async () => {
    // Installed is not enough: without its native library (downloaded at install) it cannot load.
    const hasNode = spawnSync(process.execPath, ['-e', "import('@tensorflow/tfjs-node').then(() => process.exit(0), () => process.exit(1))"], { cwd: repo }).status === 0;
    const r = await rnnc(['compile', 'specs/lstm.rnn', '-o', join(dir, 'node-out'), '--backend', 'node']);
    if (hasNode) expect(r.code).toBe(0);
    else {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('error[E4003]');
    }
  });

  it('resolves --pretrained and writes absolute vector paths into spec.json', async () => {
    const vec = file('tiny.vec', '3 4\nthe 0.1 0.2 0.3 0.4\ngood 0.5 0.1 0 1\nbad -1 0 0.2 0.3\n');
    const spec = file('card.rnn', 'embed(pretrained, frozen) |> bi(lstm(8)) x2 |> dense(1)\n');
    const out = join(dir, 'card');
    mkdirSync(out, { recursive: true });
    const r = await rnnc(['compile', spec, '-o', out, '--pretrained', vec, '--vocab', '50']);
    expect(r.code).toBe(0);
    const written = JSON.parse(readFileSync(join(out, 'spec.json'), 'utf8'));
    expect(written.layers[0]).toMatchObject({ output_dim: 4, input_dim: 50, trainable: false, pretrained: { source: 'vectors', path: vec } });
    expect(r.stdout).toContain('Non-trainable params: 200');
    // A compiled model has no vocabulary yet, so its embedding cannot hold the vectors: it says so.
    expect(r.stderr).toContain(
      `note: the embedding is random in this compiled model: the vectors in ${vec} are applied by \`rnnc train\`, which builds the vocabulary from the data and fills each word's row\n`,
    );
    const plain = await rnnc(['compile', 'specs/lstm.rnn', '-o', join(dir, 'plain-lstm')]);
    expect(plain.stderr).not.toContain('note: the embedding is random');
  });
});

describe('npx', () => {
  it('runs rnnc from the project folder', async () => {
    const r = await rnnc(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('rnnc 0.1.0\n');
  });
});
