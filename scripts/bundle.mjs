#!/usr/bin/env node
// Bundles the CLI into dist/cli-bundle/ so `rnnc check` starts fast: chevrotain's ESM build
// pulls in hundreds of lodash-es modules (~350 ms to load one by one); bundled it is ~15 ms.
// TensorFlow.js stays external and is imported only by the commands that run a model (Vega and
// Vega-Lite too, by the report);
// code splitting keeps each command's code in its own lazily loaded chunk.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  entryPoints: [`${root}src/cli/main.ts`],
  outdir: `${root}dist/cli-bundle`,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // Vega and Vega-Lite (rnnc report's charts) load from node_modules like TensorFlow.js: they are
  // imported only when a report is drawn, and vega-canvas probes for an optional `canvas`.
  external: ['@tensorflow/*', 'vscode-languageserver', 'vscode-languageserver/*', 'vscode-languageserver-textdocument', 'vega', 'vega-lite', 'onnxruntime-node'],
  // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __rnncCreateRequire } from 'node:module'; const require = __rnncCreateRequire(import.meta.url);" },
  // jsonc-parser's UMD build require()s files by relative path; its ESM build bundles cleanly.
  mainFields: ['module', 'main'],
  logLevel: 'warning',
});

// The kernels' WebAssembly module (committed, built by `npm run build:wasm`) beside the compiled
// code: src/kernels/runtime.ts finds it at ../kernels/rnn.wasm from dist/kernels/ and from
// dist/cli-bundle/ alike.
mkdirSync(`${root}dist/kernels`, { recursive: true });
copyFileSync(`${root}src/kernels/rnn.wasm`, `${root}dist/kernels/rnn.wasm`);

// The ONNX schema the exporter encodes with (src/export/proto.ts reads ../export/onnx.proto), with
// its licence, likewise beside the compiled code for dist/export/ and dist/cli-bundle/ alike.
mkdirSync(`${root}dist/export`, { recursive: true });
for (const f of ['onnx.proto', 'onnx.proto.LICENSE']) copyFileSync(`${root}src/export/${f}`, `${root}dist/export/${f}`);
// The PyTorch export's fixed Python files (src/export/pytorch/model-py.ts reads ../export/pytorch/).
mkdirSync(`${root}dist/export/pytorch`, { recursive: true });
for (const f of ['model_base.py', 'train.py', 'torchrun_compat.py']) copyFileSync(`${root}src/export/pytorch/${f}`, `${root}dist/export/pytorch/${f}`);
