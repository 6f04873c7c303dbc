/**
 * What `rnnc draw` shows, before any geometry: the model as the lecture draws it. Each IR layer
 * becomes one stage — the embedding under everything, each recurrent layer a row of cells
 * unrolled over a few time steps (two chains for `bi`, reading in opposite directions, and
 * their merge), dense and dropout either at every step (below the top recurrent layer) or on the
 * last state (above it) — and each connection between stages an edge carrying a shape.
 *
 * Every number comes from the front end's analysis (`analyze` in check/shapes.ts), the one that
 * `rnnc summary` prints: shapes through `shapeText`, parameter counts as they are. Nothing here
 * recomputes them, so the picture and the table cannot disagree.
 */
import { KERAS_CLASS, shapeText, type Analysis, type LayerInfo } from '../check/shapes.js';
import type { Activation, CellKind, Layer, LayerKind, MergeMode, Program } from '../ir/types.js';
import { formatCount } from '../util/numbers.js';

/** Time steps drawn before the ellipsis: x1, x2, x3, …, x_t. */
export const LEADING_STEPS = 3;

/** One column of the unrolled picture: a time step, or the ellipsis standing for the steps between. */
export interface Step {
  column: number;
  kind: 'step' | 'ellipsis';
  /** `x_1`, `x_2`, …, `x_t` (the ellipsis: `…`). */
  label: string;
}

export type Direction = 'forward' | 'backward';

/** One direction of a recurrent layer: a cell at every step column, state passed along `direction`. */
export interface Chain {
  direction: Direction;
  /** The columns holding a cell, left to right (every step but the ellipsis). */
  columns: number[];
  /** Where its final state is: the last step reading forward, the first reading backward. */
  final: { column: number; label: string };
}

interface StageBase {
  /** The IR layer's index (and the analysis row's). */
  layer: number;
  name: string;
  kind: LayerKind;
  /** One line saying what the layer is: `Bidirectional(LSTM) · 64 units`. */
  type: string;
  /** `analyze`'s count for the layer. */
  params: number;
  trainable: boolean;
  /** Its output shape as `summary` prints it. */
  shape: string;
}

export interface EmbeddingStage extends StageBase {
  role: 'embedding';
  vocab: number;
  dim: number;
  frozen: boolean;
  /** Where its initial vectors come from: a vectors file or another model's folder. */
  source?: { kind: 'vectors' | 'model'; path: string };
}

export interface RecurrentStage extends StageBase {
  role: 'recurrent';
  cell: CellKind;
  units: number;
  /** One chain, or two for `bi` (forward first). */
  chains: Chain[];
  /** `bi`'s merge of the two chains. */
  merge?: MergeMode;
  /** True: every step's state goes up (another recurrent layer follows); false: only the final state. */
  returnsSequences: boolean;
  dropout: number;
  recurrentDropout: number;
}

/** `dense` or `dropout`: at every step when `perStep` (below the top recurrent layer), else on the last state. */
export interface PlainStage extends StageBase {
  role: 'plain';
  perStep: boolean;
  /** `dense`'s. */
  units?: number;
  activation?: Activation;
  rate?: number;
}

export type Stage = EmbeddingStage | RecurrentStage | PlainStage;

/** A connection between stages (or from the word ids, or to the output), labelled with what it carries. */
export interface Edge {
  from: number | 'input';
  to: number | 'output';
  shape: string;
  /** `sequence`: one vector per step; `last`: one vector per example. */
  carries: 'sequence' | 'last';
}

export interface Picture {
  title: string;
  /** A sentence for screen readers (the SVG's `<desc>`). */
  description: string;
  steps: Step[];
  /** Bottom to top, one per IR layer. */
  stages: Stage[];
  /** Bottom to top: input → layer 0, layer i → layer i + 1, last layer → output. */
  edges: Edge[];
  totals: { params: number; trainable: number; nonTrainable: number };
}

/** The step columns: x_1 … x_LEADING, the ellipsis, x_t. */
export function stepColumns(leading = LEADING_STEPS): Step[] {
  const steps: Step[] = [];
  for (let i = 1; i <= leading; i++) steps.push({ column: i - 1, kind: 'step', label: `x_${i}` });
  steps.push({ column: leading, kind: 'ellipsis', label: '…' });
  steps.push({ column: leading + 1, kind: 'step', label: 'x_t' });
  return steps;
}

function chain(direction: Direction, steps: readonly Step[]): Chain {
  const columns = steps.filter((s) => s.kind === 'step').map((s) => s.column);
  const final = direction === 'forward' ? columns[columns.length - 1]! : columns[0]!;
  return { direction, columns, final: { column: final, label: direction === 'forward' ? 'h_t' : "h_t'" } };
}

const units = (n: number): string => `${n} unit${n === 1 ? '' : 's'}`;

function stage(layer: Layer, info: LayerInfo, steps: readonly Step[]): Stage {
  const base = { layer: info.index, name: info.name, kind: info.kind, params: info.params, trainable: info.trainable, shape: shapeText(info.outputShape) };
  switch (layer.kind) {
    case 'embedding':
      return {
        ...base,
        role: 'embedding',
        type: `Embedding · ${formatCount(layer.input_dim)} × ${layer.output_dim}`,
        vocab: layer.input_dim,
        dim: layer.output_dim,
        frozen: !layer.trainable,
        ...(layer.pretrained ? { source: { kind: layer.pretrained.source, path: layer.pretrained.path } } : {}),
      };
    case 'simple_rnn':
    case 'lstm':
    case 'gru':
    case 'bidirectional': {
      const cell = layer.kind === 'bidirectional' ? layer.layer : layer;
      const bi = layer.kind === 'bidirectional';
      const extras = [cell.dropout > 0 ? `dropout ${cell.dropout}` : '', cell.recurrent_dropout > 0 ? `recurrent dropout ${cell.recurrent_dropout}` : ''].filter(Boolean);
      return {
        ...base,
        role: 'recurrent',
        type: [bi ? `Bidirectional(${KERAS_CLASS[cell.kind]})` : KERAS_CLASS[cell.kind], units(cell.units), ...extras].join(' · '),
        cell: cell.kind,
        units: cell.units,
        chains: bi ? [chain('forward', steps), chain('backward', steps)] : [chain('forward', steps)],
        ...(bi ? { merge: layer.merge_mode } : {}),
        returnsSequences: info.returnSequences,
        dropout: cell.dropout,
        recurrentDropout: cell.recurrent_dropout,
      };
    }
    case 'dense':
      return { ...base, role: 'plain', type: `Dense · ${units(layer.units)} · ${layer.activation}`, perStep: info.outputShape.length === 3, units: layer.units, activation: layer.activation };
    case 'dropout':
      return { ...base, role: 'plain', type: `Dropout · rate ${layer.rate}`, perStep: info.outputShape.length === 3, rate: layer.rate };
  }
}

const carries = (info: LayerInfo): Edge['carries'] => (info.outputShape.length === 3 ? 'sequence' : 'last');

function describe(title: string, stages: readonly Stage[], totals: Picture['totals']): string {
  const parts = stages.map((s) => {
    let what = `${s.name} (${s.type}, ${formatCount(s.params)} params`;
    if (s.role === 'embedding') {
      if (s.frozen) what += ', frozen';
      if (s.source) what += `, pretrained from ${s.source.kind === 'vectors' ? 'the vectors file' : 'the model'} ${s.source.path}`;
    } else if (s.role === 'recurrent') {
      if (s.merge) what += `, forward and backward chains merged by ${s.merge}`;
      what += s.returnsSequences ? ', passing every state up' : ', passing its last state up';
    } else if (s.perStep) {
      what += ', at every time step';
    }
    return `${what}, output ${s.shape})`;
  });
  const frozen = totals.nonTrainable > 0 ? `, ${formatCount(totals.nonTrainable)} of them frozen` : '';
  return `${title}: ${parts.join(', then ')}. ${formatCount(totals.params)} parameters${frozen}.`;
}

/**
 * The picture of a checked program, from its analysis. `program` and `analysis` must belong
 * together (the front end's `CheckResult` has both when there are no errors).
 */
export function picture(program: Program, analysis: Analysis, title: string, leading = LEADING_STEPS): Picture {
  const steps = stepColumns(leading);
  const stages = analysis.layers.map((info) => stage(program.layers[info.index]!, info, steps));
  const first = analysis.layers[0];
  const edges: Edge[] = [];
  if (first) edges.push({ from: 'input', to: 0, shape: shapeText(first.outputShape.slice(0, 2)), carries: 'sequence' });
  analysis.layers.forEach((info, i) => {
    edges.push({ from: i, to: i + 1 < analysis.layers.length ? i + 1 : 'output', shape: shapeText(info.outputShape), carries: carries(info) });
  });
  const totals = { params: analysis.totalParams, trainable: analysis.trainableParams, nonTrainable: analysis.nonTrainableParams };
  return { title, description: describe(title, stages, totals), steps, stages, edges, totals };
}
