import type * as Tf from '@tensorflow/tfjs';
import type { DirectionWeights } from './recurrent.js';
import type { KernelRuntime } from './runtime.js';
import { valuesOf } from './tensor-io.js';

/**
 * Embedding folding, for inference: when a recurrent layer reads an embedding's output, its
 * input projection of a step, E[id]·W + b, depends only on the word id. So the projections of
 * the whole vocabulary can be computed once, T = E·W + b, and each step's projection becomes a
 * row copy, T[id]: the largest of the forward pass's products is gone (a fifth of the FLOPs of
 * `embed(64) |> bi(lstm(64)) x2`, half of a one-layer model's). Exact: T's rows are computed
 * in the same order of operations as the projection they replace, so the results are the same
 * to the bit.
 *
 * A table costs 2·V·D·G FLOPs, as much as projecting V steps; it is built only once the layer
 * has projected V steps with the same weights (so folding never costs more than twice the best
 * choice), and dropped when a weight changes (training). Embeddings whose tables would take
 * over 256 MB are not folded.
 */

type TfModule = typeof Tf;

const MAX_TABLE_BYTES = 256 * 1024 * 1024;

/** What the patched embedding remembers of each output it produced outside a gradient tape. */
interface EmbeddingOutput {
  ids: Tf.Tensor;
  embeddings: Tf.Tensor;
}

// Keyed by data, not by tensor object: Layer.apply hands on a clone (same data) when a layer
// returns its input unchanged, as inference dropout does.
const outputs = new WeakMap<object, EmbeddingOutput>();

type CallFn = (inputs: Tf.Tensor | Tf.Tensor[], kwargs: Record<string, unknown>) => Tf.Tensor | Tf.Tensor[];
const patched = new WeakSet<Tf.layers.Layer>();

/**
 * Makes an Embedding layer note, for each output it computes at inference, the ids and the
 * embedding matrix it came from, so the recurrent layer reading that output can fold it.
 * The output itself is unchanged.
 */
export function markEmbeddingOutputs(tf: TfModule, layer: Tf.layers.Layer): void {
  if (layer.getClassName() !== 'Embedding' || patched.has(layer)) return;
  const target = layer as Tf.layers.Layer & { call: CallFn };
  const stock = target.call.bind(target);
  target.call = (inputs, kwargs) => {
    const out = stock(inputs, kwargs);
    const embeddings = layer.weights[0]?.read();
    if (!tf.engine().isTapeOn() && !Array.isArray(out) && embeddings) {
      outputs.set(out.dataId, { ids: Array.isArray(inputs) ? inputs[0]! : inputs, embeddings });
    }
    return out;
  };
  patched.add(layer);
}

type ApplyFn = (inputs: unknown, kwargs?: Record<string, unknown>) => unknown;

// A concrete tensor (apply also runs on symbolic tensors while a model is built). By shape, not
// instanceof: the Tensor class a model's layers use may come from another copy of tfjs-core.
const isTensor = (v: unknown): v is Tf.Tensor => typeof v === 'object' && v !== null && typeof (v as { dataId?: unknown }).dataId === 'object';

/**
 * Makes a Dropout layer pass the note on: at inference it is the identity (Layer.apply hands on
 * a copy of its input, which on wasm is new data), so its output is the embedding's output too.
 */
export function passEmbeddingOutputs(tf: TfModule, layer: Tf.layers.Layer): void {
  if (layer.getClassName() !== 'Dropout' || patched.has(layer)) return;
  const target = layer as unknown as { apply: ApplyFn };
  const stock = target.apply.bind(target);
  target.apply = (inputs, kwargs) => {
    const out = stock(inputs, kwargs);
    const input: unknown = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs?.['training'] !== true && isTensor(out) && isTensor(input)) {
      const source = outputs.get(input.dataId);
      if (source) outputs.set(out.dataId, source);
    }
    return out;
  };
  patched.add(layer);
}

/** The embedding an input tensor came from (through inference dropout), if any. */
export function embeddingOf(x: Tf.Tensor): EmbeddingOutput | undefined {
  return outputs.get(x.dataId);
}

/** One recurrent layer's folding tables (one per direction) and when to build them. */
export class FoldCache {
  private key: unknown[] = [];
  private tables: number[] | null = null;
  private rows = 0;

  constructor(private readonly rt: KernelRuntime) {}

  /**
   * The tables (heap offsets, one per direction) for these weights, or null when this call
   * should project as usual: not yet worth building, too large, or the input not an embedding.
   * `rows` is the number of steps this call projects.
   */
  tablesFor(tf: TfModule, source: EmbeddingOutput, weights: readonly DirectionWeights[], rows: number): number[] | null {
    const [V, D] = source.embeddings.shape as [number, number];
    const G = weights[0]!.kernel.shape[1] as number;
    if (V * G * weights.length * 4 > MAX_TABLE_BYTES) return null;
    const key = [source.embeddings.dataId, ...weights.flatMap((w) => [w.kernel.dataId, w.bias?.dataId ?? null])];
    if (key.length !== this.key.length || key.some((k, i) => k !== this.key[i])) {
      this.drop();
      this.key = key;
    }
    if (this.tables) return this.tables;
    this.rows += rows;
    if (this.rows < V) return null;

    const ws = this.rt.workspace();
    try {
      const e = ws.alloc(V * D);
      this.rt.f32(e, V * D).set(valuesOf(tf, source.embeddings));
      const tables = weights.map(() => this.rt.heap.alloc(V * G * 4));
      const tasks: { fn: 'rnnc_fold_task'; arg: number }[] = [];
      const blocks = Math.max(1, Math.min(16, Math.ceil(V / 256)));
      weights.forEach((w, k) => {
        const kernel = ws.alloc(D * G);
        this.rt.f32(kernel, D * G).set(valuesOf(tf, w.kernel));
        const bias = w.bias ? ws.put(valuesOf(tf, w.bias)) : 0;
        for (let b = 0; b < blocks; b++) {
          const r0 = Math.floor((b * V) / blocks);
          const r1 = Math.floor(((b + 1) * V) / blocks);
          const args = ws.alloc(7);
          this.rt.i32(args, 7).set([r1 - r0, D, G, e + r0 * D * 4, kernel, bias, tables[k]! + r0 * G * 4]);
          tasks.push({ fn: 'rnnc_fold_task', arg: args });
        }
      });
      this.rt.run(tasks);
      this.tables = tables;
      this.rt.reclaim.unregister(this);
      this.rt.reclaim.register(this, tables, this);
      return tables;
    } finally {
      ws.release();
    }
  }

  /** Frees the tables (the weights changed). */
  drop(): void {
    if (this.tables) {
      for (const t of this.tables) this.rt.heap.release(t);
      this.rt.reclaim.unregister(this);
    }
    this.tables = null;
    this.rows = 0;
  }
}
