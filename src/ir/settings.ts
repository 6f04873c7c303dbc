import { LOSSES, OPTIMIZERS, type TrainSettings } from './types.js';
import { DEFAULT_TOKEN_PATTERN } from './token-pattern.js';

/** The kinds of value a `train { }` setting takes (as the lowering reads them). */
export type SettingType = 'int' | 'number' | 'rate' | 'bool' | 'enum' | 'string';

/**
 * One training setting: everything about it in one row, the way Hugging Face's
 * `TrainingArguments` is the one source of its flags. From this table come the `train { }`
 * keys the lowering and the language server know, the CLI flags (`--name-with-dashes`) and
 * their parsing, the defaults, the settings `--resume` must not change, and the table in
 * docs/language.md; a test checks it against the IR schema (grammar/ir.schema.json).
 */
export interface SettingSpec {
  name: keyof TrainSettings;
  type: SettingType;
  values?: readonly string[];
  /** Inclusive bounds, unless `exclusiveMin`/`exclusiveMax`. */
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
  exclusiveMax?: boolean;
  /** Undefined: none (the setting is optional, and its absence means something, as the doc says). */
  default?: number | string | boolean;
  /** The default as the docs show it when it is not just the value. */
  defaultText?: string;
  doc: string;
  /** Changing it would change the split, the vocabulary or the model: refused by `--resume`. */
  fixedOnResume: boolean;
  /** A path: relative to the spec's folder in a spec, to the working directory in a flag. */
  path?: boolean;
  /** Its CLI flag is one of the options every spec-reading command takes (`--vocab`). */
  frontEndFlag?: boolean;
}

export const SETTINGS: readonly SettingSpec[] = [
  { name: 'optimizer', type: 'enum', values: OPTIMIZERS, default: 'adam', doc: 'the optimizer, with Keras 3 defaults', fixedOnResume: true },
  { name: 'lr', type: 'number', min: 0, exclusiveMin: true, max: 10, default: 0.001, doc: 'learning rate', fixedOnResume: true },
  { name: 'loss', type: 'enum', values: LOSSES, default: 'auto', doc: '`auto` picks from the head', fixedOnResume: true },
  { name: 'epochs', type: 'int', min: 1, max: 100_000, default: 8, doc: 'passes over the training data', fixedOnResume: false },
  { name: 'batch', type: 'int', min: 1, max: 1_000_000, default: 32, doc: 'examples per step', fixedOnResume: true },
  { name: 'val_split', type: 'rate', min: 0, max: 1, exclusiveMax: true, default: 0.1, doc: 'fraction held out for validation', fixedOnResume: true },
  { name: 'val_file', type: 'string', path: true, doc: 'validation data instead of a split', fixedOnResume: true },
  { name: 'patience', type: 'int', min: 0, max: 100_000, default: 2, doc: 'early stopping: epochs without a better validation loss; 0 never stops early', fixedOnResume: false },
  { name: 'seed', type: 'int', min: 0, max: 4_294_967_295, default: 42, doc: 'split, shuffling, initial weights and dropout', fixedOnResume: true },
  { name: 'maxlen', type: 'int', min: 1, max: 100_000, default: 50, doc: 'tokens kept per text (32 on the embedded demo corpus)', fixedOnResume: true },
  { name: 'vocab', type: 'int', min: 2, default: 10_000, doc: 'vocabulary size when `embed` gives none', fixedOnResume: false, frontEndFlag: true },
  { name: 'lowercase', type: 'bool', default: true, doc: 'lower-case text before tokenizing', fixedOnResume: true },
  { name: 'token_pattern', type: 'string', default: DEFAULT_TOKEN_PATTERN, defaultText: 'below the table', doc: 'regular expression for one token', fixedOnResume: true },
  { name: 'label_column', type: 'string', defaultText: 'found by name', doc: 'label column in TSV/CSV data', fixedOnResume: true },
  { name: 'text_column', type: 'string', defaultText: 'found by name', doc: 'text column in TSV/CSV data', fixedOnResume: true },
];

export const SETTING_BY_NAME: ReadonlyMap<string, SettingSpec> = new Map(SETTINGS.map((s) => [s.name, s]));

/** `val_split` → `--val-split`. */
export function flagOf(name: string): string {
  return `--${name.replace(/_/g, '-')}`;
}

/** The allowed range in words, for messages and docs: `between 1 and 100000`, `in [0, 1)`, `> 0 and ≤ 10`. */
export function rangeText(s: SettingSpec): string | undefined {
  if (s.min === undefined && s.max === undefined) return undefined;
  if (s.exclusiveMin || s.exclusiveMax) {
    return `in ${s.exclusiveMin ? '(' : '['}${s.min ?? '-∞'}, ${s.max ?? '∞'}${s.exclusiveMax ? ')' : ']'}`;
  }
  if (s.max === undefined) return `≥ ${s.min}`;
  if (s.min === undefined) return `≤ ${s.max}`;
  return `between ${s.min} and ${s.max}`;
}

/** Whether a number lies in the setting's range. */
export function inRange(s: SettingSpec, n: number): boolean {
  if (s.min !== undefined && (s.exclusiveMin ? !(n > s.min) : !(n >= s.min))) return false;
  if (s.max !== undefined && (s.exclusiveMax ? !(n < s.max) : !(n <= s.max))) return false;
  return true;
}

function typeText(s: SettingSpec): string {
  switch (s.type) {
    case 'enum':
      return s.values!.map((v) => `\`${v}\``).join(' \\| ');
    case 'bool':
      return '`true` \\| `false`';
    case 'string':
      return s.path ? 'path' : 'string';
    default:
      return `${s.type === 'int' ? 'integer' : 'number'}${rangeText(s) ? ` ${rangeText(s)}` : ''}`;
  }
}

/** The settings table of docs/language.md (a test keeps the docs equal to it). */
export function settingsMarkdown(): string {
  const rows = SETTINGS.map((s) => {
    const def = s.defaultText ?? (s.default === undefined ? '—' : typeof s.default === 'string' ? `\`${s.default}\`` : String(s.default));
    return `| \`${s.name}\` | ${typeText(s)} | ${def} | \`${flagOf(s.name)}\` | ${s.fixedOnResume ? 'yes' : 'no'} | ${s.doc} |`;
  });
  return ['| setting | type | default | flag | fixed on `--resume` | meaning |', '|---|---|---|---|---|---|', ...rows].join('\n');
}
