// Classifies texts with a model exported by `rnnc export DIR -o model.onnx`, using only ONNX
// Runtime (onnxruntime-node; no rnnc, no TensorFlow.js): vocab.json beside the .onnx file says
// how to turn text into the ids the graph reads. docs/model-folder.md explains each step; the
// tests run this file and compare its numbers with `rnnc predict`.
//
//   node docs/examples/predict-with-onnxruntime.mjs model.onnx "a wonderful film" "a dull mess"
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';

const [file, ...texts] = process.argv.slice(2);
if (!file || texts.length === 0) {
  console.error('usage: node predict-with-onnxruntime.mjs MODEL.onnx TEXT…');
  process.exit(2);
}

// 1. The tokenizer and vocabulary, as for tfjs: NFC, lower-case if asked, every match of the token
//    pattern (flags `gu`); a word's id is its index in `words`, 1 (`<unk>`) when absent; at most
//    `maxlen` ids. Padding is 0 and may go anywhere: the graph skips it, as the model's mask does.
const vocab = JSON.parse(await readFile(join(dirname(file), 'vocab.json'), 'utf8'));
const ids = new Map(vocab.words.map((w, i) => [w, i]));
const pattern = new RegExp(vocab.tokenizer.tokenPattern, 'gu');
function encode(text) {
  let s = text.normalize('NFC');
  if (vocab.tokenizer.lowercase) s = s.toLowerCase();
  const row = [...s.matchAll(pattern)].map((m) => m[0]).filter((t) => t !== '').map((t) => ids.get(t) ?? 1);
  return Array.from({ length: vocab.maxlen }, (_, j) => row[j] ?? 0);
}

// 2. Run the graph: input `ids`, int64 [batch, time]; output `output`, float32 [batch, width].
const session = await ort.InferenceSession.create(file);
const rows = texts.map(encode);
const feeds = { ids: new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [rows.length, vocab.maxlen]) };
const { output } = await session.run(feeds);

// 3. A one-unit sigmoid head gives P(labels[1]); a softmax head one probability per label.
const width = output.dims[1];
texts.forEach((text, i) => {
  const p = Array.from(output.data.slice(i * width, (i + 1) * width));
  const byLabel = width === 1 ? { [vocab.labels[0]]: 1 - p[0], [vocab.labels[1]]: p[0] } : Object.fromEntries(vocab.labels.map((l, k) => [l, p[k]]));
  console.log(JSON.stringify({ text, probabilities: byLabel }));
});
