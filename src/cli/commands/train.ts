import { dirname, resolve } from 'node:path';
import { modelDirStatus } from '../../artifacts/store.js';
import { formatMetrics } from '../../train/metrics.js';
import { settingsFromArgs } from '../settings-flags.js';
import { train, type TrainResult } from '../../train/trainer.js';
import { formatCount } from '../../util/numbers.js';
import { optFlag, optString, UsageError, type ParsedArgs } from '../args.js';
import { EXIT_INTERRUPTED, EXIT_OK } from '../exit.js';
import { frontEnd } from '../frontend.js';
import type { Io } from '../io.js';
import { duration, ProgressPrinter } from '../progress.js';
import { interruptHandler, loadRunData, runSettings } from '../run-data.js';
import { runtimeFromArgs } from '../runtime.js';

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
  if (!out) throw new UsageError('missing -o DIR (where to write the model, vocab.json, spec.json and metrics.json)');
  const flags = settingsFromArgs(args);
  const fe = frontEnd(io, file, args);
  if ('exit' in fe) return fe.exit;
  const program = fe.result.program!;
  const dataPath = optString(args, 'data');
  const settings = runSettings(program, flags, file, dataPath === undefined);
  const progress = new ProgressPrinter(io, optFlag(args, 'quiet') ? 'quiet' : (io.errIsTTY ?? io.isTTY) ? 'bar' : 'plain');
  const data = await loadRunData(io, dataPath, settings, progress);
  const resume = optFlag(args, 'resume');
  if (!resume) {
    const held = await modelDirStatus(out);
    if (held.unfinished) progress.line(`note: ${out} holds an unfinished run, which this one replaces (--resume continues it instead)`);
    else if (held.finished) progress.line(`note: ${out} keeps its finished model until this run finishes`);
  }
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
    const kept = (await modelDirStatus(out)).finished ? ` (${out} still holds its last finished model)` : '';
    io.err(`checkpoint saved in ${out}${kept}; to continue, run the same command with --resume\n`);
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
}
