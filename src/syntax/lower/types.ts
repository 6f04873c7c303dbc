import type { Diagnostic, Span } from '../../diagnostics/types.js';
import type { PretrainedSource, Program } from '../../ir/types.js';
import type { Resolution } from './resolve.js';

/** Options that come from outside the file (CLI flags, the editor's settings). */
export interface LowerOptions {
  /** `--vocab N`: the vocabulary size when `embed` has no `vocab:`. */
  vocab?: number;
  /** `--pretrained FILE`: the source a bare `pretrained` flag means when no `let pretrained` exists. */
  pretrained?: PretrainedSource;
  /**
   * Reads the dimension of a pretrained source when `embed` gives none. Injected so lowering
   * itself does no I/O; a string is an error message.
   */
  resolveDim?: (source: PretrainedSource) => number | string;
}

/** Where each IR value came from: JSON pointer → source span, plus the stages of the model pipeline. */
export interface SourceMap {
  pointers: Map<string, Span>;
  /** For each stage of the model pipeline, the indices of the IR layers it made. */
  stages: { span: Span; layers: number[] }[];
  /** The span of the model pipeline statement. */
  pipeline: Span | undefined;
}

/** A `let` name, where it is bound and every place it is used. */
export interface Binding {
  name: string;
  decl: Span;
  statement: Span;
  uses: Span[];
}

export interface LowerResult {
  program: Program;
  map: SourceMap;
  bindings: Binding[];
  /** What every call, argument, name and `train` key was resolved to (the language server reads this). */
  resolution: Resolution;
  diagnostics: Diagnostic[];
}
