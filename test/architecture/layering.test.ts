/**
 * The one-way layering of `src/`, enforced. Every import (static, `export … from` and dynamic
 * `import()`) is read with TypeScript's own parser, and each rule below names the edges it
 * forbids. A failure lists the offending file and import so the fix is obvious.
 *
 * The layers, bottom to top:
 *   util, diagnostics, limits                  pure helpers and the diagnostic registry
 *   ir/types, ir/settings, language            the language's facts (built-ins, suggestions, quoting)
 *   syntax → ir → check, fmt, program, draw    the front end (draw: the model as a picture)
 *   lsp                                        the language server (front end only)
 *   text, data, vectors, artifacts             tokenizer, readers, vector files, model folders
 *   export → ort                               ONNX export of a model folder, ONNX Runtime (no TensorFlow.js)
 *   kernels → compile → train                  everything that loads TensorFlow.js
 *   report                                     `rnnc report`'s pages, from model folders' JSON
 *                                              (no TensorFlow; Vega only by dynamic import)
 *   serve                                      `rnnc serve`'s HTTP side: handed a model, runs none
 *   cli (main.ts → commands/*)                 the only place that talks to a terminal
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

interface Edge {
  from: string; // path relative to src, e.g. `lsp/hover.ts`
  to: string; // relative path for our modules, `npm:<name>` for packages
  dynamic: boolean;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return `npm:${spec}`;
  return relative(SRC, resolve(dirname(file), spec)).replace(/\.js$/, '.ts');
}

function edgesOf(file: string): Edge[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const from = relative(SRC, file);
  const edges: Edge[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = ts.isImportDeclaration(node) ? node.importClause?.isTypeOnly === true : node.isTypeOnly;
      edges.push({ from, to: target(file, node.moduleSpecifier.text), dynamic: false, typeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteralLike(arg)) edges.push({ from, to: target(file, arg.text), dynamic: true, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edges;
}

const FILES = sourceFiles(SRC);
const EDGES = FILES.flatMap(edgesOf);

/** Top-level area of a module: its first folder, or the file itself at the root of src. */
const area = (p: string): string => (p.startsWith('npm:') ? p : p.split('/')[0]!.replace(/\.ts$/, ''));
const isTf = (to: string): boolean => to.startsWith('npm:@tensorflow/');

const FRONT_END = new Set(['syntax', 'ir', 'check', 'fmt', 'draw', 'diagnostics', 'language', 'program', 'limits', 'util']);
const RUNTIME = new Set(['compile', 'kernels', 'train', 'artifacts', 'data', 'text', 'export', 'ort']);

/**
 * Every module `starts` load at run time: imports that are not type-only, dynamic ones too
 * unless `staticOnly` (what a command loads at start, before any lazy `import()`).
 */
function reachable(starts: readonly string[], staticOnly: boolean): Set<string> {
  const next = new Map<string, string[]>();
  for (const e of EDGES) if (!e.typeOnly && !(staticOnly && e.dynamic)) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const seen = new Set<string>();
  const todo = [...starts];
  while (todo.length > 0) {
    const m = todo.pop()!;
    if (seen.has(m)) continue;
    seen.add(m);
    todo.push(...(next.get(m) ?? []));
  }
  return seen;
}

function violations(rule: (e: Edge) => boolean): string[] {
  return EDGES.filter(rule).map((e) => `${e.from} → ${e.to}${e.dynamic ? ' (dynamic)' : ''}`);
}

describe('import layering', () => {
  it('reads a plausible import graph (guards the walker itself)', () => {
    expect(FILES.length).toBeGreaterThan(50);
    expect(EDGES.some((e) => e.from === 'cli/main.ts' && e.to === 'cli/commands/check.ts' && e.dynamic)).toBe(true);
    expect(EDGES.some((e) => e.from.startsWith('compile/') && isTf(e.to))).toBe(true);
    // Every relative import resolves to a file that exists.
    const known = new Set(FILES.map((f) => relative(SRC, f)));
    expect(EDGES.filter((e) => !e.to.startsWith('npm:') && !known.has(e.to)).map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  it('the front end never reaches TensorFlow, the runtime, the language server or the CLI', () => {
    expect(
      violations((e) => FRONT_END.has(area(e.from)) && (isTf(e.to) || RUNTIME.has(area(e.to)) || area(e.to) === 'cli' || area(e.to) === 'lsp')),
    ).toEqual([]);
  });

  it('the front end reads vector files only through the header reader', () => {
    expect(violations((e) => FRONT_END.has(area(e.from)) && area(e.to) === 'vectors' && e.to !== 'vectors/header.ts')).toEqual([]);
  });

  it('the language server uses the front end only', () => {
    expect(
      violations(
        (e) => area(e.from) === 'lsp' && (isTf(e.to) || RUNTIME.has(area(e.to)) || area(e.to) === 'cli' || (area(e.to) === 'vectors' && e.to !== 'vectors/header.ts')),
      ),
    ).toEqual([]);
  });

  it('nothing outside the CLI imports the CLI', () => {
    expect(violations((e) => area(e.from) !== 'cli' && area(e.from) !== 'index' && area(e.to) === 'cli')).toEqual([]);
  });

  it('only cli/main.ts imports a command module, and commands do not import each other', () => {
    expect(violations((e) => e.to.startsWith('cli/commands/') && e.from !== 'cli/main.ts')).toEqual([]);
  });

  it('tokenizer, readers, vector files and model folders do not load TensorFlow', () => {
    expect(violations((e) => ['text', 'data', 'vectors', 'artifacts'].includes(area(e.from)) && (isTf(e.to) || ['compile', 'kernels', 'train'].includes(area(e.to))))).toEqual([]);
  });

  it('tokenizer, readers, vector files and model folders do not reach the exporter or ONNX Runtime', () => {
    expect(violations((e) => ['text', 'data', 'vectors', 'artifacts'].includes(area(e.from)) && ['export', 'ort'].includes(area(e.to)))).toEqual([]);
  });

  it('the ONNX exporter and ONNX Runtime engine never load TensorFlow.js (nor the CLI), and the exporter does not run models', () => {
    const tfjsSide = ['compile', 'kernels', 'train', 'cli'];
    expect(violations((e) => area(e.from) === 'export' && (isTf(e.to) || [...tfjsSide, 'ort'].includes(area(e.to)) || e.to === 'npm:onnxruntime-node'))).toEqual([]);
    expect(violations((e) => area(e.from) === 'ort' && (isTf(e.to) || tfjsSide.includes(area(e.to))))).toEqual([]);
  });

  it('`rnnc check`, `fmt`, `summary`, `draw` and the language server load no TensorFlow at start (static imports only)', () => {
    for (const entry of ['cli/main.ts', 'cli/commands/check.ts', 'cli/commands/fmt.ts', 'cli/commands/lsp.ts', 'cli/commands/summary.ts', 'cli/commands/draw.ts']) {
      const loaded = [...reachable([entry], true)].filter((m) => isTf(m) || ['compile', 'kernels', 'train'].includes(area(m)));
      expect(loaded, entry).toEqual([]);
    }
  });

  it('only the CLI reaches the report, and only the report reaches its chart libraries, dynamically', () => {
    expect(violations((e) => area(e.to) === 'report' && area(e.from) !== 'report' && area(e.from) !== 'cli')).toEqual([]);
    const isChartLib = (to: string): boolean => to === 'npm:vega' || to === 'npm:vega-lite';
    expect(violations((e) => isChartLib(e.to) && !e.typeOnly && (area(e.from) !== 'report' || !e.dynamic))).toEqual([]);
    // The walker sees the one place that loads them.
    expect(EDGES.some((e) => e.from === 'report/charts.ts' && e.to === 'npm:vega' && e.dynamic)).toBe(true);
  });

  it('the report loads no TensorFlow: of the runtime it reads model folders and the metric conventions only', () => {
    const report = FILES.map((f) => relative(SRC, f)).filter((f) => area(f) === 'report');
    expect(report.length).toBeGreaterThan(0);
    const reached = reachable(report, false);
    const forbidden = [...reached].filter((m) => isTf(m) || ['compile', 'kernels', 'cli', 'lsp'].includes(area(m)) || (area(m) === 'train' && m !== 'train/metrics.ts'));
    expect(forbidden).toEqual([]);
  });

  it('`check`, `fmt`, `summary` and the language server never reach the report or Vega, not even lazily', () => {
    const starts = ['cli/commands/check.ts', 'cli/commands/fmt.ts', 'cli/commands/summary.ts', 'cli/commands/lsp.ts', ...FILES.map((f) => relative(SRC, f)).filter((f) => area(f) === 'lsp')];
    for (const start of starts) {
      expect([...reachable([start], false)].filter((m) => area(m) === 'report' || m.startsWith('npm:vega')), start).toEqual([]);
    }
  });

  it('the HTTP server is handed a model: it reaches no engine, TensorFlow.js, ONNX Runtime nor the CLI; only the CLI reaches it', () => {
    const serve = FILES.map((f) => relative(SRC, f)).filter((f) => area(f) === 'serve');
    expect(serve.length).toBeGreaterThan(0);
    // Of the runtime it uses the metric conventions (what a prediction says) and nothing else.
    const forbidden = [...reachable(serve, false)].filter(
      (m) => isTf(m) || m === 'npm:onnxruntime-node' || ['compile', 'kernels', 'ort', 'export', 'artifacts', 'cli', 'lsp', 'report'].includes(area(m)) || (area(m) === 'train' && m !== 'train/metrics.ts'),
    );
    expect(forbidden).toEqual([]);
    expect(violations((e) => area(e.to) === 'serve' && area(e.from) !== 'serve' && area(e.from) !== 'cli')).toEqual([]);
  });

  it('has no import cycles between modules', () => {
    const graph = new Map<string, string[]>();
    for (const e of EDGES) if (!e.to.startsWith('npm:') && !e.typeOnly) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const dfs = (m: string, path: string[]): void => {
      if (state.get(m) === 'done') return;
      if (state.get(m) === 'open') {
        cycles.push([...path.slice(path.indexOf(m)), m].join(' → '));
        return;
      }
      state.set(m, 'open');
      for (const n of graph.get(m) ?? []) dfs(n, [...path, m]);
      state.set(m, 'done');
    };
    for (const f of FILES) dfs(relative(SRC, f), []);
    expect(cycles).toEqual([]);
  });
});
