/**
 * A small Wadler-style document printer (the model prettier uses): a layout is built once as a
 * tree of text, line breaks, groups and indentation, and each group is printed on one line when
 * it fits and holds no comment that must end a line there, else broken at its line breaks.
 *
 * Comments are "line suffixes": printed where the line they fall on ends (trailing) or on a
 * line of their own just before the next line (own-line). Before printing, each comment is
 * moved forward to the next place a line can end at its own level (inner groups are skipped
 * whole); the group holding that place then breaks. A comment with no such place ahead goes
 * after the statement. This makes the output a fixed point: where a comment lands is where
 * the next run finds it.
 */

export type Doc = string | Doc[] | Line | Group | Indent | Suffix | IfBreak | Flush;

interface Line {
  kind: 'line';
  /** Prints nothing (instead of a space) when its group is flat. */
  soft: boolean;
  /** Always a line break. */
  hard: boolean;
}

interface Group {
  kind: 'group';
  body: Doc;
}

interface Indent {
  kind: 'indent';
  body: Doc;
}

interface Suffix {
  kind: 'suffix';
  text: string;
  /** On a line of its own before the next line, rather than at the end of the current one. */
  own: boolean;
}

interface IfBreak {
  kind: 'ifBreak';
  text: string;
}

/** Prints pending comments here, at this indentation, when the enclosing group is broken. */
interface Flush {
  kind: 'flush';
}

export const line: Doc = { kind: 'line', soft: false, hard: false };
export const softline: Doc = { kind: 'line', soft: true, hard: false };
export const hardline: Doc = { kind: 'line', soft: false, hard: true };

/**
 * Where pending comments go when a broken group ends: an own-line comment after the last
 * argument stays indented with the arguments instead of moving out to the closing `)`.
 */
export const flushComments: Doc = { kind: 'flush' };

export function group(body: Doc): Doc {
  return { kind: 'group', body };
}

export function indent(body: Doc): Doc {
  return { kind: 'indent', body };
}

export function suffix(text: string, own: boolean): Doc {
  return { kind: 'suffix', text, own };
}

/** `text` when the enclosing group is broken, nothing when it is flat (a trailing comma). */
export function ifBreak(text: string): Doc {
  return { kind: 'ifBreak', text };
}

type Cmd =
  | { k: 'text'; s: string }
  | { k: 'ifBreak'; s: string }
  | { k: 'line'; soft: boolean; hard: boolean }
  | { k: 'open' }
  | { k: 'close' }
  | { k: 'indent' }
  | { k: 'dedent' }
  | { k: 'suffix'; text: string; own: boolean }
  | { k: 'flush' };

function linearize(doc: Doc, out: Cmd[]): void {
  if (typeof doc === 'string') {
    if (doc) out.push({ k: 'text', s: doc });
  } else if (Array.isArray(doc)) {
    for (const d of doc) linearize(d, out);
  } else {
    switch (doc.kind) {
      case 'line':
        out.push({ k: 'line', soft: doc.soft, hard: doc.hard });
        break;
      case 'group':
        out.push({ k: 'open' });
        linearize(doc.body, out);
        out.push({ k: 'close' });
        break;
      case 'indent':
        out.push({ k: 'indent' });
        linearize(doc.body, out);
        out.push({ k: 'dedent' });
        break;
      case 'suffix':
        out.push({ k: 'suffix', text: doc.text, own: doc.own });
        break;
      case 'ifBreak':
        out.push({ k: 'ifBreak', s: doc.text });
        break;
      case 'flush':
        out.push({ k: 'flush' });
        break;
    }
  }
}

const breaks = (c: Cmd): boolean => c.k === 'line' || c.k === 'flush';

/** Moves each comment forward to the next line-break place at its own level (or the end), keeping their order. */
function floatComments(cmds: Cmd[]): Cmd[] {
  const out: Cmd[] = [];
  const waiting: { cmd: Cmd; depth: number }[] = [];
  for (const c of cmds) {
    if (c.k === 'suffix') {
      waiting.push({ cmd: c, depth: 0 });
      continue;
    }
    if (c.k === 'open') for (const w of waiting) w.depth++;
    if (c.k === 'close') for (const w of waiting) w.depth = Math.max(0, w.depth - 1);
    if (breaks(c)) {
      // Comments whose level this break is on land here; those inside a deeper group wait on.
      const landing = waiting.filter((w) => w.depth === 0);
      if (landing.length) {
        out.push(...landing.map((w) => w.cmd));
        waiting.splice(0, waiting.length, ...waiting.filter((w) => w.depth !== 0));
      }
    }
    out.push(c);
  }
  out.push(...waiting.map((w) => w.cmd));
  return out;
}

/** Groups that must break: those holding a hard line or a comment that ends a line inside them, and their ancestors. */
function forcedGroups(cmds: Cmd[]): Set<number> {
  const forced = new Set<number>();
  const open: number[] = [];
  for (let i = 0; i < cmds.length; i++) {
    const c = cmds[i]!;
    if (c.k === 'open') open.push(i);
    else if (c.k === 'close') open.pop();
    else {
      let endsLine = c.k === 'line' && c.hard;
      if (c.k === 'suffix') {
        let j = i + 1;
        while (j < cmds.length && cmds[j]!.k === 'suffix') j++;
        endsLine = j < cmds.length && breaks(cmds[j]!);
      }
      if (endsLine) for (const g of open) forced.add(g);
    }
  }
  return forced;
}

/** Width of the group opened at `start` printed flat, or Infinity once it exceeds `limit`. */
function flatWidth(cmds: Cmd[], start: number, limit: number): number {
  let width = 0;
  let depth = 0;
  for (let i = start; i < cmds.length; i++) {
    const c = cmds[i]!;
    if (c.k === 'open') depth++;
    else if (c.k === 'close' && --depth === 0) break;
    else if (c.k === 'text') width += c.s.length;
    else if (c.k === 'line') width += c.hard ? Infinity : c.soft ? 0 : 1;
    if (width > limit) return Infinity;
  }
  return width;
}

/**
 * Prints `doc` within `width` columns (groups that cannot fit overflow), without a trailing
 * newline. Comments still pending at the end that cannot end the last line (all but a first
 * trailing one) are returned in `rest`, for the caller to put on lines of their own.
 */
export function print(doc: Doc, width: number, eol = '\n'): { text: string; rest: string[] } {
  const raw: Cmd[] = [];
  linearize(doc, raw);
  const cmds = floatComments(raw);
  const forced = forcedGroups(cmds);
  const out: string[] = [];
  let column = 0;
  let pending: { text: string; own: boolean }[] = [];

  const trimEnd = (): void => {
    while (out.length > 0) {
      const last = out[out.length - 1]!.replace(/ +$/, '');
      if (last.length > 0) {
        out[out.length - 1] = last;
        return;
      }
      out.pop();
    }
  };
  const flush = (indentation: number): void => {
    pending.forEach((c, i) => {
      // Only the first comment can end the current line: a second one there would become part of the first.
      if (c.own || i > 0) {
        trimEnd();
        out.push(eol, ' '.repeat(indentation), c.text);
      } else out.push('  ', c.text);
    });
    pending = [];
  };

  const flat: boolean[] = [false];
  const indents: number[] = [0];
  cmds.forEach((c, i) => {
    const isFlat = flat[flat.length - 1]!;
    const ind = indents[indents.length - 1]!;
    switch (c.k) {
      case 'text':
        out.push(c.s);
        column += c.s.length;
        break;
      case 'ifBreak':
        if (!isFlat) {
          out.push(c.s);
          column += c.s.length;
        }
        break;
      case 'line':
        if (c.hard || !isFlat) {
          flush(ind);
          trimEnd();
          out.push(eol, ' '.repeat(ind));
          column = ind;
        } else if (!c.soft) {
          out.push(' ');
          column += 1;
        }
        break;
      case 'open':
        flat.push(isFlat || (!forced.has(i) && flatWidth(cmds, i, width - column) <= width - column));
        break;
      case 'close':
        flat.pop();
        break;
      case 'indent':
        indents.push(ind + 2);
        break;
      case 'dedent':
        indents.pop();
        break;
      case 'suffix':
        pending.push(c);
        break;
      case 'flush':
        if (!isFlat) flush(ind);
        break;
    }
  });
  const rest: string[] = [];
  pending.forEach((c, i) => {
    if (i === 0 && !c.own) out.push('  ', c.text);
    else rest.push(c.text);
  });
  trimEnd();
  return { text: out.join(''), rest };
}
