import { didYouMean } from '../language/suggest.js';

/** One option a command accepts. `value` options take an argument; others are flags. */
export interface OptionSpec {
  name: string;
  short?: string;
  value?: 'string' | 'int' | 'number';
  /** May be given more than once (values collected). */
  repeat?: boolean;
  help: string;
}

export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string | true>;
  repeated: Map<string, string[]>;
}

/** A bad command line: the CLI prints it with usage and exits 2. */
export class UsageError extends Error {}

/** Parses `--name value`, `--name=value`, `-o value`, flags and `--`; rejects unknown options with a did-you-mean. */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  const repeated = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positionals.push(a);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    let spec: OptionSpec | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      inline = eq < 0 ? undefined : a.slice(eq + 1);
      spec = specs.find((s) => s.name === name);
    } else {
      name = a.slice(1);
      spec = specs.find((s) => s.short === name);
    }
    if (!spec) {
      const guess = didYouMean(name, specs.map((s) => s.name));
      throw new UsageError(`unknown option ${a}${guess ? ` (did you mean --${guess}?)` : ''}`);
    }
    if (!spec.value) {
      if (inline !== undefined) throw new UsageError(`--${spec.name} takes no value`);
      options.set(spec.name, true);
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new UsageError(`--${spec.name} needs a value`);
    if (spec.value === 'int' && !/^\d+$/.test(v)) throw new UsageError(`--${spec.name} needs a whole number, got ${JSON.stringify(v)}`);
    if (spec.value === 'number' && !(v.trim() !== '' && Number.isFinite(Number(v)))) throw new UsageError(`--${spec.name} needs a number, got ${JSON.stringify(v)}`);
    options.set(spec.name, v);
    if (spec.repeat) repeated.set(spec.name, [...(repeated.get(spec.name) ?? []), v]);
  }
  return { positionals, options, repeated };
}

export function optString(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function optNumber(args: ParsedArgs, name: string): number | undefined {
  const v = optString(args, name);
  return v === undefined ? undefined : Number(v);
}

export function optFlag(args: ParsedArgs, name: string): boolean {
  return args.options.get(name) === true;
}

export function usageLines(specs: readonly OptionSpec[]): string[] {
  return specs.map((s) => {
    const flag = `${s.short ? `-${s.short}, ` : ''}--${s.name}${s.value ? ` ${s.value === 'string' ? 'VALUE' : 'N'}` : ''}`;
    return `  ${flag.padEnd(28)} ${s.help}`;
  });
}
