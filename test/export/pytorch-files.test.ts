import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelJson, WeightEntry } from '../../src/artifacts/weights.js';
import { isFailure } from '../../src/diagnostics/error.js';
import { readKerasModel, readKerasWeights, type ExportLayer } from '../../src/export/keras.js';
import { importPytorch } from '../../src/export/pytorch/import.js';
import { tempDir } from '../train-e2e/helpers.js';
import { buildPytorch } from '../../src/export/pytorch/export.js';
import { modelPy } from '../../src/export/pytorch/model-py.js';
import { attributeNames, loadStateDict, torchStateDict } from '../../src/export/pytorch/state-dict.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/export/safetensors.js';

// The PyTorch export's files without PyTorch: the safetensors format, the Keras → PyTorch weight
// layout and back, and the generated module's names. pytorch-equivalence.test.ts runs the module.

const layer = (class_name: string, config: Record<string, unknown>) => ({ class_name, config });

/** A model.json + weights for an embedding, a bidirectional GRU, a dropout and a dense head; weight k of each tensor is `base + k`. */
function gruModel(): { json: ModelJson; entries: WeightEntry[]; bytes: Uint8Array } {
  const gru = { units: 2, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, return_sequences: false, reset_after: false, dropout: 0.1, trainable: true };
  const layers = [
    layer('Embedding', { name: 'embedding', input_dim: 5, output_dim: 3, mask_zero: true, trainable: false }),
    layer('Bidirectional', { name: 'bidirectional', merge_mode: 'concat', layer: layer('GRU', { name: 'gru', ...gru }) }),
    layer('Dropout', { name: 'dropout', rate: 0.25 }),
    layer('Dense', { name: 'dense', units: 1, activation: 'sigmoid', use_bias: true }),
  ];
  const weights: [string, number[]][] = [
    ['embedding/embeddings', [5, 3]],
    ['bidirectional/forward_gru/kernel', [3, 6]],
    ['bidirectional/forward_gru/recurrent_kernel', [2, 6]],
    ['bidirectional/forward_gru/bias', [6]],
    ['bidirectional/backward_gru/kernel', [3, 6]],
    ['bidirectional/backward_gru/recurrent_kernel', [2, 6]],
    ['bidirectional/backward_gru/bias', [6]],
    ['dense/kernel', [4, 1]],
    ['dense/bias', [1]],
  ];
  const entries = weights.map(([name, shape]) => ({ name, shape, dtype: 'float32' }));
  const values = weights.flatMap(([, shape], w) => Array.from({ length: shape.reduce((a, d) => a * d, 1) }, (_, k) => 100 * w + k));
  return {
    json: { modelTopology: { class_name: 'Sequential', config: { name: 'm', layers } }, format: 'layers-model', weightsManifest: [{ paths: ['weights.bin'], weights: entries }] },
    entries,
    bytes: new Uint8Array(Float32Array.from(values).buffer),
  };
}

describe('safetensors', () => {
  it('round-trips names, shapes, values and metadata, with the data 8-byte aligned', () => {
    const tensors = [
      { name: 'a.weight', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      { name: 'b', shape: [0], data: new Float32Array(0) },
      { name: 'ü', shape: [1], data: Float32Array.from([-0.5]) },
    ];
    const bytes = encodeSafetensors(tensors, { format: 'pt' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
    expect(header['a.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    const back = decodeSafetensors(bytes, 'w.safetensors');
    expect(back.metadata).toEqual({ format: 'pt' });
    expect([...back.tensors.values()]).toEqual(tensors);
  });

  it('names the file and the problem for a truncated file, a bad header, another dtype or a range that does not fit', () => {
    const good = encodeSafetensors([{ name: 'x', shape: [2], data: Float32Array.from([1, 2]) }]);
    const header = (h: object) => {
      const text = Buffer.from(JSON.stringify(h));
      const out = Buffer.alloc(8 + text.length + 8);
      out.writeBigUInt64LE(BigInt(text.length), 0);
      text.copy(out, 8);
      return new Uint8Array(out);
    };
    const cases: [Uint8Array, string][] = [
      [good.subarray(0, 5), 'shorter than its 8-byte header length'],
      [good.subarray(0, good.length - 4), 'are outside the data'],
      [header({ x: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }), 'tensor x is F16, not F32'],
      [header({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }), 'tensor x has 8 bytes for shape [3] (12 needed)'],
      [header({ x: { dtype: 'F32', shape: 'big', data_offsets: [0, 8] } }), 'tensor x has no valid shape'],
      [new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7b]), 'its header is not JSON'],
    ];
    for (const [bytes, why] of cases) {
      let err: unknown;
      try {
        decodeSafetensors(bytes, 'w.safetensors');
      } catch (e) {
        err = e;
      }
      expect(isFailure(err, 'BadModelDir'), why).toBe(true);
      expect((err as Error).message).toContain('w.safetensors: not a usable safetensors file: ');
      expect((err as Error).message).toContain(why);
    }
  });
});

describe('safetensors from anywhere', () => {
  it('a damaged file is a BadModelDir diagnostic or a file that reads, never another error (5,000 random damages)', () => {
    const good = encodeSafetensors([
      { name: 'a.weight', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i / 7) },
      { name: 'b', shape: [2], data: Float32Array.from([1, -1]) },
    ], { format: 'pt' });
    let seed = 7;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    let refused = 0;
    for (let k = 0; k < 5000; k++) {
      const bytes = good.slice(0, rand(4) === 0 ? rand(good.length + 1) : good.length);
      for (let flips = 1 + rand(4); flips > 0 && bytes.length > 0; flips--) bytes[rand(bytes.length)] = rand(256);
      try {
        const { tensors } = decodeSafetensors(bytes, 'w.safetensors');
        for (const t of tensors.values()) expect(t.data.length).toBe(t.shape.reduce((a, d) => a * d, 1));
      } catch (e) {
        expect(isFailure(e, 'BadModelDir'), String(e)).toBe(true);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(100);
  });
});

describe('the state_dict', () => {
  it("puts Keras's GRU gates (z, r, h) in PyTorch's order (r, z, n), transposed, the bias in bias_ih and zeros in bias_hh", () => {
    const { json, entries, bytes } = gruModel();
    const sd = new Map(torchStateDict(readKerasWeights(json, entries, bytes, 'model.json').layers).map((t) => [t.name, t]));
    // Keras kernel [3, 6] holds 100 + k at row r, column c (k = 6r + c); columns 0-1 z, 2-3 r, 4-5 h.
    const w = sd.get('bidirectional.rnn.weight_ih_l0')!;
    expect(w.shape).toEqual([6, 3]);
    const keras = (r: number, c: number) => 100 + 6 * r + c;
    const rowOf = (gateColumn: number) => [0, 1, 2].map((r) => keras(r, gateColumn));
    expect(Array.from(w.data)).toEqual([...rowOf(2), ...rowOf(3), ...rowOf(0), ...rowOf(1), ...rowOf(4), ...rowOf(5)]);
    expect(Array.from(sd.get('bidirectional.rnn.bias_ih_l0')!.data)).toEqual([302, 303, 300, 301, 304, 305]);
    expect(Array.from(sd.get('bidirectional.rnn.bias_hh_l0')!.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(sd.get('bidirectional.rnn_reverse.weight_hh_l0')!.shape).toEqual([6, 2]);
    expect(Array.from(sd.get('dense.linear.weight')!.data)).toEqual([700, 701, 702, 703]);
    expect(sd.has('dropout.weight')).toBe(false);
  });

  it('goes back to the same Keras weights, bit for bit, with the two recurrent biases added', () => {
    const { json, entries, bytes } = gruModel();
    const original = readKerasWeights(json, entries, bytes, 'model.json').values.map((v) => v.slice());
    const sd = torchStateDict(readKerasWeights(json, entries, bytes, 'model.json').layers);
    const target = readKerasWeights(json, entries, new Uint8Array(bytes.length), 'model.json');
    loadStateDict(target.layers, new Map(sd.map((t) => [t.name, t])), 'w.safetensors');
    expect(target.values).toEqual(original);
    // PyTorch trains both biases; Keras has their sum.
    const hh = sd.find((t) => t.name === 'bidirectional.rnn.bias_hh_l0')!;
    hh.data.fill(1);
    const again = readKerasWeights(json, entries, new Uint8Array(bytes.length), 'model.json');
    loadStateDict(again.layers, new Map(sd.map((t) => [t.name, t])), 'w.safetensors');
    expect(Array.from(again.values[3]!)).toEqual(Array.from(original[3]!, (v) => v + 1));
  });

  it('names a missing, extra or misshapen tensor', () => {
    const { json, entries, bytes } = gruModel();
    const sd = () => new Map(torchStateDict(readKerasWeights(json, entries, bytes, 'model.json').layers).map((t) => [t.name, t]));
    const target = () => readKerasWeights(json, entries, new Uint8Array(bytes.length), 'model.json').layers;
    const missing = sd();
    missing.delete('dense.linear.bias');
    const extra = sd().set('head.weight', { name: 'head.weight', shape: [1], data: new Float32Array(1) });
    const misshapen = sd().set('dense.linear.weight', { name: 'dense.linear.weight', shape: [4, 1], data: new Float32Array(4) });
    for (const [m, why] of [
      [missing, 'w.safetensors: no tensor dense.linear.bias, which the model needs'],
      [extra, 'w.safetensors: tensor head.weight belongs to no layer of the model'],
      [misshapen, 'w.safetensors: dense.linear.weight has shape [4, 1], but the model needs [1, 4]'],
    ] as const) {
      expect(() => loadStateDict(target(), m, 'w.safetensors')).toThrow(why);
    }
  });

  it('gives every layer a Python attribute: its name when that is a plain identifier', () => {
    const named = (...names: string[]): ExportLayer[] => names.map((name) => ({ kind: 'dropout', name, rate: 0 }));
    expect(attributeNames(named('lstm', 'lstm_1', 'my-layer', '2nd', 'forward', 'class', '_x', 'my_layer'))).toEqual(['lstm', 'lstm_1', 'my_layer', 'layer_2nd', 'layer_forward', 'layer_class', 'layer__x', 'my_layer_2']);
  });
});

describe('model.py', () => {
  it('writes the layers out in order, with the masking, frozen embedding, dropouts and the logits switch on the head', () => {
    const { json, entries, bytes } = gruModel();
    const py = modelPy(readKerasWeights(json, entries, bytes, 'model.json').layers, { source: 'out/m', rnncVersion: '9.9.9', labels: ['neg', 'pos'] });
    const own = py.slice(py.indexOf('# The model, written by rnnc 9.9.9 from out/m.'));
    expect(own).toContain('LABELS = ["neg","pos"]');
    expect(own).toContain('        self.embedding = Embedding(5, 3, mask_zero=True, trainable=False)\n');
    expect(own).toContain(
      '        self.bidirectional = Recurrent("gru", 3, 2, bidirectional=True, merge="concat", return_sequences=False, activation="tanh", recurrent_activation="sigmoid", bias=True, dropout=0.1, trainable=True)\n',
    );
    expect(own).toContain('        self.dropout = nn.Dropout(0.25)\n');
    expect(own).toContain(
      [
        '    def forward(self, ids, logits=False):',
        '        x, lengths = self.embedding(ids)',
        '        x = self.bidirectional(x, lengths)',
        '        x = self.dropout(x)',
        '        x = self.dense(x, logits=logits)',
        '        return x',
      ].join('\n'),
    );
  });
});

describe('what the PyTorch export refuses', () => {
  it('names PyTorch, not ONNX, in what it cannot export, and takes the softmax activation ONNX cannot', () => {
    const { json, entries, bytes } = gruModel();
    const layers = (json.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers;
    layers[1]!.config['layer'] = layer('GRU', { name: 'gru', units: 2, activation: 'softmax', recurrent_activation: 'sigmoid', use_bias: true, reset_after: false });
    expect(readKerasModel(json, entries, bytes, 'model.json', 'PyTorch')[1]).toMatchObject({ kind: 'recurrent', activation: 'softmax' });
    expect(() => readKerasModel(json, entries, bytes, 'model.json')).toThrow("its activation is softmax, which ONNX's GRU operator does not offer");
    layers[1]!.config['layer'] = layer('GRU', { name: 'gru', units: 2, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, reset_after: false, return_sequences: true });
    layers.splice(3, 1); // no dense head: the model's output is the GRU's sequence
    const sequence = { ...json, weightsManifest: [{ paths: ['weights.bin'], weights: entries.slice(0, -2) }] };
    expect(() => buildPytorch({ json: sequence, entries: entries.slice(0, -2), bytes: bytes.subarray(0, bytes.length - 5 * 4), file: 'model.json', source: 's', rnncVersion: 't' })).toThrow(
      "layer `bidirectional`: the model's output is a sequence (a recurrent layer returns sequences to the end); PyTorch export covers models whose top recurrent layer returns its last state",
    );
    layers[1]!.config['layer'] = layer('GRU', { name: 'gru', units: 2, go_backwards: true });
    expect(() => readKerasModel(json, entries, bytes, 'model.json', 'PyTorch')).toThrow('layer `bidirectional` (Bidirectional): `go_backwards` is set, which PyTorch export does not cover');
  });

  it('rnnc import: a model.json that claims more weights than the state_dict holds is refused before anything is allocated', async () => {
    const dir = join(tempDir('pytorch-import'), 'export');
    mkdirSync(dir);
    const { json } = gruModel();
    const huge = { ...json, weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'embedding/embeddings', shape: [1e9, 1e9], dtype: 'float32' }] }] };
    writeFileSync(join(dir, 'export.json'), JSON.stringify({ format: 'rnnc-pytorch' }));
    writeFileSync(join(dir, 'model.json'), JSON.stringify(huge));
    writeFileSync(join(dir, 'state_dict.safetensors'), encodeSafetensors([{ name: 'embedding.weight', shape: [1], data: new Float32Array(1) }]));
    let err: unknown;
    try {
      await importPytorch(dir);
    } catch (e) {
      err = e;
    }
    expect(isFailure(err, 'BadModelDir')).toBe(true);
    expect((err as Error).message).toContain('its weights manifest describes 4000000000000000000 bytes of weights, more than');
  });
});
