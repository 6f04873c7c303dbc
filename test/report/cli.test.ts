import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoCorpusTsv } from '../../src/data/demo.js';
import { repo, rnnc, tempDir, type Run } from '../train-e2e/helpers.js';
import { cellLabels, pointLabels, svgOf } from './svg.js';

// `rnnc report` and `rnnc experiment --report` end to end, on tiny models trained on the demo
// corpus. The same pages open in a real browser in browser.test.ts.

const dir = tempDir('report-cli');
const spec = join(dir, 'tiny.rnn');
writeFileSync(spec, 'embed(16, vocab: 300) |> gru(8) |> dense(1)\n');
const model = join(dir, 'model');
const page = join(dir, 'report.html');
const noTf = ['--import', join(repo, 'test/cli/no-tfjs-hook.mjs')];
const noVega = ['--import', join(repo, 'test/report/no-vega-hook.mjs')];
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- metrics.json as read; the assertions check it
let metrics: any;

beforeAll(async () => {
  const t = await rnnc(['train', spec, '-o', model, '--epochs', '2', '--lr', '0.01', '--quiet']);
  expect(t.code, t.stderr).toBe(0);
  metrics = JSON.parse(readFileSync(join(model, 'metrics.json'), 'utf8'));
});

describe('rnnc report', () => {
  let run: Run;
  let drawn = '';
  beforeAll(async () => {
    // Without TensorFlow.js: the hook fails any attempt to load it.
    run = await rnnc(['report', model, '-o', page], { nodeArgs: noTf });
    drawn = (await rnnc(['draw', model])).stdout;
  });

  it('writes one page from the model folder without loading TensorFlow.js', () => {
    expect(run.stderr).toBe(`wrote ${page}\n`);
    expect(run.code).toBe(0);
    const html = readFileSync(page, 'utf8');
    const epochs = metrics.epochs_run;
    expect(epochs).toBe(2);
    expect(metrics.history).toHaveLength(epochs);
    for (const chart of ['loss', 'accuracy']) {
      const labels = pointLabels(svgOf(html, chart));
      for (const split of ['training', 'validation']) expect(labels.filter((l) => l.startsWith(`model · ${split} · `)), `${chart} ${split}`).toHaveLength(epochs);
    }
    const v = metrics.final.validation;
    expect(cellLabels(svgOf(html, 'confusion'))).toEqual(v.labels.flatMap((t: string, i: number) => v.labels.map((p: string, j: number) => `true ${t} · predicted ${p} · ${v.confusion[i][j]}`)));
    expect(html).toContain(`<h2>Validation (kept epoch ${metrics.best_epoch})</h2>`);
    expect(html).toContain(`get ${metrics.validation_mistakes.wrong} of 200 validation examples wrong`);
    // The drawing is rnnc draw's, from the folder's spec.json: the same SVG as `rnnc draw DIR`.
    expect(html).not.toContain('drawing not available');
    expect(html).toContain(`<div class="drawing" data-slot="model-drawing">${drawn}</div>`);
    // spec.json was read: its embedding has no pretrained source.
    expect(html).toContain('none: the embedding was trained from random initial values');
    expect(html).not.toContain('not recorded by this rnnc version');
  });

  it('-o - writes the same page to standard output', async () => {
    const r = await rnnc(['report', model, '-o', '-']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(page, 'utf8'));
  });

  it('loads Vega only for itself: check works without it, and report says what is missing', async () => {
    const check = await rnnc(['check', 'specs/bidirectional.rnn'], { nodeArgs: noVega });
    expect(check.code).toBe(0);
    expect(check.stderr).not.toContain('VEGA_LOADED');
    const r = await rnnc(['report', model, '-o', join(dir, 'never.html')], { nodeArgs: noVega });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^rnnc report: error\[E4012\]: cannot load the chart libraries \(vega, vega-lite\): .*VEGA_LOADED/);
    expect(r.stderr).toContain('= help: reinstall rnnc with its dependencies (npm install)');
  });

  it('a folder that is not a trained model, no -o, or -o naming a folder: a message and exit 2', async () => {
    const missing = await rnnc(['report', join(dir, 'nowhere'), '-o', join(dir, 'x.html')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`rnnc report: error[E4006]: no model folder ${join(dir, 'nowhere')}`);
    // A model without metrics.json, as `rnnc compile` writes it.
    const compiled = join(dir, 'compiled');
    mkdirSync(compiled);
    for (const f of ['model.json', 'weights.bin', 'spec.json']) copyFileSync(join(model, f), join(compiled, f));
    const untrained = await rnnc(['report', compiled, '-o', join(dir, 'x.html')]);
    expect(untrained.code).toBe(2);
    expect(untrained.stderr).toBe(
      `rnnc report: error[E4006]: ${join(compiled, 'metrics.json')} is missing: ${compiled} holds no training run to report on\n` +
        '  = help: give a folder that `rnnc train -o DIR` wrote (`rnnc compile` writes no metrics)\n',
    );
    const noOut = await rnnc(['report', model]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('rnnc report: missing -o FILE.html');
    const folder = await rnnc(['report', model, '-o', dir]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`error[E4002]: cannot write ${dir}: it is a folder`);
  });
});

describe('rnnc experiment --report', () => {
  it('writes DIR/report.html with every run\'s curves and the table; refuses a file as DIR before training', async () => {
    const data = join(dir, 'demo.tsv');
    writeFileSync(data, demoCorpusTsv());
    const lstm = join(dir, 'lstm.rnn');
    writeFileSync(lstm, 'embed(16, vocab: 300) |> lstm(8) |> dense(1)\n');
    const out = join(dir, 'experiment');
    const r = await rnnc(['experiment', spec, lstm, '--data', data, '--epochs', '2', '--quiet', '--report', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`wrote ${join(out, 'report.html')}\n`);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    // The text table's "epochs (kept/run)" column gives each run's epochs.
    const runs = Object.fromEntries([...r.stdout.matchAll(/^(\S+\.rnn) .* (\d+)\/(\d+) /gm)].map((m) => [m[1]!, Number(m[3])]));
    expect(runs).toEqual({ 'tiny.rnn': 2, 'lstm.rnn': 2 });
    for (const chart of ['loss', 'accuracy']) {
      const labels = pointLabels(svgOf(html, chart));
      for (const [name, epochs] of Object.entries(runs)) {
        for (const split of ['training', 'validation']) expect(labels.filter((l) => l.startsWith(`${name} · ${split} · `)), `${chart} ${name} ${split}`).toHaveLength(epochs);
      }
    }
    expect(html).toContain('<td>tiny.rnn</td>');
    expect(html).toContain('<td>lstm.rnn</td>');

    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const refused = await rnnc(['experiment', spec, '--data', data, '--report', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`error[E4002]: cannot write the report into ${file}: it is a file`);
    expect(refused.stderr).not.toContain('epoch');
  });
});
