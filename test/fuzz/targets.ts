import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import fc from 'fast-check';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CompletionItem, CompletionList, DocumentSymbol, Location, Range, SemanticTokens, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { LineIndex } from '../../src/diagnostics/positions.js';
import { hasErrors } from '../../src/diagnostics/types.js';
import { formatSource } from '../../src/fmt/format.js';
import { MAX_DIAGNOSTICS } from '../../src/limits.js';
import { checkText } from '../../src/program.js';
import { lower } from '../../src/syntax/lower.js';
import { parseSource } from '../../src/syntax/parse.js';
import { irSeeds, rnnSeeds, type SeedFile } from './corpus.js';
import {
  bigJson,
  irLikeProgram,
  irLikeValue,
  jsonMutation,
  jsonText,
  mutate,
  mutatedOf,
  mutateJson,
  mutation,
  randomText,
  rnnProgram,
  type JsonMutation,
  type Mutation,
} from './generators.js';
import { checkJson, checkLspPosition, checkLspRange, checkRnn, fail, fuzzResolveDim, short, timed } from './invariants.js';
import { InProcessServer } from './lsp-harness.js';

/**
 * One thing the fuzzer exercises: how to make inputs, and what must hold for each. `run`
 * throws a PropertyFailure when a property does not hold; any other exception is a crash of
 * the code under test. Inputs are plain data (JSON-serializable) so reproducers can be saved.
 */
export interface Target {
  name: string;
  /** One line for `--list` and the report. */
  description: string;
  /** Share of the total case count. */
  weight: number;
  arbitrary: fc.Arbitrary<unknown>;
  /**
   * Runs one case. It returns how long the operation under test took (checkText, formatSource),
   * when checking its result is extra work of the fuzzer's; else the whole run is timed.
   */
  run(input: unknown): number | void | Promise<number | void>;
  /** The text the case feeds in (for a short reproducer and a file), when it has one. */
  text(input: unknown): string | undefined;
  /** Releases what `run` started (the language server). */
  dispose?(): void;
}

function target<T>(t: {
  name: string;
  description: string;
  weight: number;
  arbitrary: fc.Arbitrary<T>;
  run(input: T): number | void | Promise<number | void>;
  text(input: T): string | undefined;
  dispose?(): void;
}): Target {
  // The casts are the erasure of T: a target only ever receives inputs of its own arbitrary.
  return { ...t, arbitrary: t.arbitrary, run: (x) => t.run(x as T), text: (x) => t.text(x as T) };
}

// --- fmt --------------------------------------------------------------------------------------

function commentsOf(text: string): string[] {
  return parseSource(text)
    .tokens.filter((t) => t.tokenType.name === 'Comment')
    .map((t) => t.image.trimEnd())
    .sort();
}

/**
 * The formatter's contract on any text:
 * - text with syntax errors is refused with exactly the parser's diagnostics;
 * - otherwise the result is laid out by the layout itself (its safety net never fires), and is
 *   a fixed point: formatting it again changes nothing;
 * - every comment is kept (the same comment texts, as a multiset);
 * - the meaning is kept: the lowered IR is the same (when the text has errors too: the layers
 *   that did lower), and so are the checked program and the diagnostics' codes and messages (as
 *   multisets: statements move, so their order may change; past the cap of 100, which ones are
 *   shown depends on the order, so only their number is compared).
 * - no line ends in blanks; a non-empty result ends with the source's line break.
 */
export function checkFormat(root: string, x: string): number {
  const [r, once] = timed(() => formatSource(x));
  if ('diagnostics' in r) {
    const parsed = parseSource(x);
    if (!hasErrors(r.diagnostics)) fail('formatting refused a text without syntax errors');
    if (!isDeepStrictEqual(r.diagnostics, parsed.diagnostics)) fail('formatting refused with other diagnostics than the parser’s');
    return once;
  }
  const y = r.text;
  if (r.layout === 'unchanged') fail('the layout failed its own safety check (the text came back unchanged)');
  const again = formatSource(y);
  if ('diagnostics' in again) fail(`the formatted text has syntax errors: ${short(again.diagnostics.map((d) => d.message))}\n--- formatted:\n${y}`);
  if (again.text !== y) {
    const a = y.split('\n');
    const b = again.text.split('\n');
    const i = a.findIndex((l, k) => l !== b[k]);
    fail(`not idempotent: line ${i + 1} ${short(a[i])} becomes ${short(b[i])}\n--- once:\n${y}\n--- twice:\n${again.text}`);
  }
  if (!isDeepStrictEqual(commentsOf(y), commentsOf(x))) fail(`comments changed: ${short(commentsOf(x))} → ${short(commentsOf(y))}`);
  const resolveDim = fuzzResolveDim(root);
  const lowered = (t: string) => lower(parseSource(t).ast, { resolveDim }).program;
  if (!isDeepStrictEqual(lowered(y), lowered(x))) fail('the lowered IR changed');
  const meaning = (t: string) => {
    const c = checkText(t, { fileName: join(root, 'specs', 'fuzz.rnn'), resolveDim });
    const capped = c.diagnostics.length > MAX_DIAGNOSTICS;
    // Past the cap the first 100 in source order are shown, and statements move: only the total can be compared.
    const total = capped ? MAX_DIAGNOSTICS + Number(/(\d+) more not shown/.exec(c.diagnostics[MAX_DIAGNOSTICS]!.message)?.[1] ?? 0) : c.diagnostics.length;
    return { program: c.program, diagnostics: capped ? [`${total} diagnostics`] : c.diagnostics.map((d) => `${d.code} ${d.message}`).sort() };
  };
  const before = meaning(x);
  const after = meaning(y);
  if (!isDeepStrictEqual(after.program, before.program)) fail('the checked program changed');
  if (!isDeepStrictEqual(after.diagnostics, before.diagnostics)) fail(`diagnostics changed: ${short(before.diagnostics)} → ${short(after.diagnostics)}`);
  const eol = /\r\n/.test(y) ? '\r\n' : '\n';
  if (y.length > 0 && !y.endsWith(eol)) fail('the result does not end with a line break');
  const blankEnd = y.split(eol).findIndex((l) => l !== l.trimEnd());
  if (blankEnd >= 0) fail(`line ${blankEnd + 1} ends in blanks`);
  // Formatting the text is the operation under test; formatting it again is the fuzzer's check.
  return once;
}

// --- the language server ----------------------------------------------------------------------

/** One step of an editing session: an edit, a whole-text replacement, or a request. */
export type LspStep =
  | { edit: { at: number; len: number; text: string } }
  | { replace: string }
  | { request: number; at: number; far: boolean; name: string };

export interface LspScript {
  json: boolean;
  initial: string;
  steps: LspStep[];
}

const EDIT_PIECES = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('embed(32, vocab: 100)', ' |> ', 'lstm(', 'lsmt(4)', 'bi(gru(8), merge: ', ')', '(', ',', ':', ' dropout: 0.2', 'dense(1)', 'x3', 'let ', 'let a = ', 'train {', '}', '"', '# c', '\n', '\r\n', 'a', 'é', '😀', 'pretrained', '{', '[', ']', '"kind": "lstm"', '"units": ', '-1', '1e999') },
  { weight: 2, arbitrary: mutation.map((m) => ('text' in m ? m.text : '')) },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
);

const REQUESTS = [
  'hover', 'completion', 'definition', 'references', 'documentHighlight', 'prepareRename', 'rename', 'documentSymbol', 'codeAction', 'formatting', 'semanticTokens', 'inlayHint',
] as const;

const NAMES = ['fresh', 'b2', 'enc', 'a', 'lstm', 'let', 'x2', '1bad', '', 'pretrained', 'é'];

function lspScript(rnn: SeedFile[], ir: SeedFile[]): fc.Arbitrary<LspScript> {
  const step: fc.Arbitrary<LspStep> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ edit: fc.record({ at: fc.nat(), len: fc.oneof(fc.constant(0), fc.nat(20)), text: EDIT_PIECES }) }) },
    { weight: 1, arbitrary: fc.oneof(rnnProgram, fc.constant('')).map((replace) => ({ replace })) },
    { weight: 5, arbitrary: fc.record({ request: fc.nat(REQUESTS.length - 1), at: fc.nat(), far: fc.boolean(), name: fc.constantFrom(...NAMES) }) },
  );
  return fc.oneof(
    { weight: 3, arbitrary: fc.record({ json: fc.constant(false), initial: fc.oneof(rnnProgram, fc.constantFrom(...rnn.map((s) => s.text))), steps: fc.array(step, { maxLength: 25 }) }) },
    { weight: 1, arbitrary: fc.record({ json: fc.constant(true), initial: fc.constantFrom(...ir.map((s) => s.text), '', '{'), steps: fc.array(step, { maxLength: 15 }) }) },
  );
}

const RENAME_REFUSED = -32602; // InvalidParams: an invalid, reserved or taken name

function checkEdits(what: string, lines: LineIndex, edits: readonly TextEdit[] | undefined): void {
  for (const e of edits ?? []) {
    checkLspRange(what, lines, e.range);
    if (typeof e.newText !== 'string') fail(`${what}: newText ${short(e.newText)}`);
  }
}

function checkWorkspaceEdit(what: string, uri: string, lines: LineIndex, w: WorkspaceEdit | null): void {
  if (!w) return;
  for (const [u, edits] of Object.entries(w.changes ?? {})) {
    if (u !== uri) fail(`${what}: edits for another document ${u}`);
    checkEdits(what, lines, edits);
  }
}

function checkSymbols(lines: LineIndex, symbols: DocumentSymbol[]): void {
  for (const s of symbols) {
    checkLspRange(`symbol ${s.name}`, lines, s.range);
    checkLspRange(`symbol ${s.name} selection`, lines, s.selectionRange);
    const off = (p: Range['start']) => lines.offsetAt(p.line, p.character);
    // Editors reject a symbol whose selection is outside its range.
    if (off(s.selectionRange.start) < off(s.range.start) || off(s.selectionRange.end) > off(s.range.end)) fail(`symbol ${short(s.name)}: selection outside its range`);
    checkSymbols(lines, s.children ?? []);
  }
}

function checkSemanticTokens(lines: LineIndex, t: SemanticTokens): void {
  if (t.data.length % 5 !== 0) fail(`semantic tokens: ${t.data.length} numbers`);
  let line = 0;
  let char = 0;
  for (let i = 0; i < t.data.length; i += 5) {
    const [dl, dc, len] = [t.data[i]!, t.data[i + 1]!, t.data[i + 2]!];
    if (![dl, dc, len].every((n) => Number.isInteger(n) && n >= 0)) fail(`semantic token ${i / 5}: ${short(t.data.slice(i, i + 5))}`);
    line += dl;
    char = dl ? dc : char + dc;
    checkLspPosition(`semantic token ${i / 5}`, lines, { line, character: char });
    checkLspPosition(`semantic token ${i / 5} end`, lines, { line, character: char + len });
  }
}

/** Runs one editing session against the server and checks every answer. */
async function runSession(server: InProcessServer, id: number, script: LspScript): Promise<void> {
  const uri = `file:///rnnc-fuzz/session-${id}.${script.json ? 'rnn.json' : 'rnn'}`;
  let doc = TextDocument.create(uri, 'rnn', 1, script.initial);
  const texts = new Map<number, string>([[1, script.initial]]);
  server.track(uri);
  const errorsBefore = server.errors.length;
  await server.client.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'rnn', version: 1, text: script.initial } });
  const answers: Promise<void>[] = [];
  let version = 1;
  for (const step of script.steps) {
    if ('request' in step) {
      const text = doc.getText();
      const lines = new LineIndex(text);
      const offset = step.at % (text.length + 1);
      const position = step.far ? { line: (step.at % 3) * 1_000_000, character: step.at % 2 ? 1_000_000 : 0 } : doc.positionAt(offset);
      const method = REQUESTS[step.request]!;
      answers.push(request(server, uri, method, position, step.name, text, lines));
      continue;
    }
    const change = 'edit' in step ? editChange(doc, step.edit) : { text: step.replace };
    version++;
    doc = TextDocument.update(doc, [change], version);
    texts.set(version, doc.getText());
    await server.client.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [change] });
  }
  await Promise.all(answers);
  await server.diagnostics(uri, version, 20_000);
  await server.client.sendNotification('textDocument/didClose', { textDocument: { uri } });
  const published = server.untrack(uri);
  for (const p of published) {
    const text = texts.get(p.version ?? -1);
    if (text === undefined) fail(`diagnostics for an unknown version ${p.version}`);
    const lines = new LineIndex(text);
    for (const d of p.diagnostics) {
      checkLspRange(`published ${d.code}`, lines, d.range);
      if (d.message.length > 1024) fail(`published ${d.code}: message of ${d.message.length} characters`);
    }
  }
  // The last text's diagnostics are exactly the checker's.
  const last = published.find((p) => p.version === version)!;
  const expected = checkText(doc.getText(), { fileName: uri.slice('file://'.length) }).diagnostics.map((d) => d.code);
  if (!isDeepStrictEqual(last.diagnostics.map((d) => d.code), expected)) fail(`published ${short(last.diagnostics.map((d) => d.code))}, the checker says ${short(expected)}`);
  const errors = server.errors.slice(errorsBefore);
  if (errors.length) fail(`the server logged an error: ${errors[0]!.slice(0, 2000)}`);
}

function editChange(doc: TextDocument, e: { at: number; len: number; text: string }) {
  const length = doc.getText().length;
  const at = e.at % (length + 1);
  const end = Math.min(length, at + e.len);
  return { range: { start: doc.positionAt(at), end: doc.positionAt(end) }, text: e.text };
}

async function request(server: InProcessServer, uri: string, method: (typeof REQUESTS)[number], position: { line: number; character: number }, newName: string, text: string, lines: LineIndex): Promise<void> {
  const textDocument = { uri };
  const c = server.client;
  switch (method) {
    case 'hover': {
      const h = await c.sendRequest<{ range?: Range } | null>('textDocument/hover', { textDocument, position });
      if (h?.range) checkLspRange('hover', lines, h.range);
      return;
    }
    case 'completion': {
      const r = await c.sendRequest<CompletionItem[] | CompletionList | null>('textDocument/completion', { textDocument, position });
      const items = Array.isArray(r) ? r : (r?.items ?? []);
      for (const item of items) {
        if (typeof item.label !== 'string' || item.label.length === 0) fail(`completion item without a label: ${short(item)}`);
        if (item.textEdit && 'range' in item.textEdit) checkLspRange(`completion ${item.label}`, lines, item.textEdit.range);
      }
      return;
    }
    case 'definition':
    case 'references':
    case 'documentHighlight': {
      const params = method === 'references' ? { textDocument, position, context: { includeDeclaration: true } } : { textDocument, position };
      const r = await c.sendRequest<(Location | { range: Range })[] | null>(`textDocument/${method}`, params);
      for (const l of r ?? []) checkLspRange(method, lines, l.range);
      return;
    }
    case 'prepareRename': {
      const r = await c.sendRequest<{ range: Range } | null>('textDocument/prepareRename', { textDocument, position });
      if (r) checkLspRange('prepareRename', lines, r.range);
      return;
    }
    case 'rename': {
      try {
        const r = await c.sendRequest<WorkspaceEdit | null>('textDocument/rename', { textDocument, position, newName });
        checkWorkspaceEdit('rename', uri, lines, r);
      } catch (e) {
        // A refusal (invalid, reserved or taken name) is an answer; anything else is a failure.
        if ((e as { code?: number }).code !== RENAME_REFUSED) throw e;
      }
      return;
    }
    case 'documentSymbol': {
      const r = await c.sendRequest<DocumentSymbol[] | null>('textDocument/documentSymbol', { textDocument });
      checkSymbols(lines, r ?? []);
      return;
    }
    case 'codeAction': {
      const end = lines.lspPosition(text.length);
      const range = { start: { line: 0, character: 0 }, end: position.line > end.line ? end : position };
      const r = await c.sendRequest<{ edit?: WorkspaceEdit }[] | null>('textDocument/codeAction', { textDocument, range, context: { diagnostics: [] } });
      for (const a of r ?? []) checkWorkspaceEdit('codeAction', uri, lines, a.edit ?? null);
      return;
    }
    case 'formatting': {
      const r = await c.sendRequest<TextEdit[] | null>('textDocument/formatting', { textDocument, options: { tabSize: 2, insertSpaces: true } });
      checkEdits('formatting', lines, r ?? []);
      if (r && r.length) {
        const f = formatSource(text);
        if ('diagnostics' in f || r[0]!.newText !== f.text) fail('formatting edits are not the formatter’s text');
      }
      return;
    }
    case 'semanticTokens': {
      const r = await c.sendRequest<SemanticTokens>('textDocument/semanticTokens/full', { textDocument });
      checkSemanticTokens(lines, r);
      return;
    }
    case 'inlayHint': {
      const r = await c.sendRequest<{ position: { line: number; character: number } }[] | null>('textDocument/inlayHint', {
        textDocument,
        range: { start: { line: 0, character: 0 }, end: position },
      });
      for (const h of r ?? []) checkLspPosition('inlay hint', lines, h.position);
      return;
    }
  }
}

// --- all targets ------------------------------------------------------------------------------

/** The fuzz targets, reading their seed files under `root` (the repository). */
export function createTargets(root: string): Target[] {
  const rnn = rnnSeeds(root);
  const ir = irSeeds(root);
  const irValues = ir.map((s) => JSON.parse(s.text) as unknown);
  const rnnText = (m: { seed: number; mutations: Mutation[] }) => mutate(rnn[m.seed]!.text, m.mutations);
  let server: InProcessServer | undefined;
  let sessions = 0;

  return [
    target({
      name: 'check-random',
      description: 'random strings through checkText (parse, lower, schema, checks)',
      weight: 20,
      arbitrary: randomText,
      run: (text) => checkRnn(root, text),
      text: (text) => text,
    }),
    target({
      name: 'check-grammar',
      description: 'grammar-aware random programs through checkText',
      weight: 20,
      arbitrary: rnnProgram,
      run: (text) => checkRnn(root, text),
      text: (text) => text,
    }),
    target({
      name: 'check-mutate',
      description: `mutations of ${rnn.length} specs, fixtures and examples through checkText`,
      weight: 15,
      arbitrary: mutatedOf(rnn.length),
      run: (m) => checkRnn(root, rnnText(m)),
      text: rnnText,
    }),
    target({
      name: 'fmt',
      description: 'fmt is idempotent, keeps every comment and the meaning',
      weight: 15,
      arbitrary: fc.oneof(
        { weight: 4, arbitrary: rnnProgram },
        { weight: 2, arbitrary: mutatedOf(rnn.length, 3).map(rnnText) },
        { weight: 1, arbitrary: randomText },
      ),
      run: (text) => checkFormat(root, text),
      text: (text) => text,
    }),
    target({
      name: 'json-random',
      description: 'random, IR-like, deep and wide JSON through the IR reader',
      weight: 10,
      arbitrary: fc.oneof(
        { weight: 2, arbitrary: jsonText(fc.jsonValue({ maxDepth: 6 })) },
        { weight: 4, arbitrary: jsonText(irLikeProgram) },
        { weight: 1, arbitrary: jsonText(irLikeValue) },
        { weight: 1, arbitrary: bigJson },
        { weight: 1, arbitrary: randomText },
      ),
      run: (text) => checkJson(text),
      text: (text) => text,
    }),
    target({
      name: 'json-mutate',
      description: `structural and text mutations of the IR of ${ir.length} specs through the IR reader`,
      weight: 12,
      arbitrary: fc.record({
        seed: fc.nat(ir.length - 1),
        json: fc.array(jsonMutation, { maxLength: 5 }),
        indent: fc.constantFrom(0, 2),
        text: fc.array(mutation, { maxLength: 3 }),
      }),
      run: (m) => checkJson(jsonMutated(irValues, m)),
      text: (m) => jsonMutated(irValues, m),
    }),
    target({
      name: 'lsp',
      description: 'random editing sessions with requests at random places, through the language server in-process',
      weight: 8,
      arbitrary: lspScript(rnn, ir),
      run: async (script) => {
        server ??= await InProcessServer.start();
        await runSession(server, sessions++, script);
      },
      text: (script) => script.initial,
      dispose: () => {
        server?.dispose();
        server = undefined;
      },
    }),
  ];
}

function jsonMutated(values: unknown[], m: { seed: number; json: JsonMutation[]; indent: number; text: Mutation[] }): string {
  const v = mutateJson(values[m.seed], m.json);
  return mutate(JSON.stringify(v, null, m.indent) ?? '', m.text);
}
