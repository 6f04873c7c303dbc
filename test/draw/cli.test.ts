import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../lsp/build.js';
import { repo, rnnc } from '../cli/run.js';
import { all, attr, drawFile, one, parseSvg, textOf } from './svg-query.js';

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'rnnc-draw-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const noTf = ['--import', join(repo, 'test/cli/no-tfjs-hook.mjs')];
const noResvg = ['--import', join(repo, 'test/draw/no-resvg-hook.mjs')];

/** A PNG's size from its IHDR chunk. */
function pngSize(b: Buffer): { width: number; height: number } {
  expect(b.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(b.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('rnnc draw', () => {
  it('prints the SVG on standard output without -o, exactly what the library draws, and loads no TensorFlow', async () => {
    const r = await rnnc(['draw', 'specs/bidirectional.rnn'], { nodeArgs: noTf });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(drawFile('specs/bidirectional.rnn').svg);
  });

  it('-o FILE.svg and -o FILE.html write files; --format html prints the page', async () => {
    const svgFile = join(dir, 'out/m.svg');
    const r = await rnnc(['draw', 'specs/lstm.rnn', '-o', svgFile]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', `wrote ${svgFile}\n`]);
    expect(readFileSync(svgFile, 'utf8')).toBe(drawFile('specs/lstm.rnn').svg);
    const htmlFile = join(dir, 'm.HTML');
    expect((await rnnc(['draw', 'specs/lstm.rnn', '-o', htmlFile])).code).toBe(0);
    const page = await rnnc(['draw', 'specs/lstm.rnn', '--format', 'html']);
    expect(page.code).toBe(0);
    expect(readFileSync(htmlFile, 'utf8')).toBe(page.stdout);
    expect(page.stdout).toMatch(/^<!doctype html>/);
    expect(page.stdout).toContain(drawFile('specs/lstm.rnn').svg.trimEnd());
  });

  it('-o FILE.png renders at twice the size with @resvg/resvg-js, without TensorFlow', async () => {
    const png = join(dir, 'design.png');
    const r = await rnnc(['draw', 'specs/pretrained-frozen.rnn', '-o', png], { nodeArgs: noTf });
    expect([r.code, r.stderr]).toEqual([0, `wrote ${png}\n`]);
    const root = parseSvg(drawFile('specs/pretrained-frozen.rnn').svg).documentElement!;
    expect(pngSize(readFileSync(png))).toEqual({ width: 2 * Number(attr(root, 'width')), height: 2 * Number(attr(root, 'height')) });
  });

  it('falls back to rsvg-convert when @resvg/resvg-js is not installed', async () => {
    const bin = join(dir, 'fake-bin');
    mkdirSync(bin, { recursive: true });
    const fake = join(bin, 'rsvg-convert');
    writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$@" > '${bin}/args.txt'\ncat > '${bin}/stdin.svg'\nprintf 'PNG from rsvg-convert'\n`);
    chmodSync(fake, 0o755);
    const out = join(dir, 'via-rsvg.png');
    const r = await rnnc(['draw', 'specs/gru.rnn', '-o', out], { nodeArgs: noResvg, env: { PATH: `${bin}:/usr/bin:/bin` } });
    expect([r.code, r.stderr]).toEqual([0, `wrote ${out}\n`]);
    expect(readFileSync(out, 'utf8')).toBe('PNG from rsvg-convert');
    expect(readFileSync(join(bin, 'args.txt'), 'utf8')).toBe('--format\npng\n--zoom\n2\n--background-color\nwhite\n');
    expect(readFileSync(join(bin, 'stdin.svg'), 'utf8')).toBe(drawFile('specs/gru.rnn').svg);
    // A converter that fails says so, with its own message.
    writeFileSync(fake, `#!/bin/sh\necho 'rsvg-convert: out of cheese' >&2\nexit 3\n`);
    const bad = await rnnc(['draw', 'specs/gru.rnn', '-o', join(dir, 'bad.png')], { nodeArgs: noResvg, env: { PATH: `${bin}:/usr/bin:/bin` } });
    expect([bad.code, bad.stderr]).toEqual([
      2,
      'rnnc draw: error[E4013]: cannot convert the drawing to PNG: rsvg-convert failed (rsvg-convert: out of cheese)\n  = help: draw to -o FILE.svg instead\n',
    ]);
  });

  it('without any converter, -o FILE.png is E4013 saying how to get one, and writes nothing', async () => {
    const empty = join(dir, 'empty-bin');
    mkdirSync(empty, { recursive: true });
    const out = join(dir, 'none.png');
    const r = await rnnc(['draw', 'specs/gru.rnn', '-o', out], { nodeArgs: noResvg, env: { PATH: empty } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'rnnc draw: error[E4013]: cannot write a PNG: no SVG-to-PNG converter is available (neither @resvg/resvg-js nor rsvg-convert)\n' +
        '  = help: install one: `npm install @resvg/resvg-js` (rnnc lists it as an optional dependency), or rsvg-convert (Debian/Ubuntu: `apt install librsvg2-bin`, macOS: `brew install librsvg`); or draw to -o FILE.svg or FILE.html instead\n',
    );
    expect(() => readFileSync(out)).toThrow();
    // Installed but unusable: the diagnostic says why, too.
    const broken = await rnnc(['draw', 'specs/gru.rnn', '-o', out], { nodeArgs: noResvg, env: { PATH: empty, RNNC_TEST_RESVG_BROKEN: '1' } });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(
      '  = note: @resvg/resvg-js is installed but could not be loaded: Cannot find native binding: no @resvg/resvg-js binary for this platform\n',
    );
  });

  it("draws a trained model's folder from its spec.json, without TensorFlow", async () => {
    const r = await rnnc(['draw', 'specs/models/demo-16d'], { nodeArgs: noTf });
    expect([r.code, r.stderr]).toEqual([0, '']);
    const doc = parseSvg(r.stdout);
    expect(textOf(one(doc, { id: 'rnnc-title' }))).toBe('demo-16d');
    expect(all(doc, { 'data-role': 'layer' }).map((g) => `${attr(g, 'data-name')} ${attr(g, 'data-params')} ${attr(g, 'data-shape')}`)).toEqual([
      'embedding 4096 (None, None, 16)',
      'gru 1584 (None, 16)',
      'dense 17 (None, 1)',
    ]);
    // A folder that is not a model, and a spec.json that does not check.
    const notModel = await rnnc(['draw', 'specs']);
    expect([notModel.code, notModel.stdout]).toEqual([2, '']);
    expect(notModel.stderr).toContain('rnnc draw: error[E4006]: specs/spec.json is missing');
    const broken = join(dir, 'broken-model');
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'spec.json'), '{"format": "rnnc-ir", "version": 1, "layers": [{"kind": "lstm", "units": 4}]}');
    const b = await rnnc(['draw', broken]);
    expect([b.code, b.stdout]).toEqual([1, '']);
    expect(b.stderr).toContain(`${join(broken, 'spec.json')}:1:`);
    expect(b.stderr).toContain('error[E3014]');
  });

  it('a spec with errors: its diagnostics, exit 1, nothing drawn', async () => {
    const spec = join(dir, 'typo.rnn');
    writeFileSync(spec, 'embed(8) |> lsmt(4) |> dense(1)\n');
    const out = join(dir, 'typo.svg');
    const r = await rnnc(['draw', spec, '-o', out]);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toContain(`${spec}:1:13: error[E3002]: unknown layer \`lsmt\``);
    expect(() => readFileSync(out)).toThrow();
  });

  it.each([
    [['draw', 'specs/lstm.rnn', '-o', 'm.txt'], 'cannot tell the format from -o m.txt: name it .svg, .png or .html, or give --format svg|png|html'],
    [['draw', 'specs/lstm.rnn', '--format', 'png'], 'a PNG needs a file: -o FILE.png'],
    [['draw', 'specs/lstm.rnn', '-o', 'm.svg', '--format', 'png'], '-o m.svg is a .svg file name but --format is png'],
    [['draw', 'specs/lstm.rnn', '--format', 'json'], '--format must be svg, png or html, got json'],
    [['draw'], 'rnnc draw: missing a spec file or a model folder: rnnc draw FILE|DIR [-o OUT]'],
  ])('usage error %j exits 2', async (args, message) => {
    const r = await rnnc(args);
    expect([r.code, r.stdout]).toEqual([2, '']);
    expect(r.stderr).toContain(message);
  });

  it('is listed in the help', async () => {
    const r = await rnnc(['--help']);
    expect(r.stdout).toContain('rnnc draw FILE|DIR [-o OUT]');
  });
});
