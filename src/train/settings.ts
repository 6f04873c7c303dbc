import { isAbsolute, resolve } from 'node:path';
import { MAX_MAXLEN } from '../limits.js';
import { UsageError, type OptionSpec, type ParsedArgs } from '../cli/args.js';
import { LOSSES, OPTIMIZERS, type Loss, type Optimizer, type TrainSettings } from '../ir/types.js';
import { checkTokenPattern, DEFAULT_TOKEN_PATTERN } from '../text/tokenizer.js';

/**
 * The settings one training run uses: every field of the spec's `train { … }` block, filled
 * in. `val_file` is an absolute path when set. `vocab` is informational: the vocabulary size a
 * run uses is the embedding's `input_dim`, which the front end already resolved from
 * `embed(vocab:)`, `--vocab`, `train { vocab }` or the default.
 */
export interface EffectiveSettings {
  optimizer: Optimizer;
  lr: number;
  loss: Loss;
  epochs: number;
  batch: number;
  val_split: number;
  val_file?: string;
  patience: number;
  seed: number;
  maxlen: number;
  vocab: number;
  lowercase: boolean;
  token_pattern: string;
  label_column?: string;
  text_column?: string;
}

/** The defaults of docs/language.md's `train` table. */
export const DEFAULT_SETTINGS: Readonly<EffectiveSettings> = Object.freeze({
  optimizer: 'adam',
  lr: 0.001,
  loss: 'auto',
  epochs: 8,
  batch: 32,
  val_split: 0.1,
  patience: 2,
  seed: 42,
  maxlen: 50,
  vocab: 10000,
  lowercase: true,
  token_pattern: DEFAULT_TOKEN_PATTERN,
});

/** The CLI flags that override `train { … }` settings (`--vocab` is a front-end option). */
export const SETTINGS_OPTIONS: OptionSpec[] = [
  { name: 'epochs', value: 'int', help: 'passes over the training data (default 8)' },
  { name: 'batch', value: 'int', help: 'examples per step (default 32)' },
  { name: 'lr', value: 'number', help: 'learning rate (default 0.001)' },
  { name: 'optimizer', value: 'string', help: 'adam, sgd, rmsprop or adagrad (default adam)' },
  { name: 'loss', value: 'string', help: 'auto (from the head), binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy' },
  { name: 'maxlen', value: 'int', help: 'tokens kept per text (default 50)' },
  { name: 'seed', value: 'int', help: 'seed for split, shuffling and initial weights (default 42)' },
  { name: 'val-split', value: 'number', help: 'fraction held out for validation, in [0, 1) (default 0.1)' },
  { name: 'val-file', value: 'string', help: 'validation data instead of a split' },
  { name: 'patience', value: 'int', help: 'early stopping patience in epochs; 0 never stops early (default 2)' },
  { name: 'lowercase', value: 'string', help: 'true or false: lower-case text before tokenizing (default true)' },
  { name: 'token-pattern', value: 'string', help: 'regular expression for one token' },
  { name: 'label-column', value: 'string', help: 'label column in TSV/CSV data (default: found by name)' },
  { name: 'text-column', value: 'string', help: 'text column in TSV/CSV data (default: found by name)' },
];

function intFlag(name: string, v: string, min: number, max: number): number {
  if (!/^[+]?\d+$/.test(v.trim())) throw new UsageError(`--${name} needs a whole number, got ${JSON.stringify(v)}`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${v}`);
  return n;
}

function numberFlag(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} needs a number, got ${JSON.stringify(v)}`);
  return n;
}

function enumFlag<T extends string>(name: string, v: string, values: readonly T[]): T {
  if (!(values as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/**
 * Reads and validates the settings flags (same ranges as the IR schema). Paths stay as given
 * (relative to the working directory). Throws {@link UsageError} (exit 2) on a bad value.
 */
export function settingsFromArgs(args: ParsedArgs): TrainSettings {
  const s: TrainSettings = {};
  const get = (name: string): string | undefined => {
    const v = args.options.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  let v: string | undefined;
  if ((v = get('epochs')) !== undefined) s.epochs = intFlag('epochs', v, 1, 100000);
  if ((v = get('batch')) !== undefined) s.batch = intFlag('batch', v, 1, 1000000);
  if ((v = get('lr')) !== undefined) {
    const n = numberFlag('lr', v);
    if (!(n > 0 && n <= 10)) throw new UsageError(`--lr must be > 0 and ≤ 10, got ${v}`);
    s.lr = n;
  }
  if ((v = get('optimizer')) !== undefined) s.optimizer = enumFlag('optimizer', v, OPTIMIZERS);
  if ((v = get('loss')) !== undefined) s.loss = enumFlag('loss', v, LOSSES);
  if ((v = get('maxlen')) !== undefined) s.maxlen = intFlag('maxlen', v, 1, MAX_MAXLEN);
  if ((v = get('seed')) !== undefined) s.seed = intFlag('seed', v, 0, 4294967295);
  if ((v = get('val-split')) !== undefined) {
    const n = numberFlag('val-split', v);
    if (!(n >= 0 && n < 1)) throw new UsageError(`--val-split must be in [0, 1), got ${v}`);
    s.val_split = n;
  }
  if ((v = get('val-file')) !== undefined) {
    if (v === '') throw new UsageError('--val-file needs a path');
    s.val_file = resolve(v);
  }
  if ((v = get('patience')) !== undefined) s.patience = intFlag('patience', v, 0, 100000);
  if ((v = get('lowercase')) !== undefined) {
    if (v !== 'true' && v !== 'false') throw new UsageError(`--lowercase must be true or false, got ${JSON.stringify(v)}`);
    s.lowercase = v === 'true';
  }
  if ((v = get('token-pattern')) !== undefined) {
    const problem = checkTokenPattern(v);
    if (problem) throw new UsageError(`--token-pattern: ${problem}`);
    s.token_pattern = v;
  }
  if ((v = get('label-column')) !== undefined) s.label_column = v;
  if ((v = get('text-column')) !== undefined) s.text_column = v;
  const vocab = get('vocab');
  if (vocab !== undefined) s.vocab = Number(vocab);
  return s;
}

/**
 * defaults ← the spec's `train { … }` ← CLI flags. A `val_file` from the spec is relative to
 * the spec's folder (`specDir`); one from a flag was already made absolute against the working
 * directory by {@link settingsFromArgs}.
 */
export function effectiveSettings(spec: TrainSettings | undefined, flags: TrainSettings, specDir: string): EffectiveSettings {
  const fromSpec: TrainSettings = { ...(spec ?? {}) };
  if (fromSpec.val_file !== undefined && !isAbsolute(fromSpec.val_file)) fromSpec.val_file = resolve(specDir, fromSpec.val_file);
  const out: EffectiveSettings = { ...DEFAULT_SETTINGS };
  for (const layer of [fromSpec, flags]) {
    for (const [k, v] of Object.entries(layer)) {
      if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
    }
  }
  return out;
}

/** Settings whose change would change the split, the vocabulary or the model: fixed on `--resume`. */
export const RESUME_FIXED: readonly (keyof EffectiveSettings)[] = [
  'optimizer',
  'lr',
  'loss',
  'batch',
  'val_split',
  'val_file',
  'seed',
  'maxlen',
  'lowercase',
  'token_pattern',
  'label_column',
  'text_column',
];

/** The CLI flag that sets a setting, for messages. */
export function flagName(setting: keyof EffectiveSettings): string {
  return `--${setting.replace(/_/g, '-')}`;
}
