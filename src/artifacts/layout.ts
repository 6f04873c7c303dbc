/**
 * What a model folder holds. `model.json` + `weights.bin` are the tfjs layers-model format (stock
 * `tf.loadLayersModel('file://DIR/model.json')` reads them); the rest are rnnc's:
 * - `spec.json`: the checked IR of the spec it was built from (paths absolute);
 * - `vocab.json`: the tokenizer, word ids, labels and maxlen (trained models);
 * - `metrics.json`: the run's history, settings and final metrics (trained models);
 * - `checkpoint.json` + `checkpoint.bin`: where a run stands, for `train --resume`.
 */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const SPEC_JSON = 'spec.json';
export const VOCAB_JSON = 'vocab.json';
export const METRICS_JSON = 'metrics.json';
export const CHECKPOINT_JSON = 'checkpoint.json';
export const CHECKPOINT_BIN = 'checkpoint.bin';

/** A name that stays inside the folder: no separators, not `.` or `..`. */
export function isPlainFileName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[\\/]/.test(name);
}
