import type * as Tf from '@tensorflow/tfjs';
import { resolveSourcePath } from '../util/paths.js';
import type { Program } from '../ir/types.js';
import { loadTf, prepareModel, type RuntimeOptions, type RuntimeReport } from './backend.js';
import { buildModel } from './layers.js';
import { saveModel } from './save.js';

export interface CompileOptions extends RuntimeOptions {
  /** The spec's folder: relative pretrained paths are made absolute in the written spec.json. */
  baseDir?: string;
  /** Write model.json, weights.bin and spec.json here (atomically). */
  outDir?: string;
  /** Fixed input length; default variable. */
  maxlen?: number | null;
  /** Extra files to write beside the model in the same atomic step. */
  extraFiles?: Record<string, string | Buffer>;
}

export interface Compiled extends RuntimeReport {
  tf: typeof Tf;
  model: Tf.LayersModel;
  /** The IR as written to spec.json. */
  spec: Program;
}

/** The IR as saved beside a model: paths made absolute so it still means the same from there. */
export function specForSaving(program: Program, baseDir: string | undefined): Program {
  if (!baseDir) return program;
  return {
    ...program,
    layers: program.layers.map((l) =>
      l.kind === 'embedding' && l.pretrained ? { ...l, pretrained: { ...l.pretrained, path: resolveSourcePath(l.pretrained.path, baseDir) } } : l,
    ),
  };
}

/**
 * IR → tfjs model on the chosen backend, optionally saved. Loads TensorFlow.js lazily.
 * Throws BackendUnavailable (E4003) or CannotWrite (E4002).
 */
export async function compileProgram(program: Program, options: CompileOptions = {}): Promise<Compiled> {
  const loaded = await loadTf({ backend: options.backend, kernels: options.kernels, threads: options.threads });
  const { tf } = loaded;
  const model = buildModel(tf, program, { maxlen: options.maxlen ?? program.train?.maxlen ?? null });
  const where = prepareModel(loaded, model);
  const spec = specForSaving(program, options.baseDir);
  if (options.outDir) {
    await saveModel(model, options.outDir, { 'spec.json': `${JSON.stringify(spec, null, 2)}\n`, ...options.extraFiles });
  }
  return { tf, model, ...where, spec };
}
