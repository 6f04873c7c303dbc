import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../util/write-atomic.js';
import { kernelsLabel, loadTf } from '../../compile/backend.js';
import { fail, RnncError } from '../../diagnostics/error.js';
import type { Diagnostic } from '../../diagnostics/types.js';
import { renderFileLevel } from '../../diagnostics/render.js';
import { seededSplit, train, evaluate, type TrainResult } from '../../train/trainer.js';
import { DEFAULT_SETTINGS } from '../../train/settings.js';
import { settingsFromArgs } from '../settings-flags.js';
import type { Example } from '../../data/readers.js';
import type { Metrics } from '../../train/metrics.js';
import { loadCharts } from '../../report/charts.js';
import type { ExperimentRun } from '../../report/experiment-page.js';
import { optFlag, optString, UsageError, type ParsedArgs } from '../args.js';
import { EXIT_INTERRUPTED, exitCodeFor } from '../exit.js';
import { frontEnd } from '../frontend.js';
import { writeOutputFile, type Io } from '../io.js';
import { runtimeFromArgs, runtimeLines } from '../runtime.js';
import { ProgressPrinter } from '../progress.js';
import { interruptHandler, readDataReported, runSettings } from '../run-data.js';

interface Row {
  spec: string;
  params: number;
  trainable: number;
  seconds: number;
  epochs: string;
  valAccuracy?: number;
  testAccuracy?: number;
  error?: string;
}

const pct = (x: number | undefined): string => (x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
const count = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const time = (s: number): string => (s < 60 ? `${s.toFixed(0)} s` : `${(s / 60).toFixed(1)} min`);

function table(rows: readonly Row[]): string[][] {
  return [
    ['spec', 'params', 'trainable', 'train time', 'epochs (kept/run)', 'val accuracy', 'test accuracy'],
    ...rows.map((r) =>
      r.error ? [r.spec, '—', '—', '—', '—', '—', `failed: ${r.error}`] : [r.spec, count(r.params), count(r.trainable), time(r.seconds), r.epochs, pct(r.valAccuracy), pct(r.testAccuracy)],
    ),
  ];
}

function textTable(cells: string[][]): string {
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((r) => r[c]!.length)));
  const line = (r: string[]): string => r.map((v, c) => (c === 0 || c === r.length - 1 && v.startsWith('failed') ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function markdownTable(cells: string[][]): string {
  const row = (r: string[]): string => `| ${r.join(' | ')} |`;
  return [row(cells[0]!), `|${cells[0]!.map((_, c) => (c === 0 ? '---' : '---:')).join('|')}|`, ...cells.slice(1).map(row)].join('\n');
}

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/**
 * `text` with the section headed `## title` replaced by `body` (up to the next `## ` heading or
 * the end), or with the section appended; a missing document starts with `# Experiment results`.
 */
export function replaceSection(text: string, title: string, body: string): string {
  const heading = `## ${title}`;
  const section = `${heading}\n\n${body}\n`;
  if (text.trim() === '') return `# Experiment results\n\n${section}`;
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trimEnd() === heading);
  if (start < 0) return `${text.trimEnd()}\n\n${section}`;
  let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  if (end < 0) end = lines.length;
  const after = lines.slice(end).join('\n');
  return `${[...lines.slice(0, start), section].join('\n')}${after ? `\n${after}` : ''}`;
}

/**
 * `rnnc experiment SPEC… --data PATH [--test PATH | --test-split F]`: trains every spec on the
 * same split with the same seed and prints one comparison table; `--out FILE.md` also writes
 * it as Markdown with the command that produced it. The test split is carved first (seeded),
 * validation comes from the rest; seed and val_split are the same for every spec (flags or
 * defaults, never a spec's own), the other settings are each spec's.
 */
export async function runExperiment(io: Io, args: ParsedArgs, argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const specs = args.positionals;
  const dataPath = optString(args, 'data');
  if (!dataPath) throw new UsageError('missing --data PATH (the labelled data every spec is trained on)');
  const testPath = optString(args, 'test');
  const testSplitArg = optString(args, 'test-split');
  if (testPath && testSplitArg) throw new UsageError('give --test PATH or --test-split F, not both');
  let testSplit = 0;
  if (testSplitArg !== undefined) {
    testSplit = Number(testSplitArg);
    if (testSplitArg.trim() === '' || !(testSplit > 0 && testSplit < 1)) throw new UsageError(`--test-split must be in (0, 1), got ${JSON.stringify(testSplitArg)}`);
  }
  const flags = settingsFromArgs(args);
  const seed = flags.seed ?? DEFAULT_SETTINGS.seed;
  const valSplit = flags.val_split ?? DEFAULT_SETTINGS.val_split;
  const quiet = optFlag(args, 'quiet');
  const outFile = optString(args, 'out');
  const reportDir = optString(args, 'report');
  if (reportDir !== undefined) {
    // Before an hour of training, not after: the folder must be able to hold the page, and the
    // chart libraries must load.
    if (existsSync(reportDir) && !statSync(reportDir).isDirectory()) {
      throw fail('CannotWrite', `cannot write the report into ${reportDir}: it is a file`, { file: reportDir, help: 'give a folder for --report (rnnc writes report.html into it)' });
    }
    await loadCharts();
  }

  // Check every spec before training any: a typo in the last one should not cost an hour.
  const programs = [];
  for (const file of specs) {
    const fe = frontEnd(io, file, args);
    if ('exit' in fe) return fe.exit;
    programs.push({ file, program: fe.result.program! });
  }

  const progress = new ProgressPrinter(io, quiet ? 'quiet' : (io.errIsTTY ?? io.isTTY) ? 'bar' : 'plain');
  const columns = { labelColumn: flags.label_column, textColumn: flags.text_column };
  const all = await readDataReported(io, dataPath, columns);
  let pool: Example[] = all.examples;
  let test: Example[] = [];
  if (testPath) {
    test = (await readDataReported(io, testPath, columns)).examples;
  } else if (testSplit > 0) {
    const s = seededSplit(all.examples, testSplit, seed, 'test');
    pool = s.kept;
    test = s.held;
  }
  const valExamples = flags.val_file !== undefined ? (await readDataReported(io, flags.val_file, columns)).examples : undefined;
  progress.line(`experiment: ${specs.length} spec${specs.length === 1 ? '' : 's'}; ${pool.length} examples for training${valExamples ? `, ${valExamples.length} for validation (${flags.val_file})` : ` and validation (val_split ${valSplit})`}, ${test.length} for test; seed ${seed}`);

  const loaded = await loadTf(runtimeFromArgs(args));
  progress.line(runtimeLines({ ...loaded, kernels: kernelsLabel(loaded) })[0]!);

  const rows: Row[] = [];
  // Each row's training history, for --report.
  const runs: ExperimentRun[] = [];
  // A spec that cannot be trained is one row of the table, not the end of the experiment.
  const failures: Diagnostic[] = [];
  const interrupt = interruptHandler(io, progress, false);
  try {
    for (const { file, program } of programs) {
      const name = basename(file);
      const specProgress = new ProgressPrinter(io, quiet ? 'quiet' : (io.errIsTTY ?? io.isTTY) ? 'bar' : 'plain', `[${name}] `);
      // One split for all: a spec's own seed, val_split or val_file would give it other rows.
      const settings = { ...runSettings(program, flags, file, false), seed, val_split: valSplit };
      if (flags.val_file === undefined) delete settings.val_file;
      let result: TrainResult;
      let testMetrics: Metrics | undefined;
      try {
        result = await train({
          program,
          baseDir: dirname(resolve(file)),
          settings,
          examples: pool,
          ...(valExamples ? { valExamples } : {}),
          data: { source: resolve(dataPath), format: all.format, examples: all.examples.length, problems: all.problems.length },
          loaded,
          onEvent: (e) => {
            if (e.type !== 'backend') specProgress.event(e);
            else for (const s of e.stockLayers) specProgress.line(`note: layer \`${s.layer}\` runs on stock tfjs kernels: ${s.reason}`);
          },
          shouldStop: interrupt.stop,
        });
        if (!result.interrupted && test.length > 0) testMetrics = await evaluate(result.tf, result.model, result.vocab, test, result.head, `test data ${testPath ?? ''}`.trim());
      } catch (e) {
        if (!(e instanceof RnncError)) throw e;
        specProgress.line(renderFileLevel('', e.diagnostic));
        failures.push(e.diagnostic);
        rows.push({ spec: name, params: 0, trainable: 0, seconds: 0, epochs: '—', error: e.message });
        runs.push({ name, history: [], bestEpoch: 0, error: e.message });
        continue;
      }
      if (result.interrupted) {
        result.model.dispose();
        break;
      }
      rows.push({
        spec: name,
        params: result.params.total,
        trainable: result.params.trainable,
        seconds: result.trainSeconds,
        epochs: `${result.bestEpoch}/${result.history.length}`,
        ...(result.validation ? { valAccuracy: result.validation.accuracy } : {}),
        ...(testMetrics ? { testAccuracy: testMetrics.accuracy } : {}),
      });
      runs.push({
        name,
        history: result.history,
        bestEpoch: result.bestEpoch,
        params: result.params.total,
        trainable: result.params.trainable,
        seconds: result.trainSeconds,
        ...(result.validation ? { valAccuracy: result.validation.accuracy } : {}),
        ...(testMetrics ? { testAccuracy: testMetrics.accuracy } : {}),
      });
      specProgress.line(`done: val accuracy ${pct(result.validation?.accuracy)}, test accuracy ${pct(testMetrics?.accuracy)}, ${time(result.trainSeconds)}`);
      result.model.dispose();
    }
  } finally {
    interrupt.dispose();
    progress.clear();
  }
  const cells = table(rows);
  io.out(`${textTable(cells)}\n`);
  if (rows.length < programs.length) io.err(`interrupted: ${rows.length} of ${programs.length} specs finished\n`);

  const command = ['rnnc', ...argv].map(quoteArg).join(' ');
  const notes = [
    `Data: \`${dataPath}\` (${all.examples.length} examples${all.problems.length ? `, ${all.problems.length} unusable rows` : ''}).`,
    testPath
      ? `Test: \`${testPath}\` (${test.length} examples).`
      : testSplit > 0
        ? `Test: a seeded ${Math.round(testSplit * 100)}% split (${test.length} examples), carved first; never used for training, early stopping or model choice.`
        : 'Test: none; the accuracy to compare is the validation accuracy, on data that also chose the kept epoch.',
    valExamples
      ? `Validation: \`${optString(args, 'val-file') ?? flags.val_file}\` (${valExamples.length} examples); early stopping on validation loss keeps the best epoch.`
      : `Validation: ${Math.round(valSplit * 100)}% of the remaining ${pool.length} examples (seeded); early stopping on validation loss keeps the best epoch.`,
    `Seed ${seed} for every spec: same split, same shuffles; each spec's other \`train\` settings apply.`,
    'Accuracy: a text counts as positive when the model gives p > 0.5.',
  ];
  if (outFile) {
    const section = optString(args, 'section');
    const body = [
      markdownTable(cells),
      '',
      `Made by \`rnnc experiment\` (rnnc 0.1.0, backend \`${loaded.backend}\`, kernels: ${kernelsLabel(loaded)}) on ${new Date().toISOString().slice(0, 10)}:`,
      '',
      '```sh',
      command,
      '```',
      '',
      ...notes.map((n) => `- ${n}`),
    ];
    let md: string;
    if (section === undefined) {
      md = ['# Experiment results', '', ...body, ''].join('\n');
    } else {
      // A section of a larger document: replace the section of that title, keep the rest.
      let existing = '';
      try {
        existing = await readFile(resolve(outFile), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      md = replaceSection(existing, section, body.join('\n'));
    }
    writeFileAtomic(outFile, md);
    io.err(`wrote ${outFile}${section === undefined ? '' : ` (section "${section}")`}\n`);
  }
  if (reportDir !== undefined) {
    // The chart libraries load only now, and only for --report.
    const { renderExperimentReport } = await import('../../report/experiment-page.js');
    const page = await renderExperimentReport({
      command,
      backend: loaded.backend,
      kernels: kernelsLabel(loaded),
      date: new Date().toISOString().slice(0, 10),
      runs,
      notes: notes.map((n) => n.replace(/`/g, '')),
      notRun: programs.length - rows.length,
    });
    const file = join(reportDir, 'report.html');
    writeOutputFile(file, page, file);
    io.err(`wrote ${file}\n`);
  }
  if (rows.length < programs.length && interrupt.stop()) return EXIT_INTERRUPTED;
  return exitCodeFor(failures);
}
