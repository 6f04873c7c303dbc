import type { ErrorObject } from 'ajv';
import { preview, quote } from '../language/quote.js';
import { didYouMean } from '../language/suggest.js';
import { diag, type CodeName } from '../diagnostics/codes.js';
import type { Diagnostic, Span } from '../diagnostics/types.js';
import { IR_FORMAT, IR_VERSION } from './types.js';
// Precompiled from grammar/ir.schema.json by scripts/gen-validator.mjs (every build,
// typecheck and fuzz run regenerates it; test/ir/schema.test.ts checks the file matches the schema).
import { validate as generated } from './schema-validator.gen.js';

interface Validator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}
const validateIr = generated as unknown as Validator;

/** Where IR values came from: JSON pointer → span; `#key` suffix for a property's name. */
export type PointerSpans = ReadonlyMap<string, Span>;

/** The span for a pointer, or for its nearest ancestor that has one. */
export function spanFor(pointers: PointerSpans, pointer: string, fallback: Span): Span {
  let p = pointer;
  for (;;) {
    const s = pointers.get(p);
    if (s) return s;
    if (p === '') return fallback;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

function propertyName(pointer: string): string {
  const last = pointer.slice(pointer.lastIndexOf('/') + 1).replace(/~1/g, '/').replace(/~0/g, '~');
  return /^\d+$/.test(last) ? `item ${last}` : quote(last);
}

/** The offending value, cut short: a type error on a megabyte-long array must not quote it. */
const show = (v: unknown): string => preview(v);

function toDiagnostic(e: ErrorObject, pointers: PointerSpans, fallback: Span): Diagnostic | undefined {
  const at = (p: string): Span => spanFor(pointers, p, fallback);
  const what = propertyName(e.instancePath);
  const p = e.params as Record<string, unknown>;
  const mk = (code: CodeName, span: Span, message: string, extra: Partial<Diagnostic> = {}): Diagnostic =>
    diag(code, span, message, extra);
  switch (e.keyword) {
    case 'required':
      return mk('SchemaRequired', at(e.instancePath), `missing \`${String(p['missingProperty'])}\``);
    case 'additionalProperties': {
      const prop = String(p['additionalProperty']);
      const ptr = `${e.instancePath}/${prop}`;
      const allowed = Object.keys((e.parentSchema?.['properties'] as Record<string, unknown> | undefined) ?? {});
      const guess = didYouMean(prop, allowed);
      const keySpan = pointers.get(`${ptr}#key`) ?? at(ptr);
      return mk('SchemaUnknownProperty', keySpan, `unknown property ${quote(prop)}`, {
        help: guess ? `did you mean \`${guess}\`?` : allowed.length ? `allowed here: ${allowed.map((a) => `\`${a}\``).join(', ')}` : undefined,
        fixes: guess && pointers.has(`${ptr}#key`) ? [{ title: `rename to \`${guess}\``, edits: [{ span: keySpan, text: JSON.stringify(guess) }] }] : undefined,
      });
    }
    case 'type':
      return mk('SchemaType', at(e.instancePath), `${what} must be ${p['type'] === 'integer' ? 'a whole number' : `of type ${String(p['type'])}`}, found ${show(e.data)}`);
    case 'enum': {
      const allowed = (p['allowedValues'] as unknown[]).map(String);
      const guess = typeof e.data === 'string' ? didYouMean(e.data, allowed) : undefined;
      return mk('SchemaEnum', at(e.instancePath), `${what} must be one of ${allowed.map((a) => `\`${a}\``).join(', ')}, found ${show(e.data)}`, {
        help: guess ? `did you mean \`${guess}\`?` : undefined,
      });
    }
    case 'const':
      return mk('SchemaEnum', at(e.instancePath), `${what} must be ${show(p['allowedValue'])}, found ${show(e.data)}`);
    case 'minimum':
      return mk('SchemaRange', at(e.instancePath), `${what} must be at least ${String(p['limit'])}, found ${show(e.data)}`);
    case 'exclusiveMinimum':
      return mk('SchemaRange', at(e.instancePath), `${what} must be greater than ${String(p['limit'])}, found ${show(e.data)}`);
    case 'maximum':
      return mk('SchemaRange', at(e.instancePath), `${what} must be at most ${String(p['limit'])}, found ${show(e.data)}`);
    case 'exclusiveMaximum':
      return mk('SchemaRange', at(e.instancePath), `${what} must be less than ${String(p['limit'])}, found ${show(e.data)}`);
    case 'minItems':
      return mk('SchemaRange', at(e.instancePath), `${what} must have at least ${String(p['limit'])} item(s)`);
    case 'minLength':
      return mk('SchemaRange', at(e.instancePath), `${what} must not be empty`);
    case 'pattern':
      return mk('SchemaOther', at(e.instancePath), `${what} must match ${String(p['pattern'])}, found ${show(e.data)}`);
    case 'discriminator':
      // The enum error on the tag itself already says what is wrong.
      return p['error'] === 'mapping' ? undefined : mk('SchemaOther', at(e.instancePath), `${what} needs a \`${String(p['tag'])}\``);
    case 'oneOf':
      return undefined;
    default:
      return mk('SchemaOther', at(e.instancePath), `${what} ${e.message ?? 'is invalid'}`);
  }
}

/** The schema's errors for a value, in ajv's form. */
function schemaErrors(value: unknown): ErrorObject[] {
  return validateIr(value) ? [] : [...(validateIr.errors ?? [])];
}

/** A layer the schema accepts, standing in for the real ones while the top level is validated. */
const PLACEHOLDER_LAYER = { kind: 'dropout', rate: 0 };

/**
 * The same errors as validating the whole value, in linear time. ajv's generated code
 * concatenates the error list at every `$ref`, so validating a program in one call is
 * quadratic in its number of invalid layers (64,000 took 156 s): the top level is validated
 * with one placeholder layer, then each layer in a program of its own, its errors' paths moved
 * back to its index.
 */
export function schemaErrorsOf(value: unknown): ErrorObject[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return schemaErrors(value);
  const layers = (value as { layers?: unknown }).layers;
  if (!Array.isArray(layers) || layers.length === 0) return schemaErrors(value);
  const out = schemaErrors({ ...value, layers: [PLACEHOLDER_LAYER] });
  layers.forEach((layer, i) => {
    for (const e of schemaErrors({ format: IR_FORMAT, version: IR_VERSION, layers: [layer] })) {
      out.push({ ...e, instancePath: `/layers/${i}${e.instancePath.slice('/layers/0'.length)}` });
    }
  });
  return out;
}

/**
 * Validates a value against the IR schema and maps every error back to the source range its
 * value came from (a `.rnn` call's argument, or a `.rnn.json` property).
 */
export function validateProgram(value: unknown, pointers: PointerSpans, fallback: Span = { start: 0, end: 0 }): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of schemaErrorsOf(value)) {
    const d = toDiagnostic(e, pointers, fallback);
    if (!d) continue;
    const key = `${d.code}:${d.span.start}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}
