/**
 * `rnnc experiment --report DIR`'s page: the specs' training curves overlaid (one colour per
 * spec) and the comparison table, with the command and the split that made them.
 */
import { curveSpec, renderSvgs, type CurveRun } from './charts.js';
import { figure, html, note, page, percent, table, type Content } from './html.js';
import type { EpochPoint } from './read.js';
import { formatCount } from '../util/numbers.js';

/** One spec of an experiment: its training history, or why it failed. */
export interface ExperimentRun {
  /** The spec's file name, as the table shows it. */
  name: string;
  history: readonly EpochPoint[];
  bestEpoch: number;
  params?: number;
  trainable?: number;
  seconds?: number;
  valAccuracy?: number;
  testAccuracy?: number;
  /** Set when the spec could not be trained. */
  error?: string;
}

export interface ExperimentReport {
  /** The command line, as the user could type it again. */
  command: string;
  backend: string;
  kernels: string;
  /** YYYY-MM-DD. */
  date: string;
  runs: readonly ExperimentRun[];
  /** How the data was split, one line each (the Markdown output's notes). */
  notes: readonly string[];
  /** Specs not run because the experiment was interrupted. */
  notRun: number;
}

/** Distinct names for the legend: a second `lstm.rnn` (from another folder) becomes `lstm.rnn (2)`. */
function distinctNames(runs: readonly ExperimentRun[]): string[] {
  const seen = new Map<string, number>();
  return runs.map((r) => {
    const n = (seen.get(r.name) ?? 0) + 1;
    seen.set(r.name, n);
    return n === 1 ? r.name : `${r.name} (${n})`;
  });
}

const time = (s: number): string => (s < 60 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`);
const pct = (x: number | undefined): string => (x === undefined ? '—' : percent(x, 1));

/** The comparison page of an experiment's runs, as a self-contained HTML document. */
export async function renderExperimentReport(e: ExperimentReport): Promise<string> {
  const names = distinctNames(e.runs);
  const plotted: CurveRun[] = e.runs.flatMap((r, i) => (r.error || r.history.length === 0 ? [] : [{ name: names[i]!, history: r.history, bestEpoch: r.bestEpoch }]));
  const svgs = plotted.length > 0 ? await renderSvgs([curveSpec('loss', plotted), curveSpec('accuracy', plotted)]) : [];
  const rows: Content[][] = e.runs.map((r, i) =>
    r.error
      ? [names[i]!, '—', '—', '—', '—', '—', html`<span class="note">failed: ${r.error}</span>`]
      : [
          names[i]!,
          formatCount(r.params ?? 0),
          formatCount(r.trainable ?? 0),
          time(r.seconds ?? 0),
          `${r.bestEpoch}/${r.history.length}`,
          pct(r.valAccuracy),
          pct(r.testAccuracy),
        ],
  );
  const many = plotted.length > 1;
  const caption = (what: string): string =>
    many ? `${what} per epoch of each spec: training dashed, validation solid; a ring marks each spec's kept epoch` : `${what} per epoch; the dashed line marks the kept epoch`;
  const charts =
    svgs.length > 0 ? html`<div class="charts">${figure('loss', caption('loss'), svgs[0]!)}${figure('accuracy', caption('accuracy'), svgs[1]!)}</div>` : note('no spec finished an epoch');
  const body = html`
<header>
<h1>Experiment: ${e.runs.length} spec${e.runs.length === 1 ? '' : 's'}</h1>
<p class="sub">${e.date} · backend ${e.backend} · kernels ${e.kernels}${e.notRun > 0 ? html` · <span class="badge warn">interrupted: ${e.notRun} not run</span>` : ''}</p>
</header>
<section id="results"><h2>Results</h2>${table(['spec', 'params', 'trainable', 'train time', 'epochs (kept/run)', 'val accuracy', 'test accuracy'], rows, {
    className: 'results',
    numeric: [1, 2, 3, 4, 5, 6],
  })}</section>
<section id="curves"><h2>Training</h2>${charts}</section>
<section id="setup"><h2>How it was run</h2><pre>${e.command}</pre><ul>${e.notes.map((n) => html`<li>${n}</li>`)}</ul></section>
<footer>Made by <code>rnnc experiment --report</code>. This page is self-contained: it loads nothing and runs no script.</footer>`;
  return page('rnnc experiment', body);
}
