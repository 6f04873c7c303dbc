/**
 * SVG as text, from a few typed helpers: an element is a tag, attributes and children; text
 * children and attribute values are escaped here and nowhere else, so user text (file paths,
 * layer names) can never break the document. Output is deterministic (attributes in the order
 * given, numbers rounded to hundredths), which lets the README's drawing be compared byte for
 * byte with what `rnnc draw` makes now.
 */

export type AttrValue = string | number | boolean | undefined;
export type Attrs = Readonly<Record<string, AttrValue>>;

export interface SvgElement {
  tag: string;
  attrs: Attrs;
  children: readonly SvgNode[];
}

/** An element, or text (escaped when written). */
export type SvgNode = SvgElement | string;

export function el(tag: string, attrs: Attrs = {}, ...children: SvgNode[]): SvgElement {
  return { tag, attrs, children };
}

/** Characters XML 1.0 cannot hold at all, even escaped: C0 controls but tab and newline, lone surrogates, U+FFFE/U+FFFF. */
// eslint-disable-next-line no-control-regex -- these control characters are exactly what must be replaced
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Escapes text for XML content and attribute values; characters XML cannot hold become U+FFFD. */
export function escapeXml(s: string): string {
  return s.replace(NOT_XML, '\ufffd').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A coordinate or length as written: at most two decimals, no `-0`. */
export function num(n: number): string {
  const r = Math.round(n * 100) / 100;
  return String(r === 0 ? 0 : r);
}

function attrText(attrs: Attrs): string {
  let out = '';
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    out += ` ${k}="${v === true ? k : escapeXml(typeof v === 'number' ? num(v) : v)}"`;
  }
  return out;
}

/** One node as text; elements whose children are all text stay on one line. */
export function serialize(node: SvgNode, indent = ''): string {
  if (typeof node === 'string') return indent + escapeXml(node);
  const open = `${indent}<${node.tag}${attrText(node.attrs)}`;
  if (node.children.length === 0) return `${open}/>`;
  if (node.children.every((c) => typeof c === 'string' || c.tag === 'tspan')) {
    return `${open}>${node.children.map((c) => serialize(c)).join('')}</${node.tag}>`;
  }
  const inner = node.children.map((c) => serialize(c, `${indent}  `)).join('\n');
  return `${open}>\n${inner}\n${indent}</${node.tag}>`;
}

export interface SvgDocument {
  width: number;
  height: number;
  title: string;
  description: string;
  /** Root attributes beyond size, viewBox and accessibility (fonts, data attributes). */
  attrs?: Attrs;
  defs: readonly SvgNode[];
  body: readonly SvgNode[];
}

/** A standalone SVG file (also valid inline in HTML), with `<title>` and `<desc>` for screen readers. */
export function svgDocument(d: SvgDocument): string {
  const root = el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      width: d.width,
      height: d.height,
      viewBox: `0 0 ${num(d.width)} ${num(d.height)}`,
      role: 'img',
      'aria-labelledby': 'rnnc-title rnnc-desc',
      ...d.attrs,
    },
    el('title', { id: 'rnnc-title' }, d.title),
    el('desc', { id: 'rnnc-desc' }, d.description),
    el('defs', {}, ...d.defs),
    ...d.body,
  );
  return `${serialize(root)}\n`;
}
