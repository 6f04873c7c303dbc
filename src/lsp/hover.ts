import type { Hover, MarkupContent } from 'vscode-languageserver';
import type { LayerInfo } from '../check/shapes.js';
import type { BuiltinSpec, ParamSpec } from '../language/builtins.js';
import { shapeText } from '../check/shapes.js';
import type { Span } from '../diagnostics/types.js';
import { formatCount } from '../util/numbers.js';
import { spanKey, type Analyzed } from './document.js';
import { toRange } from './diagnostics.js';
import { occurrenceAt, type Occurrence } from './occurrences.js';

/** At most this many layers are listed in one hover (`lstm(8) x1000` makes a thousand). */
const MAX_LISTED = 8;

function paramType(p: ParamSpec): string {
  if (p.type === 'enum') return (p.values ?? []).join(' | ');
  return p.type === 'rate' ? 'number in [0, 1)' : p.type;
}

function paramLine(p: ParamSpec): string {
  return `**${p.name}**${p.flag ? ' (flag)' : ''}: ${paramType(p)}: ${p.doc}`;
}

/** One IR layer: name, output shape, parameters with the formula, trainable or frozen. */
export function layerLine(info: LayerInfo, inner: boolean): string {
  if (inner) {
    // The cell of a `bi` is counted twice (one copy per direction); the analysis has the pair.
    const formula = info.formula.replace(/^2 × \((.*)\)$/, '$1');
    return `one direction of \`${info.name}\`: ${formatCount(info.params / 2)} params = ${formula}`;
  }
  const params = info.params === 0 ? '0 params' : `${formatCount(info.params)} params = ${info.formula}`;
  const training = info.params === 0 ? '' : info.trainable ? ', trainable' : ', frozen (not trained)';
  return `\`${info.name}\`: output ${shapeText(info.outputShape)}, ${params}${training}`;
}

function layersText(doc: Analyzed, layers: { index: number; inner: boolean }[]): string[] {
  const analysis = doc.result.analysis;
  if (!analysis) return ['_Shapes and parameters are shown once the file has no errors._'];
  const lines = layers.slice(0, MAX_LISTED).flatMap((l) => {
    const info = analysis.layers[l.index];
    return info ? [`- ${layerLine(info, l.inner)}`] : [];
  });
  if (layers.length > MAX_LISTED) lines.push(`- … and ${layers.length - MAX_LISTED} more`);
  return lines;
}

function builtinText(spec: BuiltinSpec): string[] {
  const out = [`**${spec.name}**: ${spec.summary}`];
  if (spec.formula) out.push(`Parameters: \`${spec.formula}\` (i = input width, u = units).`);
  return out;
}

/** Layers made by the stage of the model pipeline that starts at `span` (a name or call, perhaps with `xN` after it). */
function stageLayers(doc: Analyzed, span: Span): number[] | undefined {
  return doc.result.map?.stages.find((s) => s.span.start === span.start)?.layers;
}

function bindingText(doc: Analyzed, name: string): string[] {
  const b = doc.result.bindings.find((x) => x.name === name);
  if (!b) return [];
  const source = doc.text.slice(b.statement.start, b.statement.end);
  const shown = source.length > 400 ? `${source.slice(0, 400)}…` : source;
  const uses = b.uses.length === 0 ? 'not used by the model' : `used ${b.uses.length === 1 ? 'once' : `${b.uses.length} times`} by the model`;
  return [['```rnn', shown, '```'].join('\n'), `\`${name}\`: ${uses}`];
}

function contents(doc: Analyzed, o: Occurrence): string[] | undefined {
  switch (o.kind) {
    case 'callee': {
      if (!o.spec) return [`\`${o.call.callee.name}\` is not a layer.`];
      const out = builtinText(o.spec);
      if (o.spec.makes === 'layer') {
        const layers = doc.layersBySpan().get(spanKey(o.call.span)) ?? [];
        if (layers.length) out.push(layersText(doc, layers).join('\n'));
        else if (o.inLet) out.push(`_Bound by \`let ${o.inLet.name.name}\`; shapes show where the model uses it._`);
      }
      return out;
    }
    case 'argName':
      return o.param ? [paramLine(o.param)] : undefined;
    case 'trainKey':
      return o.setting ? [`\`train\` setting ${paramLine(o.setting)}`] : undefined;
    case 'letName':
    case 'name': {
      const name = o.kind === 'letName' ? o.statement.name.name : o.name;
      // A name shows its binding when the lowering resolved it to one (a bound flag word is the flag).
      const binding = o.kind === 'letName' || o.binding ? doc.result.bindings.find((b) => b.name === name) : undefined;
      if (binding) {
        const out = bindingText(doc, name);
        const layers = o.kind === 'name' ? stageLayers(doc, o.span) : undefined;
        if (layers?.length) out.push(layersText(doc, layers.map((index) => ({ index, inner: false }))).join('\n'));
        return out;
      }
      if (o.kind === 'name') {
        const p = o.site.param ?? o.site.setting;
        if (p) return [paramLine(p)];
      }
      return undefined;
    }
    case 'repeat': {
      const n = o.stage.repeat!.count;
      const out = [`\`x${n}\`: ${n} copies of the stage, each with its own weights.`];
      const layers = stageLayers(doc, o.stage.span);
      if (layers?.length) out.push(layersText(doc, layers.map((index) => ({ index, inner: false }))).join('\n'));
      return out;
    }
    case 'number':
    case 'string': {
      const p = o.site.param ?? o.site.setting;
      return p ? [paramLine(p)] : undefined;
    }
  }
}

/** Hover: what a layer is, its output shape and parameters (with the formula), trainable or frozen; docs for arguments and settings. */
export function hover(doc: Analyzed, offset: number): Hover | null {
  const o = occurrenceAt(doc.occurrences(), offset);
  if (!o) return null;
  const text = contents(doc, o);
  if (!text?.length) return null;
  const value: MarkupContent = { kind: 'markdown', value: text.join('\n\n') };
  return { contents: value, range: toRange(doc.lines, o.span) };
}
