import { parseArgs, UsageError, usageLines, type OptionSpec, type ParsedArgs } from './args.js';
import { RnncError } from '../diagnostics/error.js';
import { didYouMean } from '../language/suggest.js';
import { EXIT_USAGE } from './exit.js';
import { FRONTEND_OPTIONS } from './frontend.js';
import { reportFailure } from './report.js';
import { processIo, type Io } from './io.js';
import { SETTINGS_OPTIONS } from './settings-flags.js';
import { checkRuntimeArgs, RUNTIME_OPTIONS } from './runtime.js';
import { ENGINE_OPTION } from './engine.js';

export interface Command {
  name: string;
  usage: string;
  summary: string;
  options: OptionSpec[];
  /** Positional arguments: at least `min`, at most `max`. */
  min: number;
  max: number;
  /** What the positional arguments are, for "missing …" (`a model folder (DIR)`). */
  operands: string;
  run: (io: Io, args: ParsedArgs) => number | Promise<number>;
  /** How its messages name it, when not `rnnc NAME` (`rnnc data fetch`). */
  label?: (args: ParsedArgs) => string;
  /** The values `--format` takes, when not text and json. */
  formats?: readonly string[];
}

const FORMAT: OptionSpec = { name: 'format', value: 'string', help: 'text (default) or json' };
const OUT: OptionSpec = { name: 'out', short: 'o', value: 'string', help: 'output directory' };

// Each command's module is imported only when it runs, so `check` never loads TensorFlow.
export const COMMANDS: readonly Command[] = [
  {
    name: 'check',
    operands: 'a spec file (or `-` for standard input)',
    usage: 'rnnc check FILE…',
    summary: 'report every problem in .rnn (or .rnn.json) files',
    options: [FORMAT, ...FRONTEND_OPTIONS],
    min: 1,
    max: Infinity,
    run: async (io, a) => (await import('./commands/check.js')).runCheck(io, a),
  },
  {
    name: 'summary',
    operands: 'a spec file',
    usage: 'rnnc summary FILE',
    summary: 'print the layers, output shapes and parameter counts',
    options: [FORMAT, ...FRONTEND_OPTIONS],
    min: 1,
    max: 1,
    run: async (io, a) => (await import('./commands/summary.js')).runSummary(io, a),
  },
  {
    name: 'draw',
    operands: 'a spec file or a model folder',
    usage: 'rnnc draw FILE|DIR [-o OUT]',
    summary: 'draw the model as an unrolled picture: SVG, PNG or HTML (a spec, or a model folder)',
    options: [
      { name: 'out', short: 'o', value: 'string', help: 'output file, .svg, .png or .html (default: SVG on standard output)' },
      { name: 'format', value: 'string', help: 'svg, png or html (default: from -o, else svg)' },
      ...FRONTEND_OPTIONS,
    ],
    formats: ['svg', 'png', 'html'],
    min: 1,
    max: 1,
    run: async (io, a) => (await import('./commands/draw.js')).runDraw(io, a),
  },
  {
    name: 'compile',
    operands: 'a spec file',
    usage: 'rnnc compile FILE -o DIR',
    summary: 'build the TensorFlow.js model and write model.json, weights.bin, spec.json',
    options: [OUT, FORMAT, ...RUNTIME_OPTIONS, ...FRONTEND_OPTIONS],
    min: 1,
    max: 1,
    run: async (io, a) => (await import('./commands/compile.js')).runCompile(io, a),
  },
  {
    name: 'train',
    operands: 'a spec file',
    usage: 'rnnc train FILE -o DIR',
    summary: 'train on --data PATH (none: the embedded demo corpus), checkpointing each epoch',
    options: [
      OUT,
      { name: 'data', value: 'string', help: 'labelled data: .tsv/.csv, X.pos + X.neg, aclImdb folder, "label text" lines' },
      { name: 'resume', help: 'continue from the checkpoint in -o DIR' },
      { name: 'quiet', help: 'plain lines, one per epoch, instead of a progress bar' },
      FORMAT,
      ...RUNTIME_OPTIONS,
      ...SETTINGS_OPTIONS,
      ...FRONTEND_OPTIONS,
    ],
    min: 1,
    max: 1,
    run: async (io, a) => (await import('./commands/train.js')).runTrain(io, a),
  },
  {
    name: 'eval',
    operands: 'a model folder (DIR)',
    usage: 'rnnc eval DIR --data PATH',
    summary: 'accuracy, precision, recall, F1, confusion matrix and loss of a trained model',
    options: [
      { name: 'data', value: 'string', help: 'labelled data to evaluate on' },
      { name: 'label-column', value: 'string', help: 'label column in TSV/CSV data' },
      { name: 'text-column', value: 'string', help: 'text column in TSV/CSV data' },
      FORMAT,
      ENGINE_OPTION,
      ...RUNTIME_OPTIONS,
    ],
    min: 1,
    max: 1,
    run: async (io, a) => (await import('./commands/eval.js')).runEval(io, a),
  },
  {
    name: 'predict',
    operands: 'a model folder (DIR)',
    usage: 'rnnc predict DIR [TEXT…]',
    summary: 'label and probability of each text (none given: one per line from stdin)',
    options: [FORMAT, ENGINE_OPTION, ...RUNTIME_OPTIONS],
    min: 1,
    max: Infinity,
    run: async (io, a) => (await import('./commands/predict.js')).runPredict(io, a),
  },
  {
    name: 'serve',
    operands: 'a model folder (DIR)',
    usage: 'rnnc serve DIR [--port N]',
    summary: 'answer JSON predictions over HTTP on localhost (POST /predict, GET /health)',
    options: [
      { name: 'port', value: 'int', help: 'port to listen on (default 8080; 0 picks a free one, printed at start)' },
      { name: 'host', value: 'string', help: 'address to listen on (default 127.0.0.1, this machine only; exposing it beyond, e.g. 0.0.0.0, is your choice)' },
      ENGINE_OPTION,
      ...RUNTIME_OPTIONS,
    ],
    min: 1,
    max: 1,
    run: async (io, a) => (await import('./commands/serve.js')).runServe(io, a),
  },
  {
    name: 'export',
    operands: 'a model folder (DIR)',
    formats: ['onnx', 'pytorch'],
    usage: 'rnnc export DIR -o OUT',
    summary: 'write a model for ONNX Runtime (OUT.onnx, vocab.json beside it) or, with --format pytorch, a PyTorch folder',
    options: [
      { name: 'format', value: 'string', help: 'onnx (the default) or pytorch' },
      { name: 'out', short: 'o', value: 'string', help: 'the file to write (onnx, e.g. model.onnx) or the folder (pytorch)' },
    ],
    min: 1,
    max: 1,
    run: async (io, a) => (await import('./commands/export.js')).runExport(io, a),
  },
  {
    name: 'import',
    operands: 'a PyTorch export folder (DIR)',
    usage: 'rnnc import DIR -o MODELDIR',
    summary: 'turn a PyTorch export (or what its train.py wrote) back into an rnnc model folder',
    options: [{ name: 'out', short: 'o', value: 'string', help: 'the model folder to write' }],
    min: 1,
    max: 1,
    run: async (io, a) => (await import('./commands/import.js')).runImport(io, a),
  },
  {
    name: 'experiment',
    operands: 'one or more spec files',
    usage: 'rnnc experiment FILE… --data PATH',
    summary: 'train each spec on the same split and seed; print one comparison table',
    options: [
      { name: 'data', value: 'string', help: 'labelled data shared by every spec' },
      { name: 'test', value: 'string', help: 'test data (else --test-split)' },
      { name: 'test-split', value: 'string', help: 'fraction of --data held out for testing, e.g. 0.1' },
      { name: 'out', short: 'o', value: 'string', help: 'also write the table as Markdown, with the command line' },
      { name: 'section', value: 'string', help: 'with --out: write a section "## TITLE" of that file, replacing its earlier version' },
      { name: 'report', value: 'string', help: 'also write DIR/report.html: the runs\' curves overlaid and their accuracy table' },
      { name: 'quiet', help: 'plain lines, one per epoch' },
      ...RUNTIME_OPTIONS,
      ...SETTINGS_OPTIONS,
      ...FRONTEND_OPTIONS,
    ],
    min: 1,
    max: Infinity,
    run: async (io, a) => (await import('./commands/experiment.js')).runExperiment(io, a),
  },
  {
    name: 'report',
    operands: 'a model folder (DIR)',
    usage: 'rnnc report DIR -o FILE.html',
    summary: "one self-contained HTML page of a trained model's curves, metrics, mistakes and data",
    options: [{ name: 'out', short: 'o', value: 'string', help: 'the page to write (- for standard output)' }],
    min: 1,
    max: 1,
    run: async (io, a) => (await import('./commands/report.js')).runReport(io, a),
  },
  {
    name: 'data',
    operands: 'a subcommand: `fetch imdb` or `demo`',
    usage: 'rnnc data fetch imdb | demo',
    summary: 'download and unpack IMDB into the cache, or print the demo corpus',
    options: [
      { name: 'cache', value: 'string', help: 'cache folder (default $RNNC_CACHE_DIR, $XDG_CACHE_HOME/rnnc or ~/.cache/rnnc)' },
      { name: 'url', value: 'string', help: 'download from this mirror instead (file:///… reads a local archive)' },
      { name: 'archive', value: 'string', help: 'use this copy of the archive instead of downloading (no internet needed)' },
      { name: 'sha256', value: 'string', help: "expected sha256 of the mirror's archive" },
      { name: 'force', help: 'download again even if cached' },
      { name: 'out', short: 'o', value: 'string', help: 'demo: write the TSV here instead of stdout' },
    ],
    min: 1,
    max: 3,
    run: async (io, a) => (await import('./commands/data.js')).runData(io, a),
    label: (a) => ['rnnc data', ...a.positionals.slice(0, 1)].join(' '),
  },
  {
    name: 'vectors',
    operands: 'a model folder (DIR)',
    usage: 'rnnc vectors DIR -o FILE.vec',
    summary: "export a trained model's embedding as a word-vectors file",
    options: [OUT],
    min: 1,
    max: 1,
    run: async (io, a) => (await import('./commands/vectors.js')).runVectors(io, a),
  },
  {
    name: 'fmt',
    operands: 'a file (or `-` for standard input)',
    usage: 'rnnc fmt FILE… [--check]',
    summary: 'rewrite .rnn files in the canonical layout (`-`: stdin to stdout)',
    options: [{ name: 'check', help: 'change nothing; list the files that would change and exit 1 if any' }],
    min: 1,
    max: Infinity,
    run: async (io, a) => (await import('./commands/fmt.js')).runFmt(io, a),
  },
  {
    name: 'lsp',
    operands: 'nothing',
    usage: 'rnnc lsp [--stdio]',
    summary: 'run the language server on standard input and output',
    options: [
      { name: 'stdio', help: 'talk over standard input and output (the default and only transport)' },
      // vscode-languageclient adds it; the server library reads it from argv itself.
      { name: 'clientProcessId', value: 'int', help: 'exit when this process (the editor) is gone' },
    ],
    min: 0,
    max: 0,
    run: async (io, a) => (await import('./commands/lsp.js')).runLsp(io, a),
  },
];

const HELP: OptionSpec = { name: 'help', short: 'h', help: 'show help' };

function usage(): string {
  return [
    'rnnc: compile .rnn recurrent text classifiers to TensorFlow.js',
    '',
    'usage:',
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(34)} ${c.summary}`),
    '',
    'rnnc COMMAND --help shows its options.',
    'exit codes: 0 success, 1 the spec, data or settings have errors, 2 usage, file or model-folder error,',
    '            70 internal error (a bug in rnnc), 130 interrupted (checkpoint saved)',
  ].join('\n');
}

function commandHelp(c: Command): string {
  return [`usage: ${c.usage}`, '', c.summary, '', 'options:', ...usageLines([...c.options, HELP])].join('\n');
}

/** Runs the CLI; returns the exit code. Bad input of any kind is a message, never a stack trace. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    io.err(`${usage()}\n`);
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    // `rnnc help train` is `rnnc train --help`.
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic === undefined) {
      io.out(`${usage()}\n`);
      return 0;
    }
    const about = COMMANDS.find((c) => c.name === topic);
    if (!about) return unknownCommand(io, topic);
    io.out(`${commandHelp(about)}\n`);
    return 0;
  }
  if (name === '--version' || name === '-V') {
    io.out('rnnc 0.1.0\n');
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) return unknownCommand(io, name);
  let args: ParsedArgs;
  try {
    args = parseArgs(rest, [...command.options, HELP]);
    if (args.options.has('help')) {
      io.out(`${commandHelp(command)}\n`);
      return 0;
    }
    const n = args.positionals.length;
    if (n < command.min) throw new UsageError(`missing ${command.operands}: ${command.usage}`);
    if (n > command.max) throw new UsageError(`too many arguments: ${args.positionals.slice(command.max).join(' ')}`);
    const format = args.options.get('format');
    const formats = command.formats ?? ['text', 'json'];
    if (format !== undefined && !formats.includes(String(format))) {
      const allowed = formats.length === 1 ? formats[0]! : `${formats.slice(0, -1).join(', ')} or ${formats[formats.length - 1]!}`;
      throw new UsageError(`--format must be ${allowed}, got ${String(format)}`);
    }
    checkRuntimeArgs(args);
  } catch (e) {
    if (e instanceof UsageError) return usageError(io, command, e);
    throw e;
  }
  try {
    return await command.run(io, args);
  } catch (e) {
    // The one place where failures become output and exit codes: every problem the user can
    // fix arrives as an RnncError (a diagnostic) or, for the command line itself, a UsageError.
    if (e instanceof RnncError) return reportFailure(io, command.label?.(args) ?? `rnnc ${command.name}`, e);
    if (e instanceof UsageError) return usageError(io, command, e);
    throw e;
  }
}

/** A bad command line: one line saying what is wrong, one saying where the help is (stderr, exit 2). */
function usageError(io: Io, command: Command, e: UsageError): number {
  io.err(`rnnc ${command.name}: ${e.message}\n(\`rnnc ${command.name} --help\` shows its options)\n`);
  return EXIT_USAGE;
}

function unknownCommand(io: Io, name: string): number {
  const guess = didYouMean(name, COMMANDS.map((c) => c.name));
  io.err(`rnnc: unknown command \`${name}\`${guess ? ` (did you mean \`${guess}\`?)` : ''}\n(\`rnnc --help\` lists the commands)\n`);
  return EXIT_USAGE;
}
