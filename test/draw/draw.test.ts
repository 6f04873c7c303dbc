import type { Document, Element } from '@xmldom/xmldom';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shapeText } from '../../src/check/shapes.js';
import { formatCount } from '../../src/util/numbers.js';
import { all, attr, drawFile, one, pathNumbers, rowY, textOf } from './svg-query.js';

/**
 * `rnnc draw`'s picture of every spec in specs/, read back from the SVG: the cells of each
 * recurrent row and the way their state flows, `bi`'s merge and final states, the embedding's
 * shading and source, where dropout sits, and every number, which must be `summary`'s.
 */

const SPECS = [
  ...readdirSync('specs').filter((f) => f.endsWith('.rnn')).map((f) => `specs/${f}`),
  ...readdirSync('specs/experiments').filter((f) => f.endsWith('.rnn')).map((f) => `specs/experiments/${f}`),
].sort();

/** Which way a recurrence arrow points: its `d` is `M x y H x2`. */
function pointing(path: Element): 'right' | 'left' {
  const [x1, , x2] = pathNumbers(path);
  return x2! > x1! ? 'right' : 'left';
}

/** One line per layer saying what the drawing shows for it. */
function structure(doc: Document): string[] {
  return all(doc, { 'data-role': 'layer' }).map((g) => {
    const parts = [`${attr(g, 'data-layer')} ${attr(g, 'data-name')}`, `params=${attr(g, 'data-params')}`, `shape=${attr(g, 'data-shape')}`];
    const kind = attr(g, 'data-kind')!;
    if (kind === 'embedding') {
      const band = one(g, { 'data-role': 'band' });
      const shaded = attr(band, 'fill') === 'url(#rnnc-frozen)';
      parts.push(attr(g, 'data-frozen') === 'true' && shaded ? 'frozen(shaded)' : shaded ? 'SHADED-BUT-TRAINABLE' : 'trainable');
      parts.push(`source=${attr(g, 'data-source') ?? 'none'}`, `"${textOf(one(g, { 'data-role': 'source' }))}"`);
    } else if (kind === 'dense' || kind === 'dropout') {
      const shape = one(g, { 'data-role': attr(g, 'data-per-step') === 'true' ? 'band' : 'box' });
      parts.push(attr(g, 'data-per-step') === 'true' ? 'every-step' : 'last-state');
      if (attr(shape, 'stroke-dasharray')) parts.push('dashed');
      parts.push(kind === 'dense' ? `activation=${attr(g, 'data-activation')}` : `rate=${attr(g, 'data-rate')}`);
    } else {
      parts.push(`${attr(g, 'data-cell')}(${attr(g, 'data-units')})`);
      for (const direction of ['forward', 'backward']) {
        const cells = all(g, { 'data-role': 'cell', 'data-direction': direction });
        if (cells.length === 0) continue;
        const arrows = all(g, { 'data-role': 'recurrence', 'data-direction': direction }).map(pointing);
        const ways = [...new Set(arrows)];
        parts.push(`${direction}:${cells.map((c) => attr(c, 'data-step')).join(',')} ${ways.join('')}×${arrows.length}`);
      }
      const merges = all(g, { 'data-role': 'merge' });
      if (merges.length) {
        const modes = [...new Set(merges.map((m) => `${attr(m, 'data-mode')}/${textOf(m.getElementsByTagName('text').item(0)!)}`))];
        parts.push(`merge=${modes.join('|')}×${merges.length}${attr(merges[0]!, 'data-of') === 'final-states' ? '(final states)' : `(steps ${merges.map((m) => attr(m, 'data-step')).join(',')})`}`);
      }
      const finals = all(g, { 'data-role': 'final-state' }).map((f) => `${textOf(f)}:${attr(f, 'data-direction')}`);
      if (finals.length) parts.push(`finals=${finals.join(',')}`);
      parts.push(`returns=${attr(g, 'data-returns')}`);
      if (attr(g, 'data-dropout')) parts.push(`dropout=${attr(g, 'data-dropout')}`);
    }
    return parts.join(' ');
  });
}

const UNI = (name: string, cell: string, returns: string, extra = ''): string =>
  `${name} ${cell} forward:1,2,3,t right×4${returns === 'last' ? ' finals=ht:forward' : ''} returns=${returns}${extra}`;
const BI_SEQ = "forward:1,2,3,t right×4 backward:1,2,3,t left×4 merge=concat/concat×4(steps 1,2,3,t) returns=sequence";
const BI_TOP = "forward:1,2,3,t right×4 backward:1,2,3,t left×4 merge=concat/concat×1(final states) finals=ht:forward,ht':backward returns=last";
const HEAD = (i: number, params: number, units = 1): string => `${i} dense params=${params} shape=(None, ${units}) last-state activation=sigmoid`;
/** What each spec's drawing must show, layer by layer (bottom to top). */
const EXPECTED: Record<string, string[]> = {
  'specs/bidirectional.rnn': [
    '0 embedding params=2560000 shape=(None, None, 128) trainable source=none "learned with the model"',
    `1 bidirectional params=98816 shape=(None, None, 128) lstm(64) ${BI_SEQ}`,
    `2 bidirectional_1 params=98816 shape=(None, 128) lstm(64) ${BI_TOP}`,
    HEAD(3, 129),
  ],
  'specs/gru.rnn': [
    '0 embedding params=320000 shape=(None, None, 32) trainable source=none "learned with the model"',
    UNI('1 gru params=6240 shape=(None, 32)', 'gru(32)', 'last', ' dropout=0.2'),
    HEAD(2, 33),
  ],
  'specs/lstm.rnn': [
    '0 embedding params=320000 shape=(None, None, 32) trainable source=none "learned with the model"',
    UNI('1 lstm params=8320 shape=(None, 32)', 'lstm(32)', 'last'),
    HEAD(2, 33),
  ],
  'specs/pretrained-frozen.rnn': [
    '0 embedding params=160000 shape=(None, None, 16) frozen(shaded) source=vectors:vectors/demo.16d.vec "frozen · pretrained: vectors/demo.16d.vec"',
    `1 bidirectional params=41472 shape=(None, None, 128) lstm(64) ${BI_SEQ}`,
    `2 bidirectional_1 params=98816 shape=(None, 128) lstm(64) ${BI_TOP}`,
    HEAD(3, 129),
  ],
  'specs/simple-rnn.rnn': [
    '0 embedding params=320000 shape=(None, None, 32) trainable source=none "learned with the model"',
    UNI('1 simple_rnn params=2080 shape=(None, 32)', 'simple_rnn(32)', 'last'),
    HEAD(2, 33),
  ],
  'specs/stacked.rnn': [
    '0 embedding params=320000 shape=(None, None, 32) trainable source=none "learned with the model"',
    UNI('1 lstm params=8320 shape=(None, None, 32)', 'lstm(32)', 'sequence', ' dropout=0.1'),
    UNI('2 lstm_1 params=8320 shape=(None, None, 32)', 'lstm(32)', 'sequence', ' dropout=0.1'),
    UNI('3 lstm_2 params=8320 shape=(None, 32)', 'lstm(32)', 'last', ' dropout=0.1'),
    HEAD(4, 33),
  ],
  'specs/transfer.rnn': [
    '0 embedding params=16000 shape=(None, None, 16) frozen(shaded) source=model:models/demo-16d "frozen · from model: models/demo-16d"',
    UNI('1 gru params=4704 shape=(None, 32)', 'gru(32)', 'last'),
    HEAD(2, 33),
  ],
  'specs/experiments/1-rnn.rnn': [
    '0 embedding params=640000 shape=(None, 50, 64) trainable source=none "learned with the model"',
    '1 dropout params=0 shape=(None, 50, 64) every-step dashed rate=0.5',
    UNI('2 simple_rnn params=8256 shape=(None, 64)', 'simple_rnn(64)', 'last'),
    '3 dropout_1 params=0 shape=(None, 64) last-state dashed rate=0.5',
    HEAD(4, 65),
  ],
  'specs/experiments/2-lstm.rnn': [
    '0 embedding params=640000 shape=(None, 50, 64) trainable source=none "learned with the model"',
    '1 dropout params=0 shape=(None, 50, 64) every-step dashed rate=0.5',
    UNI('2 lstm params=33024 shape=(None, 64)', 'lstm(64)', 'last'),
    '3 dropout_1 params=0 shape=(None, 64) last-state dashed rate=0.5',
    HEAD(4, 65),
  ],
  'specs/experiments/3-gru.rnn': [
    '0 embedding params=640000 shape=(None, 50, 64) trainable source=none "learned with the model"',
    '1 dropout params=0 shape=(None, 50, 64) every-step dashed rate=0.5',
    UNI('2 gru params=24768 shape=(None, 64)', 'gru(64)', 'last'),
    '3 dropout_1 params=0 shape=(None, 64) last-state dashed rate=0.5',
    HEAD(4, 65),
  ],
  'specs/experiments/4-bilstm.rnn': [
    '0 embedding params=640000 shape=(None, 50, 64) trainable source=none "learned with the model"',
    '1 dropout params=0 shape=(None, 50, 64) every-step dashed rate=0.5',
    `2 bidirectional params=66048 shape=(None, 128) lstm(64) ${BI_TOP}`,
    '3 dropout_1 params=0 shape=(None, 128) last-state dashed rate=0.5',
    HEAD(4, 129),
  ],
  'specs/experiments/5-bilstm-x2.rnn': [
    '0 embedding params=640000 shape=(None, 50, 64) trainable source=none "learned with the model"',
    '1 dropout params=0 shape=(None, 50, 64) every-step dashed rate=0.5',
    `2 bidirectional params=66048 shape=(None, 50, 128) lstm(64) ${BI_SEQ}`,
    `3 bidirectional_1 params=98816 shape=(None, 128) lstm(64) ${BI_TOP}`,
    '4 dropout_1 params=0 shape=(None, 128) last-state dashed rate=0.5',
    HEAD(5, 129),
  ],
  'specs/experiments/6-bilstm-glove-frozen.rnn': [
    '0 embedding params=500000 shape=(None, 50, 50) frozen(shaded) source=vectors:../../../shared/data/glove-6B-50d-top2446/glove.6B.50d.top2446.txt "frozen · pretrained: ../../../shared/data/…/glove.6B.50d.top2446.txt"',
    '1 dropout params=0 shape=(None, 50, 50) every-step dashed rate=0.5',
    `2 bidirectional params=58880 shape=(None, 128) lstm(64) ${BI_TOP}`,
    '3 dropout_1 params=0 shape=(None, 128) last-state dashed rate=0.5',
    HEAD(4, 129),
  ],
  'specs/experiments/7-bilstm-glove-tuned.rnn': [
    '0 embedding params=500000 shape=(None, 50, 50) trainable source=vectors:../../../shared/data/glove-6B-50d-top2446/glove.6B.50d.top2446.txt "pretrained: ../../../shared/data/…/glove.6B.50d.top2446.txt · fine-tuned"',
    '1 dropout params=0 shape=(None, 50, 50) every-step dashed rate=0.5',
    `2 bidirectional params=58880 shape=(None, 128) lstm(64) ${BI_TOP}`,
    '3 dropout_1 params=0 shape=(None, 128) last-state dashed rate=0.5',
    HEAD(4, 129),
  ],
};

describe('rnnc draw: every spec in specs/', () => {
  it('has an expected drawing for every spec', () => {
    expect(SPECS).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const file of SPECS) {
    describe(file, () => {
      const { checked, svg, doc } = drawFile(file);
      const analysis = checked.analysis!;

      it('shows each layer as the lecture draws it', () => {
        expect(structure(doc)).toEqual(EXPECTED[file]);
      });

      it("labels every layer with summary's parameter count and every edge with summary's shape", () => {
        const layers = all(doc, { 'data-role': 'layer' });
        expect(layers.map((g) => [attr(g, 'data-name'), Number(attr(g, 'data-params')), attr(g, 'data-shape'), attr(g, 'data-trainable') === 'true'])).toEqual(
          analysis.layers.map((l) => [l.name, l.params, shapeText(l.outputShape), l.trainable]),
        );
        // The visible label, as summary prints the count (and its [frozen] mark).
        expect(layers.map((g) => textOf(one(g, { 'data-role': 'params' })))).toEqual(
          analysis.layers.map((l) => `${formatCount(l.params)} params${!l.trainable && l.params > 0 ? ' · frozen' : ''}`),
        );
        const edges = all(doc, { 'data-role': 'edge' });
        const n = analysis.layers.length;
        expect(edges.map((e) => [attr(e, 'data-from'), attr(e, 'data-to'), attr(e, 'data-shape'), textOf(one(e, { 'data-role': 'shape' }))])).toEqual([
          ['input', '0', shapeText(analysis.layers[0]!.outputShape.slice(0, 2)), shapeText(analysis.layers[0]!.outputShape.slice(0, 2))],
          ...analysis.layers.map((l, i) => [String(i), i + 1 < n ? String(i + 1) : 'output', shapeText(l.outputShape), shapeText(l.outputShape)]),
        ]);
        const totals = one(doc, { 'data-role': 'totals' });
        expect([attr(totals, 'data-params'), attr(totals, 'data-trainable'), attr(totals, 'data-non-trainable')]).toEqual(
          [analysis.totalParams, analysis.trainableParams, analysis.nonTrainableParams].map(String),
        );
        expect(textOf(totals)).toBe(
          `Total params: ${formatCount(analysis.totalParams)} · trainable: ${formatCount(analysis.trainableParams)} · non-trainable: ${formatCount(analysis.nonTrainableParams)}`,
        );
      });

      it('passes whole sequences up between stacked layers and one vector above the top recurrent layer', () => {
        const layers = all(doc, { 'data-role': 'layer' });
        for (const e of all(doc, { 'data-role': 'edge' })) {
          const from = attr(e, 'data-from')!;
          const info = from === 'input' ? undefined : analysis.layers[Number(from)]!;
          const sequence = info ? info.outputShape.length === 3 : true;
          expect(attr(e, 'data-carries')).toBe(sequence ? 'sequence' : 'last');
          // An arrow per time step (x_1, x_2, x_3, x_t), or one; a `bi` layer takes each into both chains.
          const to = attr(e, 'data-to')!;
          const bi = to !== 'output' && attr(layers[Number(to)]!, 'data-kind') === 'bidirectional';
          expect(all(e, { 'data-role': 'arrow' }).length, `${from} → ${to}`).toBe((sequence ? 4 : 1) * (bi ? 2 : 1));
        }
        // Drawn bottom to top in pipeline order: each layer above the one before it.
        const ys = layers.map(rowY);
        expect(ys).toEqual([...ys].sort((a, b) => b - a));
        expect(new Set(ys).size).toBe(ys.length);
      });

      it('is an accessible, self-describing SVG', () => {
        const root = doc.documentElement!;
        expect([root.tagName, attr(root, 'role'), attr(root, 'aria-labelledby')]).toEqual(['svg', 'img', 'rnnc-title rnnc-desc']);
        expect(textOf(one(doc, { id: 'rnnc-title' }))).toBe(file.split('/').pop());
        const desc = textOf(one(doc, { id: 'rnnc-desc' }));
        for (const l of analysis.layers) expect(desc).toContain(`${l.name} (`);
        expect(desc).toContain(`${formatCount(analysis.totalParams)} parameters`);
        expect(svg.endsWith('</svg>\n')).toBe(true);
      });
    });
  }
});
