import type * as Tf from '@tensorflow/tfjs';
import { ACTIVATION_IDS, type FusedActivation, type FusedCell } from './abi.js';
import { FoldCache, markEmbeddingOutputs, passEmbeddingOutputs } from './fold.js';
import { fusedRecurrent, type DirectionWeights, type RecurrentConfig } from './recurrent.js';
import type { KernelRuntime } from './runtime.js';

type TfModule = typeof Tf;

/**
 * Puts the fused kernels under a built or loaded tfjs-layers model: every SimpleRNN, LSTM, GRU
 * and Bidirectional layer they cover gets a `call` that runs the whole sequence as one op.
 * Only the computation changes: the layers keep their classes, configs, weights and masks,
 * so the model saves, loads (also in stock tfjs, without rnnc) and summarises as before.
 */

/** Which recurrent layers run fused, and why the others do not. */
export interface FuseReport {
  fused: string[];
  stock: { layer: string; reason: string }[];
}

const CELL_OF_CLASS: Record<string, FusedCell> = { SimpleRNN: 'simple_rnn', LSTM: 'lstm', GRU: 'gru' };

/** The layer config fields the decision reads (tfjs's camelCase getConfig()). */
interface RnnConfig {
  units?: unknown;
  activation?: unknown;
  recurrentActivation?: unknown;
  recurrentDropout?: unknown;
  dropout?: unknown;
  returnSequences?: unknown;
  returnState?: unknown;
  goBackwards?: unknown;
  stateful?: unknown;
  resetAfter?: unknown;
}

type Kwargs = Record<string, unknown>;
type CallFn = (inputs: Tf.Tensor | Tf.Tensor[], kwargs: Kwargs) => Tf.Tensor | Tf.Tensor[];

// tfjs-layers internals this module relies on (tfjs is pinned; test/kernels/ checks them).
interface RnnLayer extends Tf.layers.Layer {
  call: CallFn;
}
interface BidirectionalLayer extends Tf.layers.Layer {
  call: CallFn;
  forwardLayer: RnnLayer;
  backwardLayer: RnnLayer;
  mergeMode: string | null;
}

const isActivation = (a: unknown): a is FusedActivation => typeof a === 'string' && Object.hasOwn(ACTIVATION_IDS, a);

/** The fused configuration of one RNN layer, or why it stays on stock kernels. */
function plan(layer: Tf.layers.Layer): { ok: true; cell: FusedCell; cfg: RnnConfig } | { ok: false; reason: string } {
  const cell = CELL_OF_CLASS[layer.getClassName()];
  if (!cell) return { ok: false, reason: `${layer.getClassName()} has no fused kernel` };
  const cfg = layer.getConfig() as RnnConfig;
  if (!isActivation(cfg.activation)) return { ok: false, reason: `activation \`${String(cfg.activation)}\` has no fused kernel` };
  if (cell !== 'simple_rnn' && !isActivation(cfg.recurrentActivation)) {
    return { ok: false, reason: `recurrent activation \`${String(cfg.recurrentActivation)}\` has no fused kernel` };
  }
  const rd = Number(cfg.recurrentDropout ?? 0);
  if (rd > 0 && rd < 1) return { ok: false, reason: 'recurrent_dropout is not fused' };
  if (cfg.stateful === true) return { ok: false, reason: 'stateful layers are not fused' };
  if (cfg.returnState === true) return { ok: false, reason: 'return_state is not fused' };
  if (cfg.resetAfter === true) return { ok: false, reason: 'reset_after GRUs are not fused' };
  return { ok: true, cell, cfg };
}

/** kernel, recurrent_kernel and bias of an RNN layer, read for this call (the optimizer replaces them). */
function weightsOf(layer: Tf.layers.Layer): DirectionWeights {
  const byName = (suffix: string) => layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`));
  const kernel = byName('kernel');
  const recurrentKernel = byName('recurrent_kernel');
  if (!kernel || !recurrentKernel) throw new Error(`${layer.name}: no kernel/recurrent_kernel weights (is the layer built?)`);
  return { kernel: kernel.read(), recurrentKernel: recurrentKernel.read(), bias: byName('bias')?.read() ?? null };
}

function recurrentConfig(cell: FusedCell, cfg: RnnConfig, directions: { reverse: boolean }[]): RecurrentConfig {
  const d = Number(cfg.dropout ?? 0);
  return {
    cell,
    units: Number(cfg.units),
    activation: cfg.activation as FusedActivation,
    recurrentActivation: (cell === 'simple_rnn' ? 'linear' : cfg.recurrentActivation) as FusedActivation,
    returnSequences: cfg.returnSequences === true,
    directions,
    dropout: d > 0 && d < 1 ? d : 0,
  };
}

const firstTensor = (t: Tf.Tensor | Tf.Tensor[]): Tf.Tensor => (Array.isArray(t) ? t[0]! : t);
const maskOf = (kwargs: Kwargs | undefined): Tf.Tensor | null => {
  const m = kwargs?.['mask'] as Tf.Tensor | Tf.Tensor[] | null | undefined;
  return m == null ? null : firstTensor(m) ?? null;
};

function fuseRnn(tf: TfModule, rt: KernelRuntime, layer: RnnLayer, cell: FusedCell, cfg: RnnConfig): void {
  const stock = layer.call;
  const goBackwards = cfg.goBackwards === true;
  const rc = recurrentConfig(cell, cfg, [{ reverse: goBackwards }]);
  const fold = new FoldCache(rt);
  layer.call = (inputs, kwargs) => {
    if (kwargs?.['initialState'] != null) return stock.call(layer, inputs, kwargs);
    return tf.tidy(() => {
      const y = fusedRecurrent(tf, rt, rc, firstTensor(inputs), maskOf(kwargs), [weightsOf(layer)], kwargs?.['training'] === true, fold);
      // tfjs returns a go_backwards layer's sequence in reading order (last step first).
      return goBackwards && rc.returnSequences ? tf.reverse(y, 1) : y;
    });
  };
}

function fuseBidirectional(tf: TfModule, rt: KernelRuntime, layer: BidirectionalLayer, cell: FusedCell, fwd: RnnConfig, bwd: RnnConfig): void {
  const stock = layer.call;
  const rc = recurrentConfig(cell, fwd, [{ reverse: fwd.goBackwards === true }, { reverse: bwd.goBackwards === true }]);
  const mode = layer.mergeMode;
  const fold = new FoldCache(rt);
  layer.call = (inputs, kwargs) => {
    if (kwargs?.['initialState'] != null) return stock.call(layer, inputs, kwargs);
    return tf.tidy(() => {
      const w = [weightsOf(layer.forwardLayer), weightsOf(layer.backwardLayer)];
      const y = fusedRecurrent(tf, rt, rc, firstTensor(inputs), maskOf(kwargs), w, kwargs?.['training'] === true, fold);
      if (mode === 'concat') return y;
      const [a, b] = tf.split(y, 2, -1) as [Tf.Tensor, Tf.Tensor];
      if (mode === 'sum') return tf.add(a, b);
      if (mode === 'mul') return tf.mul(a, b);
      return tf.mul(tf.add(a, b), 0.5); // ave
    });
  };
}

const fused = new WeakSet<Tf.layers.Layer>();

/**
 * Fuses one layer in place if it is a recurrent layer the kernels cover: returns `fused`,
 * the reason it stays on stock kernels, or `null` for a layer that is not recurrent.
 * Calling it again on a fused layer is harmless.
 */
export function fuseLayer(tf: TfModule, layer: Tf.layers.Layer, rt: KernelRuntime): 'fused' | { reason: string } | null {
  const cls = layer.getClassName();
  if (fused.has(layer)) return 'fused';
  if (cls === 'Bidirectional') {
    const bi = layer as BidirectionalLayer;
    const f = plan(bi.forwardLayer);
    const b = plan(bi.backwardLayer);
    if (!f.ok) return { reason: f.reason };
    if (!b.ok) return { reason: b.reason };
    if (bi.mergeMode == null) return { reason: 'merge_mode None is not fused' };
    fuseBidirectional(tf, rt, bi, f.cell, f.cfg, b.cfg);
  } else if (CELL_OF_CLASS[cls]) {
    const p = plan(layer);
    if (!p.ok) return { reason: p.reason };
    fuseRnn(tf, rt, layer, p.cell, p.cfg);
  } else {
    return null;
  }
  fused.add(layer);
  return 'fused';
}

/** Fuses every covered recurrent layer of `model` (in place) and reports the rest. */
export function fuseModel(tf: TfModule, model: Tf.LayersModel, rt: KernelRuntime): FuseReport {
  const report: FuseReport = { fused: [], stock: [] };
  for (const layer of model.layers) {
    // An embedding notes its outputs, so that a recurrent layer reading one can fold it (fold.ts).
    markEmbeddingOutputs(tf, layer);
    passEmbeddingOutputs(tf, layer);
    const r = fuseLayer(tf, layer, rt);
    if (r === 'fused') report.fused.push(layer.name);
    else if (r !== null) report.stock.push({ layer: layer.name, reason: r.reason });
  }
  return report;
}

/** Fuses `model` when the fused kernels are loaded (`kernels` non-null); with stock kernels the report is empty. */
export function applyKernels(tf: TfModule, model: Tf.LayersModel, loaded: { kernels: KernelRuntime | null }): FuseReport {
  return loaded.kernels ? fuseModel(tf, model, loaded.kernels) : { fused: [], stock: [] };
}
