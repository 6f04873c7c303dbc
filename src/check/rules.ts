import { diag } from '../diagnostics/codes.js';
import type { Diagnostic, Span } from '../diagnostics/types.js';
import { isRecurrentKind } from '../ir/semantics.js';
import type { Program } from '../ir/types.js';
import { checkTokenPattern } from '../ir/token-pattern.js';
import { spanFor, type PointerSpans } from '../ir/validate.js';
import { analyze, type Analysis } from './shapes.js';
import { formatCount } from '../util/numbers.js';
import { clip } from '../language/quote.js';

/** Default `--max-params`: far below what 24 GiB would hold with Adam's slots, far above any lecture model. */
export const DEFAULT_MAX_PARAMS = 50_000_000;

export interface RuleOptions {
  maxParams?: number;
  maxlen?: number | null;
}


/**
 * The structural rules on a schema-valid, normalized program: embed first and once, the
 * sequence reduced to one vector before the head, and the parameter budget, checked before
 * any tensor exists. Returns the analysis when the structure allows one.
 */
export function checkStructure(program: Program, pointers: PointerSpans, options: RuleOptions = {}): { diagnostics: Diagnostic[]; analysis?: Analysis } {
  const diagnostics: Diagnostic[] = [];
  const whole: Span = pointers.get('') ?? { start: 0, end: 0 };
  const def = (i: number): Span => spanFor(pointers, `/layers/${i}`, whole);
  const use = (i: number): Span => pointers.get(`/layers/${i}#use`) ?? def(i);
  const layers = program.layers;

  const embeds = layers.flatMap((l, i) => (l.kind === 'embedding' ? [i] : []));
  if (embeds.length === 0) {
    diagnostics.push(
      diag('MissingEmbed', use(0), 'the model must start with `embed`', {
        help: 'put e.g. `embed(64) |>` in front: rnnc models read word ids',
      }),
    );
  } else if (embeds[0] !== 0) {
    diagnostics.push(
      diag('EmbedNotFirst', use(embeds[0]!), '`embed` must be the first layer', {
        labels: [{ span: use(0), message: 'the model starts here' }],
        help: 'move it to the front of the pipeline',
      }),
    );
  }
  for (const i of embeds.slice(1)) {
    diagnostics.push(
      diag('EmbedTwice', use(i), 'a model has one `embed`', {
        labels: [{ span: use(embeds[0]!), message: 'the embedding is here' }],
        help: 'remove this one',
      }),
    );
  }
  const lastRecurrent = layers.map((l) => isRecurrentKind(l.kind)).lastIndexOf(true);
  if (embeds.length > 0 && lastRecurrent < 0) {
    diagnostics.push(
      diag('ShapeMismatch', use(layers.length - 1), 'the output is still one vector per word: nothing reads the sequence', {
        help: 'add a recurrent layer, e.g. `|> lstm(64)`, before the head',
      }),
    );
  }
  const last = layers[layers.length - 1];
  if (last && last.kind !== 'dense' && lastRecurrent >= 0) {
    diagnostics.push(
      diag('NoClassifierHead', use(layers.length - 1), 'the model has no classifier head', {
        help: 'end it with `|> dense(1)` (binary) or `|> dense(N)` (N classes)',
      }),
    );
  }
  diagnostics.push(...checkTraining(program, pointers, use));
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };

  const analysis = analyze(program, options.maxlen ?? null);
  const budget = options.maxParams ?? DEFAULT_MAX_PARAMS;
  if (analysis.totalParams > budget) {
    const biggest = analysis.layers.reduce((a, b) => (b.params > a.params ? b : a));
    diagnostics.push(
      diag('ParamBudget', def(biggest.index), `the model has ${formatCount(analysis.totalParams)} parameters, over the budget of ${formatCount(budget)}`, {
        label: `${formatCount(biggest.params)} parameters here`,
        help: `make the layers smaller, or raise the budget with \`--max-params ${analysis.totalParams}\``,
      }),
    );
  }
  return { diagnostics, analysis };
}

/**
 * What `rnnc train` would refuse, reported by `check` first, at its place in the spec: a last
 * `dense` whose activation is not a classifier's (train needs a sigmoid unit for two labels or
 * a softmax over N classes), a `loss` that does not fit the head, a `token_pattern` that is not
 * a regular expression. A head is only a warning: the model still compiles, for other uses.
 */
function checkTraining(program: Program, pointers: PointerSpans, use: (i: number) => Span): Diagnostic[] {
  const out: Diagnostic[] = [];
  const whole: Span = pointers.get('') ?? { start: 0, end: 0 };
  const i = program.layers.length - 1;
  const last = program.layers[i];
  let head: 'sigmoid' | 'softmax' | undefined;
  if (last?.kind === 'dense') {
    const at = pointers.get(`/layers/${i}/activation`) ?? use(i);
    if (last.units === 1 && last.activation === 'sigmoid') head = 'sigmoid';
    else if (last.units > 1 && last.activation === 'softmax') head = 'softmax';
    else if (last.units === 1 && last.activation === 'softmax') {
      out.push(
        diag('NoClassifierHead', at, 'a softmax over one unit is always 1: this head cannot learn, and `rnnc train` refuses it', {
          help: 'leave the activation out: rnnc gives `dense(1)` a sigmoid',
          fixes: pointers.has(`/layers/${i}/activation`) ? [{ title: 'use `sigmoid`', edits: [{ span: at, text: 'sigmoid' }] }] : undefined,
        }),
      );
    } else {
      out.push(
        diag('NoClassifierHead', at, `\`rnnc train\` needs a classifier head: a sigmoid \`dense(1)\` or a softmax \`dense(N)\`, not ${last.activation} over ${last.units} unit${last.units === 1 ? '' : 's'}`, {
          help: 'leave the last activation out: rnnc picks sigmoid or softmax',
        }),
      );
    }
  }
  const loss = program.train?.loss;
  if (head && loss && loss !== 'auto' && (loss === 'binary_crossentropy') !== (head === 'sigmoid')) {
    out.push(
      diag('BadTrainValue', spanFor(pointers, '/train/loss', whole), `loss \`${loss}\` does not fit the head: ${head === 'sigmoid' ? 'a sigmoid `dense(1)` (two labels)' : `a softmax over ${(last as { units: number }).units} classes`}`, {
        help: `use \`loss: auto\`${head === 'sigmoid' ? ', or `binary_crossentropy`' : ', or `sparse_categorical_crossentropy`'}`,
      }),
    );
  }
  const pattern = program.train?.token_pattern;
  const problem = pattern === undefined ? undefined : checkTokenPattern(pattern);
  if (problem) out.push(diag('BadTrainValue', spanFor(pointers, '/train/token_pattern', whole), `token_pattern: ${clip(problem, 200)}`));
  return out;
}
