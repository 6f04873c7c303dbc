import type * as Tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTf } from '../../src/compile/backend.js';

// What src/kernels/ relies on from tfjs beyond its documented API. tfjs is pinned to one exact
// version; an upgrade that changes any of this fails here, not silently in a user's model.

let tf: typeof Tf;
beforeAll(async () => {
  tf = (await loadTf({ backend: 'wasm', kernels: 'stock' })).tf;
});

const require = createRequire(import.meta.url);

describe('tfjs internals the fused kernels use', () => {
  it('tfjs and its wasm backend are pinned to an exact version, and that version is installed', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    for (const name of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm']) {
      expect(pkg.dependencies[name], name).toMatch(/^\d+\.\d+\.\d+$/);
      const installed = (require(`${name}/package.json`) as { version: string }).version;
      expect(installed, name).toBe(pkg.dependencies[name]);
    }
  });

  it('engine().isTapeOn() is true exactly while a gradient is recorded', () => {
    expect(tf.engine().isTapeOn()).toBe(false);
    let inside = false;
    tf.grad((x: Tf.Tensor) => {
      inside = tf.engine().isTapeOn();
      return x.square().sum();
    })(tf.ones([2]));
    expect(inside).toBe(true);
  });

  it('engine().makeTensorFromTensorInfo wraps backend data as a tensor', () => {
    const info = { dataId: tf.tensor1d([1, 2]).dataId, shape: [2], dtype: 'float32' as const };
    const e = tf.engine() as unknown as { makeTensorFromTensorInfo?: (i: typeof info) => Tf.Tensor };
    expect(typeof e.makeTensorFromTensorInfo).toBe('function');
  });

  it('a layer runs the call() found on the instance, so replacing it changes only the computation', () => {
    const layer = tf.layers.dense({ units: 2, inputShape: [3] });
    layer.apply(tf.ones([1, 3]));
    (layer as unknown as { call: () => Tf.Tensor }).call = () => tf.fill([1, 2], 7);
    expect((layer.apply(tf.ones([1, 3])) as Tf.Tensor).arraySync()).toEqual([[7, 7]]);
    expect(layer.getClassName()).toBe('Dense');
  });

  it('Bidirectional keeps its two RNNs in forwardLayer/backwardLayer and its merge mode in mergeMode', () => {
    const bi = tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 2 }), mergeMode: 'sum' }) as unknown as {
      forwardLayer: Tf.layers.Layer;
      backwardLayer: Tf.layers.Layer;
      mergeMode: string;
    };
    expect(bi.forwardLayer.getClassName()).toBe('LSTM');
    expect(bi.backwardLayer.getConfig()['goBackwards']).toBe(true);
    expect(bi.forwardLayer.getConfig()['goBackwards']).toBe(false);
    expect(bi.mergeMode).toBe('sum');
  });

  it('RNN layers name their weights …/kernel, …/recurrent_kernel, …/bias; Embedding its first weight the matrix', () => {
    const gru = tf.layers.gru({ units: 2, name: 'g' });
    gru.apply(tf.ones([1, 3, 4]));
    expect(gru.weights.map((w) => w.originalName)).toEqual(['g/kernel', 'g/recurrent_kernel', 'g/bias']);
    const emb = tf.layers.embedding({ inputDim: 5, outputDim: 3, name: 'e' });
    emb.apply(tf.zeros([1, 2], 'int32'));
    expect(emb.weights[0]!.shape).toEqual([5, 3]);
  });
});
