import { isAbsolute, resolve } from 'node:path';
import { flagOf, SETTINGS } from '../ir/settings.js';
import type { Loss, Optimizer, TrainSettings } from '../ir/types.js';

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

/** The defaults, from the settings table (ir/settings.ts). */
export const DEFAULT_SETTINGS: Readonly<EffectiveSettings> = Object.freeze(
  // Every setting without a default is an optional field of EffectiveSettings; the settings
  // test checks that the table's defaults fill all the others.
  Object.fromEntries(SETTINGS.filter((s) => s.default !== undefined).map((s) => [s.name, s.default])) as unknown as EffectiveSettings,
);

/**
 * defaults ← the spec's `train { … }` ← CLI flags. A `val_file` from the spec is relative to
 * the spec's folder (`specDir`); one from a flag was already made absolute against the working
 * directory when the flags were read.
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
export const RESUME_FIXED: readonly (keyof EffectiveSettings)[] = SETTINGS.filter((s) => s.fixedOnResume).map((s) => s.name);

/** The CLI flag that sets a setting, for messages. */
export function flagName(setting: keyof EffectiveSettings): string {
  return flagOf(setting);
}
