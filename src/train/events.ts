import type { RuntimeReport } from '../compile/backend.js';
import type { EmbeddingInitReport } from './embedding-init.js';

/** One epoch's numbers. `val_*` are absent without validation data. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  val_loss?: number;
  val_accuracy?: number;
  val_precision?: number;
  val_recall?: number;
  val_f1?: number;
  seconds: number;
}

/** Progress of a run, for the CLI's progress bar and plain lines (and anything else listening). */
export type TrainEvent =
  | ({ type: 'backend' } & RuntimeReport)
  | { type: 'data'; train: number; val: number; labels: string[]; vocabSize: number; distinctWords: number }
  | { type: 'embedding'; report: EmbeddingInitReport }
  | { type: 'resume'; epoch: number; step: number; steps: number }
  | { type: 'epoch-start'; epoch: number; epochs: number; steps: number }
  | { type: 'step'; epoch: number; epochs: number; step: number; steps: number; loss: number; accuracy: number; seconds: number; etaSeconds: number }
  | { type: 'epoch-end'; record: EpochRecord; epochs: number; best: boolean }
  | { type: 'early-stop'; epoch: number; bestEpoch: number }
  | { type: 'interrupted'; epoch: number; step: number; steps: number };
