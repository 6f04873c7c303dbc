/**
 * Reading the charts of a report page as text: each chart is a `<figure data-chart="NAME">`
 * holding Vega's SVG, whose marks sit in groups classed `NAME_marks` after the Vega-Lite layer
 * names (points, cells, kept, …), each item with its accessible label.
 */

/** The SVG of the chart `name` on a page. */
export function svgOf(page: string, name: string): string {
  const start = page.indexOf(`<figure class="chart" data-chart="${name}">`);
  if (start < 0) throw new Error(`no chart ${name} on the page`);
  return page.slice(start, page.indexOf('</figure>', start));
}

const unescape = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/** The items of layer `layer`: a text's content, else the item's aria-label. */
export function marks(svg: string, layer: string): string[] {
  const group = new RegExp(`<g class="[^"]*\\b${layer}_marks"[^>]*>(.*?)</g>`, 's').exec(svg);
  if (!group) return [];
  const items = [...group[1]!.matchAll(/<(path|text|rect)\b([^>]*?)(?:\/>|>(.*?)<\/\1>)/gs)];
  return items.map((m) => unescape(m[1] === 'text' ? (m[3] ?? '') : (/aria-label="([^"]*)"/.exec(m[2]!)?.[1] ?? '')));
}

/** The labels of a curve chart's points: `RUN · SPLIT · epoch N · METRIC VALUE`. */
export const pointLabels = (svg: string): string[] => marks(svg, 'points');

/** The labels of a confusion matrix's cells, row by row: `true A · predicted B · N`. */
export const cellLabels = (svg: string): string[] => marks(svg, 'cells');
