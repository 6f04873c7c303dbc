import { describe, expect, it } from 'vitest';
import { diag } from '../../src/diagnostics/codes.js';
import { LineIndex } from '../../src/diagnostics/positions.js';
import { renderText } from '../../src/diagnostics/render.js';

// The rustc-style text form: whole frames, and what it refuses to echo.
const render = (text: string, start: number, end: number) => renderText('f.rnn', new LineIndex(text), diag('UnexpectedToken', { start, end }, 'unexpected `x`'));

describe('renderText', () => {
  it('shows the line and a caret under the span', () => {
    expect(render('embed(8) x lstm(4)', 9, 10)).toBe('f.rnn:1:10: error[E1004]: unexpected `x`\n1 | embed(8) x lstm(4)\n  |          ^');
  });

  it('shows a window of a very long line around the span, with … for what it leaves out', () => {
    const text = `${'a'.repeat(100_000)}x${'b'.repeat(100_000)}`;
    const [head, source, caret] = render(text, 100_000, 100_001).split('\n');
    expect(head).toBe('f.rnn:1:100001: error[E1004]: unexpected `x`');
    expect(source).toBe(`1 | …${'a'.repeat(40)}x${'b'.repeat(119)}…`);
    expect(caret).toBe(`  | ${' '.repeat(41)}^`);
  });

  it('does not echo a line that is not text (control characters, bytes that were not UTF-8)', () => {
    expect(render('embed\u0000\u001b[2J', 0, 1)).toBe('f.rnn:1:1: error[E1004]: unexpected `x`');
    expect(render('ab\ufffdcd', 0, 1)).toBe('f.rnn:1:1: error[E1004]: unexpected `x`');
    expect(render('a\tb', 2, 3)).toBe('f.rnn:1:3: error[E1004]: unexpected `x`\n1 | a\tb\n  |  \t^');
  });
});
