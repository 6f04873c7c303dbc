#!/usr/bin/env node
// `npm run build:wasm`: builds rnnc's WebAssembly kernels (src/kernels/c/*.c) into
// src/kernels/rnn.wasm, the module the fused recurrent layers run on. The built file is
// committed, so installing and running rnnc needs no C compiler; CI rebuilds it with
// `npm run build:wasm -- --check` and fails if the bytes differ from the committed file.
//
// Toolchain: Debian 12's clang-16 and lld-16 (`apt-get install clang-16 lld-16`), C with
// clang's wasm_simd128.h intrinsics, freestanding (no libc, no allocator). One pinned compiler
// version makes the output reproducible byte for byte; custom sections (producer names,
// target features) are dropped so only the code and its layout count. RNNC_CLANG overrides
// the compiler (its output will then differ from the committed bytes).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const SOURCES = ['gemm.c', 'cells.c', 'tasks.c'].map((f) => join(root, 'src/kernels/c', f));
const TARGET = join(root, 'src/kernels/rnn.wasm');
const CLANG = process.env.RNNC_CLANG ?? 'clang-16';

const FLAGS = [
  '--target=wasm32',
  '-O3',
  '-msimd128',
  // Shared memory (worker threads) needs atomics and bulk memory.
  '-matomics',
  '-mbulk-memory',
  '-ffreestanding',
  '-nostdlib',
  '-std=c11',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-Wl,--no-entry',
  '-Wl,--import-memory',
  '-Wl,--shared-memory',
  '-Wl,--max-memory=4294967296',
  // Each thread's instance gets its own stack region (src/kernels/module.ts sets it).
  '-Wl,--export=__stack_pointer',
  '-Wl,--strip-all',
];

/** The module without custom sections (id 0): code, types, imports and exports only. */
function withoutCustomSections(bytes) {
  const out = [bytes.subarray(0, 8)];
  let p = 8;
  while (p < bytes.length) {
    const start = p;
    const id = bytes[p++];
    let size = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[p++];
      size |= (b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    const end = p + size;
    if (id !== 0) out.push(bytes.subarray(start, end));
    p = end;
  }
  return Buffer.concat(out);
}

const sha = (b) => createHash('sha256').update(b).digest('hex');

const check = process.argv.includes('--check');
const dir = mkdtempSync(join(tmpdir(), 'rnnc-wasm-'));
try {
  const raw = join(dir, 'rnn.wasm');
  const r = spawnSync(CLANG, [...FLAGS, '-o', raw, ...SOURCES], { encoding: 'utf8' });
  if (r.error) {
    console.error(`build:wasm: cannot run ${CLANG} (${r.error.message}); on Debian 12: apt-get install clang-16 lld-16`);
    process.exit(2);
  }
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    process.exit(1);
  }
  const built = withoutCustomSections(readFileSync(raw));
  if (check) {
    const committed = readFileSync(TARGET);
    if (Buffer.compare(built, committed) !== 0) {
      console.error(`build:wasm --check: src/kernels/rnn.wasm does not match its sources`);
      console.error(`  committed ${committed.length} bytes, sha256 ${sha(committed)}`);
      console.error(`  rebuilt   ${built.length} bytes, sha256 ${sha(built)}`);
      console.error('  run `npm run build:wasm` and commit the result');
      process.exit(1);
    }
    console.log(`build:wasm --check: src/kernels/rnn.wasm matches its sources (${built.length} bytes, sha256 ${sha(built)})`);
  } else {
    writeFileSync(TARGET, built);
    console.log(`build:wasm: wrote src/kernels/rnn.wasm (${built.length} bytes, sha256 ${sha(built)})`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
