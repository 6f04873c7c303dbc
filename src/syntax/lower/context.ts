import type { Span } from '../../diagnostics/types.js';
import type { LetStatement, Pipeline } from '../ast.js';
import type { ArgReader } from './read.js';
import type { Reporter } from './report.js';
import type { Resolved } from './resolve.js';
import type { LowerOptions } from './types.js';
import type { Value } from './values.js';

/** What building a layer or the train settings needs from the lowering that evaluates the file. */
export interface LowerContext {
  readonly options: LowerOptions;
  readonly out: Reporter;
  readonly read: ArgReader;
  /** What each call, argument and name of the file was resolved to. */
  readonly resolved: Resolved;
  /** The `let` of each name (the first, when a name is bound twice). */
  readonly lets: ReadonlyMap<string, LetStatement>;
  /** `train { vocab }`, the vocabulary size after `--vocab`. */
  readonly vocabFromTrain: number | undefined;
  /** The value of a use of binding `name` at `span` (recorded as a use). */
  bindingValue(name: string, span: Span): Value;
  /** The value of an argument (a bare name may be a binding or a symbol). */
  argValue(p: Pipeline): Value;
}
