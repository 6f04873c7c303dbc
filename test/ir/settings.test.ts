import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../src/cli/args.js';
import { FRONT_END_SETTINGS_OPTIONS, SETTINGS_OPTIONS, settingsFromArgs } from '../../src/cli/settings-flags.js';
import { TRAIN_SETTINGS } from '../../src/language/builtins.js';
import { flagOf, inRange, SETTINGS, settingsMarkdown, type SettingSpec } from '../../src/ir/settings.js';
import { checkText } from '../../src/program.js';
import { DEFAULT_SETTINGS, RESUME_FIXED } from '../../src/train/settings.js';

const ROOT = join(import.meta.dirname, '../..');
const schema = JSON.parse(readFileSync(join(ROOT, 'grammar/ir.schema.json'), 'utf8')) as {
  definitions: { train: { properties: Record<string, Record<string, unknown>> } };
};
const trainSchema = schema.definitions.train.properties;

/** What the IR schema should say about a setting, derived from its row. */
function schemaOf(s: SettingSpec): Record<string, unknown> {
  switch (s.type) {
    case 'enum':
      return { enum: [...s.values!] };
    case 'bool':
      return { type: 'boolean' };
    case 'string':
      return { type: 'string', minLength: 1 };
    default: {
      const out: Record<string, unknown> = { type: s.type === 'int' ? 'integer' : 'number' };
      if (s.min !== undefined) out[s.exclusiveMin ? 'exclusiveMinimum' : 'minimum'] = s.min;
      if (s.max !== undefined) out[s.exclusiveMax ? 'exclusiveMaximum' : 'maximum'] = s.max;
      return out;
    }
  }
}

describe('the settings table', () => {
  it('says what the IR schema says: the same settings, types and ranges', () => {
    expect(SETTINGS.map((s) => s.name).sort()).toEqual(Object.keys(trainSchema).sort());
    for (const s of SETTINGS) expect([s.name, trainSchema[s.name]]).toEqual([s.name, schemaOf(s)]);
  });

  it('gives every setting a flag, the lowering its keys, and valid defaults', () => {
    const flags = [...SETTINGS_OPTIONS, ...FRONT_END_SETTINGS_OPTIONS].map((o) => `--${o.name}`).sort();
    expect(flags).toEqual(SETTINGS.map((s) => flagOf(s.name)).sort());
    expect(TRAIN_SETTINGS.map((t) => t.name)).toEqual(SETTINGS.map((s) => s.name));
    for (const s of SETTINGS) {
      const d = (DEFAULT_SETTINGS as unknown as Record<string, unknown>)[s.name];
      expect([s.name, d]).toEqual([s.name, s.default]);
      if (typeof s.default === 'number') expect([s.name, inRange(s, s.default)]).toEqual([s.name, true]);
      if (s.type === 'enum') expect(s.values).toContain(s.default);
    }
    expect(RESUME_FIXED).toEqual(SETTINGS.filter((s) => s.fixedOnResume).map((s) => s.name));
  });

  it('is the table of docs/language.md', () => {
    expect(readFileSync(join(ROOT, 'docs/language.md'), 'utf8')).toContain(`<!-- generated: settings table (scripts/gen-docs.mjs) -->\n${settingsMarkdown()}\n<!-- end of generated settings table -->`);
  });
});

describe('one range for train { } and the flags (#8: `patience: 200000` passed check, `--patience 200000` did not)', () => {
  const options = [...SETTINGS_OPTIONS, ...FRONT_END_SETTINGS_OPTIONS];
  const flag = (s: SettingSpec, v: string): string => {
    try {
      settingsFromArgs(parseArgs([flagOf(s.name), v], options));
      return 'ok';
    } catch (e) {
      if (e instanceof UsageError) return 'refused';
      throw e;
    }
  };
  const spec = (s: SettingSpec, v: string): string => {
    // Errors about the value itself (type, enumeration, range), not about how it fits the model:
    // `loss: categorical_crossentropy` is a fine loss that does not fit a `dense(1)` head (E3026).
    const valueCodes = new Set(['E2004', 'E2005', 'E2006', 'E3006', 'E3008']);
    const errors = checkText(`embed(8, vocab: 100) |> lstm(4) |> dense(1)\ntrain { ${s.name}: ${v} }\n`, { fileName: 's.rnn' }).diagnostics.filter((d) => valueCodes.has(d.code));
    return errors.length === 0 ? 'ok' : 'refused';
  };
  const numeric = SETTINGS.filter((s) => s.type === 'int' || s.type === 'number' || s.type === 'rate');

  it.each(numeric.map((s) => [s.name, s] as const))('%s: the bounds pass both ways, one step past them neither', (_name, s) => {
    const step = s.type === 'int' ? 1 : 1e-9;
    const cases: [string, string][] = [];
    if (s.min !== undefined) cases.push([String(s.exclusiveMin ? s.min + step : s.min), 'ok'], [String(s.exclusiveMin ? s.min : s.min - step), 'refused']);
    if (s.max !== undefined) cases.push([String(s.exclusiveMax ? s.max - step : s.max), 'ok'], [String(s.exclusiveMax ? s.max : s.max + step), 'refused']);
    for (const [v, want] of cases) {
      // A negative number in a spec is written as such; the flag parser reads `-1` as a value too.
      expect([v, spec(s, v), flag(s, v)]).toEqual([v, want, want]);
    }
  });

  it('enums and booleans: the same values both ways', () => {
    for (const s of SETTINGS.filter((x) => x.type === 'enum' || x.type === 'bool')) {
      const good = s.type === 'enum' ? s.values! : ['true', 'false'];
      for (const v of good) expect([s.name, v, spec(s, v), flag(s, v)]).toEqual([s.name, v, 'ok', 'ok']);
      expect([s.name, spec(s, 'nonsense'), flag(s, 'nonsense')]).toEqual([s.name, 'refused', 'refused']);
    }
  });
});
