import type * as Tf from '@tensorflow/tfjs';
import { ACTIVATION_IDS, CELL_IDS, GATES, RNN_ARGS_FIELDS, type FusedActivation, type FusedCell, type RnnArgs } from './abi.js';
import type { KernelRuntime, Workspace } from './runtime.js';
import { embeddingOf, type FoldCache } from './fold.js';
import { makeTensor, valuesOf } from './tensor-io.js';

type TfModule = typeof Tf;

/** What one fused recurrent layer computes (one or two directions). */
export interface RecurrentConfig {
  cell: FusedCell;
  units: number;
  activation: FusedActivation;
  /** The gates' activation (LSTM, GRU). */
  recurrentActivation: FusedActivation;
  /** The whole sequence of states, or only the last. */
  returnSequences: boolean;
  /**
   * One entry per direction, in output column order: `bi` is a left-to-right and a
   * right-to-left direction whose states are concatenated, each direction's sequence in the
   * input's time order.
   */
  directions: readonly { reverse: boolean }[];
  /** Input dropout rate (training only): one mask per row and direction, the same at every step. */
  dropout: number;
}

/** One direction's weights, in tfjs/Keras layout: kernel [in, G], recurrent kernel [units, G], bias [G]. */
export interface DirectionWeights {
  kernel: Tf.Tensor;
  recurrentKernel: Tf.Tensor;
  bias: Tf.Tensor | null;
}

/**
 * What a forward pass keeps for its backward pass: its buffers in the kernels' heap, per
 * direction, left where the kernels wrote them. Freed by the backward pass or, if that never
 * runs (a tape dropped without gradients), when the gradient function is garbage-collected.
 */
interface Saved {
  dirs: Buffers[];
  blocks: number[];
  released: boolean;
}

/** One direction's buffers in the kernels' memory (byte offsets; 0 = none). */
interface Buffers {
  x: number;
  mask: number;
  kernel: number;
  rkernel: number;
  bias: number;
  dropmask: number;
  gates: number;
  cseq: number;
  hseq: number;
  /** The output (forward) or its gradient (backward), [B, T?, outStride]. */
  io: number;
  /** Folded embedding (inference): word ids [B, T] and this direction's table [V, G]. */
  ids: number;
  table: number;
}

/** Multipliers for inverted dropout: 0 with probability `rate`, else 1/(1 - rate). Uses Math.random (seeded by the trainer). */
function dropoutMultipliers(n: number, rate: number): Float32Array {
  const out = new Float32Array(n);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < n; i++) out[i] = Math.random() < rate ? 0 : keep;
  return out;
}

/**
 * Rows [b0, b1) of the batch per task: one task per thread (the two directions of `bi` are two
 * tasks already). Finer blocks would even out threads the machine runs at different speeds,
 * but measured slower here: smaller products, and per-task transposes and weight gradients.
 */
function batchBlocks(batch: number, threads: number, directions: number): [number, number][] {
  const n = Math.max(1, Math.min(batch, Math.ceil(threads / directions)));
  return Array.from({ length: n }, (_, k) => [Math.floor((k * batch) / n), Math.floor(((k + 1) * batch) / n)] as [number, number]);
}

/**
 * A recurrent layer as one op: forward over the whole sequence in the WebAssembly kernels and,
 * when gradients are being recorded, backpropagation through time in them too (a tfjs custom
 * gradient). Input `x` [batch, time, in]; `mask` [batch, time] (true = real step) or null;
 * output [batch, time, directions × units] or [batch, directions × units].
 */
export function fusedRecurrent(
  tf: TfModule,
  rt: KernelRuntime,
  cfg: RecurrentConfig,
  x: Tf.Tensor,
  mask: Tf.Tensor | null,
  weights: readonly DirectionWeights[],
  training: boolean,
  /** This layer's folding tables, used at inference when `x` is an embedding's output. */
  fold?: FoldCache,
): Tf.Tensor {
  if (x.rank !== 3) throw new Error(`a recurrent layer takes [batch, time, features], got shape [${x.shape.join(', ')}]`);
  if (weights.length !== cfg.directions.length) throw new Error('one set of weights per direction');
  const [B, T, D] = x.shape as [number, number, number];
  const H = cfg.units;
  const G = GATES[cfg.cell] * H;
  const nDir = cfg.directions.length;
  const outStride = nDir * H;
  const outShape = cfg.returnSequences ? [B, T, outStride] : [B, outStride];
  const dropping = training && cfg.dropout > 0 && cfg.dropout < 1;
  const inputs: Tf.Tensor[] = [x];
  for (const w of weights) inputs.push(w.kernel, w.recurrentKernel, ...(w.bias ? [w.bias] : []));

  if (B === 0 || T === 0) {
    // Nothing to read: the states stay at their initial zeros.
    return tf.zeros(outShape);
  }

  const blocks = batchBlocks(B, rt.threads, nDir);
  const base = {
    cell: CELL_IDS[cfg.cell],
    act: ACTIVATION_IDS[cfg.activation],
    ract: ACTIVATION_IDS[cfg.recurrentActivation],
    time: T,
    in: D,
    units: H,
    out_stride: outStride,
  };

  // Input dropout: one multiplier per row and feature, per direction, the same at every step.
  const dropmasks = weights.map(() => (dropping ? dropoutMultipliers(B * D, cfg.dropout) : null));

  /** Copies a tensor's values into the workspace. */
  const put = (ws: Workspace, t: Tf.Tensor): number => {
    const at = ws.alloc(t.size);
    rt.f32(at, t.size).set(valuesOf(tf, t));
    return at;
  };

  const writeArgs = (ws: Workspace, args: RnnArgs): number => {
    const at = ws.alloc(RNN_ARGS_FIELDS.length);
    const view = rt.i32(at, RNN_ARGS_FIELDS.length);
    RNN_ARGS_FIELDS.forEach((f, i) => (view[i] = args[f]));
    return at;
  };

  const zeroArgs = (): RnnArgs => Object.fromEntries(RNN_ARGS_FIELDS.map((f) => [f, 0])) as RnnArgs;

  /** The kernel arguments of direction k over batch rows [b0, b0 + bb): row-indexed buffers start at row b0. */
  const blockArgs = (ws: Workspace, k: number, b0: number, bb: number, p: Buffers, backward: boolean): RnnArgs => {
    const at = (ptr: number, rowFloats: number) => (ptr ? ptr + b0 * rowFloats * 4 : 0);
    const seq = cfg.returnSequences ? p.io + (b0 * T * outStride + k * H) * 4 : 0;
    const last = cfg.returnSequences ? 0 : p.io + (b0 * outStride + k * H) * 4;
    return {
      ...zeroArgs(),
      ...base,
      batch: bb,
      reverse: cfg.directions[k]!.reverse ? 1 : 0,
      x: at(p.x, T * D),
      dropmask: at(p.dropmask, D),
      mask: at(p.mask, T),
      kernel: p.kernel,
      rkernel: p.rkernel,
      bias: p.bias,
      gates: at(p.gates, T * G),
      cseq: at(p.cseq, T * H),
      hseq: at(p.hseq, T * H),
      ids: at(p.ids, T),
      table: p.table,
      scratch: ws.alloc(rt.exports.rnnc_scratch_floats(base.cell, bb, T, D, H, p.dropmask ? 1 : 0, backward ? 1 : 0)),
      ...(backward ? { d_seq: seq, d_last: last } : { out_seq: seq, out_last: last }),
    };
  };

  /** The forward pass; with `keep`, its inputs and states stay in the heap for {@link backward}. */
  const forward = (keep: boolean, folded?: { ids: Tf.Tensor; tables: number[] }): { out: Tf.Tensor; saved: Saved | null } => {
    const ws = rt.workspace();
    try {
      const xPtr = folded ? 0 : put(ws, x);
      const idsPtr = folded ? ws.alloc(B * T) : 0;
      if (folded) rt.i32(idsPtr, B * T).set(valuesOf(tf, folded.ids));
      const maskPtr = mask ? put(ws, mask) : 0;
      const outLen = B * outStride * (cfg.returnSequences ? T : 1);
      const outPtr = ws.alloc(outLen);
      const tasks: { fn: 'rnnc_forward'; arg: number }[] = [];
      const dirs = weights.map((w, k) => {
        const p: Buffers = {
          x: xPtr,
          mask: maskPtr,
          kernel: folded ? 0 : put(ws, w.kernel),
          rkernel: put(ws, w.recurrentKernel),
          bias: w.bias && !folded ? put(ws, w.bias) : 0,
          dropmask: dropmasks[k] ? ws.put(dropmasks[k]) : 0,
          gates: ws.alloc(B * T * G),
          cseq: keep && cfg.cell !== 'simple_rnn' ? ws.alloc(B * T * H) : 0,
          hseq: keep ? ws.alloc(B * T * H) : 0,
          io: outPtr,
          ids: idsPtr,
          table: folded ? folded.tables[k]! : 0,
        };
        for (const [b0, b1] of blocks) tasks.push({ fn: 'rnnc_forward', arg: writeArgs(ws, blockArgs(ws, k, b0, b1 - b0, p, false)) });
        return p;
      });
      rt.run(tasks);
      const out = makeTensor(tf, outShape, (dst) => dst.set(rt.f32(outPtr, outLen)));
      if (!keep) return { out, saved: null };
      // Weights are read again at backward time (they do not change in between); the rest stays.
      const kept = new Set([xPtr, maskPtr, ...dirs.flatMap((p) => [p.dropmask, p.gates, p.cseq, p.hseq])]);
      kept.delete(0);
      return { out, saved: { dirs, blocks: [...kept].map((b) => ws.keep(b)), released: false } };
    } finally {
      ws.release();
    }
  };

  const backward = (saved: Saved, dy: Tf.Tensor): Tf.Tensor[] => {
    if (saved.released) throw new Error('the fused recurrent layer was differentiated twice through one forward pass');
    const ws = rt.workspace();
    try {
      const dyPtr = put(ws, dy);
      const tasks: { fn: 'rnnc_backward'; arg: number }[] = [];
      const outs = weights.map((w, k) => {
        const p: Buffers = { ...saved.dirs[k]!, kernel: put(ws, w.kernel), rkernel: put(ws, w.recurrentKernel), bias: 0, io: dyPtr, ids: 0, table: 0 };
        const dx = ws.alloc(B * T * D);
        const parts = blocks.map(([b0, b1]) => {
          const part = { dkernel: ws.alloc(D * G), drkernel: ws.alloc(H * G), dbias: ws.alloc(G) };
          const args = { ...blockArgs(ws, k, b0, b1 - b0, p, true), dx: dx + b0 * T * D * 4, ...part };
          tasks.push({ fn: 'rnnc_backward', arg: writeArgs(ws, args) });
          return part;
        });
        return { dx, parts, hasBias: w.bias !== null };
      });
      rt.run(tasks);
      // Sums per-direction and per-block parts into one gradient tensor.
      const sum = (ptrs: number[], shape: number[]): Tf.Tensor => {
        const n = shape.reduce((a, d) => a * d, 1);
        return makeTensor(tf, shape, (dst) => {
          dst.set(rt.f32(ptrs[0]!, n));
          for (const p of ptrs.slice(1)) {
            const v = rt.f32(p, n);
            for (let i = 0; i < n; i++) dst[i]! += v[i]!;
          }
        });
      };
      const grads: Tf.Tensor[] = [sum(outs.map((o) => o.dx), [B, T, D])];
      for (const o of outs) {
        grads.push(sum(o.parts.map((p) => p.dkernel), [D, G]), sum(o.parts.map((p) => p.drkernel), [H, G]));
        if (o.hasBias) grads.push(sum(o.parts.map((p) => p.dbias), [G]));
      }
      return grads;
    } finally {
      ws.release();
      saved.released = true;
      rt.reclaim.unregister(saved);
      for (const b of saved.blocks) rt.heap.release(b);
    }
  };

  // Gradients are needed only while a tape records (fit, trainOnBatch, tf.grad); predict
  // skips keeping the per-step states.
  if (!tf.engine().isTapeOn()) {
    const source = fold ? embeddingOf(x) : undefined;
    const tables = source ? fold!.tablesFor(tf, source, weights, B * T) : null;
    return forward(false, tables ? { ids: source!.ids, tables } : undefined).out;
  }
  const op = tf.customGrad((...args: (Tf.Tensor | Tf.GradSaveFunc)[]) => {
    void args;
    const { out, saved } = forward(true);
    const gradFunc = (dy: Tf.Tensor) => backward(saved!, dy);
    rt.reclaim.register(gradFunc, saved!.blocks, saved!);
    return { value: out, gradFunc };
  });
  return op(...inputs);
}
