import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { drawModel } from '../../src/draw/draw.js';
import { checkText, type CheckOptions, type CheckResult } from '../../src/program.js';

/**
 * Reading `rnnc draw`'s SVG in tests: parsed by a real XML parser (so a drawing that is not
 * well-formed XML fails), then queried by the data attributes the renderer puts on everything.
 */
export function parseSvg(svg: string): Document {
  return new DOMParser({
    onError: (level, message) => {
      // Warnings (e.g. about U+FFFD, which the renderer puts in for characters XML cannot hold) are not errors.
      if (level !== 'warning') throw new Error(`SVG is not well-formed (${level}): ${message}`);
    },
  }).parseFromString(svg, 'image/svg+xml');
}

/** Elements (in document order) that have every attribute given, with those values. */
export function all(root: Document | Element, attrs: Record<string, string>): Element[] {
  const out: Element[] = [];
  const list = root.getElementsByTagName('*');
  for (let i = 0; i < list.length; i++) {
    const e = list.item(i)!;
    if (Object.entries(attrs).every(([k, v]) => e.getAttribute(k) === v)) out.push(e);
  }
  return out;
}

export function one(root: Document | Element, attrs: Record<string, string>): Element {
  const found = all(root, attrs);
  if (found.length !== 1) throw new Error(`expected one element with ${JSON.stringify(attrs)}, found ${found.length}`);
  return found[0]!;
}

export const attr = (e: Element, name: string): string | null => e.getAttribute(name);
export const textOf = (e: Element): string => e.textContent ?? '';

/** Numbers in a path's `d`, in order (M x y V y H x …). */
export const pathNumbers = (e: Element): number[] => (attr(e, 'd') ?? '').match(/-?\d+(\.\d+)?/g)!.map(Number);

/** The first rect's y inside an element: where its row is (SVG y grows downwards). */
export function rowY(e: Element): number {
  return Number(attr(e.getElementsByTagName('rect').item(0)!, 'y'));
}

/** Checks a spec file as `rnnc draw` does and draws it. */
export function drawFile(file: string, options: CheckOptions = {}): { checked: CheckResult; svg: string; doc: Document } {
  const checked = checkText(readFileSync(file, 'utf8'), { fileName: file, ...options });
  if (!checked.program || !checked.analysis) throw new Error(`${file} does not check: ${checked.diagnostics.map((d) => d.message).join('; ')}`);
  const { svg } = drawModel({ program: checked.program, analysis: checked.analysis }, basename(file));
  return { checked, svg, doc: parseSvg(svg) };
}

/** Checks spec text (paths resolve against `specs/`) and draws it. */
export function drawText(text: string, options: CheckOptions = {}): { checked: CheckResult; svg: string; doc: Document } {
  const checked = checkText(text, { fileName: 'specs/test.rnn', ...options });
  if (!checked.program || !checked.analysis) throw new Error(`does not check: ${checked.diagnostics.map((d) => d.message).join('; ')}`);
  const { svg } = drawModel({ program: checked.program, analysis: checked.analysis }, 'test.rnn');
  return { checked, svg, doc: parseSvg(svg) };
}
