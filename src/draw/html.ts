/**
 * `rnnc draw --format html`: the SVG in a small self-contained page (no scripts, no external
 * files), with the drawing's description as its caption.
 */
import { escapeXml } from './svg.js';

export function htmlPage(svg: string, title: string, description: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(title)}</title>`,
    '<style>',
    'body { margin: 0; padding: 24px; background: #f3f4f6; color: #1f2937; font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; }',
    'figure { margin: 0 auto; max-width: max-content; }',
    'svg { display: block; max-width: 100%; height: auto; background: #fff; border-radius: 8px; box-shadow: 0 1px 4px rgb(0 0 0 / 0.15); }',
    'figcaption { margin-top: 12px; max-width: 70em; font-size: 14px; line-height: 1.5; }',
    '</style>',
    '</head>',
    '<body>',
    '<figure>',
    svg.trimEnd(),
    `<figcaption>${escapeXml(description)}</figcaption>`,
    '</figure>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
