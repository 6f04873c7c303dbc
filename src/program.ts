import { dirname } from 'node:path';
import { fileDimResolver } from './check/externals.js';
import { Codes } from './diagnostics/codes.js';
import { checkStructure, DEFAULT_MAX_PARAMS } from './check/rules.js';
import type { Analysis } from './check/shapes.js';
import { LineIndex } from './diagnostics/positions.js';
import { hasErrors, type Diagnostic } from './diagnostics/types.js';
import { readJsonIr } from './ir/json.js';
import { normalizeProgram } from './ir/normalize.js';
import type { PretrainedSource, Program } from './ir/types.js';
import { validateProgram } from './ir/validate.js';
import type { SourceFile } from './syntax/ast.js';
import { lower, type Binding, type Resolution, type SourceMap } from './syntax/lower.js';
import { capDiagnostics, parseSource } from './syntax/parse.js';
import { appendAll } from './util/arrays.js';

export interface CheckOptions {
  /** The file's name, used to pick the front end (`.json` → IR) and to resolve relative paths. */
  fileName?: string;
  /** Folder that relative paths in the spec are resolved against (default: the file's folder). */
  baseDir?: string;
  /** `--vocab N`. */
  vocab?: number;
  /** `--pretrained FILE`. */
  pretrained?: PretrainedSource;
  /** `--max-params N`. */
  maxParams?: number;
  /** Override how a pretrained source's dimension is found (default: read the file's first line). */
  resolveDim?: (source: PretrainedSource) => number | string;
}

/** Everything the front end learned about one source text; shared by CLI, LSP and library users. */
export interface CheckResult {
  kind: 'rnn' | 'json';
  text: string;
  lines: LineIndex;
  /** The syntax tree (`.rnn` only). */
  ast?: SourceFile;
  /** JSON pointer → source span for every IR value. */
  pointers: ReadonlyMap<string, { start: number; end: number }>;
  /** Model pipeline stages and `let` bindings (`.rnn` only). */
  map?: SourceMap;
  bindings: Binding[];
  /**
   * What the lowering resolved each call, argument, name and `train` key to (`.rnn` only; also
   * for files with errors). Editors read this rather than resolving the text again.
   */
  resolution?: Resolution;
  /** The normalized IR, present when there are no errors. */
  program?: Program;
  /** Shapes and parameter counts, present when the structure allows them. */
  analysis?: Analysis;
  diagnostics: Diagnostic[];
}

export function isJsonFileName(name: string | undefined): boolean {
  return !!name && /\.json$/i.test(name);
}

/**
 * The front end in one call: parse (or read JSON IR), lower, validate against the schema,
 * normalize, check structure and budget. Never throws for bad input and never loads TensorFlow.
 */
export function checkText(text: string, options: CheckOptions = {}): CheckResult {
  const lines = new LineIndex(text);
  const baseDir = options.baseDir ?? (options.fileName ? dirname(options.fileName) : process.cwd());
  const whole = { start: 0, end: 0 };
  const diagnostics: Diagnostic[] = [];
  let raw: unknown;
  let pointers: Map<string, { start: number; end: number }>;
  let ast: SourceFile | undefined;
  let map: SourceMap | undefined;
  let bindings: Binding[] = [];
  let resolution: Resolution | undefined;
  let frontEndErrors = false;
  let stopped = false;

  if (isJsonFileName(options.fileName)) {
    const r = readJsonIr(text);
    appendAll(diagnostics, r.diagnostics);
    pointers = r.pointers;
    raw = r.value;
    frontEndErrors = hasErrors(r.diagnostics);
  } else {
    const parsed = parseSource(text);
    ast = parsed.ast;
    stopped = parsed.stopped ?? false;
    appendAll(diagnostics, parsed.diagnostics);
    const lowered = lower(parsed.ast, {
      vocab: options.vocab,
      pretrained: options.pretrained,
      resolveDim: options.resolveDim ?? fileDimResolver(baseDir),
    });
    // After an unclosed `(` the parser's recovery guesses where the arguments end; what the
    // lowering then finds past that point is a consequence of the guess, not a new problem.
    const unclosed = parsed.diagnostics.find((d) => d.code === Codes.UnclosedParen.code);
    if (!parsed.aborted) {
      appendAll(diagnostics, lowered.diagnostics.filter((d) => !unclosed || d.span.start < unclosed.span.start));
    }
    pointers = lowered.map.pointers;
    map = lowered.map;
    bindings = lowered.bindings;
    resolution = lowered.resolution;
    raw = parsed.aborted ? undefined : lowered.program;
    frontEndErrors = hasErrors(diagnostics);
    if (frontEndErrors && lowered.program.layers.length === 0) raw = undefined;
  }

  let program: Program | undefined;
  let analysis: Analysis | undefined;
  if (raw !== undefined) {
    const schemaErrors = validateProgram(raw, pointers, whole);
    appendAll(diagnostics, schemaErrors);
    // Structure is judged only on a complete program: with layers missing after earlier errors
    // it would report consequences, not causes.
    if (schemaErrors.length === 0 && !frontEndErrors) {
      const normalized = normalizeProgram(raw as Program);
      const s = checkStructure(normalized, pointers, {
        maxParams: options.maxParams ?? DEFAULT_MAX_PARAMS,
        maxlen: normalized.train?.maxlen ?? null,
      });
      appendAll(diagnostics, s.diagnostics);
      analysis = s.analysis;
      if (!hasErrors(diagnostics)) program = normalized;
    }
  }
  diagnostics.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  return { kind: ast ? 'rnn' : 'json', text, lines, ast, pointers, map, bindings, resolution, program, analysis, diagnostics: capDiagnostics(diagnostics, stopped) };
}
