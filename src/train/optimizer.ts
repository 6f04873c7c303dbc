import type * as Tf from '@tensorflow/tfjs';
import type { WeightValues } from '../artifacts/weights.js';
import { fusedAdam } from '../kernels/adam.js';
import type { KernelRuntime } from '../kernels/runtime.js';
import type { EffectiveSettings } from './settings.js';

type TfModule = typeof Tf;

/** The optimizer of the settings, with Keras 3's defaults passed explicitly. */
export function makeOptimizer(tf: TfModule, s: EffectiveSettings, kernels: KernelRuntime | null): Tf.Optimizer {
  // Keras: Adam(β1 0.9, β2 0.999, ε 1e-7), RMSprop(ρ 0.9, momentum 0, ε 1e-7),
  // Adagrad(initial accumulator 0.1), plain SGD.
  switch (s.optimizer) {
    case 'adam':
      // With the fused kernels, Adam's update is one pass per variable too (kernels/adam.ts).
      return kernels ? fusedAdam(tf, kernels, s.lr, 0.9, 0.999, 1e-7) : tf.train.adam(s.lr, 0.9, 0.999, 1e-7);
    case 'sgd':
      return tf.train.sgd(s.lr);
    case 'rmsprop':
      return tf.train.rmsprop(s.lr, 0.9, 0, 1e-7, false);
    case 'adagrad':
      return tf.train.adagrad(s.lr, 0.1);
  }
}

// Adam's private β-power variables (tfjs-core `adam_optimizer.ts`); other optimizers have none.
interface AdamInternals {
  accBeta1?: Tf.Variable;
  accBeta2?: Tf.Variable;
}

export interface OptimizerState {
  weights: { name: string; shape: number[]; values: WeightValues }[];
  adamBetaPowers?: [number, number];
}

/** The optimizer's variables (moments, step count) as plain arrays, for a checkpoint. */
export async function readOptimizerState(optimizer: Tf.Optimizer): Promise<OptimizerState> {
  const named = await optimizer.getWeights();
  const weights: OptimizerState['weights'] = [];
  for (const { name, tensor } of named) {
    const data = await tensor.data();
    weights.push({ name, shape: [...tensor.shape], values: tensor.dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data) });
  }
  // getWeights() made a fresh `iter` scalar; the rest are the optimizer's live variables.
  named[0]?.tensor.dispose();
  const adam = optimizer as unknown as AdamInternals;
  if (!adam.accBeta1 || !adam.accBeta2) return { weights };
  return { weights, adamBetaPowers: [(await adam.accBeta1.data())[0]!, (await adam.accBeta2.data())[0]!] };
}

/** Puts a checkpoint's optimizer state back. */
export async function restoreOptimizerState(tf: TfModule, optimizer: Tf.Optimizer, state: OptimizerState): Promise<void> {
  if (state.weights.length === 0) return;
  // setWeights adopts these tensors as the optimizer's variables: not disposed here.
  await optimizer.setWeights(state.weights.map((w) => ({ name: w.name, tensor: tf.tensor(w.values, w.shape, w.values instanceof Int32Array ? 'int32' : 'float32') })));
  const adam = optimizer as unknown as AdamInternals;
  if (state.adamBetaPowers && adam.accBeta1 && adam.accBeta2) {
    adam.accBeta1.assign(tf.scalar(state.adamBetaPowers[0]));
    adam.accBeta2.assign(tf.scalar(state.adamBetaPowers[1]));
  }
}

/** The model's weights as float32 arrays, in `model.weights` order. */
export async function weightValues(model: Tf.LayersModel): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const w of model.weights) out.push(Float32Array.from(await w.read().data()));
  return out;
}

export function setWeightValues(tf: TfModule, model: Tf.LayersModel, values: readonly Float32Array[]): void {
  const tensors = model.weights.map((w, i) => tf.tensor(values[i]!, w.shape as number[], 'float32'));
  model.setWeights(tensors);
  tf.dispose(tensors);
}
