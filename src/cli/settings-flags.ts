import { resolve } from 'node:path';
import { checkTokenPattern } from '../ir/token-pattern.js';
import { flagOf, inRange, rangeText, SETTINGS, type SettingSpec } from '../ir/settings.js';
import type { TrainSettings } from '../ir/types.js';
import { UsageError, type OptionSpec, type ParsedArgs } from './args.js';

function help(s: SettingSpec): string {
  const values = s.type === 'enum' ? `${s.values!.join(', ')}: ` : s.type === 'bool' ? 'true or false: ' : '';
  const def = s.defaultText ?? (s.default === undefined ? undefined : String(s.default));
  return `${values}${s.doc}${def === undefined || s.name === 'token_pattern' ? '' : ` (default ${def})`}`;
}

function option(s: SettingSpec): OptionSpec {
  return { name: flagOf(s.name).slice(2), value: s.type === 'int' ? 'int' : s.type === 'number' || s.type === 'rate' ? 'number' : 'string', help: help(s) };
}

/** The flags that override `train { … }` settings, generated from the settings table. */
export const SETTINGS_OPTIONS: OptionSpec[] = SETTINGS.filter((s) => !s.frontEndFlag).map(option);

/** The flags among every spec-reading command's options (`--vocab`). */
export const FRONT_END_SETTINGS_OPTIONS: OptionSpec[] = SETTINGS.filter((s) => s.frontEndFlag).map(option);

/** One flag's value, checked against its row of the table: the same rules as `train { }`. */
function parse(s: SettingSpec, v: string): TrainSettings[keyof TrainSettings] {
  const flag = flagOf(s.name);
  switch (s.type) {
    case 'int':
    case 'number':
    case 'rate': {
      const n = Number(v);
      if (s.type === 'int' && !/^[+]?\d+$/.test(v.trim())) throw new UsageError(`${flag} needs a whole number, got ${JSON.stringify(v)}`);
      if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} needs a number, got ${JSON.stringify(v)}`);
      if (!inRange(s, n)) throw new UsageError(`${flag} must be ${rangeText(s)}, got ${v}`);
      return n;
    }
    case 'enum':
      if (!s.values!.includes(v)) throw new UsageError(`${flag} must be one of ${s.values!.join(', ')}, got ${JSON.stringify(v)}`);
      return v;
    case 'bool':
      if (v !== 'true' && v !== 'false') throw new UsageError(`${flag} must be true or false, got ${JSON.stringify(v)}`);
      return v === 'true';
    case 'string': {
      if (v === '') throw new UsageError(`${flag} needs a value`);
      if (s.name === 'token_pattern') {
        const problem = checkTokenPattern(v);
        if (problem) throw new UsageError(`${flag}: ${problem}`);
      }
      // A path in a flag is relative to the working directory (in a spec, to the spec's folder).
      return s.path ? resolve(v) : v;
    }
  }
}

/**
 * Reads and validates the settings flags, with the ranges of the settings table (the IR schema
 * has the same). Throws {@link UsageError} (exit 2) on a bad value.
 */
export function settingsFromArgs(args: ParsedArgs): TrainSettings {
  const out: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const v = args.options.get(flagOf(s.name).slice(2));
    if (typeof v === 'string') out[s.name] = parse(s, v);
  }
  return out;
}
