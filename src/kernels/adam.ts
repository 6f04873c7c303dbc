import type * as Tf from '@tensorflow/tfjs';
import type { KernelRuntime } from './runtime.js';
import { computeTensors, valuesOf } from './tensor-io.js';

/**
 * Adam as tfjs's AdamOptimizer computes it, but in one SIMD pass over each variable in the
 * kernels' module (rnnc_adam_task), all variables in one call across the threads, instead of a
 * dozen tensor ops per variable, each reading and writing the whole variable (for a 10,000 × 64
 * embedding, ~5 ms of every training step). Same class name, config, slots (`…/m`, `…/v`),
 * β powers and checkpoint format as tfjs's, so it saves, restores and serialises as `Adam`.
 * It differs from tfjs's chain of float32 ops by rounding only (test/kernels/adam.test.ts).
 */

type TfModule = typeof Tf;

/** AdamOptimizer's fields (private in its types; tfjs is pinned and test/kernels/ checks them). */
interface AdamFields {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: Tf.Variable;
  accBeta2: Tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: Tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: Tf.Variable }[];
  incrementIterations(): void;
}

interface Registry {
  registeredVariables: Record<string, Tf.Variable>;
}

/** Adam(lr, β1, β2, ε) with the one-pass update on `rt`. */
export function fusedAdam(tf: TfModule, rt: KernelRuntime, learningRate: number, beta1: number, beta2: number, epsilon: number): Tf.AdamOptimizer {
  class FusedAdam extends tf.AdamOptimizer {
    override applyGradients(variableGradients: Tf.NamedTensorMap | { name: string; tensor: Tf.Tensor }[]): void {
      const self = this as unknown as AdamFields;
      const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
      const variables = (tf.engine() as unknown as Registry).registeredVariables;
      tf.tidy(() => {
        // 1 − β^t as tfjs computes it (float32 ops on the β-power variables).
        const c1 = tf.sub(1, self.accBeta1).dataSync()[0]!;
        const c2 = tf.sub(1, self.accBeta2).dataSync()[0]!;
        const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps } = self;
        const ws = rt.workspace();
        try {
          const hyper = ws.put([b1, b2, lr / c1, 1 / c2, eps]);
          const tasks: { fn: 'rnnc_adam_task'; arg: number }[] = [];
          const updates: { value: Tf.Variable; m: Tf.Variable; v: Tf.Variable; at: number[] }[] = [];
          names.forEach((name, i) => {
            const value = variables[name]!;
            self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
            self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
            const gradient = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
            if (gradient == null) return;
            const m = self.accumulatedFirstMoment[i].variable;
            const v = self.accumulatedSecondMoment[i].variable;
            const at = [value, gradient, m, v].map((t) => ws.put(valuesOf(tf, t)));
            // Large variables in chunks, so both threads share them.
            const n = value.size;
            const chunks = Math.max(1, Math.min(2 * rt.threads, Math.floor(n / 16384)));
            for (let c = 0; c < chunks; c++) {
              const k0 = Math.floor((c * n) / chunks);
              const k1 = Math.floor(((c + 1) * n) / chunks);
              const args = ws.alloc(6);
              rt.i32(args, 6).set([k1 - k0, ...at.map((p) => p + k0 * 4), hyper]);
              tasks.push({ fn: 'rnnc_adam_task', arg: args });
            }
            updates.push({ value, m, v, at });
          });
          rt.run(tasks);
          for (const u of updates) {
            const shape = u.value.shape as number[];
            const n = u.value.size;
            const [p2, m2, v2] = computeTensors(tf, [], [shape, shape, shape], (_, outs) => {
              outs[0]!.set(rt.f32(u.at[0]!, n));
              outs[1]!.set(rt.f32(u.at[2]!, n));
              outs[2]!.set(rt.f32(u.at[3]!, n));
            });
            u.m.assign(m2!);
            u.v.assign(v2!);
            u.value.assign(p2!);
          }
        } finally {
          ws.release();
        }
        self.accBeta1.assign(tf.mul(self.accBeta1, b1));
        self.accBeta2.assign(tf.mul(self.accBeta2, b2));
      });
      self.incrementIterations();
    }
  }
  return new FusedAdam(learningRate, beta1, beta2, epsilon);
}
