/**
 * SVG → PNG for `rnnc draw -o model.png`, with whichever well-kept converter is here:
 *
 * 1. `@resvg/resvg-js` (resvg, a Rust SVG renderer, through napi-rs): rnnc's optional
 *    dependency. Its binaries ship inside per-platform npm packages, so `npm install` brings it
 *    without downloading anything else; it renders off the main thread (`renderAsync`).
 * 2. `rsvg-convert` (librsvg) on the PATH, for platforms where the optional package did not
 *    install.
 *
 * With neither, the command fails with PngConverter (E4013) saying how to get one. Loaded only
 * when a PNG is asked for: the converter is a native module, never needed by `check` or the
 * language server.
 */
import { spawn } from 'node:child_process';
import { fail, reasonOf, type RnncError } from '../diagnostics/error.js';

/** PNGs are rendered at twice the SVG's size, so they stay sharp on high-density screens. */
export const PNG_SCALE = 2;

const HELP = 'install one: `npm install @resvg/resvg-js` (rnnc lists it as an optional dependency), or rsvg-convert (Debian/Ubuntu: `apt install librsvg2-bin`, macOS: `brew install librsvg`); or draw to -o FILE.svg or FILE.html instead';

const RESVG = '@resvg/resvg-js';

/** What rnnc uses of @resvg/resvg-js (declared here so rnnc builds and runs without the optional package). */
interface ResvgModule {
  renderAsync(
    svg: string,
    options: { fitTo: { mode: 'zoom'; value: number }; background: string; font: { loadSystemFonts: boolean; defaultFontFamily: string }; logLevel: 'off' },
  ): Promise<{ asPng(): Buffer }>;
}

/** The module, or why it cannot be used: absent (an optional dependency) or broken (e.g. no binary for this platform). */
async function loadResvg(): Promise<ResvgModule | { unavailable: string | undefined }> {
  try {
    // A variable, not a literal: the bundler leaves the native module to be found in node_modules.
    return (await import(RESVG)) as ResvgModule;
  } catch (e) {
    const missing = (e as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && reasonOf(e).includes(RESVG);
    return { unavailable: missing ? undefined : reasonOf(e) };
  }
}

/** Runs `rsvg-convert` on the SVG; undefined when there is no such command. */
function rsvgConvert(svg: string): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const child = spawn('rsvg-convert', ['--format', 'png', '--zoom', String(PNG_SCALE), '--background-color', 'white'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdin.on('error', () => undefined); // it failed before reading: its exit status says why
    child.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? resolve(undefined) : reject(failed('rsvg-convert', reasonOf(e), e))));
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(failed('rsvg-convert', err.trim().split('\n')[0] || `exit status ${code}`));
    });
    child.stdin.end(svg);
  });
}

function failed(converter: string, why: string, cause?: unknown): RnncError {
  return fail('PngConverter', `cannot convert the drawing to PNG: ${converter} failed (${why})`, { help: 'draw to -o FILE.svg instead', cause });
}

/** The drawing as PNG bytes, or PngConverter (E4013) when no converter is available or it fails. */
export async function svgToPng(svg: string): Promise<Buffer> {
  const resvg = await loadResvg();
  if ('renderAsync' in resvg) {
    try {
      const image = await resvg.renderAsync(svg, {
        fitTo: { mode: 'zoom', value: PNG_SCALE },
        background: '#ffffff',
        font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
        logLevel: 'off',
      });
      return image.asPng();
    } catch (e) {
      throw failed('resvg', reasonOf(e), e);
    }
  }
  const png = await rsvgConvert(svg);
  if (png) return png;
  throw fail('PngConverter', 'cannot write a PNG: no SVG-to-PNG converter is available (neither @resvg/resvg-js nor rsvg-convert)', {
    help: HELP,
    ...(resvg.unavailable ? { notes: [`${RESVG} is installed but could not be loaded: ${resvg.unavailable}`] } : {}),
  });
}
