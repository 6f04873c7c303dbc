import { fail } from '../../diagnostics/error.js';

/**
 * A token pattern (a JavaScript regular expression, always run with flags `gu`) rewritten for
 * Python's `re`, so that the exported tokenizer cuts text exactly where rnnc does. The two
 * dialects differ exactly where token patterns live: Python's `re` has no `\p{…}`, and its `\d`,
 * `\w`, `\s`, `\b`, `.` and `$` mean other things on text. So every character class becomes an
 * explicit list of code-point ranges computed here, by V8's own regular expressions (the Unicode
 * version rnnc's tokenizer runs on), and the rest is rewritten to its Python spelling:
 * named groups, `\u{…}`, end of input. Constructs with no exact Python form (`\cX`, a class that
 * subtracts or intersects) are CannotExport (E4014) naming them.
 */
export function pythonPattern(js: string): string {
  return new Translator(js).run();
}

type Range = [number, number];
const MAX = 0x10ffff;

/** The code points a one-character JavaScript regular expression (flag `u`) matches, as ranges; cached. */
const classCache = new Map<string, Range[]>();
function rangesOf(jsClass: string): Range[] {
  const hit = classCache.get(jsClass);
  if (hit) return hit;
  const re = new RegExp(`^${jsClass}$`, 'u');
  const out: Range[] = [];
  let start = -1;
  for (let cp = 0; cp <= MAX + 1; cp++) {
    const inside = cp <= MAX && re.test(String.fromCodePoint(cp));
    if (inside && start < 0) start = cp;
    if (!inside && start >= 0) {
      out.push([start, cp - 1]);
      start = -1;
    }
  }
  classCache.set(jsClass, out);
  return out;
}

function normalize(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

function complement(ranges: Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [a, b] of normalize(ranges)) {
    if (a > next) out.push([next, a - 1]);
    next = b + 1;
  }
  if (next <= MAX) out.push([next, MAX]);
  return out;
}

/** A code point as a Python `re` escape (valid inside and outside a class). */
function pyChar(cp: number): string {
  if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) return String.fromCodePoint(cp);
  return cp <= 0xffff ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`;
}

function pyClass(ranges: Range[]): string {
  const r = normalize(ranges);
  if (r.length === 0) return '(?!)';
  return `[${r.map(([a, b]) => (a === b ? pyChar(a) : `${pyChar(a)}${b > a + 1 ? '-' : ''}${pyChar(b)}`)).join('')}]`;
}

/** JavaScript's `\w` (ASCII, flag `u` without `i`), for `\b` and `\B`. */
const WORD = '[0-9A-Za-z_]';

/** Python text, and how many characters it matches: a number when always the same, else null. */
interface Piece {
  text: string;
  width: number | null;
}

const plus = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a + b);

class Translator {
  private i = 0;
  constructor(private readonly src: string) {}

  run(): string {
    const whole = this.alternation(false);
    return whole.text;
  }

  private cannot(what: string): Error {
    return fail('CannotExport', `token_pattern ${JSON.stringify(this.src)}: ${what} has no exact form in Python's \`re\`, so the PyTorch export cannot tokenize as rnnc does`, {
      help: 'train with a token_pattern without it, or export to ONNX (which takes word ids)',
    });
  }

  private peek(): string {
    return this.src[this.i] ?? '';
  }

  /** One code point of the source (the pattern is read with flag `u`: astral characters are one). */
  private codePoint(): number {
    const cp = this.src.codePointAt(this.i)!;
    this.i += cp > 0xffff ? 2 : 1;
    return cp;
  }

  /** Alternatives up to the end, or (in a group) up to its `)`, which is left for the caller. */
  private alternation(inGroup: boolean): Piece {
    const alternatives: Piece[] = [];
    let current: Piece = { text: '', width: 0 };
    for (;;) {
      const c = this.peek();
      if (c === '') {
        if (inGroup) throw this.cannot('an unclosed `(`');
        break;
      }
      if (c === ')') {
        if (!inGroup) throw this.cannot('an unmatched `)`');
        break;
      }
      if (c === '|') {
        this.i++;
        alternatives.push(current);
        current = { text: '', width: 0 };
        continue;
      }
      const atom = this.atom();
      const q = this.quantifier();
      const width = q === undefined ? atom.width : atom.width === 0 ? 0 : q.exact !== null && atom.width !== null ? atom.width * q.exact : null;
      current = { text: current.text + atom.text + (q?.text ?? ''), width: plus(current.width, width) };
    }
    alternatives.push(current);
    const w = alternatives[0]!.width;
    return { text: alternatives.map((a) => a.text).join('|'), width: alternatives.every((a) => a.width === w) ? w : null };
  }

  /** `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, each maybe lazy (`?`), or undefined. */
  private quantifier(): { text: string; exact: number | null } | undefined {
    const m = /^(?:[*+?]|\{(\d+)(,\d*)?\})\??/.exec(this.src.slice(this.i));
    if (!m) return undefined;
    this.i += m[0].length;
    return { text: m[0], exact: m[1] !== undefined && m[2] === undefined ? Number(m[1]) : null };
  }

  private atom(): Piece {
    const c = this.peek();
    switch (c) {
      case '\\':
        return this.escapeOutside();
      case '[':
        return { text: pyClass(this.charClass()), width: 1 };
      case '.':
        this.i++;
        return { text: pyClass(complement([[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]])), width: 1 };
      case '^':
        this.i++;
        return { text: '^', width: 0 };
      case '$':
        this.i++;
        return { text: '\\Z', width: 0 };
      case '(':
        return this.group();
      case '*':
      case '+':
      case '?':
      case '{':
        throw this.cannot(`a \`${c}\` with nothing to repeat`);
      default:
        return { text: pyChar(this.codePoint()), width: 1 };
    }
  }

  private group(): Piece {
    const rest = this.src.slice(this.i);
    const named = /^\(\?<([^>=!]*)>/.exec(rest);
    const open = named ? null : (['(?:', '(?=', '(?!', '(?<=', '(?<!'].find((g) => rest.startsWith(g)) ?? (rest.startsWith('(?') ? undefined : '('));
    if (open === undefined) throw this.cannot(`the group \`${rest.slice(0, 4)}\``);
    let head: string;
    if (named) {
      // Python takes identifiers; JavaScript's names may also hold `$` and other letters.
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(named[1]!)) throw this.cannot(`the group name \`${named[1]}\``);
      head = `(?P<${named[1]}>`;
      this.i += named[0].length;
    } else {
      head = open!;
      this.i += head.length;
    }
    const inner = this.alternation(true);
    this.i++; // `)`
    const text = `${head}${inner.text})`;
    if (head === '(?<=' || head === '(?<!') {
      // Python's look-behind must match texts of one length; JavaScript's may vary.
      if (inner.width === null) throw this.cannot('a look-behind that can match texts of different lengths');
      return { text, width: 0 };
    }
    if (head === '(?=' || head === '(?!') return { text, width: 0 };
    return { text, width: inner.width };
  }

  /** An escape outside a class: a class escape, an assertion or one character. */
  private escapeOutside(): Piece {
    const next = this.src[this.i + 1] ?? '';
    if (next === 'b' || next === 'B') {
      this.i += 2;
      const edge = `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`;
      return { text: next === 'b' ? edge : `(?!${edge})`, width: 0 };
    }
    if (/[1-9]/.test(next) || next === 'k') {
      // A group that took no part: JavaScript's back-reference matches nothing there, Python's fails.
      throw this.cannot('a back-reference');
    }
    const set = this.classEscape();
    if (set) return { text: pyClass(set), width: 1 };
    return { text: pyChar(this.characterEscape()), width: 1 };
  }

  /** `\d \D \w \W \s \S \p{…} \P{…}` as ranges, or undefined (the index is then unchanged). */
  private classEscape(): Range[] | undefined {
    const next = this.src[this.i + 1] ?? '';
    if ('dDwWsS'.includes(next) && next !== '') {
      this.i += 2;
      return rangesOf(`\\${next}`);
    }
    if (next === 'p' || next === 'P') {
      const m = /^\\[pP]\{[^}]*\}/.exec(this.src.slice(this.i));
      if (!m) throw this.cannot(`\`\\${next}\` without {…}`);
      this.i += m[0].length;
      return rangesOf(m[0]);
    }
    return undefined;
  }

  /** One character written as an escape (`\n`, `\u00e9`, `\u{1F600}`, `\x41`, `\.`). */
  private characterEscape(): number {
    const rest = this.src.slice(this.i);
    const simple: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13, '0': 0 };
    const c = rest[1] ?? '';
    let m: RegExpExecArray | null;
    if (c in simple && !(c === '0' && /^\\0\d/.test(rest))) {
      this.i += 2;
      return simple[c]!;
    }
    if ((m = /^\\u\{([0-9A-Fa-f]+)\}/.exec(rest))) {
      this.i += m[0].length;
      return parseInt(m[1]!, 16);
    }
    if ((m = /^\\u([0-9A-Fa-f]{4})\\u([0-9A-Fa-f]{4})/.exec(rest))) {
      const hi = parseInt(m[1]!, 16);
      const lo = parseInt(m[2]!, 16);
      if (hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
        this.i += m[0].length;
        return (hi - 0xd800) * 0x400 + (lo - 0xdc00) + 0x10000;
      }
    }
    if ((m = /^\\u([0-9A-Fa-f]{4})/.exec(rest)) || (m = /^\\x([0-9A-Fa-f]{2})/.exec(rest))) {
      this.i += m[0].length;
      return parseInt(m[1]!, 16);
    }
    if (c !== '' && /[\^$\\.*+?()[\]{}|/-]/.test(c)) {
      this.i += 2;
      return c.codePointAt(0)!;
    }
    throw this.cannot(c === '' ? 'a trailing `\\`' : `the escape \`\\${c}\``);
  }

  /** `[…]` or `[^…]` as the code points it matches. */
  private charClass(): Range[] {
    this.i++;
    const negated = this.peek() === '^';
    if (negated) this.i++;
    const ranges: Range[] = [];
    for (;;) {
      if (this.i >= this.src.length) throw this.cannot('an unclosed `[`');
      if (this.peek() === ']') {
        this.i++;
        break;
      }
      const left = this.classAtom();
      if (Array.isArray(left)) {
        ranges.push(...left);
        continue;
      }
      if (this.peek() === '-' && this.src[this.i + 1] !== ']' && this.i + 1 < this.src.length) {
        this.i++;
        const right = this.classAtom();
        if (Array.isArray(right)) throw this.cannot('a range with a class at one end');
        ranges.push([left, right]);
      } else {
        ranges.push([left, left]);
      }
    }
    return negated ? complement(ranges) : normalize(ranges);
  }

  private classAtom(): number | Range[] {
    if (this.peek() !== '\\') return this.codePoint();
    if (this.src[this.i + 1] === 'b') {
      this.i += 2;
      return 8; // `[\b]` is backspace
    }
    return this.classEscape() ?? this.characterEscape();
  }
}
