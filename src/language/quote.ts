/**
 * How diagnostics quote what the user wrote: names, words, values and paths are cut short, so
 * that a message stays a message when the input holds a 100,000-character name or a
 * megabyte-long array (such messages reached 177 KB).
 */

/** Characters of a name, word or value a message quotes; the rest is elided with `…`. */
export const MAX_QUOTED_CHARS = 40;

/** `text` cut to `max` characters, `…` included, never between the halves of a surrogate pair. */
export function clip(text: string, max = MAX_QUOTED_CHARS): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** `text` in backticks, cut short. */
export function quote(text: string, max = MAX_QUOTED_CHARS): string {
  return `\`${clip(text, max)}\``;
}

/**
 * A value as JSON, cut short: strings in backticks, anything else as JSON text of at most about
 * `max` characters. A large array or object is never stringified whole.
 */
export function preview(value: unknown, max = MAX_QUOTED_CHARS): string {
  if (typeof value === 'string') return quote(value, max);
  let out = '';
  // False once the budget is spent: the caller stops there.
  const put = (v: unknown): boolean => {
    if (out.length > max) return false;
    if (Array.isArray(v)) {
      out += '[';
      for (let i = 0; i < v.length; i++) {
        if (i) out += ',';
        if (!put(v[i])) return false;
      }
      out += ']';
    } else if (v !== null && typeof v === 'object') {
      out += '{';
      let first = true;
      for (const k in v) {
        if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
        out += `${first ? '' : ','}${JSON.stringify(clip(k, max))}:`;
        first = false;
        if (!put((v as Record<string, unknown>)[k])) return false;
      }
      out += '}';
    } else if (typeof v === 'string') out += JSON.stringify(clip(v, max));
    else out += JSON.stringify(v) ?? String(v);
    return out.length <= max;
  };
  put(value);
  return clip(out, max);
}
