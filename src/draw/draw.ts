/**
 * `rnnc draw` and the language server's `rnnc.showModel` in one call: a checked program and its
 * analysis (the front end's `CheckResult`) in, an SVG document out. Pure: no TensorFlow, no
 * files, no layout engine to load — it runs as fast as `check`.
 */
import type { Analysis } from '../check/shapes.js';
import type { Program } from '../ir/types.js';
import { picture, type Picture } from './picture.js';
import { renderSvg } from './render.js';

export interface Drawable {
  program: Program;
  analysis: Analysis;
}

/** The picture's structure (for tests and tools) and its SVG. */
export function drawModel(checked: Drawable, title: string): { picture: Picture; svg: string } {
  const p = picture(checked.program, checked.analysis, title);
  return { picture: p, svg: renderSvg(p) };
}
