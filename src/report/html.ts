/**
 * The HTML of rnnc's report pages: one self-contained file each, with its styles inline, its
 * charts as inline SVG and no script, so it shows the same offline, from a mail attachment or
 * with JavaScript off. A Content-Security-Policy forbids every request (no scripts, fonts,
 * images or styles from anywhere), so nothing in the page can reach the network even by mistake.
 */

/** Text escaped for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Trusted markup (made here or by Vega), as opposed to text, which {@link html} escapes. */
export class Markup {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export type Content = Markup | string | number | undefined | null | false | readonly Content[];

/** Content as HTML: strings are escaped, markup is kept, nothing-values vanish, arrays join. */
export function render(c: Content): string {
  if (c instanceof Markup) return c.html;
  if (c === undefined || c === null || c === false) return '';
  if (typeof c === 'string') return escapeHtml(c);
  if (typeof c === 'number') return String(c);
  return c.map(render).join('');
}

/** A tagged template that escapes every interpolated value unless it is {@link Markup}. */
export function html(parts: TemplateStringsArray, ...values: Content[]): Markup {
  let out = parts[0] ?? '';
  values.forEach((v, i) => (out += render(v) + (parts[i + 1] ?? '')));
  return new Markup(out);
}

/** What the page says for a section an older rnnc did not record. */
export const NOT_RECORDED = 'not recorded by this rnnc version';

/** `0.8734` → `87.34%`. */
export const percent = (x: number, digits = 2): string => `${(x * 100).toFixed(digits)}%`;

/** A table: a header row and body rows; cells that are numbers are right-aligned. */
export function table(head: readonly Content[], rows: readonly (readonly Content[])[], opts: { className?: string; numeric?: readonly number[] } = {}): Markup {
  const numeric = new Set(opts.numeric ?? []);
  const cls = (i: number): string => (numeric.has(i) ? ' class="num"' : '');
  return html`<table${opts.className ? new Markup(` class="${escapeHtml(opts.className)}"`) : ''}><thead><tr>${head.map(
    (h, i) => html`<th${new Markup(cls(i))}>${h}</th>`,
  )}</tr></thead><tbody>${rows.map((r) => html`<tr>${r.map((c, i) => html`<td${new Markup(cls(i))}>${c}</td>`)}</tr>`)}</tbody></table>`;
}

/** A note in place of a section's content (not recorded, no validation data, …). */
export const note = (text: Content): Markup => html`<p class="note">${text}</p>`;

/** A chart: its SVG (from Vega) in a figure the tests and the screenshot script can find by `data-chart`. */
export function figure(name: string, caption: Content, svg: string): Markup {
  return html`<figure class="chart" data-chart="${name}">${new Markup(svg)}<figcaption>${caption}</figcaption></figure>`;
}

const STYLE = `
:root { color-scheme: light; --ink: #1d2433; --muted: #5b6475; --line: #e3e6ec; --accent: #4c78a8; --bad: #b3261e; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 8px; }
.sub { color: var(--muted); margin: 0 0 8px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #e8f0fa; color: var(--accent); margin-right: 6px; }
.badge.warn { background: #fdecea; color: var(--bad); }
.charts { display: flex; flex-wrap: wrap; gap: 16px 28px; align-items: flex-start; }
figure { margin: 0; }
.charts figure { flex: 0 1 480px; min-width: 0; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 2px; }
.drawing { border: 1px solid var(--line); border-radius: 6px; padding: 12px; overflow-x: auto; }
.drawing.missing { color: var(--muted); font-style: italic; text-align: center; padding: 28px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0 16px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 120px; }
.card b { display: block; font-size: 20px; }
.card span { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 14px; }
th, td { text-align: left; padding: 4px 12px 4px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.examples td:first-child { max-width: 620px; }
.note { color: var(--muted); font-style: italic; }
pre, code { font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
pre { background: #f6f8fa; padding: 10px 12px; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print { main { max-width: none; } h2 { break-after: avoid; } figure { break-inside: avoid; } }
`;

/**
 * A whole page. The policy allows inline styles and nothing else: no script, no request of any
 * kind (an inline SVG needs none).
 */
export function page(title: string, body: Markup): string {
  const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="rnnc">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body.html}
</main>
</body>
</html>
`;
}
