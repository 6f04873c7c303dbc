/**
 * The picture as SVG: boxes, cells, arrows and labels placed on the grid (grid.ts), each
 * annotated with data attributes that say what it is — `data-role` (layer, cell, recurrence,
 * merge, final-state, edge, …), `data-layer`, `data-direction`, `data-shape`, `data-params` — so
 * tests and the editor's webview can read the drawing without parsing geometry.
 */
import { formatCount } from '../util/numbers.js';
import {
  BI_CELL_W,
  biRows,
  BOX_H,
  BOX_W,
  boxLeft,
  CELL_H,
  CELL_W,
  columnX,
  EMBED_H,
  FORK,
  grid,
  LANE,
  MARGIN,
  MERGE_H,
  sources,
  targets,
  type Grid,
  type Row,
} from './grid.js';
import type { Chain, EmbeddingStage, Picture, PlainStage, RecurrentStage, Stage, Step } from './picture.js';
import { el, svgDocument, type Attrs, type SvgElement, type SvgNode } from './svg.js';

const INK = '#1f2937';
const MUTED = '#6b7280';
const FONT = 'DejaVu Sans, Helvetica Neue, Arial, sans-serif';
const COLORS = {
  forward: { fill: '#dbeafe', stroke: '#2563eb' },
  backward: { fill: '#fef3c7', stroke: '#d97706' },
  merge: { fill: '#ede9fe', stroke: '#7c3aed' },
  embedding: { fill: '#e0f2fe', stroke: '#0284c7' },
  frozen: { fill: 'url(#rnnc-frozen)', stroke: '#6b7280' },
  dense: { fill: '#dcfce7', stroke: '#16a34a' },
  dropout: { fill: '#ffffff', stroke: '#9ca3af' },
} as const;
const CELL_NAME = { simple_rnn: 'RNN', lstm: 'LSTM', gru: 'GRU' } as const;

function text(x: number, y: number, content: SvgNode | SvgNode[], attrs: Attrs = {}): SvgElement {
  return el('text', { x, y, ...attrs }, ...(Array.isArray(content) ? content : [content]));
}

/** `x_1` → x with a lowered 1; `h_t'` → h, lowered t, then a raised prime. */
function subscripted(label: string): SvgNode[] {
  const m = /^([^_]+)_([^']+)('?)$/.exec(label);
  if (!m) return [label];
  const parts: SvgNode[] = [m[1]!, el('tspan', { dy: 3, 'font-size': 8 }, m[2]!)];
  if (m[3]) parts.push(el('tspan', { dy: -3 }, m[3]));
  return parts;
}

function arrow(d: string, attrs: Attrs = {}): SvgElement {
  return el('path', { d, fill: 'none', stroke: '#374151', 'stroke-width': 1.2, 'marker-end': 'url(#rnnc-arrow)', ...attrs });
}

function rect(x: number, y: number, w: number, h: number, colors: { fill: string; stroke: string }, attrs: Attrs = {}): SvgElement {
  return el('rect', { x, y, width: w, height: h, rx: 5, fill: colors.fill, stroke: colors.stroke, 'stroke-width': 1.2, ...attrs });
}

/** Keeps a long path readable on one line: its first folders and its file name, the middle elided. */
function shorten(path: string, max = 56): string {
  if (path.length <= max) return path;
  const parts = path.split('/');
  const last = parts.pop()!;
  let head: string | undefined;
  for (const part of parts) {
    const next = head === undefined ? part : `${head}/${part}`;
    if (next.length + 3 + last.length > max) break;
    head = next;
  }
  if (last.length + 2 > max) return `…${path.slice(path.length - max + 1)}`;
  return `${head ?? ''}/…/${last}`.replace(/^\/…/, '…');
}

/** Greedy line breaking of `a · b · c` parts, for captions. */
function wrap(line: string, max = 34): string[] {
  const lines: string[] = [];
  for (const part of line.split(' · ')) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 3 + part.length <= max) lines[lines.length - 1] = `${last} · ${part}`;
    else lines.push(part);
  }
  return lines;
}

/** What goes up from a recurrent layer, in the lecture's words. */
function returns(s: Stage): string | undefined {
  if (s.role !== 'recurrent') return undefined;
  if (s.returnsSequences) return s.merge ? 'passes every merged state up' : 'passes every state up';
  return s.merge ? "passes up h_t and h_t', merged" : 'passes up its last state h_t';
}

function caption(s: Stage, row: Row): SvgElement {
  const lines = wrap(s.type);
  const frozen = !s.trainable && s.params > 0 ? ' · frozen' : '';
  const note = returns(s);
  const count = lines.length + (note ? 1 : 0);
  const y0 = (row.top + row.bottom) / 2 - (15 + count * 14) / 2 + 8;
  const params = y0 + 15 + lines.length * 14;
  return el(
    'g',
    { 'data-role': 'caption' },
    text(MARGIN, y0, s.name, { 'font-size': 12, 'font-weight': 'bold', fill: INK }),
    ...lines.map((l, i) => text(MARGIN, y0 + 15 + i * 14, l, { fill: '#374151' })),
    text(MARGIN, params, `${formatCount(s.params)} params${frozen}`, { fill: INK, 'data-role': 'params' }),
    ...(note ? [text(MARGIN, params + 14, note, { fill: MUTED, 'font-size': 10 })] : []),
  );
}

function embedding(g: Grid, s: EmbeddingStage, row: Row): SvgNode[] {
  const source = s.source ? `${s.source.kind === 'vectors' ? 'pretrained' : 'from model'}: ${shorten(s.source.path)}` : 'learned with the model';
  const status = s.frozen ? `frozen · ${source}` : s.source ? `${source} · fine-tuned` : source;
  const cx = (g.left + g.right) / 2;
  return [
    rect(g.left + 6, row.top, g.right - g.left - 12, EMBED_H, s.frozen ? COLORS.frozen : COLORS.embedding, { 'data-role': 'band' }),
    text(cx, row.top + 17, `one ${s.dim}-d vector per word`, { 'text-anchor': 'middle', fill: INK }),
    text(cx, row.top + 32, status, { 'text-anchor': 'middle', fill: INK, 'font-style': s.frozen ? 'italic' : undefined, 'data-role': 'source' }),
  ];
}

/** One direction's cells and the arrows carrying its state from step to step (ellipsis included). */
function chain(g: Grid, s: RecurrentStage, c: Chain, y: number, offset: number, width: number): SvgNode[] {
  const colors = COLORS[c.direction];
  const stops = g.steps.map((st) => ({ x: columnX(g.left, st.column) + offset, half: c.columns.includes(st.column) ? width / 2 : 9, step: st }));
  const mid = y + CELL_H / 2;
  const out: SvgNode[] = [];
  for (const st of stops) {
    if (st.step.kind === 'ellipsis') {
      out.push(text(st.x, mid + 4, '⋯', { 'text-anchor': 'middle', fill: MUTED, 'font-size': 14, 'data-role': 'ellipsis', 'data-direction': c.direction }));
      continue;
    }
    out.push(
      el(
        'g',
        { 'data-role': 'cell', 'data-layer': s.layer, 'data-direction': c.direction, 'data-step': stepName(st.step) },
        rect(st.x - st.half, y, 2 * st.half, CELL_H, colors),
        text(st.x, mid + 4, CELL_NAME[s.cell], { 'text-anchor': 'middle', 'font-size': 10, fill: INK }),
      ),
    );
  }
  for (let i = 0; i + 1 < stops.length; i++) {
    const a = stops[i]!;
    const b = stops[i + 1]!;
    const d = c.direction === 'forward' ? `M${a.x + a.half} ${mid} H${b.x - b.half - 1}` : `M${b.x - b.half} ${mid} H${a.x + a.half + 1}`;
    out.push(arrow(d, { stroke: colors.stroke, 'data-role': 'recurrence', 'data-direction': c.direction }));
  }
  return out;
}

/** A step's name in data attributes: `1`, `2`, …, `t`. */
const stepName = (st: Step): string => st.label.replace(/^x_/, '');

function finalLabel(x: number, y: number, c: Chain): SvgElement {
  return text(x, y, subscripted(c.final.label), { fill: COLORS[c.direction].stroke, 'font-weight': 'bold', 'data-role': 'final-state', 'data-direction': c.direction });
}

function merge(x: number, y: number, w: number, mode: string, attrs: Attrs): SvgElement {
  return el(
    'g',
    { 'data-role': 'merge', 'data-mode': mode, ...attrs },
    rect(x - w / 2, y, w, MERGE_H, COLORS.merge, { rx: 9 }),
    text(x, y + 13, mode, { 'text-anchor': 'middle', 'font-size': 10, fill: INK }),
  );
}

function recurrent(g: Grid, s: RecurrentStage, row: Row): SvgNode[] {
  const [fwd, bwd] = s.chains;
  if (!bwd) {
    const out = chain(g, s, fwd!, row.top, 0, CELL_W);
    if (!s.returnsSequences) out.push(finalLabel(columnX(g.left, fwd!.final.column) + 6, row.top - 8, fwd!));
    return out;
  }
  const r = biRows(row);
  const out: SvgNode[] = [
    text(g.left - 8, r.forward + CELL_H / 2 + 4, 'forward →', { 'text-anchor': 'end', fill: COLORS.forward.stroke, 'font-size': 10 }),
    text(g.left - 8, r.backward + CELL_H / 2 + 4, '← backward', { 'text-anchor': 'end', fill: COLORS.backward.stroke, 'font-size': 10 }),
    ...chain(g, s, fwd!, r.forward, -LANE, BI_CELL_W),
    ...chain(g, s, bwd, r.backward, LANE, BI_CELL_W),
  ];
  const mode = s.merge ?? 'concat';
  if (s.returnsSequences) {
    // Every step's two states, merged at that step, go up.
    for (const st of g.steps.filter((x) => x.kind === 'step')) {
      const x = columnX(g.left, st.column);
      out.push(arrow(`M${x - LANE} ${r.forward} V${r.merge + MERGE_H + 1}`, { stroke: COLORS.forward.stroke }));
      out.push(arrow(`M${x + LANE} ${r.backward} V${r.merge + MERGE_H + 1}`, { stroke: COLORS.backward.stroke }));
      out.push(merge(x, r.merge, 44, mode, { 'data-step': stepName(st) }));
    }
    return out;
  }
  // Only the final states: forward's after x_t, backward's after x_1, merged once.
  const w = 64;
  const my = r.merge + MERGE_H / 2;
  const fx = columnX(g.left, fwd!.final.column) - LANE;
  const bx = columnX(g.left, bwd.final.column) + LANE;
  out.push(
    arrow(`M${fx} ${r.forward} V${my} H${g.anchor + w / 2 + 1}`, { stroke: COLORS.forward.stroke }),
    arrow(`M${bx} ${r.backward} V${my} H${g.anchor - w / 2 - 1}`, { stroke: COLORS.backward.stroke }),
    finalLabel(fx + 5, r.backward - 4, fwd!),
    finalLabel(bx + 5, r.backward - 4, bwd),
    merge(g.anchor, r.merge, w, mode, { 'data-of': 'final-states' }),
  );
  return out;
}

function plain(g: Grid, s: PlainStage, row: Row): SvgNode[] {
  const dropout = s.kind === 'dropout';
  const colors = dropout ? COLORS.dropout : COLORS.dense;
  const dash = dropout ? { 'stroke-dasharray': '5 3' } : {};
  const what = dropout ? `dropout ${s.rate}` : `dense ${s.units} · ${s.activation}`;
  if (s.perStep) {
    const cx = (g.left + g.right) / 2;
    return [
      rect(g.left + 6, row.top, g.right - g.left - 12, row.bottom - row.top, colors, { ...dash, 'data-role': 'band' }),
      text(cx, (row.top + row.bottom) / 2 + 4, `${what}, at every step`, { 'text-anchor': 'middle', fill: INK, 'data-role': 'label' }),
    ];
  }
  const x = boxLeft(g, BOX_W);
  return [
    rect(x, row.top, BOX_W, BOX_H, colors, { ...dash, 'data-role': 'box' }),
    text(x + BOX_W / 2, row.top + BOX_H / 2 + 4, what, { 'text-anchor': 'middle', fill: INK, 'font-weight': dropout ? undefined : 'bold', 'data-role': 'label' }),
  ];
}

function stageAttrs(s: Stage): Attrs {
  const base = { 'data-role': 'layer', 'data-layer': s.layer, 'data-kind': s.kind, 'data-name': s.name, 'data-params': s.params, 'data-trainable': String(s.trainable), 'data-shape': s.shape };
  switch (s.role) {
    case 'embedding':
      return { ...base, 'data-frozen': String(s.frozen), 'data-source': s.source ? `${s.source.kind}:${s.source.path}` : undefined };
    case 'recurrent':
      return { ...base, 'data-cell': s.cell, 'data-units': s.units, 'data-returns': s.returnsSequences ? 'sequence' : 'last', 'data-merge': s.merge, 'data-dropout': s.dropout || undefined, 'data-recurrent-dropout': s.recurrentDropout || undefined };
    case 'plain':
      return { ...base, 'data-per-step': String(s.perStep), 'data-activation': s.activation, 'data-rate': s.rate };
  }
}

function stageNodes(g: Grid, row: Row): SvgElement {
  const s = row.stage!;
  const body = s.role === 'embedding' ? embedding(g, s, row) : s.role === 'recurrent' ? recurrent(g, s, row) : plain(g, s, row);
  return el('g', stageAttrs(s), caption(s, row), ...body);
}

function inputs(g: Grid, p: Picture, row: Row): SvgElement {
  return el(
    'g',
    { 'data-role': 'inputs' },
    text(MARGIN, row.bottom - 6, 'word ids', { fill: MUTED }),
    ...p.steps.map((st) =>
      st.kind === 'ellipsis'
        ? text(columnX(g.left, st.column), row.bottom - 6, '⋯', { 'text-anchor': 'middle', fill: MUTED, 'font-size': 14, 'data-role': 'ellipsis' })
        : text(columnX(g.left, st.column), row.bottom - 6, subscripted(st.label), { 'text-anchor': 'middle', 'font-size': 12, fill: INK, 'data-role': 'input', 'data-step': stepName(st) }),
    ),
  );
}

/** The arrows of one edge (one per step, or one for the last state) and its shape label. */
function edge(g: Grid, p: Picture, i: number): SvgElement {
  const e = p.edges[i]!;
  const from = g.rows[e.from === 'input' ? 0 : e.from + 1]!;
  const to = g.rows[e.to === 'output' ? g.rows.length - 1 : e.to + 1]!;
  const paths: SvgNode[] = [];
  for (const [column, s] of sources(g, from)) {
    for (const t of targets(g, to, column)) {
      const fork = to.bottom + FORK;
      const d = t.x === s.x ? `M${s.x} ${s.y} V${t.y + 1}` : `M${s.x} ${s.y} V${fork} H${t.x} V${t.y + 1}`;
      paths.push(arrow(d, { 'data-role': 'arrow' }));
    }
  }
  const mid = (from.top + to.bottom) / 2;
  return el(
    'g',
    { 'data-role': 'edge', 'data-from': String(e.from), 'data-to': String(e.to), 'data-shape': e.shape, 'data-carries': e.carries },
    ...paths,
    text(g.shapeX, mid, e.shape, { fill: INK, 'data-role': 'shape' }),
    text(g.shapeX, mid + 13, e.carries === 'sequence' ? 'one per step' : 'one per text', { fill: MUTED, 'font-size': 9.5 }),
  );
}

const DEFS: SvgNode[] = [
  el(
    'marker',
    { id: 'rnnc-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' },
    el('path', { d: 'M0 0 L10 5 L0 10 z', fill: '#374151' }),
  ),
  el(
    'pattern',
    { id: 'rnnc-frozen', width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
    el('rect', { width: 8, height: 8, fill: '#e5e7eb' }),
    el('line', { x1: 0, y1: 0, x2: 0, y2: 8, stroke: '#c4c8cf', 'stroke-width': 3 }),
  ),
];

/** The whole drawing as an SVG document. */
export function renderSvg(p: Picture): string {
  const g = grid(p);
  const out = g.rows[g.rows.length - 1]!;
  const body: SvgNode[] = [
    el('rect', { width: g.width, height: g.height, fill: '#ffffff', 'data-role': 'background' }),
    text(MARGIN, MARGIN + 16, p.title, { 'font-size': 15, 'font-weight': 'bold', fill: INK, 'data-role': 'title' }),
    inputs(g, p, g.rows[0]!),
    ...g.rows.filter((r) => r.what === 'stage').map((r) => stageNodes(g, r)),
    ...p.edges.map((_, i) => edge(g, p, i)),
    text(g.anchor, out.bottom - 4, 'output', { 'text-anchor': 'middle', 'font-weight': 'bold', fill: INK, 'data-role': 'output' }),
    text(MARGIN, g.footerY, `Total params: ${formatCount(p.totals.params)} · trainable: ${formatCount(p.totals.trainable)} · non-trainable: ${formatCount(p.totals.nonTrainable)}`, {
      fill: INK,
      'data-role': 'totals',
      'data-params': p.totals.params,
      'data-trainable': p.totals.trainable,
      'data-non-trainable': p.totals.nonTrainable,
    }),
  ];
  return svgDocument({ width: g.width, height: g.height, title: p.title, description: p.description, attrs: { 'font-family': FONT, 'font-size': 11 }, defs: DEFS, body });
}
