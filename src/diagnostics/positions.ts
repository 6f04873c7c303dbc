/** 1-based line and column, as shown to people (text output, `--format json`). */
export interface Position {
  line: number;
  column: number;
}

/**
 * Maps offsets to lines and columns. `\r\n`, `\n` and a lone `\r` each end a line, so a CRLF
 * file reports the same columns as its LF twin. Columns count UTF-16 code units, like LSP.
 */
export class LineIndex {
  /** Offset at which each line starts. */
  readonly lineStarts: number[];

  constructor(readonly text: string) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 13 /* \r */) {
        if (text.charCodeAt(i + 1) === 10) i++;
        starts.push(i + 1);
      } else if (ch === 10 /* \n */) {
        starts.push(i + 1);
      }
    }
    this.lineStarts = starts;
  }

  /** 0-based line containing `offset` (offsets past the end clamp to the last line). */
  lineOf(offset: number): number {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** 1-based line and column. */
  position(offset: number): Position {
    const line = this.lineOf(offset);
    const o = Math.max(0, Math.min(offset, this.text.length));
    return { line: line + 1, column: o - this.lineStarts[line]! + 1 };
  }

  /** 0-based LSP position. */
  lspPosition(offset: number): { line: number; character: number } {
    const p = this.position(offset);
    return { line: p.line - 1, character: p.column - 1 };
  }

  /** Offset of a 0-based LSP position, clamped to the text. */
  offsetAt(line: number, character: number): number {
    if (line < 0) return 0;
    if (line >= this.lineStarts.length) return this.text.length;
    const start = this.lineStarts[line]!;
    const end = this.lineEnd(line);
    return Math.min(start + Math.max(0, character), end);
  }

  /** Offset just before the line break of 0-based `line`. */
  lineEnd(line: number): number {
    const next = this.lineStarts[line + 1];
    if (next === undefined) return this.text.length;
    let end = next;
    if (this.text.charCodeAt(end - 1) === 10) end--;
    if (this.text.charCodeAt(end - 1) === 13) end--;
    return end;
  }

  /** Text of 0-based `line`, without its line break. */
  lineText(line: number): string {
    return this.text.slice(this.lineStarts[line], this.lineEnd(line));
  }
}
