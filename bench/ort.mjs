// ONNX Runtime for bench/kernels.mjs: a tfjs model exported to ONNX in memory (as `--engine onnx`
// does) and run on onnxruntime-node, when that optional package is installed.
import { manifestEntries, parseModelJson } from '../dist/artifacts/weights.js';
import { modelFiles } from '../dist/compile/save.js';
import { buildOnnx } from '../dist/export/onnx.js';

/** onnxruntime-node, or null when it is not installed. */
export async function loadOrt() {
  try {
    return await import('onnxruntime-node');
  } catch {
    return null;
  }
}

/** The model's ONNX bytes, and how long the export took (ms, best of 3). */
export async function exportModel(model) {
  const files = await modelFiles(model);
  let bytes;
  let ms = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const json = parseModelJson(files['model.json'], 'model.json');
    bytes = buildOnnx(json, manifestEntries(json), files['weights.bin'], 'model.json').bytes;
    ms = Math.min(ms, performance.now() - t0);
  }
  return { bytes, ms };
}

/** An ONNX Runtime session on `threads` intra-op threads, as rnnc opens one. */
export function session(ort, bytes, threads) {
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
}

/** Prediction samples/s of `batches` runs on int32 ids [batch, length] (after one warm-up). */
export async function measurePredict(ort, s, ids, batch, length, batches) {
  const feeds = { ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [batch, length]) };
  await s.run(feeds);
  const t0 = performance.now();
  for (let i = 0; i < batches; i++) await s.run(feeds);
  return (batches * batch) / ((performance.now() - t0) / 1000);
}
