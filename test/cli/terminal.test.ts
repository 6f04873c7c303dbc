import { describe, expect, it } from 'vitest';
import { ProgressPrinter } from '../../src/cli/progress.js';
import { colorDiagnostics, colorEnabled, fitLine } from '../../src/cli/terminal.js';

describe('colorEnabled (NO_COLOR, FORCE_COLOR, a terminal)', () => {
  it.each([
    [{}, true, true],
    [{}, false, false],
    [{ TERM: 'dumb' }, true, false],
    [{ NO_COLOR: '1' }, true, false],
    [{ NO_COLOR: '' }, true, true], // no-color.org: only a non-empty value counts
    [{ FORCE_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '0' }, true, false],
    [{ FORCE_COLOR: 'false' }, true, false],
    [{ NO_COLOR: '1', FORCE_COLOR: '1' }, true, false],
  ])('%j on a terminal: %s → %s', (env, tty, want) => {
    expect(colorEnabled(env, tty)).toBe(want);
  });
});

describe('colorDiagnostics', () => {
  it('colours severity and code, carets, help and note; leaves the source line alone', () => {
    const text = ['a.rnn:1:4: error[E3002]: unknown layer `lsmt`', '1 | x |> lsmt(4)', '  |      ^^^^', '  = note: n', '  = help: did you mean `lstm`?'].join('\n');
    expect(colorDiagnostics(text).split('\n')).toEqual([
      'a.rnn:1:4: \x1b[1;31merror[E3002]\x1b[0m:\x1b[1m unknown layer `lsmt`\x1b[0m',
      '1 | x |> lsmt(4)',
      '  |      \x1b[1;31m^^^^\x1b[0m',
      '  = \x1b[1mnote\x1b[0m: n',
      '  = \x1b[1;36mhelp\x1b[0m: did you mean `lstm`?',
    ]);
    expect(colorDiagnostics('f: warning[W1014]: w')).toBe('f: \x1b[1;33mwarning[W1014]\x1b[0m:\x1b[1m w\x1b[0m');
  });
});

describe('fitLine', () => {
  it('takes the richest variant that fits in columns - 1, else cuts the last', () => {
    expect(fitLine(['abcdef', 'abc'], 10)).toBe('abcdef');
    expect(fitLine(['abcdef', 'abc'], 6)).toBe('abc');
    expect(fitLine(['abcdef', 'abcd'], 3)).toBe('ab');
    expect(fitLine(['abcdef'], undefined)).toBe('abcdef');
  });
});

describe('the progress bar fits the terminal', () => {
  const step = { type: 'step' as const, epoch: 3, epochs: 10, steps: 250, loss: 0.5, accuracy: 0.75, seconds: 1, etaSeconds: 75 };

  it.each([120, 80, 60, 40, 20, 8])('%i columns: no drawn line reaches the last column', (columns) => {
    let err = '';
    const p = new ProgressPrinter({ out: () => undefined, err: (s) => (err += s), isTTY: true, columns: () => columns }, 'bar');
    p.event({ ...step, step: 250 });
    const drawn = err.split('\r\x1b[K').filter((s) => s !== '');
    expect(drawn).toHaveLength(1);
    expect(drawn[0]!.length).toBeLessThan(columns);
    expect(drawn[0]).toMatch(/^(epoch )?3\/10/);
  });

  it('at 40 columns it still shows the epoch, step and loss', () => {
    let err = '';
    const p = new ProgressPrinter({ out: () => undefined, err: (s) => (err += s), isTTY: true, columns: () => 40 }, 'bar');
    p.event({ ...step, step: 100 });
    expect(err).toBe('\r\x1b[K3/10 100/250 loss 0.500 ETA 1m15s');
  });

  it('colours the filled part of the bar only when stderr shows colour', () => {
    let plain = '';
    let colored = '';
    new ProgressPrinter({ out: () => undefined, err: (s) => (plain += s), isTTY: true, columns: () => 200 }, 'bar').event({ ...step, step: 125 });
    new ProgressPrinter({ out: () => undefined, err: (s) => (colored += s), isTTY: true, columns: () => 200, color: { out: true, err: true } }, 'bar').event({ ...step, step: 125 });
    expect(plain).toContain('[##########..........]');
    expect(colored).toContain('[\x1b[32m##########\x1b[0m..........]');
  });
});

describe('the CLI honours FORCE_COLOR and NO_COLOR', () => {
  const bad = 'embed(8, vocab: 100) |> lsmt(4) |> dense(1)\n';
  it('colours diagnostics with FORCE_COLOR, not with NO_COLOR too, not into a pipe by default', async () => {
    const { rnnc } = await import('./run.js');
    const env = { NO_COLOR: undefined, FORCE_COLOR: undefined };
    const [forced, both, piped] = await Promise.all([
      rnnc(['check', '-'], { input: bad, env: { ...env, FORCE_COLOR: '1' } }),
      rnnc(['check', '-'], { input: bad, env: { ...env, FORCE_COLOR: '1', NO_COLOR: '1' } }),
      rnnc(['check', '-'], { input: bad, env }),
    ]);
    expect(forced.stdout).toContain('\x1b[1;31merror[E3002]\x1b[0m');
    expect(both.stdout).not.toContain('\x1b[');
    expect(piped.stdout).not.toContain('\x1b[');
    expect([forced.code, both.code, piped.code]).toEqual([1, 1, 1]);
  });
});
