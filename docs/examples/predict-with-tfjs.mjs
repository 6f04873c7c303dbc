// Classifies texts with a model folder written by `rnnc train`, using only stock TensorFlow.js
// (no rnnc): the model loads with tf.loadLayersModel, and vocab.json says how to turn text into
// the ids the model reads. docs/model-folder.md explains each step; the tests run this file and
// compare its numbers with `rnnc predict`.
//
//   node docs/examples/predict-with-tfjs.mjs out/lstm "a wonderful film" "a dull mess"
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

const [dir, ...texts] = process.argv.slice(2);
if (!dir || texts.length === 0) {
  console.error('usage: node predict-with-tfjs.mjs MODEL_DIR TEXT…');
  process.exit(2);
}

// 1. The model: model.json's topology and weights manifest, and the weight files it names, in order.
const modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
const groups = modelJson.weightsManifest;
const files = await Promise.all(groups.flatMap((g) => g.paths).map((p) => readFile(join(dir, p))));
const weightData = new Uint8Array(Buffer.concat(files)).buffer;
const model = await tf.loadLayersModel(
  tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: groups.flatMap((g) => g.weights), weightData }),
);

// 2. The tokenizer and vocabulary: NFC, lower-case if asked, every match of the token pattern
//    (flags `gu`); a word's id is its index in `words`, 1 (`<unk>`) when absent; then cut to
//    `maxlen` and padded with 0, both at the end ('post').
const vocab = JSON.parse(await readFile(join(dir, 'vocab.json'), 'utf8'));
const ids = new Map(vocab.words.map((w, i) => [w, i]));
const pattern = new RegExp(vocab.tokenizer.tokenPattern, 'gu');
function encode(text) {
  let s = text.normalize('NFC');
  if (vocab.tokenizer.lowercase) s = s.toLowerCase();
  const row = [...s.matchAll(pattern)].map((m) => m[0]).filter((t) => t !== '').map((t) => ids.get(t) ?? 1);
  return Array.from({ length: vocab.maxlen }, (_, j) => row[j] ?? 0);
}

// 3. Predict. A one-unit sigmoid head gives P(labels[1]); a softmax head one probability per label.
const x = tf.tensor2d(texts.map(encode), [texts.length, vocab.maxlen], 'int32');
const probs = await model.predict(x).array();
texts.forEach((text, i) => {
  const p = probs[i];
  const byLabel = p.length === 1 ? { [vocab.labels[0]]: 1 - p[0], [vocab.labels[1]]: p[0] } : Object.fromEntries(vocab.labels.map((l, k) => [l, p[k]]));
  console.log(JSON.stringify({ text, probabilities: byLabel }));
});
