/**
 * `rnnc report`'s page for one trained model: the model drawing, the training curves with the
 * kept epoch marked, the validation metrics and confusion matrix, the most confidently wrong
 * validation examples, the data, the vocabulary and the settings.
 */
import { confusionSpec, curveSpec, renderSvgs } from './charts.js';
import { figure, html, Markup, note, page } from './html.js';
import type { RunReport } from './read.js';
import { dataPart, metricsPart, mistakesPart, settingsPart, vocabPart } from './sections.js';
import { formatCount } from '../util/numbers.js';

export interface ModelPageOptions {
  /**
   * The model drawn as one SVG element (`<svg …>…</svg>`), placed as it is: the caller vouches
   * for it (it comes from rnnc's own drawing of spec.json). Without it the page says the drawing
   * is not available.
   */
  modelSvg?: string;
}

/** The slot for the model drawing. */
export function drawingSlot(svg: string | undefined): Markup {
  if (svg === undefined || svg.trim() === '') return html`<div class="drawing missing" data-slot="model-drawing">drawing not available</div>`;
  return html`<div class="drawing" data-slot="model-drawing">${new Markup(svg)}</div>`;
}

function statusLine(r: RunReport): Markup {
  const badges: Markup[] = [];
  if (r.interrupted) badges.push(html`<span class="badge warn">interrupted: resume with rnnc train --resume</span>`);
  else if (!r.complete) badges.push(html`<span class="badge warn">unfinished</span>`);
  else badges.push(html`<span class="badge">finished</span>`);
  if (r.stoppedEarly) badges.push(html`<span class="badge">stopped early</span>`);
  const epochs = `${r.epochsRun} epoch${r.epochsRun === 1 ? '' : 's'} run`;
  const kept = r.bestEpoch > 0 ? `, kept epoch ${r.bestEpoch}${r.data.validation > 0 ? ' (best validation loss)' : ''}` : '';
  const where = [r.backend && `backend ${r.backend}`, r.kernels && `kernels ${r.kernels}`, r.time?.train_seconds !== undefined && `${r.time.train_seconds.toFixed(1)} s of training`]
    .filter((s): s is string => typeof s === 'string')
    .join(' · ');
  return html`<p class="sub">${badges}${epochs}${kept}${where ? ` · ${where}` : ''}</p>`;
}

function paramsLine(r: RunReport): Markup {
  if (!r.params) return html``;
  const p = r.params;
  return html`<p>${formatCount(p.total)} parameters: ${formatCount(p.trainable)} trainable, ${formatCount(p.non_trainable)} not.</p>`;
}

/** The report page of one trained model folder, as a self-contained HTML document. */
export async function renderModelReport(r: RunReport, opts: ModelPageOptions = {}): Promise<string> {
  const curves = r.history.length > 0;
  const run = { name: r.name, history: r.history, bestEpoch: r.bestEpoch };
  const specs = [
    ...(curves ? [curveSpec('loss', [run]), curveSpec('accuracy', [run])] : []),
    ...(r.validation ? [confusionSpec(r.validation.labels, r.validation.confusion)] : []),
  ];
  const svgs = await renderSvgs(specs);
  const keptNote = r.bestEpoch > 0 ? `; the dashed line marks the kept epoch (${r.bestEpoch})` : '';
  const curvesPart = curves
    ? html`<div class="charts">${figure('loss', `loss per epoch${keptNote}`, svgs[0]!)}${figure('accuracy', `accuracy per epoch${keptNote}`, svgs[1]!)}</div>`
    : note('no epoch has finished yet');
  let validationPart: Markup;
  if (r.validation) {
    const heat = figure('confusion', 'confusion matrix: rows are the true labels, columns the predictions', svgs[curves ? 2 : 0]!);
    validationPart = html`${metricsPart(r, r.validation)}<h3>Confusion matrix</h3>${heat}`;
  } else {
    validationPart = note(r.data.validation === 0 ? 'no validation data (val_split 0)' : 'no epoch has finished yet');
  }
  const saved = r.time?.saved ? ` on ${r.time.saved.slice(0, 19).replace('T', ' ')} UTC` : '';
  const body = html`
<header>
<h1>${r.name}</h1>
${statusLine(r)}
</header>
<section id="model"><h2>Model</h2>${drawingSlot(opts.modelSvg)}${paramsLine(r)}</section>
<section id="curves"><h2>Training</h2>${curvesPart}</section>
<section id="validation"><h2>Validation${r.bestEpoch > 0 && r.validation ? ` (kept epoch ${r.bestEpoch})` : ''}</h2>${validationPart}</section>
<section id="mistakes"><h2>Most confidently wrong validation examples</h2>${mistakesPart(r)}</section>
<section id="data"><h2>Data</h2>${dataPart(r)}</section>
<section id="vocabulary"><h2>Vocabulary</h2>${vocabPart(r)}</section>
<section id="settings"><h2>Settings</h2>${settingsPart(r)}</section>
<footer>Made by <code>rnnc report</code> from ${r.dir}/metrics.json (written by rnnc ${r.rnnc ?? 'of an unknown version'}${saved}). This page is self-contained: it loads nothing and runs no script.</footer>`;
  return page(`${r.name}: rnnc report`, body);
}
