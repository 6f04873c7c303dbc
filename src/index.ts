/**
 * rnnc's library API: `parse` (syntax only), `check` (the whole front end, no TensorFlow) and
 * `compile` (a tfjs-layers model, TensorFlow.js loaded on first use).
 */
import type { Analysis } from './check/shapes.js';
import { compileProgram, type CompileOptions, type Compiled } from './compile/compile.js';
import { RnncError } from './diagnostics/error.js';
import { hasErrors, type Diagnostic } from './diagnostics/types.js';
import { checkText, type CheckOptions, type CheckResult } from './program.js';
import { parseSource, type ParseResult } from './syntax/parse.js';

export type { Analysis, LayerInfo } from './check/shapes.js';
export type { Compiled, CompileOptions } from './compile/compile.js';
export type { Diagnostic, Severity, Span, Fix, Label } from './diagnostics/types.js';
export { LineIndex } from './diagnostics/positions.js';
export { renderText, renderShort, toJson, type JsonDiagnostic } from './diagnostics/render.js';
export { Codes } from './diagnostics/codes.js';
export { RnncError, type FileLocation } from './diagnostics/error.js';
export type * from './ir/types.js';
export type { CheckOptions, CheckResult } from './program.js';
export type { ParseResult } from './syntax/parse.js';
export type { SourceFile } from './syntax/ast.js';
export type { BindingRef, Resolution, ResolvedArg, ResolvedCall, ResolvedName, ResolvedSetting } from './syntax/lower.js';

/** Lexes and parses `.rnn` source; syntax diagnostics only. */
export function parse(text: string): ParseResult {
  return parseSource(text);
}

/** Parses (or reads IR JSON when `fileName` ends in `.json`), lowers, validates and checks. */
export function check(text: string, options: CheckOptions = {}): CheckResult {
  return checkText(text, options);
}


/**
 * Checks and compiles a spec to a tfjs-layers model (saved when `outDir` is given).
 * Throws an RnncError carrying the diagnostics (and the text they index) when the spec has
 * errors, and for a backend that cannot start or an output that cannot be written.
 */
export async function compile(
  text: string,
  options: CheckOptions & CompileOptions = {},
): Promise<Compiled & { analysis: Analysis; diagnostics: Diagnostic[] }> {
  const checked = checkText(text, options);
  if (hasErrors(checked.diagnostics) || !checked.program || !checked.analysis) throw new RnncError(checked.diagnostics, { source: { file: options.fileName ?? '<spec>', text } });
  const compiled = await compileProgram(checked.program, options);
  return { ...compiled, analysis: checked.analysis, diagnostics: checked.diagnostics };
}
