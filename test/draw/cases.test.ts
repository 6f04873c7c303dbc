import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { drawModel } from '../../src/draw/draw.js';
import { htmlPage } from '../../src/draw/html.js';
import { LEADING_STEPS, picture } from '../../src/draw/picture.js';
import { escapeXml } from '../../src/draw/svg.js';
import { checkText } from '../../src/program.js';
import { all, attr, drawText, one, parseSvg, pathNumbers, rowY, textOf } from './svg-query.js';

/** Designs the specs in specs/ do not cover, and the SVG's own guarantees. */

const dim16 = { resolveDim: () => 16 };

describe('rnnc draw: layers the specs do not cover', () => {
  it('dense and dropout below the top recurrent layer apply at every step; above it, to the last state', () => {
    const { doc } = drawText('embed(8, vocab: 100) |> dense(16, relu) |> dropout(0.25) |> gru(4) |> dropout(0.1) |> dense(3)');
    const layers = all(doc, { 'data-role': 'layer' });
    expect(layers.map((g) => [attr(g, 'data-kind'), attr(g, 'data-per-step') ?? attr(g, 'data-returns'), attr(g, 'data-activation') ?? attr(g, 'data-rate')])).toEqual([
      ['embedding', null, null],
      ['dense', 'true', 'relu'],
      ['dropout', 'true', '0.25'],
      ['gru', 'last', null],
      ['dropout', 'false', '0.1'],
      ['dense', 'false', 'softmax'],
    ]);
    // Per-step layers are bands reached by an arrow at every step; the others are boxes on one arrow.
    expect(layers.map((g) => all(g, { 'data-role': 'band' }).length + all(g, { 'data-role': 'box' }).length * 10)).toEqual([1, 1, 1, 0, 10, 10]);
    expect(textOf(one(layers[1]!, { 'data-role': 'label' }))).toBe('dense 16 · relu, at every step');
    expect(textOf(one(layers[2]!, { 'data-role': 'label' }))).toBe('dropout 0.25, at every step');
    expect(textOf(one(layers[5]!, { 'data-role': 'label' }))).toBe('dense 3 · softmax');
    expect(all(doc, { 'data-role': 'edge', 'data-from': '2' }).map((e) => all(e, { 'data-role': 'arrow' }).length)).toEqual([4]);
    expect(all(doc, { 'data-role': 'edge', 'data-from': '3' }).map((e) => all(e, { 'data-role': 'arrow' }).length)).toEqual([1]);
    expect(attr(one(doc, { 'data-role': 'edge', 'data-from': '5' }), 'data-to')).toBe('output');
  });

  it('labels every merge mode, per step and on the final states', () => {
    for (const mode of ['concat', 'sum', 'mul', 'ave']) {
      const { doc } = drawText(`embed(8) |> bi(gru(4), merge: ${mode}) |> bi(lstm(4), merge: ${mode}) |> dense(1)`);
      const [lower, upper] = all(doc, { 'data-kind': 'bidirectional' });
      expect(all(lower!, { 'data-role': 'merge' }).map((m) => [attr(m, 'data-mode'), attr(m, 'data-step'), textOf(m.getElementsByTagName('text').item(0)!)])).toEqual(
        ['1', '2', '3', 't'].map((s) => [mode, s, mode]),
      );
      expect(all(upper!, { 'data-role': 'merge' }).map((m) => [attr(m, 'data-mode'), attr(m, 'data-of')])).toEqual([[mode, 'final-states']]);
      // concat doubles the width; the others keep it.
      expect(attr(upper!, 'data-shape')).toBe(mode === 'concat' ? '(None, 8)' : '(None, 4)');
    }
  });

  it("marks the final states where the chains end: h_t after x_t reading forward, h_t' after x_1 reading backward", () => {
    const { doc } = drawText('embed(8) |> bi(lstm(4)) |> dense(1)');
    const bi = one(doc, { 'data-kind': 'bidirectional' });
    const cellX = (direction: string, step: string): number => {
      const r = one(bi, { 'data-role': 'cell', 'data-direction': direction, 'data-step': step }).getElementsByTagName('rect').item(0)!;
      return Number(attr(r, 'x')) + Number(attr(r, 'width')) / 2;
    };
    const finals = all(bi, { 'data-role': 'final-state' });
    expect(finals.map((f) => [textOf(f), attr(f, 'data-direction'), Number(attr(f, 'x')) - 5])).toEqual([
      ['ht', 'forward', cellX('forward', 't')],
      ["ht'", 'backward', cellX('backward', '1')],
    ]);
    // The forward chain reads left to right, the backward one right to left, one arrow between neighbours.
    for (const [direction, sign] of [['forward', 1], ['backward', -1]] as const) {
      const arrows = all(bi, { 'data-role': 'recurrence', 'data-direction': direction }).map(pathNumbers);
      expect(arrows.map(([x1, , x2]) => Math.sign(x2! - x1!))).toEqual([sign, sign, sign, sign]);
    }
    // The backward chain is drawn above the forward one.
    expect(rowY(one(bi, { 'data-role': 'cell', 'data-direction': 'backward', 'data-step': '1' }))).toBeLessThan(
      rowY(one(bi, { 'data-role': 'cell', 'data-direction': 'forward', 'data-step': '1' })),
    );
  });

  it('draws x_1 … x_t: a column per leading step, the ellipsis, the last step', () => {
    const { doc } = drawText('embed(8) |> rnn(4) |> dense(1)');
    expect(all(doc, { 'data-role': 'input' }).map((t) => [attr(t, 'data-step'), textOf(t)])).toEqual([
      ['1', 'x1'],
      ['2', 'x2'],
      ['3', 'x3'],
      ['t', 'xt'],
    ]);
    expect(LEADING_STEPS).toBe(3);
    // One ellipsis under the inputs and one in the recurrent row.
    expect(all(doc, { 'data-role': 'ellipsis' }).map((e) => attr(e, 'data-direction'))).toEqual([null, 'forward']);
  });

  it('a model without a head: the top recurrent layer passes its last state to the output', () => {
    const { doc } = drawText('embed(8) |> lstm(4)');
    expect(all(doc, { 'data-role': 'edge' }).map((e) => [attr(e, 'data-from'), attr(e, 'data-to'), attr(e, 'data-carries'), all(e, { 'data-role': 'arrow' }).length])).toEqual([
      ['input', '0', 'sequence', 4],
      ['0', '1', 'sequence', 4],
      ['1', 'output', 'last', 1],
    ]);
  });

  it('a frozen embedding without a source is shaded and says it stays random', () => {
    const { doc } = drawText('embed(8, frozen) |> lstm(4) |> dense(1)');
    const e = one(doc, { 'data-kind': 'embedding' });
    expect([attr(e, 'data-frozen'), attr(e, 'data-source'), attr(one(e, { 'data-role': 'band' }), 'fill'), textOf(one(e, { 'data-role': 'source' }))]).toEqual([
      'true',
      null,
      'url(#rnnc-frozen)',
      'frozen · learned with the model',
    ]);
  });
});

describe('rnnc draw: user text in the SVG', () => {
  it('escapes every character XML gives meaning to, and replaces those it cannot hold', () => {
    const path = `we<ird> & "quoted" 'dir'/\u0001vec\uffff.txt`;
    const { svg, doc } = drawText(`embed(pretrained: vectors(${JSON.stringify(path)}), frozen) |> lstm(4) |> dense(1)`, dim16);
    const e = one(doc, { 'data-kind': 'embedding' });
    const shown = path.replace('\u0001', '\ufffd').replace('\uffff', '\ufffd');
    expect(attr(e, 'data-source')).toBe(`vectors:${shown}`);
    expect(textOf(one(e, { 'data-role': 'source' }))).toBe(`frozen · pretrained: ${shown}`);
    expect(svg).not.toContain('<ird>');
    expect(escapeXml('a<b>&"c\'')).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
  });

  it('shortens a long path on screen, keeping its start and file name; the data attribute has it whole', () => {
    const path = '/home/someone/projects/embeddings/very/deeply/nested/folder/glove.840B.300d.txt';
    const { doc } = drawText(`embed(pretrained: vectors("${path}")) |> lstm(4) |> dense(1)`, dim16);
    const e = one(doc, { 'data-kind': 'embedding' });
    expect(attr(e, 'data-source')).toBe(`vectors:${path}`);
    expect(textOf(one(e, { 'data-role': 'source' }))).toBe('pretrained: /home/someone/projects/embeddings/…/glove.840B.300d.txt · fine-tuned');
  });

  it('is deterministic, and a model folder’s spec.json draws as its .rnn would', () => {
    const text = 'embed(16, vocab: 256) |> gru(16) |> dense(1)';
    expect(drawText(text).svg).toBe(drawText(text).svg);
    const json = checkText(readFileSync('specs/models/demo-16d/spec.json', 'utf8'), { fileName: 'specs/models/demo-16d/spec.json' });
    const rnn = checkText(text, { fileName: 'specs/test.rnn' });
    expect(drawModel({ program: json.program!, analysis: json.analysis! }, 't').svg).toBe(drawModel({ program: rnn.program!, analysis: rnn.analysis! }, 't').svg);
  });

  it('the picture model can be read without the SVG', () => {
    const checked = checkText('embed(8) |> bi(rnn(4), merge: sum) |> dense(1)', { fileName: 'specs/test.rnn' });
    const p = picture(checked.program!, checked.analysis!, 'm.rnn');
    expect(p.steps.map((s) => s.label)).toEqual(['x_1', 'x_2', 'x_3', '…', 'x_t']);
    const bi = p.stages[1]!;
    expect(bi.role === 'recurrent' && bi.chains.map((c) => [c.direction, c.columns, c.final])).toEqual([
      ['forward', [0, 1, 2, 4], { column: 4, label: 'h_t' }],
      ['backward', [0, 1, 2, 4], { column: 0, label: "h_t'" }],
    ]);
    expect(p.edges.map((e) => `${e.from}→${e.to} ${e.shape} ${e.carries}`)).toEqual([
      'input→0 (None, None) sequence',
      '0→1 (None, None, 8) sequence',
      '1→2 (None, 4) last',
      '2→output (None, 1) last',
    ]);
  });

  it('--format html: a self-contained page holding the SVG, titled and captioned', () => {
    const { svg } = drawText('embed(8) |> lstm(4) |> dense(1)');
    const page = htmlPage(svg, 'a <b> & c', 'desc & "more"');
    expect(page.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(page).toContain('<title>a &lt;b&gt; &amp; c</title>');
    expect(page).toContain(svg.trimEnd());
    expect(page).toContain('<figcaption>desc &amp; &quot;more&quot;</figcaption>');
    expect(page).not.toMatch(/<script|<link|src=|href="http/);
    // The page's SVG part is the same well-formed document.
    const inner = page.slice(page.indexOf('<svg'), page.indexOf('</svg>') + 6);
    expect(all(parseSvg(inner), { 'data-role': 'layer' }).length).toBe(3);
  });
});
