import { isDeepStrictEqual } from 'node:util';
import { join, relative, isAbsolute } from 'node:path';
import { fileDimResolver } from '../../src/check/externals.js';
import { resolveSourcePath } from '../../src/util/paths.js';
import { Codes } from '../../src/diagnostics/codes.js';
import { LineIndex } from '../../src/diagnostics/positions.js';
import { renderText, toJson } from '../../src/diagnostics/render.js';
import { hasErrors, type Diagnostic, type Span } from '../../src/diagnostics/types.js';
import type { PretrainedSource } from '../../src/ir/types.js';
import { validateProgram } from '../../src/ir/validate.js';
import { MAX_DIAGNOSTICS } from '../../src/limits.js';
import { toLspDiagnostic } from '../../src/lsp/diagnostics.js';
import { performance } from 'node:perf_hooks';
import { checkText, type CheckResult } from '../../src/program.js';

/**
 * A property the fuzzer checks did not hold. Any other exception thrown while running a case
 * is a crash of the code under test.
 */
export class PropertyFailure extends Error {
  override name = 'PropertyFailure';
}

export function fail(message: string): never {
  throw new PropertyFailure(message);
}

/** A message, help, label or note longer than this is a bug: it quotes what it should summarize. */
export const MAX_MESSAGE_CHARS = 1024;

const SEVERITY_OF = new Map<string, string>(Object.values(Codes).map((c) => [c.code, c.severity]));

/** At most this much of a value is quoted in a failure message. */
export function short(v: unknown, max = 120): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s;
}

/**
 * The dimension resolver the fuzz targets check with: the real one, for files under specs/
 * only. A mutated path must never make a fuzz run read an arbitrary file (`/dev/stdin` would
 * block it); the fuzzer's texts are checked as if they were in specs/.
 */
export function fuzzResolveDim(root: string): (source: PretrainedSource) => number | string {
  const specs = join(root, 'specs');
  const real = fileDimResolver(specs);
  return (source) => {
    const path = resolveSourcePath(source.path, specs);
    const rel = relative(specs, path);
    if (rel.startsWith('..') || isAbsolute(rel) || /[\0]/.test(path)) return `${source.path}: not found`;
    return real(source);
  };
}

function checkSpan(what: string, s: Span, length: number): void {
  if (!Number.isInteger(s.start) || !Number.isInteger(s.end) || s.start < 0 || s.end < s.start || s.end > length) {
    fail(`${what}: span ${s.start}..${s.end} is not within the text [0, ${length}]`);
  }
}

function checkMessage(what: string, m: unknown): void {
  if (typeof m !== 'string') fail(`${what} is not a string: ${short(m)}`);
  if (m.length > MAX_MESSAGE_CHARS) fail(`${what} is ${m.length} characters long: ${short(m)}`);
}

/** One diagnostic is well-formed for `text`: known code, spans inside the text, short messages, renderable. */
export function checkDiagnostic(text: string, lines: LineIndex, d: Diagnostic): void {
  const what = `${d.code} ${short(d.message, 80)}`;
  const severity = SEVERITY_OF.get(d.code);
  if (!severity) fail(`unknown code ${short(d.code)}`);
  if (severity !== d.severity) fail(`${what}: severity ${d.severity}, the code table says ${severity}`);
  checkMessage(`${d.code} message`, d.message);
  if (d.message.length === 0) fail(`${d.code}: empty message`);
  checkSpan(what, d.span, text.length);
  if (d.label !== undefined) checkMessage(`${what}: label`, d.label);
  if (d.help !== undefined) checkMessage(`${what}: help`, d.help);
  for (const n of d.notes ?? []) checkMessage(`${what}: note`, n);
  for (const l of d.labels ?? []) {
    checkSpan(`${what}: label`, l.span, text.length);
    checkMessage(`${what}: label message`, l.message);
  }
  for (const f of d.fixes ?? []) {
    checkMessage(`${what}: fix title`, f.title);
    for (const e of f.edits) {
      checkSpan(`${what}: fix edit`, e.span, text.length);
      checkMessage(`${what}: fix text`, e.text);
    }
  }
  // Every place a diagnostic is shown: terminal, --format json, the language server.
  const rendered = renderText('fuzz.rnn', lines, d);
  if (rendered.length > 8 * MAX_MESSAGE_CHARS) fail(`${what}: rendered as ${rendered.length} characters`);
  const json = toJson('fuzz.rnn', lines, d);
  for (const p of [json.range.start, json.range.end]) {
    if (!Number.isInteger(p.line) || !Number.isInteger(p.column) || p.line < 1 || p.column < 1) fail(`${what}: position ${short(p)}`);
  }
  const lsp = toLspDiagnostic('file:///fuzz.rnn', lines, d);
  for (const p of [lsp.range.start, lsp.range.end]) {
    if (!Number.isInteger(p.line) || !Number.isInteger(p.character) || p.line < 0 || p.character < 0) fail(`${what}: LSP position ${short(p)}`);
  }
}

/**
 * What must hold for any text the front end checks, valid or not: diagnostics are
 * well-formed, sorted and capped; a program exists exactly when there is no error, and it
 * satisfies the IR schema and has an analysis.
 */
export function checkResultInvariants(text: string, r: CheckResult): void {
  if (r.text !== text) fail('the result holds another text');
  const ds = r.diagnostics;
  if (ds.length > MAX_DIAGNOSTICS + 1) fail(`${ds.length} diagnostics, over the cap of ${MAX_DIAGNOSTICS} + 1`);
  for (const d of ds) checkDiagnostic(text, r.lines, d);
  for (let i = 1; i < ds.length; i++) {
    if (ds[i]!.span.start < ds[i - 1]!.span.start) fail(`diagnostics out of order at ${i}`);
  }
  if (r.program && hasErrors(ds)) fail('a program was returned despite errors');
  if (!r.program && ds.length > 0 && !hasErrors(ds)) fail(`no program, and only warnings: ${ds.map((d) => d.code).join(', ')}`);
  if (!r.program && ds.length === 0) fail('no program and no diagnostic');
  if (r.kind === 'rnn') checkResolution(text, r);
  if (r.program) {
    const schema = validateProgram(r.program, new Map());
    if (schema.length) fail(`the checked program breaks the IR schema: ${short(schema.map((d) => d.message))}`);
    if (!r.analysis) fail('a program without an analysis');
    const a = r.analysis;
    if (![a.totalParams, a.trainableParams, a.nonTrainableParams].every((n) => Number.isSafeInteger(n) && n >= 0)) {
      fail(`parameter counts ${short([a.totalParams, a.trainableParams, a.nonTrainableParams])}`);
    }
  }
}

/**
 * The lowering's published resolution is about this text: every range holds the word it names,
 * entries are in source order, parameters are the called built-in's, and every use the
 * evaluation recorded is a name resolved to that binding (it evaluated what was resolved).
 */
function checkResolution(text: string, r: CheckResult): void {
  const res = r.resolution;
  if (!res) return fail('a .rnn result without a resolution');
  const word = (what: string, s: Span, expected: string): void => {
    checkSpan(what, s, text.length);
    if (text.slice(s.start, s.end) !== expected) fail(`${what} ${s.start}..${s.end} does not hold ${short(expected)}`);
  };
  const ordered = (what: string, spans: Span[]): void => {
    for (let i = 1; i < spans.length; i++) if (spans[i]!.start <= spans[i - 1]!.start) fail(`resolved ${what} out of source order at ${i}`);
  };
  for (const c of res.calls) {
    word('resolved callee', c.callee, c.name);
    checkSpan('resolved call', c.span, text.length);
    if (c.spec && c.spec.name !== c.name) fail(`call ${short(c.name)} resolved to built-in ${c.spec.name}`);
    for (const a of c.args) {
      checkSpan('resolved argument', a.span, text.length);
      if (a.param && !c.spec?.params.includes(a.param)) fail(`an argument of ${short(c.name)} resolved to ${a.param.name}, not one of its parameters`);
    }
  }
  const used = new Set<string>();
  for (const n of res.names) {
    word('resolved name', n.span, n.name);
    if (n.binding) {
      word('binding definition', n.binding.definition, n.binding.name);
      if (n.binding.name !== n.name) fail(`name ${short(n.name)} resolved to binding ${short(n.binding.name)}`);
      used.add(`${n.name}@${n.span.start}`);
    }
  }
  for (const s of res.settings) word('resolved train key', s.key, s.name);
  ordered('calls', res.calls.map((c) => c.span));
  ordered('names', res.names.map((n) => n.span));
  ordered('train keys', res.settings.map((s) => s.key));
  for (const b of r.bindings) {
    for (const u of b.uses) if (!used.has(`${b.name}@${u.start}`)) fail(`the lowering used ${short(b.name)} at ${u.start}, where the resolution has no use of it`);
  }
}

/** Runs `f`, and how long it took in milliseconds. */
export function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

/**
 * checkText for a `.rnn` text (as if it were in specs/), with every invariant checked; returns
 * how long checkText itself took (the checks of its result are the fuzzer's, not rnnc's, work).
 */
export function checkRnn(root: string, text: string): number {
  const [r, ms] = timed(() => checkText(text, { fileName: join(root, 'specs', 'fuzz.rnn'), resolveDim: fuzzResolveDim(root) }));
  checkResultInvariants(text, r);
  if (r.program) {
    // The back end reads what the front end writes: its `spec.json` means the same program.
    const json = JSON.stringify(r.program, null, 2);
    const back = checkText(json, { fileName: 'spec.rnn.json' });
    checkResultInvariants(json, back);
    // Warnings about the structure (no classifier head) are the IR's too; errors never are.
    if (hasErrors(back.diagnostics)) fail(`the program's own IR has errors: ${short(back.diagnostics.map((d) => `${d.code} ${d.message}`))}`);
    // As JSON: the IR reader's objects have no prototype, the lowering's do.
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(back.program)), JSON.parse(json))) fail('the program read back from its IR differs');
  }
  return ms;
}

/** checkText for an IR text (`.rnn.json`), with every invariant checked; returns checkText's time. */
export function checkJson(text: string): number {
  const [r, ms] = timed(() => checkText(text, { fileName: 'fuzz.rnn.json' }));
  checkResultInvariants(text, r);
  if (r.kind !== 'json') fail('a .rnn.json file was not read as IR');
  return ms;
}

/** A position for `lines` in LSP form is inside the text. */
export function checkLspPosition(what: string, lines: LineIndex, p: { line: number; character: number }): void {
  if (!Number.isInteger(p.line) || !Number.isInteger(p.character) || p.line < 0 || p.character < 0) fail(`${what}: position ${short(p)}`);
  if (p.line >= lines.lineStarts.length) fail(`${what}: line ${p.line} past the last line ${lines.lineStarts.length - 1}`);
  const len = lines.lineEnd(p.line) - lines.lineStarts[p.line]!;
  if (p.character > len) fail(`${what}: character ${p.character} past the end of line ${p.line} (${len})`);
}

export function checkLspRange(what: string, lines: LineIndex, r: { start: { line: number; character: number }; end: { line: number; character: number } }): void {
  checkLspPosition(`${what} start`, lines, r.start);
  checkLspPosition(`${what} end`, lines, r.end);
  const a = lines.offsetAt(r.start.line, r.start.character);
  const b = lines.offsetAt(r.end.line, r.end.character);
  if (b < a) fail(`${what}: range ends before it starts ${short(r)}`);
}
