import { dirname, resolve } from 'node:path';
import type { Program } from '../ir/types.js';
import { DEMO_MAXLEN, DEMO_SIZE, DEMO_SOURCE, demoCorpus } from '../data/demo.js';
import { dataError, problemLines, readDataset, type Dataset, type Example } from '../data/readers.js';
import { effectiveSettings, type EffectiveSettings } from '../train/settings.js';
import type { settingsFromArgs } from './settings-flags.js';
import type { DataDescription } from '../train/checkpoint.js';
import { EXIT_INTERRUPTED } from './exit.js';
import type { Io } from './io.js';
import type { ProgressPrinter } from './progress.js';

/**
 * Reads `--data`-style input and reports what the reader could not use (file:line, counted) and
 * its notes on stderr. Throws BadData (E4007) when nothing can be read.
 */
export async function readDataReported(io: Io, path: string, opts: { labelColumn?: string; textColumn?: string }): Promise<Dataset> {
  const ds = await readDataset(path, {
    ...(opts.labelColumn !== undefined ? { labelColumn: opts.labelColumn } : {}),
    ...(opts.textColumn !== undefined ? { textColumn: opts.textColumn } : {}),
  });
  for (const n of ds.notes ?? []) io.err(`note: ${n}\n`);
  for (const l of problemLines(ds.problems)) io.err(`${l}\n`);
  if (ds.examples.length === 0) throw dataError(`${path}: no usable examples`, 'empty', path);
  return ds;
}

/** The data for a run: `--data`, or the embedded demo corpus. */
export interface RunData {
  examples: Example[];
  valExamples?: Example[];
  description: DataDescription;
  demo: boolean;
}

/** Reads `--data` (or generates the demo corpus) and the `val_file`, reporting reader problems. */
export async function loadRunData(io: Io, dataPath: string | undefined, settings: EffectiveSettings, progress: ProgressPrinter): Promise<RunData> {
  const columns = { labelColumn: settings.label_column, textColumn: settings.text_column };
  let examples: Example[];
  let description: DataDescription;
  if (dataPath === undefined) {
    examples = demoCorpus();
    description = { source: DEMO_SOURCE, format: 'demo', examples: examples.length, problems: 0 };
    progress.line(`no --data: training on the embedded demo corpus (${DEMO_SIZE} generated movie-review sentences; \`rnnc data demo\` prints it)`);
  } else {
    const ds = await readDataReported(io, dataPath, columns);
    examples = ds.examples;
    description = { source: resolve(dataPath), format: ds.format, examples: ds.examples.length, problems: ds.problems.length };
  }
  const out: RunData = { examples, description, demo: dataPath === undefined };
  if (settings.val_file !== undefined) {
    const v = await readDataReported(io, settings.val_file, columns);
    out.valExamples = v.examples;
    description.valFile = settings.val_file;
  }
  return out;
}

/** The effective settings of a spec + flags; the demo corpus uses its own maxlen unless one is set. */
export function runSettings(program: Program, flags: ReturnType<typeof settingsFromArgs>, specFile: string, demo: boolean): EffectiveSettings {
  const s = effectiveSettings(program.train, flags, dirname(resolve(specFile)));
  if (demo && program.train?.maxlen === undefined && flags.maxlen === undefined) s.maxlen = DEMO_MAXLEN;
  return s;
}

/** Installs a Ctrl-C handler for the run: the first stops after a checkpoint, a second exits at once. */
export function interruptHandler(io: Io, progress: ProgressPrinter, checkpoint: boolean): { stop: () => boolean; dispose: () => void } {
  let requested = false;
  const onSigint = (): void => {
    if (requested) {
      progress.line('second Ctrl-C: exiting without a checkpoint');
      process.exit(EXIT_INTERRUPTED);
    }
    requested = true;
    progress.line(checkpoint ? 'Ctrl-C: stopping after this step and saving a checkpoint (Ctrl-C again to quit at once)' : 'Ctrl-C: stopping after this step');
  };
  process.on('SIGINT', onSigint);
  return { stop: () => requested, dispose: () => process.off('SIGINT', onSigint) };
}

