import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Program } from '../../ir/types.js';
import { DEMO_MAXLEN, DEMO_SIZE, DEMO_SOURCE, demoCorpus } from '../../train/demo-data.js';
import { formatMetrics } from '../../train/metrics.js';
import { DataError, readDataset, type Dataset, type Example } from '../../train/readers.js';
import { effectiveSettings, settingsFromArgs, type EffectiveSettings } from '../../train/settings.js';
import { problemLines, train, TrainError, type DataDescription, type TrainEvent, type TrainResult } from '../../train/trainer.js';
import { optFlag, optString, UsageError, type ParsedArgs } from '../args.js';
import { EXIT_OK, EXIT_SPEC_ERRORS, EXIT_USAGE, frontEnd } from '../frontend.js';
import type { Io } from '../io.js';
import { runtimeFromArgs, runtimeLines } from '../runtime.js';
import { formatCount } from '../../util/numbers.js';

/** Exit code of a run stopped by Ctrl-C after saving its checkpoint (128 + SIGINT, as shells report). */
export const EXIT_INTERRUPTED = 130;

/** Prints a one-line error (`PREFIX: error[CODE]: message`, then `= help:`) and returns its exit code. */
export function reportError(io: Io, prefix: string, code: string, message: string, exit: number, help?: string): number {
  io.err(`${prefix}: error[${code}]: ${message}\n${help ? `  = help: ${help}\n` : ''}`);
  return exit;
}

/** Maps errors the user can fix to messages and exit codes; anything else is a bug and rethrown. */
export function handleError(io: Io, command: string, e: unknown): number {
  if (e instanceof TrainError) return reportError(io, `rnnc ${command}`, e.code, e.message, e.exit, e.help);
  if (e instanceof DataError) return reportError(io, `rnnc ${command}`, e.code, e.message, e.kind === 'missing' || e.kind === 'io' ? EXIT_USAGE : EXIT_SPEC_ERRORS);
  if (e instanceof UsageError) {
    io.err(`rnnc ${command}: ${e.message}\n(rnnc ${command} --help shows the options)\n`);
    return EXIT_USAGE;
  }
  throw e;
}

/**
 * Reads `--data`-style input and reports what the reader could not use (file:line, counted) and
 * its notes on stderr. Throws DataError when nothing can be read.
 */
export async function readDataReported(io: Io, path: string, opts: { labelColumn?: string; textColumn?: string }): Promise<Dataset> {
  const ds = await readDataset(path, {
    ...(opts.labelColumn !== undefined ? { labelColumn: opts.labelColumn } : {}),
    ...(opts.textColumn !== undefined ? { textColumn: opts.textColumn } : {}),
  });
  for (const n of ds.notes ?? []) io.err(`note: ${n}\n`);
  for (const l of problemLines(ds.problems)) io.err(`${l}\n`);
  if (ds.examples.length === 0) throw new DataError(`${path}: no usable examples`, 'empty', path);
  return ds;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * Renders training events: on a terminal, a progress bar redrawn in place (epoch, step, loss,
 * accuracy, ETA); otherwise, or with `--quiet`, plain lines — one per epoch, plus (not quiet)
 * a step line every 10 seconds so a long epoch in a log still shows it is alive.
 */
export class ProgressPrinter {
  private lastDraw = 0;
  private lastPlain = 0;
  private drawn = false;

  constructor(
    private readonly io: Io,
    private readonly mode: 'bar' | 'plain' | 'quiet',
    private readonly prefix = '',
  ) {}

  /** Clears a drawn bar before other output. */
  clear(): void {
    if (this.drawn) this.io.err('\r\x1b[K');
    this.drawn = false;
  }

  line(s: string): void {
    this.clear();
    this.io.err(`${this.prefix}${s}\n`);
  }

  event(e: TrainEvent): void {
    switch (e.type) {
      case 'backend':
        for (const l of runtimeLines(e)) this.line(l);
        break;
      case 'data':
        this.line(
          `data: ${e.train} training, ${e.val} validation examples; labels ${e.labels.map((l) => JSON.stringify(l)).join(', ')}; ` +
            `vocabulary ${e.vocabSize} ids (${e.distinctWords} distinct words in training)`,
        );
        break;
      case 'embedding':
        this.line(
          `embedding: ${e.report.source === 'vectors' ? 'vectors' : 'model'} ${e.report.path}: ${e.report.coverage}` +
            `${e.report.found < e.report.total ? `; the rest: ${e.report.source === 'model' ? 'random (kept initialisation)' : `oov ${e.report.oov}`}` : ''}` +
            `${e.report.frozen ? '; frozen' : ''}`,
        );
        break;
      case 'resume':
        this.line(`resuming at epoch ${e.epoch}${e.step > 0 ? `, step ${e.step + 1}/${e.steps}` : ''}`);
        break;
      case 'epoch-start':
        this.lastPlain = performance.now();
        break;
      case 'step':
        this.step(e);
        break;
      case 'epoch-end': {
        const r = e.record;
        const val = r.val_loss !== undefined ? `  val_loss ${r.val_loss.toFixed(4)}  val_acc ${r.val_accuracy!.toFixed(4)}` : '';
        this.line(`epoch ${r.epoch}/${e.epochs}  loss ${r.loss.toFixed(4)}  acc ${r.accuracy.toFixed(4)}${val}  ${duration(r.seconds)}${e.best && r.val_loss !== undefined ? '  (best)' : ''}`);
        break;
      }
      case 'early-stop':
        this.line(`early stopping after epoch ${e.epoch}: no better validation loss since epoch ${e.bestEpoch}`);
        break;
      case 'interrupted':
        this.line(`interrupted in epoch ${e.epoch} after step ${e.step}/${e.steps}`);
        break;
    }
  }

  private step(e: Extract<TrainEvent, { type: 'step' }>): void {
    const now = performance.now();
    const text = `epoch ${e.epoch}/${e.epochs}  step ${e.step}/${e.steps}  loss ${e.loss.toFixed(4)}  acc ${e.accuracy.toFixed(4)}  ETA ${duration(e.etaSeconds)}`;
    if (this.mode === 'bar') {
      if (now - this.lastDraw < 100 && e.step < e.steps) return;
      this.lastDraw = now;
      const width = 20;
      const filled = Math.round((e.step / e.steps) * width);
      this.io.err(`\r\x1b[K${this.prefix}${text.replace('  step', `  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`)}`);
      this.drawn = true;
    } else if (this.mode === 'plain' && now - this.lastPlain >= 10_000 && e.step < e.steps) {
      this.lastPlain = now;
      this.line(text);
    }
  }
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

function summaryLines(r: TrainResult): string[] {
  const lines: string[] = [];
  const last = r.history[r.history.length - 1];
  lines.push(
    `trained ${r.history.length} epoch${r.history.length === 1 ? '' : 's'} in ${duration(r.trainSeconds)} on ${r.backend} (kernels: ${r.kernels})` +
      `${r.stoppedEarly ? ' (stopped early)' : ''}; kept epoch ${r.bestEpoch}${last && last.val_loss !== undefined ? ' (best validation loss)' : ''}`,
  );
  lines.push(`params: ${formatCount(r.params.total)} (${formatCount(r.params.trainable)} trainable)`);
  if (r.validation) {
    lines.push(`validation (${r.valCount} examples):`);
    lines.push(...formatMetrics(r.validation).map((l) => `  ${l}`));
  } else if (last) {
    lines.push(`no validation data; last epoch: loss ${last.loss.toFixed(4)}, accuracy ${last.accuracy.toFixed(4)}`);
  }
  return lines;
}

/** `rnnc train SPEC [--data PATH] -o DIR`: trains, checkpoints each epoch, writes the model and metrics. */
export async function runTrain(io: Io, args: ParsedArgs): Promise<number> {
  const file = args.positionals[0]!;
  const out = optString(args, 'out');
  const json = optString(args, 'format') === 'json';
  try {
    if (!out) throw new UsageError('missing -o DIR (where to write the model, vocab.json, spec.json and metrics.json)');
    const flags = settingsFromArgs(args);
    const fe = frontEnd(io, file, args);
    if ('exit' in fe) return fe.exit;
    const program = fe.result.program!;
    const dataPath = optString(args, 'data');
    const settings = runSettings(program, flags, file, dataPath === undefined);
    const progress = new ProgressPrinter(io, optFlag(args, 'quiet') ? 'quiet' : io.isTTY ? 'bar' : 'plain');
    const data = await loadRunData(io, dataPath, settings, progress);
    const resume = optFlag(args, 'resume');
    if (!resume && existsSync(join(out, 'checkpoint.json'))) progress.line(`note: ${out} holds an earlier run, which this one replaces (--resume continues it instead)`);
    const interrupt = interruptHandler(io, progress, true);
    let result: TrainResult;
    try {
      result = await train({
        program,
        baseDir: dirname(resolve(file)),
        settings,
        examples: data.examples,
        ...(data.valExamples ? { valExamples: data.valExamples } : {}),
        data: data.description,
        outDir: out,
        resume,
        runtime: runtimeFromArgs(args),
        onEvent: (e) => progress.event(e),
        shouldStop: interrupt.stop,
      });
    } finally {
      interrupt.dispose();
      progress.clear();
    }
    if (result.interrupted) {
      io.err(`checkpoint saved in ${out}; to continue, run the same command with --resume\n`);
      return EXIT_INTERRUPTED;
    }
    if (result.alreadyDone) io.err(`${out} has already finished training (raise --epochs to train more)\n`);
    if (json) {
      io.out(`${JSON.stringify({ ...result.validation && { validation: result.validation }, history: result.history, best_epoch: result.bestEpoch, stopped_early: result.stoppedEarly, backend: result.backend, kernels: result.kernels, params: result.params, train_seconds: result.trainSeconds }, null, 2)}\n`);
    } else {
      io.out(`${summaryLines(result).join('\n')}\n`);
    }
    io.err(`wrote ${out}/model.json, weights.bin, vocab.json, spec.json, metrics.json (+ checkpoint.json, checkpoint.bin for --resume)\n`);
    result.model.dispose();
    return EXIT_OK;
  } catch (e) {
    return handleError(io, 'train', e);
  }
}
