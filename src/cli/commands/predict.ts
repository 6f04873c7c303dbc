import { predictionOf } from '../../train/metrics.js';
import { optString, UsageError, type ParsedArgs } from '../args.js';
import { openPredictor } from '../engine.js';
import { EXIT_OK } from '../exit.js';
import type { Io } from '../io.js';

/** Lines of standard input; a final line break does not start another text. */
function stdinLines(text: string): string[] {
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * `rnnc predict DIR "text"…` (or one text per line on stdin): the predicted label and the
 * probability of that label, `label<TAB>P(label)=p<TAB>text` per text; `--format json` prints JSON lines
 * with every class's probability.
 */
export async function runPredict(io: Io, args: ParsedArgs): Promise<number> {
  const [dir, ...given] = args.positionals as [string, ...string[]];
  let texts = given;
  if (texts.length === 0 || (texts.length === 1 && texts[0] === '-')) {
    if (!io.stdin) throw new UsageError('give texts to classify, or pipe them on standard input (one per line)');
    texts = stdinLines(await io.stdin());
  }
  const trained = await openPredictor(dir, args);
  for (const l of trained.lines) io.err(`${l}\n`);
  const probs = await trained.probabilities(texts);
  await trained.close();
  const labels = trained.vocab.labels;
  const json = optString(args, 'format') === 'json';
  const out: string[] = [];
  texts.forEach((text, i) => {
    const p = predictionOf(probs, i, labels, trained.head);
    out.push(json ? JSON.stringify({ text, ...p }) : `${p.label}\tP(${p.label})=${p.probability.toFixed(4)}\t${text}`);
  });
  if (out.length > 0) io.out(`${out.join('\n')}\n`);
  return EXIT_OK;
}
