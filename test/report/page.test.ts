import { describe, expect, it } from 'vitest';
import { RnncError } from '../../src/diagnostics/error.js';
import { renderExperimentReport } from '../../src/report/experiment-page.js';
import { NOT_RECORDED } from '../../src/report/html.js';
import { renderModelReport } from '../../src/report/model-page.js';
import { parseMetricsJson, type RunReport } from '../../src/report/read.js';
import { cellLabels, marks, pointLabels, svgOf } from './svg.js';

// The report pages from metrics.json contents written here, without training: which sections
// show what, what an older metrics.json gives, escaping, and the charts' points and cells.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON document the tests edit freely
type Json = Record<string, any>;

/** A metrics.json as `rnnc train` writes it now (3 epochs, kept epoch 2). */
function metrics(): Json {
  return {
    format: 'rnnc-metrics',
    version: 1,
    complete: true,
    interrupted: false,
    stopped_early: false,
    epochs_run: 3,
    best_epoch: 2,
    final: {
      validation: { count: 20, loss: 0.41, accuracy: 0.8, precision: 0.75, recall: 0.9, f1: 0.818, averaging: 'binary', positive: 'pos', labels: ['neg', 'pos'], confusion: [[7, 3], [1, 9]] },
      train: { epoch: 2, loss: 0.5, accuracy: 0.7, seconds: 1 },
    },
    validation_mistakes: {
      epoch: 2,
      wrong: 4,
      examples: [
        { text: 'a <script>alert(1)</script> film', label: 'neg', predicted: 'pos', probability: 0.93 },
        { text: 'long text', label: 'pos', predicted: 'neg', probability: 0.71, truncated: true },
      ],
    },
    history: [
      { epoch: 1, loss: 0.69, accuracy: 0.52, val_loss: 0.6, val_accuracy: 0.6, seconds: 1 },
      { epoch: 2, loss: 0.5, accuracy: 0.7, val_loss: 0.41, val_accuracy: 0.8, seconds: 1 },
      { epoch: 3, loss: 0.4, accuracy: 0.8, val_loss: 0.45, val_accuracy: 0.75, seconds: 1 },
    ],
    settings: { optimizer: 'adam', lr: 0.01, epochs: 3, batch: 32, val_split: 0.1, seed: 42, maxlen: 32 },
    backend: 'wasm',
    kernels: 'fused, 2 threads',
    data: { source: '/data/x.tsv', format: 'tsv', examples: 200, problems: 1, train: 180, validation: 20, labels: ['neg', 'pos'], label_counts: { train: [95, 85], validation: [10, 10] } },
    vocab: { size: 120, input_dim: 300, maxlen: 32, distinct_words: 118, kept_words: 118, validation_coverage: { tokens: 400, known_tokens: 380, token_rate: 0.95, types: 90, known_types: 80, type_rate: 80 / 90 } },
    params: { total: 6401, trainable: 6401, non_trainable: 0 },
    time: { started: '2026-12-01T10:00:00.000Z', saved: '2026-12-01T10:00:05.000Z', train_seconds: 3.2 },
    rnnc: '0.1.0',
  };
}

/** The same run as an rnnc before #9 recorded it. */
function olderMetrics(): Json {
  const m = metrics();
  delete m['validation_mistakes'];
  delete m['data'].label_counts;
  delete m['vocab'].validation_coverage;
  return m;
}

const report = (m: object): RunReport => parseMetricsJson(m, 'm/metrics.json', 'out/m');
const section = (page: string, id: string): string => page.slice(page.indexOf(`<section id="${id}">`), page.indexOf('</section>', page.indexOf(`<section id="${id}">`)));

describe('the model page', () => {
  it('shows every section from a current metrics.json, with the curves and the heat map drawn by Vega', async () => {
    const page = await renderModelReport(report(metrics()));
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page).not.toContain(NOT_RECORDED);
    // Loss and accuracy: 3 points per series; the kept epoch is marked once per chart.
    for (const chart of ['loss', 'accuracy']) {
      const svg = svgOf(page, chart);
      expect(pointLabels(svg).map((l) => l.split(' · ').slice(0, 3).join(' · '))).toEqual([
        'm · training · epoch 1',
        'm · training · epoch 2',
        'm · training · epoch 3',
        'm · validation · epoch 1',
        'm · validation · epoch 2',
        'm · validation · epoch 3',
      ]);
      expect(marks(svg, 'kept_label')).toEqual(['kept epoch 2']);
    }
    expect(pointLabels(svgOf(page, 'loss'))[4]).toBe('m · validation · epoch 2 · loss 0.4100');
    expect(cellLabels(svgOf(page, 'confusion'))).toEqual(['true neg · predicted neg · 7', 'true neg · predicted pos · 3', 'true pos · predicted neg · 1', 'true pos · predicted pos · 9']);
    const v = section(page, 'validation');
    expect(v).toContain('<h2>Validation (kept epoch 2)</h2>');
    // Per class: neg has precision 7/8, recall 7/10; pos is the binary numbers' class.
    expect(v).toContain('<td>neg</td><td class="num">10</td><td class="num">87.50%</td><td class="num">70.00%</td><td class="num">77.78%</td>');
    expect(v).toContain('<td>pos <span class="badge">positive</span></td><td class="num">10</td><td class="num">75.00%</td><td class="num">90.00%</td><td class="num">81.82%</td>');
    const mistakes = section(page, 'mistakes');
    expect(mistakes).toContain('get 4 of 20 validation examples wrong; the 2 it is surest about');
    expect(mistakes).toContain('<td>a &lt;script&gt;alert(1)&lt;/script&gt; film</td><td>neg</td><td>pos</td><td class="num">93.00%</td>');
    expect(mistakes).toContain('<td>long text …</td>');
    expect(section(page, 'data')).toContain('<td>neg</td><td class="num">95 (52.8%)</td><td class="num">10 (50.0%)</td>');
    expect(section(page, 'vocabulary')).toContain('95.0% of validation tokens (380 of 400); 88.9% of distinct validation words (80 of 90)');
    expect(section(page, 'settings')).toContain('<td><code>lr</code></td><td><b>0.01</b></td><td>0.001</td>');
  });

  it('says "not recorded by this rnnc version" for what an older rnnc did not record', async () => {
    const page = await renderModelReport(report(olderMetrics()));
    expect(page.split(NOT_RECORDED)).toHaveLength(4);
    for (const id of ['mistakes', 'data', 'vocabulary']) expect(section(page, id), id).toContain(NOT_RECORDED);
    // The rest is as before.
    expect(cellLabels(svgOf(page, 'confusion'))).toHaveLength(4);
    expect(pointLabels(svgOf(page, 'loss'))).toHaveLength(6);
  });

  it('without validation data: training curves only, and each validation section says why it is empty', async () => {
    const m = metrics();
    for (const h of m['history']) for (const k of ['val_loss', 'val_accuracy']) delete h[k];
    Object.assign(m, { best_epoch: 3, final: { validation: null, train: null } });
    delete m['validation_mistakes'];
    Object.assign(m['data'], { validation: 0, label_counts: { train: [95, 85], validation: [0, 0] } });
    delete m['vocab'].validation_coverage;
    const page = await renderModelReport(report(m));
    expect(page).not.toContain(NOT_RECORDED);
    expect(pointLabels(svgOf(page, 'loss')).every((l) => l.includes(' · training · '))).toBe(true);
    expect(pointLabels(svgOf(page, 'loss'))).toHaveLength(3);
    expect(page).not.toContain('data-chart="confusion"');
    expect(section(page, 'mistakes')).toContain('no validation data');
  });

  it('has a slot for the model drawing: the SVG given, or "drawing not available"', async () => {
    const without = await renderModelReport(report(metrics()));
    expect(without).toContain('<div class="drawing missing" data-slot="model-drawing">drawing not available</div>');
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>';
    const drawn = await renderModelReport(report(metrics()), { modelSvg: svg });
    expect(drawn).toContain(`<div class="drawing" data-slot="model-drawing">${svg}</div>`);
    expect(drawn).not.toContain('drawing not available');
  });

  it('escapes labels and texts everywhere, also inside the charts, and forbids every request', async () => {
    const m = metrics();
    const evil = '<img src=x onerror=alert(1)>';
    m['data'].labels = ['neg', evil];
    m['final'].validation.labels = ['neg', evil];
    m['final'].validation.positive = evil;
    const page = await renderModelReport(report(m));
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
    expect(page).not.toMatch(/<script|<link|@import|url\(/);
    // The only URLs are the SVG namespaces.
    expect([...new Set(page.match(/https?:\/\/[^"'\s)]+/g))].sort()).toEqual(['http://www.w3.org/1999/xlink', 'http://www.w3.org/2000/svg']);
  });
});

describe('the model page for other kinds of run', () => {
  it('multi-class: per-class rows with the macro average, and a 3 × 3 heat map', async () => {
    const m = metrics();
    const labels = ['bad', 'good', 'meh'];
    const confusion = [
      [4, 1, 0],
      [0, 5, 1],
      [2, 0, 3],
    ];
    m['final'].validation = { count: 16, loss: 0.8, accuracy: 12 / 16, precision: 0.7, recall: 0.7, f1: 0.7, averaging: 'macro', labels, confusion };
    Object.assign(m['data'], { labels, validation: 16, label_counts: { train: [50, 60, 70], validation: [5, 6, 5] } });
    const page = await renderModelReport(report(m));
    expect(cellLabels(svgOf(page, 'confusion'))).toEqual(labels.flatMap((t, i) => labels.map((p, j) => `true ${t} · predicted ${p} · ${confusion[i]![j]}`)));
    const v = section(page, 'validation');
    expect(v).toContain('precision (macro average)');
    // meh: precision 3/4, recall 3/5.
    expect(v).toContain('<td>meh</td><td class="num">5</td><td class="num">75.00%</td><td class="num">60.00%</td><td class="num">66.67%</td>');
    expect(v).toContain('<td><i>macro average</i></td><td class="num">16</td>');
    expect(v).not.toContain('positive');
  });

  it('pretrained vectors: their coverage, or why there is none', async () => {
    const m = metrics();
    m['embedding'] = { source: 'vectors', path: '/v/glove.txt', found: 1780, total: 9998, coverage: 'found 1,780 of 9,998 words (17.8%)', oov: 'random', frozen: true, format: 'glove', missingExamples: ['zzz', '<b>'] };
    const withVectors = section(await renderModelReport({ ...report(m), pretrained: true }), 'vocabulary');
    expect(withVectors).toContain('<td>word vectors /v/glove.txt (glove)</td>');
    expect(withVectors).toContain('<td>found 1,780 of 9,998 vocabulary words (17.8%)</td>');
    expect(withVectors).toContain('<td>yes (not trained)</td>');
    expect(withVectors).toContain('<td>zzz, &lt;b&gt;</td>');
    // spec.json names a source but metrics.json has no report of it.
    expect(section(await renderModelReport({ ...report(metrics()), pretrained: true }), 'vocabulary')).toContain(NOT_RECORDED);
    expect(section(await renderModelReport({ ...report(metrics()), pretrained: false }), 'vocabulary')).toContain('none: the embedding was trained from random initial values');
  });

  it('an interrupted run before its first epoch: no curves, no validation, and it says so', async () => {
    const m = metrics();
    Object.assign(m, { complete: false, interrupted: true, epochs_run: 0, best_epoch: 0, history: [], final: { validation: null, train: null } });
    delete m['validation_mistakes'];
    const page = await renderModelReport(report(m));
    expect(page).toContain('interrupted: resume with rnnc train --resume');
    expect(page).not.toContain('<figure');
    expect(section(page, 'curves')).toContain('no epoch has finished yet');
    expect(section(page, 'mistakes')).toContain('no epoch has finished yet');
  });
});

describe('reading metrics.json', () => {
  it.each([
    [{ format: 'other' }, 'format is not "rnnc-metrics": this is not the metrics of an rnnc training run'],
    [{ history: 'x' }, 'history is not an array'],
    [{ history: [{ epoch: 1, loss: 'a' }] }, 'history[0].loss is not a number'],
    [{ data: { train: 1, validation: 1, labels: ['a', 'b'], label_counts: { train: [1], validation: [1, 0] } } }, 'data.label_counts.train has 1 entries, not 2'],
    [{ validation_mistakes: { epoch: 1, wrong: 1, examples: [{ text: 1 }] } }, 'validation_mistakes.examples[0].text is not a string'],
  ])('%j is a bad model folder', (change, message) => {
    let e: unknown;
    try {
      report({ ...metrics(), ...change });
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(RnncError);
    expect((e as RnncError).codeName).toBe('BadModelDir');
    expect((e as RnncError).message).toBe(`m/metrics.json: ${message}`);
  });

  it('reads NaN losses (null in JSON) as gaps, not points', async () => {
    const m = metrics();
    m['history'][2].loss = null;
    const page = await renderModelReport(report(m));
    expect(pointLabels(svgOf(page, 'loss')).filter((l) => l.includes(' · training · '))).toHaveLength(2);
    expect(pointLabels(svgOf(page, 'accuracy'))).toHaveLength(6);
  });
});

describe('the experiment page', () => {
  it('overlays the runs, one series per run and split, with the table and how it was run', async () => {
    const a = metrics()['history'];
    const b = a.slice(0, 2);
    const page = await renderExperimentReport({
      command: 'rnnc experiment a.rnn b.rnn --data d.tsv',
      backend: 'wasm',
      kernels: 'fused, 2 threads',
      date: '2026-12-01',
      runs: [
        { name: 'a.rnn', history: a, bestEpoch: 2, params: 100, trainable: 90, seconds: 1.5, valAccuracy: 0.8 },
        { name: 'b.rnn', history: b, bestEpoch: 2, params: 50, trainable: 50, seconds: 0.5, valAccuracy: 0.75, testAccuracy: 0.7 },
        { name: 'a.rnn', history: [], bestEpoch: 0, error: 'the head <dense(3)> does not fit' },
      ],
      notes: ['Data: d.tsv (200 examples).'],
      notRun: 1,
    });
    const labels = pointLabels(svgOf(page, 'loss'));
    const count = (run: string, split: string): number => labels.filter((l) => l.startsWith(`${run} · ${split} · `)).length;
    expect([count('a.rnn', 'training'), count('a.rnn', 'validation'), count('b.rnn', 'training'), count('b.rnn', 'validation')]).toEqual([3, 3, 2, 2]);
    expect(labels).toHaveLength(10);
    // Each run's kept epoch is ringed on its validation curve.
    expect(marks(svgOf(page, 'accuracy'), 'kept')).toEqual(['a.rnn · validation · epoch 2 · accuracy 80.00%', 'b.rnn · validation · epoch 2 · accuracy 80.00%']);
    expect(page).toContain('<td>b.rnn</td><td class="num">50</td><td class="num">50</td><td class="num">0.5 s</td><td class="num">2/2</td><td class="num">75.0%</td><td class="num">70.0%</td>');
    expect(page).toContain('<td>a.rnn (2)</td>');
    expect(page).toContain('failed: the head &lt;dense(3)&gt; does not fit');
    expect(page).toContain('interrupted: 1 not run');
    expect(page).toContain('<pre>rnnc experiment a.rnn b.rnn --data d.tsv</pre>');
  });
});
