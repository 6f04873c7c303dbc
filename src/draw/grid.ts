/**
 * Where everything goes: a grid, computed by one small pure function.
 *
 * Why not a graph layout library (elkjs, @dagrejs/dagre)? The lecture's picture is not a graph
 * whose layout must be discovered: its rows are the layers (bottom to top, in pipeline order)
 * and its columns are the time steps (x_1 … x_t, left to right), both known before anything is
 * placed. A layered-graph engine would rediscover exactly that ranking, but would also be free
 * to reorder nodes within a rank to reduce crossings — and the meaning of the picture is the
 * order (a backward chain drawn left to right would be wrong, not just ugly). Pinning every node
 * to its row and column would leave the library nothing to do but route edges, which here are
 * straight or single-elbow lines between known points. elkjs is also ~1.5 MB of JavaScript and
 * asynchronous, which the language server would load on every drawing. So: rows stacked with
 * fixed heights and gaps, columns of fixed width, lanes at fixed offsets inside a column.
 */
import type { Picture, Stage, Step } from './picture.js';

export const MARGIN = 16;
export const TITLE_H = 30;
export const CAPTION_W = 270;
export const COL_W = 96;
export const SHAPE_W = 150;
export const GAP = 46;
/** Below the word ids: the totals line (its baseline 24 below them). */
export const FOOTER_H = 32;

export const INPUT_H = 22;
export const EMBED_H = 42;
export const BAND_H = 30;
export const CELL_W = 56;
export const CELL_H = 34;
/** A `bi` cell is narrower: the two chains' cells sit in lanes left and right of the column's centre. */
export const BI_CELL_W = 40;
export const LANE = 18;
export const CHAIN_GAP = 20;
export const MERGE_H = 18;
export const MERGE_GAP = 16;
export const BOX_W = 184;
export const BOX_H = 32;
export const OUTPUT_H = 18;
/** How far below a `bi` layer an incoming arrow forks to its two chains. */
export const FORK = 12;

export interface Point {
  x: number;
  y: number;
}

/** A horizontal slice of the picture: the word ids, a stage, or the output. `top` < `bottom` (SVG y grows down). */
export interface Row {
  what: 'input' | 'stage' | 'output';
  stage?: Stage;
  top: number;
  bottom: number;
}

export interface Grid {
  width: number;
  height: number;
  /** Left edge of the step columns, and their right edge. */
  left: number;
  right: number;
  /** Where the edges' shape labels start. */
  shapeX: number;
  /** Bottom to top: the input row, one per stage, the output row. */
  rows: Row[];
  /** Every column, left to right. */
  steps: Step[];
  /** The columns holding a time step (all but the ellipsis). */
  stepColumns: number[];
  /** The x of the vertical line the last state travels on, from the top recurrent layer up. */
  anchor: number;
  footerY: number;
}

export const columnX = (left: number, column: number): number => left + column * COL_W + COL_W / 2;

function stageHeight(s: Stage): number {
  switch (s.role) {
    case 'embedding':
      return EMBED_H;
    case 'recurrent':
      return s.chains.length === 2 ? 2 * CELL_H + CHAIN_GAP + MERGE_GAP + MERGE_H : CELL_H;
    case 'plain':
      return s.perStep ? BAND_H : BOX_H;
  }
}

/** Places the rows (top of the picture: the output; bottom: the word ids) and the columns. */
export function grid(p: Picture): Grid {
  const left = MARGIN + CAPTION_W + 20;
  const right = left + p.steps.length * COL_W;
  const shapeX = right + 14;
  const heights: { what: Row['what']; stage?: Stage; h: number }[] = [
    { what: 'input', h: INPUT_H },
    ...p.stages.map((stage) => ({ what: 'stage' as const, stage, h: stageHeight(stage) })),
    { what: 'output', h: OUTPUT_H },
  ];
  const rows: Row[] = [];
  let y = MARGIN + TITLE_H;
  for (const r of [...heights].reverse()) {
    rows.unshift({ what: r.what, ...(r.stage ? { stage: r.stage } : {}), top: y, bottom: y + r.h });
    y += r.h + GAP;
  }
  const bottom = y - GAP;
  // The last state leaves the top recurrent layer at its final cell, or at a `bi`'s merge (centred).
  const top = [...p.stages].reverse().find((s) => s.role === 'recurrent');
  let anchor = (left + right) / 2;
  if (top?.role === 'recurrent' && top.chains.length === 1) anchor = columnX(left, top.chains[0]!.final.column);
  const stepColumns = p.steps.filter((st) => st.kind === 'step').map((st) => st.column);
  return { width: shapeX + SHAPE_W + MARGIN, height: bottom + FOOTER_H + MARGIN, left, right, shapeX, rows, steps: p.steps, stepColumns, anchor, footerY: bottom + 24 };
}

/** A vector box (a layer on the last state, or the output) centred on the anchor, kept inside the columns. */
export function boxLeft(g: Grid, width: number): number {
  return Math.min(Math.max(g.anchor - width / 2, g.left), g.right - width);
}

/** The rows of a `bi` layer: the forward chain at the bottom, the backward chain above it, the merge on top. */
export function biRows(row: Row): { merge: number; backward: number; forward: number } {
  return { merge: row.top, backward: row.top + MERGE_H + MERGE_GAP, forward: row.bottom - CELL_H };
}

/** Where arrows leave a row upwards: one point per step column, keyed by column, or the one last-state point (key -1). */
export function sources(g: Grid, row: Row): Map<number, Point> {
  const out = new Map<number, Point>();
  const s = row.stage;
  const perStep = row.what === 'input' || s?.role === 'embedding' || (s?.role === 'plain' && s.perStep) || (s?.role === 'recurrent' && s.returnsSequences);
  if (perStep) for (const c of g.stepColumns) out.set(c, { x: columnX(g.left, c), y: row.top });
  else out.set(-1, { x: g.anchor, y: row.top });
  return out;
}

/** Where arrows arriving from below end for a step column (-1: the single last-state arrow). */
export function targets(g: Grid, row: Row, column: number): Point[] {
  const s = row.stage;
  const x = column < 0 ? g.anchor : columnX(g.left, column);
  if (s?.role === 'recurrent' && s.chains.length === 2) {
    const r = biRows(row);
    return [
      { x: x - LANE, y: r.forward + CELL_H },
      { x: x + LANE, y: r.backward + CELL_H },
    ];
  }
  return [{ x, y: row.bottom }];
}
