import { InlayHintKind, type InlayHint } from 'vscode-languageserver';
import { shapeText } from '../check/shapes.js';
import { formatCount } from '../util/numbers.js';
import type { Analyzed } from './document.js';
import { layerLine } from './hover.js';

/**
 * After each stage of the model pipeline: its output shape and parameter count (a stage that
 * makes several layers, `x3` or a bound pipeline, shows the last shape and the sum). Only
 * stages that end inside `[from, to]` are returned.
 */
export function inlayHints(doc: Analyzed, from: number, to: number): InlayHint[] {
  const analysis = doc.result.analysis;
  const stages = doc.result.map?.stages;
  if (!analysis || !stages) return [];
  const hints: InlayHint[] = [];
  for (const stage of stages) {
    if (stage.span.end < from || stage.span.end > to || stage.layers.length === 0) continue;
    const infos = stage.layers.map((i) => analysis.layers[i]).filter((l) => l !== undefined);
    const last = infos[infos.length - 1];
    if (!last) continue;
    const params = infos.reduce((n, l) => n + l.params, 0);
    const frozen = infos.some((l) => !l.trainable && l.params > 0);
    hints.push({
      position: doc.lines.lspPosition(stage.span.end),
      label: `${shapeText(last.outputShape)} · ${formatCount(params)} params${frozen ? ' · frozen' : ''}`,
      kind: InlayHintKind.Type,
      paddingLeft: true,
      tooltip: infos
        .slice(0, 8)
        .map((l) => layerLine(l, false))
        .join('\n'),
    });
  }
  return hints;
}
