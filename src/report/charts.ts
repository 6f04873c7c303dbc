/**
 * The report's charts as Vega-Lite specifications, rendered to static SVG in Node by Vega
 * (no browser, no canvas: `renderer: 'none'` and `toSVG()`). Vega and Vega-Lite are loaded
 * here only, by dynamic `import()` when a report is drawn, so no other command pays for them.
 *
 * Every chart names its layers, so the SVG marks carry stable classes (`points_marks`,
 * `cells_marks`, …), and every point and cell has an accessible label (its `description`), so
 * a reader of the SVG (a screen reader, or a test) can tell which series a point belongs to.
 */
import type { TopLevelSpec } from 'vega-lite';
import { fail, reasonOf } from '../diagnostics/error.js';
import type { EpochPoint } from './read.js';

/** One run's history, as a chart plots it. */
export interface CurveRun {
  name: string;
  history: readonly EpochPoint[];
  /** The epoch whose weights were kept (0: none). */
  bestEpoch: number;
}

export type CurveMetric = 'loss' | 'accuracy';

// Vega-Lite's public types are the top-level spec and its config; the parts are derived from it.
type LayeredSpec = Extract<TopLevelSpec, { layer: unknown }>;
type Layer = LayeredSpec['layer'][number];
type Encoding = NonNullable<Extract<Layer, { mark: unknown }>['encoding']>;

const SPLITS = ['training', 'validation'] as const;
const SPLIT_COLORS = ['#4c78a8', '#f58518'];
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';

/** Shared look: the page's font, no frame, quiet axes. */
const CONFIG: NonNullable<TopLevelSpec['config']> = {
  font: FONT,
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'bottom' },
};

/** The label of one point: `RUN · SPLIT · epoch N · METRIC VALUE`. */
export function pointLabel(run: string, split: string, epoch: number, metric: CurveMetric, value: number): string {
  return `${run} · ${split} · epoch ${epoch} · ${metric} ${metric === 'loss' ? value.toFixed(4) : `${(value * 100).toFixed(2)}%`}`;
}

interface CurveRow {
  run: string;
  split: string;
  epoch: number;
  value: number;
  note: string;
  kept: boolean;
}

function curveRows(runs: readonly CurveRun[], metric: CurveMetric): CurveRow[] {
  const rows: CurveRow[] = [];
  for (const r of runs) {
    for (const [s, split] of SPLITS.entries()) {
      for (const h of r.history) {
        const value = s === 0 ? h[metric] : metric === 'loss' ? h.val_loss : h.val_accuracy;
        if (value === null || value === undefined) continue;
        rows.push({ run: r.name, split, epoch: h.epoch, value, note: pointLabel(r.name, split, h.epoch, metric, value), kept: h.epoch === r.bestEpoch });
      }
    }
  }
  return rows;
}

/**
 * Loss or accuracy per epoch. One run: training and validation in two colours, the kept epoch
 * a dashed rule. Several runs (an experiment): one colour per run, training dashed and
 * validation solid, each run's kept epoch ringed on its validation curve.
 */
export function curveSpec(metric: CurveMetric, runs: readonly CurveRun[]): TopLevelSpec {
  const rows = curveRows(runs, metric);
  const multi = runs.length > 1;
  const maxEpoch = Math.max(2, ...runs.flatMap((r) => r.history.map((h) => h.epoch)));
  const x: Encoding['x'] = { field: 'epoch', type: 'quantitative', title: 'epoch', scale: { domain: [1, maxEpoch], nice: false }, axis: { tickMinStep: 1, format: 'd' } };
  const y: Encoding['y'] = { field: 'value', type: 'quantitative', title: metric, scale: { zero: false }, ...(metric === 'accuracy' ? { axis: { format: '.0%' } } : {}) };
  const color: Encoding['color'] = multi
    ? { field: 'run', type: 'nominal', title: 'spec', sort: runs.map((r) => r.name) }
    : { field: 'split', type: 'nominal', title: null, scale: { domain: [...SPLITS], range: SPLIT_COLORS } };
  const splitDash: Encoding['strokeDash'] = { field: 'split', type: 'nominal', title: null, scale: { domain: [...SPLITS], range: [[5, 3], [1, 0]] } };
  const splitShape: Encoding['shape'] = { field: 'split', type: 'nominal', title: null, scale: { domain: [...SPLITS], range: ['triangle', 'circle'] } };
  const best = runs[0]?.bestEpoch ?? 0;
  const keptMark = { values: [{ epoch: best, text: `kept epoch ${best}` }] };
  const right = best > (1 + maxEpoch) / 2;
  const kept: Layer[] = multi
    ? [
        {
          name: 'kept',
          transform: [{ filter: 'datum.kept && datum.split === "validation"' }],
          mark: { type: 'point', size: 220, filled: false, strokeWidth: 1.5 },
          encoding: { x, y, color, description: { field: 'note' } },
        },
      ]
    : best > 0
      ? [
          { name: 'kept', data: keptMark, mark: { type: 'rule', strokeDash: [4, 3], color: '#666' }, encoding: { x } },
          {
            name: 'kept_label',
            data: keptMark,
            // Beside the rule, on the side with room, so the label never widens the chart.
            mark: { type: 'text', align: right ? 'right' : 'left', baseline: 'top', dx: right ? -4 : 4, dy: 2, y: 0, color: '#444', fontSize: 11 },
            encoding: { x, text: { field: 'text' } },
          },
        ]
      : [];
  return {
    description: `${metric} per epoch${multi ? ' of each spec' : ''}: training and validation`,
    width: 380,
    height: 220,
    config: CONFIG,
    data: { values: rows },
    layer: [
      { name: 'lines', mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y, color, ...(multi ? { strokeDash: splitDash } : {}), detail: { field: 'run' } } },
      { name: 'points', mark: { type: 'point', filled: true, size: multi ? 36 : 44, opacity: 1 }, encoding: { x, y, color, ...(multi ? { shape: splitShape } : {}), description: { field: 'note' } } },
      ...kept,
    ],
  };
}

/** The label of one confusion-matrix cell: `true A · predicted B · N`. */
export function cellLabel(truth: string, predicted: string, count: number): string {
  return `true ${truth} · predicted ${predicted} · ${count}`;
}

/** The confusion matrix as a heat map: rows the true labels, columns the predictions, counts written in. */
export function confusionSpec(labels: readonly string[], confusion: readonly (readonly number[])[]): TopLevelSpec {
  const rows = labels.flatMap((t, i) => labels.map((p, j) => ({ truth: t, predicted: p, count: confusion[i]?.[j] ?? 0, note: cellLabel(t, p, confusion[i]?.[j] ?? 0) })));
  const max = Math.max(1, ...rows.map((r) => r.count));
  const step = labels.length <= 4 ? 64 : labels.length <= 10 ? 44 : 28;
  const x: Encoding['x'] = { field: 'predicted', type: 'nominal', sort: [...labels], title: 'predicted', axis: { labelLimit: 140, orient: 'top', labelAngle: labels.length > 6 ? -45 : 0 } };
  const y: Encoding['y'] = { field: 'truth', type: 'nominal', sort: [...labels], title: 'true label', axis: { labelLimit: 140 } };
  const counts: Layer[] =
    labels.length <= 20
      ? [
          {
            name: 'counts',
            mark: { type: 'text', fontSize: labels.length <= 10 ? 12 : 9 },
            encoding: { x, y, text: { field: 'count', type: 'quantitative' }, color: { condition: { test: `datum.count > ${max / 2}`, value: '#fff' }, value: '#222' } },
          },
        ]
      : [];
  return {
    description: 'confusion matrix of the validation data: rows are true labels, columns predictions',
    width: { step },
    height: { step },
    config: CONFIG,
    data: { values: rows },
    layer: [
      {
        name: 'cells',
        mark: { type: 'rect', stroke: '#fff', strokeWidth: 1 },
        encoding: { x, y, color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues', domain: [0, max] }, legend: null }, description: { field: 'note' } },
      },
      ...counts,
    ],
  };
}

/**
 * The two libraries (Node caches them after the first call). `experiment --report` calls it
 * before training, so a broken install fails at once rather than after the runs.
 */
export async function loadCharts(): Promise<{ vega: typeof import('vega'); vl: typeof import('vega-lite') }> {
  try {
    const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
    return { vega, vl };
  } catch (e) {
    throw fail('ChartsUnavailable', `cannot load the chart libraries (vega, vega-lite): ${reasonOf(e)}`, {
      help: 'reinstall rnnc with its dependencies (npm install)',
      cause: e,
    });
  }
}

/** Renders Vega-Lite specifications to SVG strings, in the order given. */
export async function renderSvgs(specs: readonly TopLevelSpec[]): Promise<string[]> {
  const { vega, vl } = await loadCharts();
  const out: string[] = [];
  for (const spec of specs) {
    const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
    try {
      out.push(await view.toSVG());
    } finally {
      view.finalize();
    }
  }
  return out;
}
