import type { Span } from '../../diagnostics/types.js';
import type { TrainSettings } from '../../ir/types.js';
import { TRAIN_SETTINGS, type BuiltinSpec } from '../../language/builtins.js';
import { quote } from '../../language/quote.js';
import { didYouMean } from '../../language/suggest.js';
import type { Arg, TrainBlock } from '../ast.js';
import type { LowerContext } from './context.js';
import { renameFix } from './report.js';

/**
 * `train { key: value … }`: each known setting read as its type, unknown and repeated keys
 * reported. `spans` maps each setting's JSON pointer (`/train/epochs`) to its value.
 */
export function lowerTrain(cx: LowerContext, block: TrainBlock): { settings: TrainSettings; spans: Map<string, Span> } {
  const out: Record<string, unknown> = {};
  const seen = new Map<string, Span>();
  const spans = new Map<string, Span>();
  for (const entry of block.entries) {
    const key = entry.key.name;
    const spec = cx.rec.setting(entry);
    if (!spec) {
      cx.rec.skipped(entry.value.stages);
      const guess = didYouMean(key, TRAIN_SETTINGS.map((s) => s.name));
      cx.out.report('UnknownTrainSetting', entry.key.span, `unknown train setting ${quote(key)}`, {
        help: guess ? `did you mean \`${guess}\`?` : `settings are ${TRAIN_SETTINGS.map((s) => `\`${s.name}\``).join(', ')}`,
        fixes: guess ? [renameFix(entry.key.span, guess)] : undefined,
      });
      continue;
    }
    const prev = seen.get(key);
    if (prev) {
      cx.rec.skipped(entry.value.stages);
      cx.out.report('DuplicateArgument', entry.key.span, `${quote(key)} is set twice`, { labels: [{ span: prev, message: 'first set here' }] });
      continue;
    }
    seen.set(key, entry.key.span);
    const fake: BuiltinSpec = { name: 'train', makes: 'source', summary: '', params: [spec] };
    const arg: Arg = { name: entry.key, value: entry.value, span: entry.span };
    const args = new Map([[key, { arg, value: cx.argValue(entry.value) }]]);
    const got =
      spec.type === 'int'
        ? cx.read.int(args, key)?.n
        : spec.type === 'number' || spec.type === 'rate'
          ? cx.read.num(args, key)?.n
          : spec.type === 'bool'
            ? cx.read.bool(args, key)?.b
            : spec.type === 'enum'
              ? cx.read.enumValue(args, fake, key)?.v
              : cx.read.str(args, key)?.s;
    if (got !== undefined && got !== null) {
      out[key] = got;
      spans.set(`/train/${key}`, entry.value.span);
    }
  }
  return { settings: out, spans };
}
