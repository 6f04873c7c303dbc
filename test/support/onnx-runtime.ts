import { loadOrt, type OrtModule } from '../../src/ort/engine.js';

/**
 * ONNX Runtime for the tests, when `onnxruntime-node` (an optional dependency) is installed: the
 * tests that need it are `describe.skipIf(!ort)`, so they show as skipped, not passed, where it
 * is not. `.ci/run` sets RNNC_REQUIRE_ONNX=1 (its `npm ci` installs it), so there a missing or
 * broken install fails instead.
 */
export const ort: OrtModule | null = await loadOrt().catch((e: unknown) => {
  if (process.env.RNNC_REQUIRE_ONNX === '1') throw new Error(`RNNC_REQUIRE_ONNX=1 but ONNX Runtime cannot be loaded: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  return null;
});

/** Runs ONNX model bytes on int64 ids `[rows, time]` (1 thread: the tests run two files at once); returns `output`. */
export async function runOnnx(bytes: Uint8Array, ids: readonly (readonly number[])[]): Promise<Float32Array> {
  if (!ort) throw new Error('ONNX Runtime is not installed');
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  try {
    const flat = BigInt64Array.from(ids.flat(), (v) => BigInt(v));
    const out = await session.run({ ids: new ort.Tensor('int64', flat, [ids.length, ids[0]?.length ?? 0]) });
    return out['output']!.data as Float32Array;
  } finally {
    await session.release();
  }
}
