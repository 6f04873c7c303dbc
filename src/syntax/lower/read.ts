import type { Span } from '../../diagnostics/types.js';
import type { BuiltinSpec } from '../../language/builtins.js';
import { clip, quote } from '../../language/quote.js';
import { didYouMean } from '../../language/suggest.js';
import type { Call } from '../ast.js';
import { renameFix, type Reporter } from './report.js';
import { describeValue, type Args, type Value } from './values.js';

/**
 * Reads the matched arguments of a call as the types its parameters take. Each reader returns
 * undefined when the argument is not given and null when it is invalid (reported here, or
 * already reported while evaluating it).
 */
export class ArgReader {
  constructor(private readonly out: Reporter) {}

  /** An argument's value: undefined when not given, null when already reported as invalid. */
  given(args: Args, name: string): Exclude<Value, { t: 'error' }> | null | undefined {
    const a = args.get(name);
    if (!a) return undefined;
    return a.value.t === 'error' ? null : a.value;
  }

  int(args: Args, name: string): { n: number; span: Span } | null | undefined {
    const v = this.given(args, name);
    if (!v) return v;
    if (v.t === 'num' && v.integer && Number.isSafeInteger(v.value)) return { n: v.value, span: v.span };
    // Quote the literal as written: `64.0` has a whole value but is written as a decimal.
    const whole = v.t === 'num' && Number.isSafeInteger(v.value);
    this.out.report('WrongValueType', v.span, `\`${name}\` must be a whole number, found ${v.t === 'num' ? quote(v.raw) : describeValue(v)}`, {
      help: whole ? `write \`${v.value}\`, without the decimal point` : undefined,
      fixes: whole ? [renameFix(v.span, String(v.value))] : undefined,
    });
    return null;
  }

  num(args: Args, name: string): { n: number; span: Span } | null | undefined {
    const v = this.given(args, name);
    if (!v) return v;
    if (v.t === 'num') return { n: v.value, span: v.span };
    this.out.report('WrongValueType', v.span, `\`${name}\` must be a number, found ${describeValue(v)}`);
    return null;
  }

  enumValue<T extends string>(args: Args, spec: BuiltinSpec, name: string): { v: T; span: Span } | null | undefined {
    const v = this.given(args, name);
    if (!v) return v;
    const allowed = spec.params.find((q) => q.name === name)!.values ?? [];
    const word = v.t === 'sym' ? v.name : v.t === 'str' ? v.value : undefined;
    if (word !== undefined && allowed.includes(word)) return { v: word as T, span: v.span };
    const guess = word !== undefined ? didYouMean(word, allowed) : undefined;
    this.out.report('BadEnumValue', v.span, `\`${name}\` must be one of ${allowed.map((x) => `\`${x}\``).join(', ')}, found ${word !== undefined ? quote(word) : describeValue(v)}`, {
      help: guess ? `did you mean \`${guess}\`?` : undefined,
      fixes: guess ? [renameFix(v.span, guess)] : undefined,
    });
    return null;
  }

  bool(args: Args, name: string): { b: boolean; span: Span } | null | undefined {
    const v = this.given(args, name);
    if (!v) return v;
    // A bare flag (`trainable`) means true.
    if (v.t === 'sym' && (v.name === 'true' || v.name === name)) return { b: true, span: v.span };
    if (v.t === 'sym' && v.name === 'false') return { b: false, span: v.span };
    this.out.report('WrongValueType', v.span, `\`${name}\` must be \`true\` or \`false\`, found ${v.t === 'sym' ? quote(v.name) : describeValue(v)}`);
    return null;
  }

  str(args: Args, name: string): { s: string; span: Span } | null | undefined {
    const v = this.given(args, name);
    if (!v) return v;
    if (v.t === 'str') return { s: v.value, span: v.span };
    this.out.report('WrongValueType', v.span, `\`${name}\` must be a string, found ${describeValue(v)}`, {
      help: v.t === 'sym' ? `quote it: ${quote(`"${clip(v.name)}"`, Infinity)}` : undefined,
    });
    return null;
  }

  /** `got`, or a MissingArgument diagnostic when the call does not give `name`. */
  required<T>(call: Call, spec: BuiltinSpec, name: string, got: T | null | undefined): T | null {
    if (got === undefined) {
      this.out.report('MissingArgument', call.span, `\`${spec.name}\` needs \`${name}\``, {
        help: `e.g. \`${spec.name}(${name === 'units' ? '64' : name === 'rate' ? '0.5' : name === 'path' ? '"vectors.txt"' : name})\``,
      });
      return null;
    }
    return got;
  }
}
