import { KERAS_CLASS, shapeText, type Analysis } from '../check/shapes.js';
import type { Layer } from '../ir/types.js';
import { formatCount } from '../util/numbers.js';

/** The Keras `model.summary()` table, from rnnc's own analysis (no TensorFlow needed). */
export function summaryTable(title: string, a: Analysis, layers: readonly Layer[]): string {
  const rows = a.layers.map((l) => {
    const layer = layers[l.index]!;
    const cls = layer.kind === 'bidirectional' ? `Bidirectional(${KERAS_CLASS[layer.layer.kind]})` : KERAS_CLASS[l.kind];
    return [`${l.name} (${cls})${l.trainable || l.params === 0 ? '' : ' [frozen]'}`, shapeText(l.outputShape), formatCount(l.params)];
  });
  const head = ['Layer (type)', 'Output Shape', 'Param #'];
  const w0 = Math.max(head[0]!.length, ...rows.map((r) => r[0]!.length)) + 2;
  const w1 = Math.max(head[1]!.length, ...rows.map((r) => r[1]!.length)) + 2;
  const w2 = Math.max(head[2]!.length, ...rows.map((r) => r[2]!.length));
  const width = w0 + w1 + w2 + 1;
  const line = (r: string[]): string => ` ${r[0]!.padEnd(w0)}${r[1]!.padEnd(w1)}${r[2]!.padStart(w2)}`;
  return [
    `Model: "${title}"`,
    '_'.repeat(width),
    line(head),
    '='.repeat(width),
    ...rows.map(line),
    '='.repeat(width),
    `Total params: ${formatCount(a.totalParams)}`,
    `Trainable params: ${formatCount(a.trainableParams)}`,
    `Non-trainable params: ${formatCount(a.nonTrainableParams)}`,
    '_'.repeat(width),
  ].join('\n');
}

/** The `summary --format json` object. */
export function summaryJson(a: Analysis): object {
  return {
    layers: a.layers.map((l) => ({ name: l.name, kind: l.kind, outputShape: l.outputShape, params: l.params, trainable: l.trainable })),
    totalParams: a.totalParams,
    trainableParams: a.trainableParams,
    nonTrainableParams: a.nonTrainableParams,
  };
}
