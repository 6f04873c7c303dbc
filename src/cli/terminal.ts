/**
 * What the terminal can show: colour (by the NO_COLOR and FORCE_COLOR conventions) and its width,
 * and the colouring of rendered diagnostics. Rendering itself (diagnostics/render.ts) stays
 * plain text; colour is added here, only for streams that show it.
 */

/**
 * Whether to colour a stream: `NO_COLOR` set to anything but the empty string turns colour off
 * (no-color.org); `FORCE_COLOR` turns it on even into a pipe (`0` or `false`: off); otherwise
 * colour when the stream is a terminal that is not `TERM=dumb`.
 */
export function colorEnabled(env: Readonly<Record<string, string | undefined>>, isTTY: boolean): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return isTTY && env['TERM'] !== 'dumb';
}

const SGR = (code: string) => (s: string): string => `\x1b[${code}m${s}\x1b[0m`;
export const paint = { red: SGR('1;31'), yellow: SGR('1;33'), cyan: SGR('1;36'), green: SGR('32'), bold: SGR('1'), dim: SGR('2') };

/**
 * Colours rendered diagnostics (renderText/renderFileLevel output) as rustc does: the severity
 * and code red (errors) or yellow (warnings), carets in the same colour, `help` cyan, `note` bold.
 */
export function colorDiagnostics(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const head = /^(.*?)\b(error|warning|info|hint)(\[[A-Z]\d{4}\]):/.exec(line);
      if (head) {
        const color = head[2] === 'error' ? paint.red : head[2] === 'warning' ? paint.yellow : paint.cyan;
        return `${head[1]}${color(`${head[2]}${head[3]}`)}:${paint.bold(line.slice(head[0].length))}`;
      }
      const caret = /^(\s*\d*\s*\| )(\s*)(\^+)(.*)$/.exec(line);
      if (caret) return `${caret[1]}${caret[2]}${paint.red(caret[3]!)}${caret[4]}`;
      const extra = /^(\s*= )(help|note)(:.*)$/.exec(line);
      if (extra) return `${extra[1]}${extra[2] === 'help' ? paint.cyan('help') : paint.bold('note')}${extra[3]}`;
      return line;
    })
    .join('\n');
}

/**
 * The longest of `variants` (richest first) that fits in `columns - 1` characters, so that a
 * line redrawn in place never wraps; the last one cut to fit when none does.
 */
export function fitLine(variants: readonly string[], columns: number | undefined): string {
  if (columns === undefined || columns <= 0) return variants[0] ?? '';
  const room = Math.max(1, columns - 1);
  for (const v of variants) if ([...v].length <= room) return v;
  const last = [...(variants[variants.length - 1] ?? '')];
  return last.slice(0, room).join('');
}
