/**
 * The parts of a model's report page that are tables and notes: validation metrics per class,
 * the most confidently wrong validation examples, the data, the vocabulary and the settings.
 * A part an older rnnc did not record says so instead of showing nothing.
 */
import { SETTING_BY_NAME } from '../ir/settings.js';
import { perClassMetrics } from '../train/metrics.js';
import { formatCount } from '../util/numbers.js';
import { html, Markup, note, NOT_RECORDED, percent, table, type Content } from './html.js';
import type { ReportMetrics, RunReport } from './read.js';

/** Why a validation section is empty, or undefined when it has data. */
function validationGap(r: RunReport): string | undefined {
  if (r.data.validation === 0) return 'no validation data (val_split 0): nothing to show';
  if (!r.validation) return 'no epoch has finished yet: nothing validated';
  return undefined;
}

/** Headline numbers, then precision, recall and F1 of each class. */
export function metricsPart(r: RunReport, m: ReportMetrics): Markup {
  const how = m.averaging === 'binary' ? `positive class “${m.positive ?? m.labels[1] ?? ''}”` : 'macro average';
  const card = (label: string, value: string): Markup => html`<div class="card"><b>${value}</b><span>${label}</span></div>`;
  const cards = html`<div class="cards">${[
    card('examples', formatCount(m.count)),
    card('accuracy', percent(m.accuracy)),
    card(`precision (${how})`, percent(m.precision)),
    card(`recall (${how})`, percent(m.recall)),
    card(`F1 (${how})`, percent(m.f1)),
    card('loss', m.loss.toFixed(4)),
  ]}</div>`;
  const per = perClassMetrics(m.confusion);
  const rows = m.labels.map((l, i) => {
    const c = per[i]!;
    const positive = m.averaging === 'binary' && l === m.positive;
    return [html`${l}${positive ? html` <span class="badge">positive</span>` : ''}`, formatCount(c.support), percent(c.precision), percent(c.recall), percent(c.f1)];
  });
  if (m.averaging === 'macro') {
    const mean = (k: 'precision' | 'recall' | 'f1'): number => per.reduce((s, c) => s + c[k], 0) / Math.max(1, per.length);
    rows.push([html`<i>macro average</i>`, formatCount(m.count), percent(mean('precision')), percent(mean('recall')), percent(mean('f1'))]);
  }
  return html`${cards}<h3>Per class</h3>${table(['label', 'examples', 'precision', 'recall', 'F1'], rows, { numeric: [1, 2, 3, 4], className: 'per-class' })}`;
}

/** The kept epoch's most confidently wrong validation examples. */
export function mistakesPart(r: RunReport): Markup {
  const gap = validationGap(r);
  if (gap) return note(gap);
  const m = r.mistakes;
  if (!m) return note(NOT_RECORDED);
  if (m.examples.length === 0) return note(`none: the kept model (epoch ${m.epoch}) predicts every validation example correctly`);
  const intro = html`<p class="sub">Epoch ${m.epoch}'s weights get ${formatCount(m.wrong)} of ${formatCount(r.data.validation)} validation examples wrong; the ${m.examples.length} it is surest about:</p>`;
  const rows = m.examples.map((e, i) => [String(i + 1), html`${e.text}${e.truncated ? ' …' : ''}`, e.label, e.predicted, percent(e.probability)]);
  return html`${intro}${table(['#', 'text', 'true label', 'predicted', 'probability'], rows, { className: 'examples', numeric: [0, 4] })}`;
}

/** A settings value as the page shows it. */
const show = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '—' : JSON.stringify(v));
const count = (n: number | undefined): string => (n === undefined ? '—' : formatCount(n));
const share = (n: number, total: number): string => `${formatCount(n)} (${percent(total === 0 ? 0 : n / total, 1)})`;

/** Where the data came from, the split sizes and the label balance of each split. */
export function dataPart(r: RunReport): Markup {
  const d = r.data;
  const valFrom = typeof r.settings['val_file'] === 'string' ? `from ${r.settings['val_file']}` : `val_split ${show(r.settings['val_split'])}`;
  const facts = table(
    ['', ''],
    [
      ['source', d.source ?? '—'],
      ['format', d.format ?? '—'],
      ['examples read', count(d.examples)],
      ['unusable rows', count(d.problems)],
      ['training examples', formatCount(d.train)],
      ['validation examples', `${formatCount(d.validation)} (${valFrom})`],
    ],
    { className: 'facts' },
  );
  let balance: Markup;
  if (d.labelCounts) {
    const lc = d.labelCounts;
    const sum = (a: number[]): number => a.reduce((s, n) => s + n, 0);
    balance = table(
      ['label', 'training', 'validation'],
      d.labels.map((l, i) => [l, share(lc.train[i]!, sum(lc.train)), share(lc.validation[i]!, sum(lc.validation))]),
      { className: 'balance', numeric: [1, 2] },
    );
  } else {
    balance = html`${note(NOT_RECORDED)}<p>labels: ${d.labels.join(', ')}</p>`;
  }
  return html`${facts}<h3>Label balance</h3>${balance}`;
}

/** The vocabulary, its coverage of the validation text, and the pretrained vectors' coverage of it. */
export function vocabPart(r: RunReport): Markup {
  const v = r.vocab;
  const parts: Content[] = [];
  if (!v) {
    parts.push(note(NOT_RECORDED));
  } else {
    const words = v.distinct_words !== undefined && v.kept_words !== undefined ? `${formatCount(v.kept_words)} kept of ${formatCount(v.distinct_words)} distinct training words` : '—';
    const rows: Content[][] = [
      ['vocabulary size', `${formatCount(v.size)} ids (with padding and the unknown word)`],
      ['embedding rows', count(v.input_dim)],
      ['words', words],
      ['maxlen', count(v.maxlen)],
    ];
    const c = v.validationCoverage;
    const coverage = c
      ? `${percent(c.token_rate, 1)} of validation tokens (${formatCount(c.known_tokens)} of ${formatCount(c.tokens)}); ${percent(c.type_rate, 1)} of distinct validation words (${formatCount(c.known_types)} of ${formatCount(c.types)})`
      : r.data.validation === 0
        ? 'no validation data'
        : NOT_RECORDED;
    rows.push(['known to the vocabulary', coverage]);
    parts.push(table(['', ''], rows, { className: 'facts' }));
  }
  parts.push(html`<h3>Pretrained vectors</h3>`);
  const e = r.embedding;
  if (e) {
    const rows: Content[][] = [
      ['source', `${e.source === 'vectors' ? 'word vectors' : 'trained model'} ${e.path}${e.format ? ` (${e.format})` : ''}`],
      ['coverage', `found ${formatCount(e.found)} of ${formatCount(e.total)} vocabulary words (${percent(e.total === 0 ? 0 : e.found / e.total, 1)})`],
      ['missing words', e.oov ? `rows filled by oov: ${e.oov}` : '—'],
      ['frozen', e.frozen === undefined ? '—' : e.frozen ? 'yes (not trained)' : 'no (fine-tuned)'],
    ];
    if (e.missingExamples.length > 0) rows.push(['e.g. missing', e.missingExamples.join(', ')]);
    parts.push(table(['', ''], rows, { className: 'facts' }));
  } else if (r.pretrained === true) {
    parts.push(note(NOT_RECORDED));
  } else {
    parts.push(note(r.pretrained === false ? 'none: the embedding was trained from random initial values' : 'none recorded (spec.json is missing)'));
  }
  return html`${parts}`;
}

/** The run's settings, with each one's default; changed values are bold. */
export function settingsPart(r: RunReport): Markup {
  const rows = Object.entries(r.settings).map(([name, value]) => {
    const spec = SETTING_BY_NAME.get(name);
    const changed = spec?.default !== undefined && spec.default !== value;
    return [html`<code>${name}</code>`, changed ? html`<b>${show(value)}</b>` : show(value), show(spec?.default), spec?.doc ?? ''];
  });
  if (rows.length === 0) return note(NOT_RECORDED);
  return table(['setting', 'value', 'default', ''], rows, { className: 'settings' });
}
