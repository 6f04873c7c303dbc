import { describe, expect, it } from 'vitest';
import type { ModelJson, WeightEntry } from '../../src/artifacts/weights.js';
import { isFailure } from '../../src/diagnostics/error.js';
import { buildOnnx, OPSET } from '../../src/export/onnx.js';
import { decodeModel } from '../../src/export/proto.js';

// The exporter on hand-made model.json files (tfjs's layout, as `rnnc compile` writes it), without
// TensorFlow.js or ONNX Runtime: the graph's interface, the Keras → ONNX weight layout, and the
// diagnostics for what ONNX cannot express. equivalence.test.ts runs the graphs.

interface Layer {
  class_name: string;
  config: Record<string, unknown>;
}
const embedding = (name = 'embedding', extra: Record<string, unknown> = {}): Layer => ({ class_name: 'Embedding', config: { name, input_dim: 10, output_dim: 3, mask_zero: true, ...extra } });
const rnn = (cls: 'SimpleRNN' | 'LSTM' | 'GRU', name: string, units: number, extra: Record<string, unknown> = {}): Layer => ({
  class_name: cls,
  config: { name, units, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, return_sequences: false, go_backwards: false, stateful: false, reset_after: false, ...extra },
});
const dense = (name: string, units: number, activation = 'sigmoid'): Layer => ({ class_name: 'Dense', config: { name, units, activation, use_bias: true } });

/** A model.json and weights.bin for `layers`, each weight filled by `fill(name, index)`. */
function model(layers: Layer[], weights: [string, number[]][], fill: (name: string, i: number) => number = (_, i) => i): { json: ModelJson; entries: WeightEntry[]; bytes: Uint8Array } {
  const entries = weights.map(([name, shape]) => ({ name, shape, dtype: 'float32' }));
  const values = weights.flatMap(([name, shape]) => Array.from({ length: shape.reduce((a, d) => a * d, 1) }, (_, i) => fill(name, i)));
  const json: ModelJson = { modelTopology: { class_name: 'Sequential', config: { name: 'm', layers } }, format: 'layers-model', weightsManifest: [{ paths: ['weights.bin'], weights: entries }] };
  return { json, entries, bytes: new Uint8Array(Float32Array.from(values).buffer) };
}

const lstmModel = () =>
  model(
    [embedding(), rnn('LSTM', 'lstm', 2), dense('dense', 1)],
    [
      ['embedding/embeddings', [10, 3]],
      ['lstm/kernel', [3, 8]],
      ['lstm/recurrent_kernel', [2, 8]],
      ['lstm/bias', [8]],
      ['dense/kernel', [2, 1]],
      ['dense/bias', [1]],
    ],
  );

type Decoded = {
  ir_version: number;
  opset_import: { version: number }[];
  producer_name: string;
  metadata_props?: { key: string; value: string }[];
  graph: {
    node: { op_type: string; attribute?: { name: string; s?: number[]; i?: number; strings?: number[][] }[] }[];
    initializer: { name: string; dims: number[]; raw_data: number[] }[];
    input: { name: string; type: { tensor_type: { elem_type: number; shape: { dim: { dim_param?: string; dim_value?: number }[] } } } }[];
    output: { name: string; type: { tensor_type: { elem_type: number; shape: { dim: { dim_param?: string; dim_value?: number }[] } } } }[];
  };
};
const decode = (bytes: Uint8Array) => decodeModel(bytes) as unknown as Decoded;
const floatsOf = (raw: number[]) => Array.from(new Float32Array(new Uint8Array(raw).buffer));
const text = (s: number[] | undefined) => new TextDecoder().decode(new Uint8Array(s ?? []));

describe('the ONNX file', () => {
  it('has one int64 input `ids` [batch, time] and one float output `output` [batch, width], opset 17, and the labels, maxlen and vocab.json in its metadata', () => {
    const { json, entries, bytes } = lstmModel();
    const onnx = buildOnnx(json, entries, bytes, 'model.json', { labels: ['neg', 'pos'], maxlen: 7, vocabJson: '{"format":"rnnc-vocab"}', producerVersion: '0.1.0' });
    const m = decode(onnx.bytes);
    expect([m.ir_version, m.opset_import[0]!.version, OPSET, m.producer_name]).toEqual([8, 17, 17, 'rnnc']);
    expect(m.graph.input.map((i) => [i.name, i.type.tensor_type.elem_type, i.type.tensor_type.shape.dim])).toEqual([['ids', 7, [{ dim_param: 'batch' }, { dim_param: 'time' }]]]);
    expect(m.graph.output.map((o) => [o.name, o.type.tensor_type.elem_type, o.type.tensor_type.shape.dim])).toEqual([['output', 1, [{ dim_param: 'batch' }, { dim_value: 1 }]]]);
    expect(m.metadata_props).toEqual([
      { key: 'rnnc.labels', value: '["neg","pos"]' },
      { key: 'rnnc.maxlen', value: '7' },
      { key: 'rnnc.vocab', value: '{"format":"rnnc-vocab"}' },
    ]);
    expect(onnx).toMatchObject({ outputWidth: 1, masked: true });
    // The mask becomes lengths (and a stable reorder of the ids), the LSTM one operator, then the head.
    const ops = m.graph.node.map((n) => n.op_type);
    expect(ops).toEqual(['Equal', 'Not', 'Cast', 'ReduceSum', 'Shape', 'Squeeze', 'Range', 'Cast', 'Mul', 'Add', 'TopK', 'GatherElements', 'Transpose', 'Gather', 'LSTM', 'Squeeze', 'MatMul', 'Add', 'Sigmoid', 'Identity']);
  });

  it("puts Keras's LSTM gates (i, f, c, o) in ONNX's order (i, o, f, c), transposed, with the bias in Wb and zeros in Rb", () => {
    const { json, entries, bytes } = lstmModel();
    const m = decode(buildOnnx(json, entries, bytes, 'model.json').bytes);
    const init = new Map(m.graph.initializer.map((t) => [t.name, t]));
    const W = init.get('lstm/W')!;
    const R = init.get('lstm/R')!;
    const B = init.get('lstm/B')!;
    expect([W.dims, R.dims, B.dims]).toEqual([[1, 8, 3], [1, 8, 2], [1, 16]]);
    // The fill is each value's index within its weight: kernel[k][col] = k·8 + col.
    const w = floatsOf(W.raw_data);
    const kerasGate = [0, 3, 1, 2]; // ONNX gate → Keras gate
    for (let og = 0; og < 4; og++) {
      for (let u = 0; u < 2; u++) {
        for (let k = 0; k < 3; k++) expect(w[(og * 2 + u) * 3 + k]).toBe(k * 8 + kerasGate[og]! * 2 + u);
      }
    }
    expect(floatsOf(B.raw_data)).toEqual([0, 1, 6, 7, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0]);
    const lstm = m.graph.node.find((n) => n.op_type === 'LSTM')!;
    const attr = new Map((lstm.attribute ?? []).map((a) => [a.name, a]));
    expect(attr.get('hidden_size')!.i).toBe(2);
    expect(text(attr.get('direction')!.s)).toBe('forward');
    expect(attr.get('activations')!.strings!.map(text)).toEqual(['Sigmoid', 'Tanh', 'Tanh']);
  });

  it('keeps GRU gates (z, r, h) in order with linear_before_reset = 0, and gives both directions of a bidirectional layer', () => {
    const { json, entries, bytes } = model(
      [embedding('embedding', { mask_zero: false }), { class_name: 'Bidirectional', config: { name: 'bi', merge_mode: 'ave', layer: rnn('GRU', 'gru_of_bi', 2, { recurrent_activation: 'hard_sigmoid' }) } }, dense('d', 1)],
      [
        ['embedding/embeddings', [10, 3]],
        ...['forward', 'backward'].flatMap((d): [string, number[]][] => [
          [`bi/${d}_gru_of_bi/kernel`, [3, 6]],
          [`bi/${d}_gru_of_bi/recurrent_kernel`, [2, 6]],
          [`bi/${d}_gru_of_bi/bias`, [6]],
        ]),
        ['d/kernel', [2, 1]],
        ['d/bias', [1]],
      ],
      (name, i) => (name.includes('backward') ? 100 + i : i),
    );
    const onnx = buildOnnx(json, entries, bytes, 'model.json');
    const m = decode(onnx.bytes);
    expect(onnx.masked).toBe(false);
    expect(m.graph.node.map((n) => n.op_type)).not.toContain('TopK');
    const gru = m.graph.node.find((n) => n.op_type === 'GRU')!;
    const attr = new Map((gru.attribute ?? []).map((a) => [a.name, a]));
    expect(text(attr.get('direction')!.s)).toBe('bidirectional');
    expect(attr.get('linear_before_reset')!.i).toBe(0);
    expect(attr.get('activations')!.strings!.map(text)).toEqual(['HardSigmoid', 'Tanh', 'HardSigmoid', 'Tanh']);
    const B = floatsOf(m.graph.initializer.find((t) => t.name === 'bi/B')!.raw_data);
    expect(B).toEqual([0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 100, 101, 102, 103, 104, 105, 0, 0, 0, 0, 0, 0]);
    expect(m.graph.output[0]!.type.tensor_type.shape.dim[1]).toEqual({ dim_value: 1 });
  });
});

describe('what ONNX cannot express is E4014, naming the layer', () => {
  const cases: [string, Layer[], RegExp][] = [
    ['a softmax state activation', [embedding(), rnn('LSTM', 'my_lstm', 2, { activation: 'softmax' })], /layer `my_lstm` \(LSTM\): its activation is softmax, which ONNX's LSTM operator does not offer/],
    [
      'a softmax gate activation in a bidirectional layer',
      [embedding(), { class_name: 'Bidirectional', config: { name: 'bidirectional', merge_mode: 'concat', layer: rnn('GRU', 'g', 2, { recurrent_activation: 'softmax' }) } }],
      /layer `bidirectional` \(Bidirectional\): its recurrent_activation is softmax/,
    ],
    ['a layer class rnnc does not build', [embedding(), { class_name: 'Conv1D', config: { name: 'conv1d' } }], /layer `conv1d` \(Conv1D\): ONNX export covers Embedding, SimpleRNN, LSTM, GRU, Bidirectional, Dense and Dropout layers/],
    ['go_backwards', [embedding(), rnn('GRU', 'gru', 2, { go_backwards: true })], /layer `gru` \(GRU\): `go_backwards` is set/],
    ['a merge mode of null', [embedding(), { class_name: 'Bidirectional', config: { name: 'b', merge_mode: null, layer: rnn('LSTM', 'l', 2) } }], /layer `b` \(Bidirectional\): merge mode null/],
    ['an activation outside the covered set', [embedding(), rnn('SimpleRNN', 'rnn', 2), dense('head', 1, 'selu')], /layer `head` \(Dense\): activation "selu"/],
    ['no Embedding first', [dense('d', 1)], /layer `d` \(Dense\): the model must start with an Embedding layer/],
    ['a sequence as output', [embedding(), rnn('LSTM', 'seq', 2, { return_sequences: true })], /layer `seq`: the model's output is a sequence/],
  ];
  for (const [what, layers, message] of cases) {
    it(what, () => {
      const weights: [string, number[]][] = [['embedding/embeddings', [10, 3]]];
      for (const l of layers.slice(1)) {
        const c = l.config;
        if (l.class_name === 'LSTM' || l.class_name === 'GRU' || l.class_name === 'SimpleRNN') {
          const g = { LSTM: 4, GRU: 3, SimpleRNN: 1 }[l.class_name] * Number(c['units']);
          weights.push([`${String(c['name'])}/kernel`, [3, g]], [`${String(c['name'])}/recurrent_kernel`, [Number(c['units']), g]], [`${String(c['name'])}/bias`, [g]]);
        }
        if (l.class_name === 'Dense') weights.push([`${String(c['name'])}/kernel`, [2, 1]], [`${String(c['name'])}/bias`, [1]]);
      }
      const { json, entries, bytes } = model(layers, weights);
      let err: unknown;
      try {
        buildOnnx(json, entries, bytes, 'out/m/model.json');
      } catch (e) {
        err = e;
      }
      expect(isFailure(err, 'CannotExport'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(message);
    });
  }

  it('a functional (non-Sequential) model', () => {
    const { json, entries, bytes } = lstmModel();
    (json.modelTopology as { class_name: string }).class_name = 'Model';
    expect(() => buildOnnx(json, entries, bytes, 'model.json')).toThrow(/the model is a Model, not a Sequential model/);
  });
});

describe('a model.json whose parts do not fit is E4006', () => {
  it('a weight of the wrong shape, or one no layer owns', () => {
    const { json, entries, bytes } = lstmModel();
    const wrong = entries.map((e) => (e.name === 'lstm/recurrent_kernel' ? { ...e, shape: [8, 2] } : e));
    let err: unknown;
    try {
      buildOnnx(json, wrong, bytes, 'out/m/model.json');
    } catch (e) {
      err = e;
    }
    expect(isFailure(err, 'BadModelDir')).toBe(true);
    expect((err as Error).message).toBe('out/m/model.json: weight lstm/recurrent_kernel has shape [8, 2], but layer `lstm` needs [2, 8]');
    const extra = [...entries, { name: 'stray/kernel', shape: [1], dtype: 'float32' }];
    const longer = new Uint8Array(bytes.length + 4);
    longer.set(bytes);
    expect(() => buildOnnx(json, extra, longer, 'model.json')).toThrow(/weight stray\/kernel belongs to no layer/);
  });
});
