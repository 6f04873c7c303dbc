import { Codes, diag, type CodeName } from './codes.js';
import type { Diagnostic } from './types.js';

/**
 * Where a problem is when it is not in a spec's text: a data file, a vectors file, a model
 * folder, a download. `line` is 1-based when the problem is on one line of a text file.
 */
export interface FileLocation {
  file: string;
  line?: number;
}

/** The span of a diagnostic about a whole file rather than a range of a spec's text. */
export const FILE_LEVEL = { start: 0, end: 0 } as const;

/**
 * The one error type rnnc throws for a problem the user can fix. It carries diagnostics from
 * the one code table (codes.ts), like everything the front end reports, so the CLI, the library
 * API and the language server render it as they render any diagnostic, and the CLI maps its
 * code to an exit code in one place. Anything else thrown is a bug.
 *
 * Back-end problems (files, data, model folders, backends) have no range in a spec: their
 * diagnostic has the file-level span and, where there is one, a {@link FileLocation}.
 */
export class RnncError extends Error {
  override readonly name = 'RnncError';
  /** At least one, the first an error. */
  readonly diagnostics: readonly Diagnostic[];
  readonly location: FileLocation | undefined;
  /** The spec text the diagnostics' spans index, for errors about a spec. */
  readonly source: { file: string; text: string } | undefined;

  constructor(diagnostics: readonly Diagnostic[], opts: { location?: FileLocation; source?: { file: string; text: string }; cause?: unknown } = {}) {
    const first = diagnostics.find((d) => d.severity === 'error') ?? diagnostics[0];
    super(first?.message ?? 'error', opts.cause === undefined ? undefined : { cause: opts.cause });
    this.diagnostics = diagnostics;
    this.location = opts.location;
    this.source = opts.source;
  }

  /** The first error. */
  get diagnostic(): Diagnostic {
    return this.diagnostics.find((d) => d.severity === 'error') ?? this.diagnostics[0]!;
  }

  /** Its code, e.g. `E4006`. */
  get code(): string {
    return this.diagnostic.code;
  }

  /** Its name in the code table, e.g. `BadModelDir`. */
  get codeName(): CodeName | undefined {
    return codeNameOf(this.code);
  }
}

const BY_CODE = new Map<string, CodeName>(Object.entries(Codes).map(([name, c]) => [c.code, name as CodeName]));

/** The table name of a code string (`E4006` → `BadModelDir`). */
export function codeNameOf(code: string): CodeName | undefined {
  return BY_CODE.get(code);
}

export interface FailOptions {
  /** The file the problem is in (and its line), when it is not a spec. */
  file?: string;
  line?: number;
  help?: string;
  notes?: string[];
  cause?: unknown;
}

/** Builds the error for one file-level problem: `throw fail('BadModelDir', '…', { file })`. */
export function fail(name: CodeName, message: string, opts: FailOptions = {}): RnncError {
  const d = diag(name, FILE_LEVEL, message, {
    ...(opts.help !== undefined ? { help: opts.help } : {}),
    ...(opts.notes?.length ? { notes: opts.notes } : {}),
  });
  return new RnncError([d], {
    ...(opts.file !== undefined ? { location: { file: opts.file, ...(opts.line !== undefined ? { line: opts.line } : {}) } } : {}),
    ...(opts.cause !== undefined ? { cause: opts.cause } : {}),
  });
}

/** Whether `e` is rnnc's error with the code `name` (for callers that act on one problem). */
export function isFailure(e: unknown, name?: CodeName): e is RnncError {
  return e instanceof RnncError && (name === undefined || e.code === Codes[name].code);
}

/** The message of whatever was thrown, for wrapping an I/O or library error into a diagnostic. */
export function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
