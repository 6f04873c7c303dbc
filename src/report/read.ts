/**
 * A trained model folder read for `rnnc report`: metrics.json (and spec.json when it is there),
 * checked field by field into a {@link RunReport}. No TensorFlow: the report is drawn from the
 * JSON files alone. Fields that an older rnnc did not write are left undefined, and the page
 * says so ("not recorded by this rnnc version"); a field that is there but malformed is
 * BadModelDir (E4006) naming it.
 */
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { METRICS_JSON } from '../artifacts/layout.js';
import { ModelFolder } from '../artifacts/model-folder.js';
import { fail, RnncError } from '../diagnostics/error.js';
import type { CoverageRecord } from '../train/run-details.js';

/** One epoch of the history. Losses and accuracies are null when the run recorded NaN. */
export interface EpochPoint {
  epoch: number;
  loss: number | null;
  accuracy: number | null;
  val_loss?: number | null;
  val_accuracy?: number | null;
}

/** The validation metrics of the kept weights (metrics.json `final.validation`). */
export interface ReportMetrics {
  count: number;
  loss: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  averaging: string;
  positive?: string;
  labels: string[];
  confusion: number[][];
}

export interface ReportMistake {
  text: string;
  label: string;
  predicted: string;
  probability: number;
  truncated: boolean;
}

/** metrics.json `vocab.validation_coverage`, as train records it (a type only: nothing of train loads). */
export type ReportCoverage = CoverageRecord;

/** What the report shows of one trained model folder. */
export interface RunReport {
  /** The folder as the user named it, and its last path segment. */
  dir: string;
  name: string;
  complete: boolean;
  interrupted: boolean;
  stoppedEarly: boolean;
  epochsRun: number;
  bestEpoch: number;
  history: EpochPoint[];
  validation?: ReportMetrics;
  /** The kept epoch's most confidently wrong validation examples (rnnc ≥ this version). */
  mistakes?: { epoch: number; wrong: number; examples: ReportMistake[] };
  settings: Record<string, unknown>;
  data: {
    source?: string;
    format?: string;
    examples?: number;
    problems?: number;
    train: number;
    validation: number;
    labels: string[];
    /** Examples per label in `labels` order (rnnc ≥ this version). */
    labelCounts?: { train: number[]; validation: number[] };
  };
  vocab?: { size: number; input_dim?: number; maxlen?: number; distinct_words?: number; kept_words?: number; validationCoverage?: ReportCoverage };
  /** How a pretrained embedding was filled (metrics.json `embedding`). */
  embedding?: { source: string; path: string; found: number; total: number; format?: string; oov?: string; frozen?: boolean; missingExamples: string[] };
  /** Whether spec.json's embedding names a pretrained source; undefined when spec.json is missing. */
  pretrained?: boolean;
  params?: { total: number; trainable: number; non_trainable: number };
  backend?: string;
  kernels?: string;
  time?: { started?: string; saved?: string; train_seconds?: number };
  rnnc?: string;
  /** spec.json, for the model drawing. */
  spec?: Record<string, unknown>;
}

type Json = Record<string, unknown>;

/** Field readers that throw BadModelDir naming the field. */
class Fields {
  constructor(private readonly file: string) {}

  bad(path: string, what: string): RnncError {
    return fail('BadModelDir', `${this.file}: ${path} ${what}`, { file: this.file, help: 'train the model again with `rnnc train`' });
  }

  object(v: unknown, path: string): Json {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw this.bad(path, 'is not an object');
    return v as Json;
  }

  optObject(o: Json, key: string, path: string): Json | undefined {
    return o[key] === undefined || o[key] === null ? undefined : this.object(o[key], `${path}.${key}`);
  }

  array(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) throw this.bad(path, 'is not an array');
    return v;
  }

  num(o: Json, key: string, path: string): number {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.bad(`${path}.${key}`, 'is not a number');
    return v;
  }

  optNum(o: Json, key: string, path: string): number | undefined {
    return o[key] === undefined ? undefined : this.num(o, key, path);
  }

  /** A number, or null where the run recorded NaN; undefined when absent. */
  numOrNull(o: Json, key: string, path: string): number | null | undefined {
    return o[key] === null ? null : this.optNum(o, key, path);
  }

  str(o: Json, key: string, path: string): string {
    const v = o[key];
    if (typeof v !== 'string') throw this.bad(`${path}.${key}`, 'is not a string');
    return v;
  }

  optStr(o: Json, key: string, path: string): string | undefined {
    return o[key] === undefined ? undefined : this.str(o, key, path);
  }

  strings(v: unknown, path: string): string[] {
    return this.array(v, path).map((s, i) => {
      if (typeof s !== 'string') throw this.bad(`${path}[${i}]`, 'is not a string');
      return s;
    });
  }

  counts(v: unknown, path: string, length: number): number[] {
    const a = this.array(v, path);
    if (a.length !== length) throw this.bad(path, `has ${a.length} entries, not ${length}`);
    return a.map((n, i) => {
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw this.bad(`${path}[${i}]`, 'is not a count');
      return n;
    });
  }
}

function readMetrics(f: Fields, v: Json, path: string): ReportMetrics {
  const labels = f.strings(v['labels'], `${path}.labels`);
  const confusion = f.array(v['confusion'], `${path}.confusion`);
  if (confusion.length !== labels.length) throw f.bad(`${path}.confusion`, `has ${confusion.length} rows for ${labels.length} labels`);
  const positive = f.optStr(v, 'positive', path);
  return {
    count: f.num(v, 'count', path),
    loss: f.num(v, 'loss', path),
    accuracy: f.num(v, 'accuracy', path),
    precision: f.num(v, 'precision', path),
    recall: f.num(v, 'recall', path),
    f1: f.num(v, 'f1', path),
    averaging: f.str(v, 'averaging', path),
    ...(positive !== undefined ? { positive } : {}),
    labels,
    confusion: confusion.map((row, i) => f.counts(row, `${path}.confusion[${i}]`, labels.length)),
  };
}

function readHistory(f: Fields, v: unknown): EpochPoint[] {
  return f.array(v, 'history').map((h, i) => {
    const path = `history[${i}]`;
    const o = f.object(h, path);
    const point: EpochPoint = { epoch: f.num(o, 'epoch', path), loss: f.numOrNull(o, 'loss', path) ?? null, accuracy: f.numOrNull(o, 'accuracy', path) ?? null };
    const valLoss = f.numOrNull(o, 'val_loss', path);
    const valAccuracy = f.numOrNull(o, 'val_accuracy', path);
    if (valLoss !== undefined) point.val_loss = valLoss;
    if (valAccuracy !== undefined) point.val_accuracy = valAccuracy;
    return point;
  });
}

/** Parses metrics.json's content (`file` names it in messages). */
export function parseMetricsJson(json: unknown, file: string, dir: string): RunReport {
  const f = new Fields(file);
  const m = f.object(json, 'the file');
  if (m['format'] !== 'rnnc-metrics') throw f.bad('format', 'is not "rnnc-metrics": this is not the metrics of an rnnc training run');
  const history = readHistory(f, m['history']);
  const final = f.optObject(m, 'final', '');
  const validation = final ? f.optObject(final, 'validation', 'final') : undefined;
  const d = f.object(m['data'], 'data');
  const labels = f.strings(d['labels'], 'data.labels');
  const lc = f.optObject(d, 'label_counts', 'data');
  const source = f.optStr(d, 'source', 'data');
  const format = f.optStr(d, 'format', 'data');
  const examples = f.optNum(d, 'examples', 'data');
  const problems = f.optNum(d, 'problems', 'data');
  const report: RunReport = {
    dir,
    name: basename(resolve(dir)),
    complete: m['complete'] === true,
    interrupted: m['interrupted'] === true,
    stoppedEarly: m['stopped_early'] === true,
    epochsRun: f.optNum(m, 'epochs_run', '') ?? history.length,
    bestEpoch: f.optNum(m, 'best_epoch', '') ?? 0,
    history,
    settings: f.optObject(m, 'settings', '') ?? {},
    data: {
      ...(source !== undefined ? { source } : {}),
      ...(format !== undefined ? { format } : {}),
      ...(examples !== undefined ? { examples } : {}),
      ...(problems !== undefined ? { problems } : {}),
      train: f.num(d, 'train', 'data'),
      validation: f.num(d, 'validation', 'data'),
      labels,
      ...(lc ? { labelCounts: { train: f.counts(lc['train'], 'data.label_counts.train', labels.length), validation: f.counts(lc['validation'], 'data.label_counts.validation', labels.length) } } : {}),
    },
  };
  if (validation) report.validation = readMetrics(f, validation, 'final.validation');
  const mistakes = f.optObject(m, 'validation_mistakes', '');
  if (mistakes) {
    report.mistakes = {
      epoch: f.num(mistakes, 'epoch', 'validation_mistakes'),
      wrong: f.num(mistakes, 'wrong', 'validation_mistakes'),
      examples: f.array(mistakes['examples'], 'validation_mistakes.examples').map((e, i) => {
        const path = `validation_mistakes.examples[${i}]`;
        const o = f.object(e, path);
        return { text: f.str(o, 'text', path), label: f.str(o, 'label', path), predicted: f.str(o, 'predicted', path), probability: f.num(o, 'probability', path), truncated: o['truncated'] === true };
      }),
    };
  }
  readExtras(f, m, report);
  return report;
}

/** The vocabulary, embedding, parameters, runtime and times, each optional. */
function readExtras(f: Fields, m: Json, report: RunReport): void {
  const v = f.optObject(m, 'vocab', '');
  if (v) {
    const cov = f.optObject(v, 'validation_coverage', 'vocab');
    const path = 'vocab.validation_coverage';
    report.vocab = {
      size: f.num(v, 'size', 'vocab'),
      ...Object.fromEntries((['input_dim', 'maxlen', 'distinct_words', 'kept_words'] as const).flatMap((k) => (v[k] === undefined ? [] : [[k, f.num(v, k, 'vocab')]]))),
      ...(cov
        ? {
            validationCoverage: {
              tokens: f.num(cov, 'tokens', path),
              known_tokens: f.num(cov, 'known_tokens', path),
              token_rate: f.num(cov, 'token_rate', path),
              types: f.num(cov, 'types', path),
              known_types: f.num(cov, 'known_types', path),
              type_rate: f.num(cov, 'type_rate', path),
            },
          }
        : {}),
    };
  }
  const e = f.optObject(m, 'embedding', '');
  if (e) {
    const format = f.optStr(e, 'format', 'embedding');
    const oov = f.optStr(e, 'oov', 'embedding');
    report.embedding = {
      source: f.str(e, 'source', 'embedding'),
      path: f.str(e, 'path', 'embedding'),
      found: f.num(e, 'found', 'embedding'),
      total: f.num(e, 'total', 'embedding'),
      ...(format !== undefined ? { format } : {}),
      ...(oov !== undefined ? { oov } : {}),
      ...(typeof e['frozen'] === 'boolean' ? { frozen: e['frozen'] } : {}),
      missingExamples: e['missingExamples'] === undefined ? [] : f.strings(e['missingExamples'], 'embedding.missingExamples'),
    };
  }
  const p = f.optObject(m, 'params', '');
  if (p) report.params = { total: f.num(p, 'total', 'params'), trainable: f.num(p, 'trainable', 'params'), non_trainable: f.num(p, 'non_trainable', 'params') };
  const t = f.optObject(m, 'time', '');
  if (t) {
    const started = f.optStr(t, 'started', 'time');
    const saved = f.optStr(t, 'saved', 'time');
    const seconds = f.optNum(t, 'train_seconds', 'time');
    report.time = { ...(started ? { started } : {}), ...(saved ? { saved } : {}), ...(seconds !== undefined ? { train_seconds: seconds } : {}) };
  }
  for (const key of ['backend', 'kernels', 'rnnc'] as const) {
    const s = f.optStr(m, key, '');
    if (s !== undefined) report[key] = s;
  }
}

/**
 * Reads a trained model folder for the report: metrics.json (required: a folder that `rnnc
 * compile` wrote has none, and there is nothing to report) and spec.json (optional).
 */
export async function readRunReport(dir: string): Promise<RunReport> {
  const folder = await ModelFolder.open(dir);
  if (!existsSync(join(folder.path, METRICS_JSON))) {
    throw fail('BadModelDir', `${folder.shown(METRICS_JSON)} is missing: ${dir} holds no training run to report on`, {
      file: folder.shown(METRICS_JSON),
      help: 'give a folder that `rnnc train -o DIR` wrote (`rnnc compile` writes no metrics)',
    });
  }
  const json = await folder.json(METRICS_JSON);
  const report = parseMetricsJson(json, folder.shown(METRICS_JSON), dir);
  try {
    const spec = await folder.spec();
    report.spec = spec;
    const first: unknown = Array.isArray(spec.layers) ? spec.layers[0] : undefined;
    report.pretrained = first !== null && typeof first === 'object' && (first as Json)['pretrained'] !== undefined;
  } catch (e) {
    // The report does without the spec (a folder copied without it): only the drawing and the
    // "pretrained?" line need it.
    if (!(e instanceof RnncError)) throw e;
  }
  return report;
}
