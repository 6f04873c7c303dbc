import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCorpusTsv } from '../../src/data/demo.js';
import { rnnc, tempDir } from '../train-e2e/helpers.js';

// The report pages in a real headless browser (Debian's chromium, driven by puppeteer-core;
// nothing is downloaded): they load with no console error, no failed request and no request at
// all beyond the page itself, and every chart has one point per epoch run, per series and run.
// Without /usr/bin/chromium these tests show as skipped; with RNNC_REQUIRE_BROWSER=1 (CI sets it
// when the browser is installed) they fail instead. RNNC_CHROMIUM names another browser binary.

const CHROMIUM = process.env['RNNC_CHROMIUM'] ?? '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);
const required = process.env['RNNC_REQUIRE_BROWSER'] === '1';

/** What one page did while loading, and what its charts hold. */
interface Visit {
  requests: string[];
  failed: string[];
  console: string[];
  errors: string[];
  /** Per chart: its points' labels, those with a visible box only. */
  charts: Record<string, string[]>;
  cells: string[];
  /** Whether the browser ran any script (the page has none; JavaScript stays on to prove it). */
  title: string;
}

// The little of the DOM these tests read inside the page (the project's TypeScript has no DOM
// library: nothing in rnnc runs in a browser).
interface DomElement {
  getBoundingClientRect(): { width: number; height: number };
  getAttribute(name: string): string | null;
  dataset: Record<string, string | undefined>;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
}
interface Dom {
  document: { title: string; querySelectorAll(selector: string): ArrayLike<DomElement> };
}

async function visit(browser: Browser, file: string): Promise<Visit> {
  const page = await browser.newPage();
  const v: Visit = { requests: [], failed: [], console: [], errors: [], charts: {}, cells: [], title: '' };
  page.on('request', (r) => v.requests.push(r.url()));
  page.on('requestfailed', (r) => v.failed.push(`${r.url()}: ${r.failure()?.errorText ?? ''}`));
  page.on('console', (m) => v.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => v.errors.push(String(e)));
  const response = await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  expect(response?.ok()).toBe(true);
  const read = await page.evaluate(() => {
    const { document } = globalThis as unknown as Dom;
    const visible = (el: DomElement): boolean => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0;
    };
    const charts: Record<string, string[]> = {};
    for (const f of Array.from(document.querySelectorAll('figure.chart'))) {
      if (!visible(f)) continue;
      charts[f.dataset['chart'] ?? '?'] = Array.from(f.querySelectorAll('g.points_marks > path'))
        .filter(visible)
        .map((p) => p.getAttribute('aria-label') ?? '');
    }
    const cells = Array.from(document.querySelectorAll('figure[data-chart="confusion"] g.cells_marks > path'))
      .filter(visible)
      .map((p) => p.getAttribute('aria-label') ?? '');
    return { charts, cells, title: document.title };
  });
  await page.close();
  return { ...v, ...read };
}

/** Points of one series of one run: `RUN · SPLIT · …`. */
const series = (labels: readonly string[] | undefined, run: string, split: string): number => (labels ?? []).filter((l) => l.startsWith(`${run} · ${split} · `)).length;

// The first test waits for the setup (two trainings, a report, the browser's start): generous on a busy 2-core machine.
describe.skipIf(!haveBrowser && !required)('report pages in headless chromium', { timeout: 150_000 }, () => {
  const dir = tempDir('report-browser');
  let browser: Browser;
  let modelPage: string;
  let experimentPage: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- metrics.json as read; the assertions check it
  let metrics: any;
  let experimentRuns: Record<string, number>;
  // A failed setup fails every test below (vitest would report them as skipped otherwise).
  let setup: Promise<void>;
  const ready = (): Promise<void> => setup;

  beforeAll(() => {
    setup = prepare();
    // Settled here so a failure surfaces in the tests, not as an unhandled rejection.
    setup.catch(() => undefined);
  });

  async function prepare(): Promise<void> {
    // Fails, not skips, when CI requires the browser and it is missing.
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is required (RNNC_REQUIRE_BROWSER=1) but missing`);
    const spec = join(dir, 'tiny.rnn');
    writeFileSync(spec, 'embed(16, vocab: 300) |> gru(8) |> dense(1)\n');
    const lstm = join(dir, 'lstm.rnn');
    writeFileSync(lstm, 'embed(16, vocab: 300) |> lstm(8) |> dense(1)\n');
    const data = join(dir, 'demo.tsv');
    writeFileSync(data, demoCorpusTsv());
    const model = join(dir, 'model');
    modelPage = join(dir, 'report.html');
    const [t, e] = await Promise.all([
      rnnc(['train', spec, '-o', model, '--epochs', '3', '--lr', '0.01', '--quiet']),
      rnnc(['experiment', spec, lstm, '--data', data, '--epochs', '2', '--quiet', '--report', join(dir, 'experiment')]),
    ]);
    expect(t.code, t.stderr).toBe(0);
    expect(e.code, e.stderr).toBe(0);
    experimentPage = join(dir, 'experiment', 'report.html');
    experimentRuns = Object.fromEntries([...e.stdout.matchAll(/^(\S+\.rnn) .* (\d+)\/(\d+) /gm)].map((m) => [m[1]!, Number(m[3])]));
    const r = await rnnc(['report', model, '-o', modelPage]);
    expect(r.code, r.stderr).toBe(0);
    metrics = JSON.parse(readFileSync(join(model, 'metrics.json'), 'utf8'));
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  }

  afterAll(async () => {
    await browser?.close();
  });

  it("the model's page loads cleanly, requests nothing, and draws one point per epoch per series", async () => {
    await ready();
    const v = await visit(browser, modelPage);
    expect(v.errors).toEqual([]);
    expect(v.console).toEqual([]);
    expect(v.failed).toEqual([]);
    expect(v.requests).toEqual([pathToFileURL(modelPage).href]);
    expect(v.title).toBe('model: rnnc report');
    const epochs = metrics.history.length;
    expect(epochs).toBe(metrics.epochs_run);
    expect(Object.keys(v.charts).sort()).toEqual(['accuracy', 'confusion', 'loss']);
    for (const chart of ['loss', 'accuracy']) {
      for (const split of ['training', 'validation']) expect(series(v.charts[chart], 'model', split), `${chart} ${split}`).toBe(epochs);
      expect(v.charts[chart]).toHaveLength(2 * epochs);
    }
    const m = metrics.final.validation;
    expect(v.cells).toEqual(m.labels.flatMap((t: string, i: number) => m.labels.map((p: string, j: number) => `true ${t} · predicted ${p} · ${m.confusion[i][j]}`)));
  });

  it("the experiment's page loads cleanly, requests nothing, and draws each run's epochs per series", async () => {
    await ready();
    const v = await visit(browser, experimentPage);
    expect(v.errors).toEqual([]);
    expect(v.console).toEqual([]);
    expect(v.failed).toEqual([]);
    expect(v.requests).toEqual([pathToFileURL(experimentPage).href]);
    expect(experimentRuns).toEqual({ 'tiny.rnn': 2, 'lstm.rnn': 2 });
    for (const chart of ['loss', 'accuracy']) {
      for (const [run, epochs] of Object.entries(experimentRuns)) {
        for (const split of ['training', 'validation']) expect(series(v.charts[chart], run, split), `${chart} ${run} ${split}`).toBe(epochs);
      }
      expect(v.charts[chart]).toHaveLength(8);
    }
  });

  it('the checks bite: a page that asks for anything shows a request, a failure or a console error', async () => {
    await ready();
    const html = readFileSync(modelPage, 'utf8');
    // A loopback address: the request goes nowhere off this machine and is refused at once.
    const img = '<img src="http://127.0.0.1:9/pixel.png" alt="">';
    const withPolicy = join(dir, 'tampered-policy.html');
    writeFileSync(withPolicy, html.replace('<main>', `<main>${img}`));
    const blocked = await visit(browser, withPolicy);
    expect(blocked.console.some((c) => c.startsWith('error: ') && c.includes('Content Security Policy'))).toBe(true);
    const withoutPolicy = join(dir, 'tampered-open.html');
    writeFileSync(withoutPolicy, html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '').replace('<main>', `<main>${img}`));
    const open = await visit(browser, withoutPolicy);
    expect(open.requests).toContain('http://127.0.0.1:9/pixel.png');
    expect(open.failed.some((f) => f.startsWith('http://127.0.0.1:9/pixel.png'))).toBe(true);
  });

  it('shows the same with JavaScript off (the charts are static SVG)', async () => {
    await ready();
    const page = await browser.newPage();
    await page.setJavaScriptEnabled(false);
    await page.goto(pathToFileURL(modelPage).href, { waitUntil: 'load' });
    // CDP evaluation still works with the page's scripts disabled.
    const points = await page.evaluate(
      () =>
        Array.from((globalThis as unknown as Dom).document.querySelectorAll('figure[data-chart="loss"] g.points_marks > path')).filter((p) => p.getBoundingClientRect().width > 0)
          .length,
    );
    await page.close();
    expect(points).toBe(2 * metrics.history.length);
  });
});
