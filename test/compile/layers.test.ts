import type * as Tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTf } from '../../src/compile/backend.js';
import { buildModel, countParams } from '../../src/compile/layers.js';
import type { MergeMode, Program } from '../../src/ir/types.js';
import { bi, cell, dense, embed, program } from './helpers.js';

let tf: typeof Tf;

beforeAll(async () => {
  // wasm, not cpu: cpu's QR makes the orthogonal initializer ~2 s per 64-unit LSTM kernel.
  ({ tf } = await loadTf({ backend: 'wasm' }));
});

const build = (p: Program, maxlen?: number | null) => buildModel(tf, p, { maxlen });

/** Layer config as tfjs serializes it (camelCase), with nested initializers as {className, config}. */
const config = (model: Tf.LayersModel, name: string) => model.getLayer(name).getConfig() as Record<string, unknown>;

describe('parameter counts equal Keras', () => {
  // V=100, d=8 throughout; u(i+u)+u per gate block; dense i·o+o; embedding V·d.
  const cases: [string, Program, { total: number; trainable: number; nonTrainable: number }][] = [
    ['simple_rnn: 800 + 16·24+16 + 17', program(embed(100, 8), cell('simple_rnn', 16), dense(1)), { total: 1217, trainable: 1217, nonTrainable: 0 }],
    ['lstm: 800 + 4(16·24+16) + 17', program(embed(100, 8), cell('lstm', 16), dense(1)), { total: 2417, trainable: 2417, nonTrainable: 0 }],
    ['gru (reset_after=false): 800 + 3(16·24+16) + 17', program(embed(100, 8), cell('gru', 16), dense(1)), { total: 2017, trainable: 2017, nonTrainable: 0 }],
    ['bi concat: 800 + 2·1600 + (32+1)', program(embed(100, 8), bi(cell('lstm', 16), 'concat'), dense(1)), { total: 4033, trainable: 4033, nonTrainable: 0 }],
    ['bi sum: 800 + 2·1600 + 17', program(embed(100, 8), bi(cell('lstm', 16), 'sum'), dense(1)), { total: 4017, trainable: 4017, nonTrainable: 0 }],
    ['bi mul', program(embed(100, 8), bi(cell('lstm', 16), 'mul'), dense(1)), { total: 4017, trainable: 4017, nonTrainable: 0 }],
    ['bi ave', program(embed(100, 8), bi(cell('lstm', 16), 'ave'), dense(1)), { total: 4017, trainable: 4017, nonTrainable: 0 }],
    ['stacked x2: 800 + 1600 + 4(16·32+16) + 17', program(embed(100, 8), cell('lstm', 16), cell('lstm', 16), dense(1)), { total: 4529, trainable: 4529, nonTrainable: 0 }],
    [
      'stacked x3 bi gru: 800 + 2·3(8·16+8) + 2·2·3(8·24+8) + 34',
      program(embed(100, 8), bi(cell('gru', 8)), bi(cell('gru', 8)), bi(cell('gru', 8)), dense(2)),
      { total: 4050, trainable: 4050, nonTrainable: 0 },
    ],
    ['frozen embedding counts as non-trainable', program(embed(100, 8, { trainable: false }), cell('lstm', 16), dense(1)), { total: 2417, trainable: 1617, nonTrainable: 800 }],
    [
      'dense between RNNs: 400 + 4(6·14+6) + (6·4+4) + 4(5·9+5) + 6',
      program(embed(50, 8), cell('lstm', 6), dense(4, { activation: 'relu' }), cell('lstm', 5), dense(1)),
      { total: 994, trainable: 994, nonTrainable: 0 },
    ],
    ['worked check: embed(32, vocab 10000) |> lstm(32) |> dense(1)', program(embed(10000, 32), cell('lstm', 32), dense(1)), { total: 328_353, trainable: 328_353, nonTrainable: 0 }],
    [
      'worked check: embed(128, vocab 20000) |> bi(lstm(64)) x2 |> dense(1)',
      program(embed(20000, 128), bi(cell('lstm', 64)), bi(cell('lstm', 64)), dense(1)),
      { total: 2_757_761, trainable: 2_757_761, nonTrainable: 0 },
    ],
  ];
  it.each(cases)('%s', (_, p, expected) => {
    const model = build(p);
    expect(countParams(model)).toEqual(expected);
    expect(model.countParams()).toBe(expected.total);
  });

  it('a frozen bi(...) is non-trainable in both directions', () => {
    const p = program(embed(100, 8), { ...bi(cell('lstm', 16)), trainable: false }, dense(1));
    expect(countParams(build(p))).toEqual({ total: 4033, trainable: 833, nonTrainable: 3200 });
  });
});

describe('Keras 3 defaults are set explicitly', () => {
  // tfjs serializes glorotUniform as the VarianceScaling it is (as Keras 2 did).
  const glorotUniform = { className: 'VarianceScaling', config: { scale: 1, mode: 'fanAvg', distribution: 'uniform' } };
  it('lstm: sigmoid recurrent activation, unit forget bias, glorotUniform / orthogonal / zeros', () => {
    const model = build(program(embed(100, 8), cell('lstm', 4), dense(1)));
    const c = config(model, 'lstm');
    expect(c).toMatchObject({
      units: 4,
      activation: 'tanh',
      recurrentActivation: 'sigmoid',
      unitForgetBias: true,
      useBias: true,
      returnSequences: false,
      kernelInitializer: glorotUniform,
      recurrentInitializer: { className: 'Orthogonal', config: { gain: 1 } },
      biasInitializer: { className: 'Zeros' },
      dropout: 0,
      recurrentDropout: 0,
    });
    // The forget gate's bias block (second of i, f, c, o) starts at 1.
    const bias = Array.from(model.getLayer('lstm').getWeights()[2]!.dataSync());
    expect(bias).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('gru: sigmoid, reset_after false; simple_rnn: initializers', () => {
    const model = build(program(embed(100, 8), cell('gru', 4), cell('simple_rnn', 3, { activation: 'relu' }), dense(1)));
    expect(config(model, 'gru')).toMatchObject({
      recurrentActivation: 'sigmoid',
      resetAfter: false,
      returnSequences: true,
      kernelInitializer: glorotUniform,
      recurrentInitializer: { className: 'Orthogonal' },
      biasInitializer: { className: 'Zeros' },
    });
    expect(config(model, 'simple_rnn')).toMatchObject({
      activation: 'relu',
      returnSequences: false,
      kernelInitializer: glorotUniform,
      recurrentInitializer: { className: 'Orthogonal' },
      biasInitializer: { className: 'Zeros' },
    });
  });

  it('embedding: uniform(-0.05, 0.05), mask_zero, trainable; dense: glorotUniform, zeros, head activation', () => {
    const model = build(program(embed(100, 8, { mask_zero: false, trainable: false }), cell('lstm', 4), dense(3)));
    expect(config(model, 'embedding')).toMatchObject({
      inputDim: 100,
      outputDim: 8,
      maskZero: false,
      trainable: false,
      embeddingsInitializer: { className: 'RandomUniform', config: { minval: -0.05, maxval: 0.05 } },
      batchInputShape: [null, null],
    });
    expect(config(model, 'dense')).toMatchObject({
      units: 3,
      activation: 'softmax',
      kernelInitializer: glorotUniform,
      biasInitializer: { className: 'Zeros' },
    });
    const emb = Array.from(model.getLayer('embedding').getWeights()[0]!.dataSync());
    expect(Math.max(...emb.map(Math.abs))).toBeLessThanOrEqual(0.05);
  });

  it('bidirectional: merge mode and inner cell config reach both directions; snake_case on disk', () => {
    const model = build(program(embed(100, 8), bi(cell('lstm', 4), 'ave'), dense(1)));
    const c = config(model, 'bidirectional');
    expect(c['mergeMode']).toBe('ave');
    expect(c['layer']).toMatchObject({
      className: 'LSTM',
      config: { name: 'lstm_of_bidirectional', recurrentActivation: 'sigmoid', unitForgetBias: true },
    });
    const weightNames = model.getLayer('bidirectional').weights.map((w) => w.originalName);
    expect(weightNames).toEqual([
      'bidirectional/forward_lstm_of_bidirectional/kernel',
      'bidirectional/forward_lstm_of_bidirectional/recurrent_kernel',
      'bidirectional/forward_lstm_of_bidirectional/bias',
      'bidirectional/backward_lstm_of_bidirectional/kernel',
      'bidirectional/backward_lstm_of_bidirectional/recurrent_kernel',
      'bidirectional/backward_lstm_of_bidirectional/bias',
    ]);
    const onDisk = JSON.stringify(model.toJSON(null, false));
    expect(onDisk).toContain('"recurrent_activation":"sigmoid"');
    expect(onDisk).toContain('"unit_forget_bias":true');
    expect(onDisk).toContain('"merge_mode":"ave"');
  });
});

describe('names and shapes', () => {
  it('layer names come from the IR, not tfjs’s global counter', () => {
    const p = program(embed(100, 8), cell('lstm', 4), cell('lstm', 4), dense(1));
    for (let i = 0; i < 2; i++) {
      const model = build(p);
      expect(model.layers.map((l) => l.name)).toEqual(['embedding', 'lstm', 'lstm_1', 'dense']);
      expect(model.weights.map((w) => w.originalName)[0]).toBe('embedding/embeddings');
    }
  });

  it('output shapes follow the stacking rule and merge modes', () => {
    const shape = (m: Tf.LayersModel, n: string) => m.getLayer(n).outputShape;
    const m1 = build(program(embed(100, 8), bi(cell('lstm', 5)), bi(cell('gru', 3), 'sum'), dense(4, { activation: 'relu' }), dense(2)));
    expect(shape(m1, 'embedding')).toEqual([null, null, 8]);
    expect(shape(m1, 'bidirectional')).toEqual([null, null, 10]); // concat doubles, whole sequence
    expect(shape(m1, 'bidirectional_1')).toEqual([null, 3]); // sum keeps width, last state only
    expect(shape(m1, 'dense')).toEqual([null, 4]);
    expect(m1.outputs[0]!.shape).toEqual([null, 2]);

    const m2 = build(program(embed(100, 8), cell('simple_rnn', 6), dense(4), { kind: 'dropout', rate: 0.5 }, cell('gru', 5), dense(1)), 12);
    expect(shape(m2, 'embedding')).toEqual([null, 12, 8]);
    expect(shape(m2, 'simple_rnn')).toEqual([null, 12, 6]);
    expect(shape(m2, 'dense')).toEqual([null, 12, 4]); // dense on 3D input acts per time step
    expect(shape(m2, 'dropout')).toEqual([null, 12, 4]);
    expect(shape(m2, 'gru')).toEqual([null, 5]);
    expect(m2.outputs[0]!.shape).toEqual([null, 1]);
  });
});

describe('variable-length input with masking', () => {
  const ids = (rows: number[][]) => tf.tensor2d(rows, [rows.length, rows[0]!.length], 'int32');
  const predict = (m: Tf.LayersModel, rows: number[][]) => Array.from((m.predict(ids(rows)) as Tf.Tensor).dataSync());

  const masked: [string, Program][] = [
    ['bi(lstm) x2', program(embed(30, 4), bi(cell('lstm', 3)), bi(cell('lstm', 3)), dense(1))],
    ['gru |> dense |> simple_rnn (mask passes through dense and dropout)', program(embed(30, 4), cell('gru', 3), dense(3), { kind: 'dropout', rate: 0.3 }, cell('simple_rnn', 3), dense(2))],
  ];
  it.each(masked)('%s: any length; trailing padding does not change the prediction', (_, p) => {
    const model = build(p);
    const short = predict(model, [[5, 6, 7]]);
    const padded = predict(model, [[5, 6, 7, 0, 0, 0, 0, 0]]);
    expect(padded.length).toBe(short.length);
    padded.forEach((v, i) => expect(v).toBeCloseTo(short[i]!, 6));
    // In one padded batch, rows of different lengths are each read up to their own end.
    const batch = predict(model, [[5, 6, 7, 0, 0], [8, 9, 10, 11, 12]]);
    const alone = predict(model, [[8, 9, 10, 11, 12]]);
    batch.slice(0, short.length).forEach((v, i) => expect(v).toBeCloseTo(short[i]!, 6));
    batch.slice(short.length).forEach((v, i) => expect(v).toBeCloseTo(alone[i]!, 6));
  });

  it('without mask_zero the padding is read (so the test above can fail)', () => {
    const model = build(program(embed(30, 4, { mask_zero: false }), bi(cell('lstm', 3)), dense(1)));
    const short = predict(model, [[5, 6, 7]])[0]!;
    const padded = predict(model, [[5, 6, 7, 0, 0, 0, 0, 0]])[0]!;
    expect(Math.abs(short - padded)).toBeGreaterThan(1e-6);
  });
});

describe('merge modes', () => {
  it.each<[MergeMode, number]>([
    ['concat', 10],
    ['sum', 5],
    ['mul', 5],
    ['ave', 5],
  ])('%s → width %i', (mode, width) => {
    const model = build(program(embed(30, 4), bi(cell('simple_rnn', 5), mode), dense(1)));
    expect(model.getLayer('bidirectional').outputShape).toEqual([null, width]);
  });
});

describe('unchecked programs', () => {
  it('rejects a program without a leading embedding', () => {
    expect(() => build(program(cell('lstm', 4), dense(1)))).toThrow(/embedding/);
  });
});
