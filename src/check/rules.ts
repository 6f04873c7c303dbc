import { diag } from '../diagnostics/codes.js';
import type { Diagnostic, Span } from '../diagnostics/types.js';
import { isRecurrentKind } from '../ir/semantics.js';
import type { Program } from '../ir/types.js';
import { spanFor, type PointerSpans } from '../ir/validate.js';
import { analyze, type Analysis } from './shapes.js';
import { formatCount } from '../util/numbers.js';

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
