import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repo, rnnc, type Run, type RunOptions } from '../cli/run.js';
import { ort } from '../support/onnx-runtime.js';
import { ask, post } from './client.js';

// `rnnc serve` as a user runs it (the built bin, `npm run build` first), on the trained model
// kept in the repository: it answers what `rnnc predict --format json` prints, and stops with
// exit 0 on SIGTERM or SIGINT.

const model = join(repo, 'specs/models/demo-16d');
const noTfjs = ['--import', join(repo, 'test/cli/no-tfjs-hook.mjs')];
const internal = /internal error|\n\s+at /;
const texts = ['what a wonderful film', 'the plot is utterly dull', 'Ünïcode and 10,000 UNKNOWN-words!', '', 'i loved it. i hated it.'];
// More than one batch of 128 rows.
const many = Array.from({ length: 150 }, (_, i) => `${i % 2 ? 'a dull' : 'a wonderful'} film number ${i}`);

/** `rnnc predict --format json` of `ts` (on stdin: 150 arguments are fine too, but a line is shorter to read). */
async function predicted(ts: readonly string[], extra: string[] = [], opts: RunOptions = {}): Promise<object[]> {
  const r = await rnnc(['predict', model, '--format', 'json', ...extra, '--', ...ts], opts);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => {
      const { text: _text, ...rest } = JSON.parse(l);
      return rest;
    });
}

/**
 * Runs `rnnc serve ARGS`, calls `use` with its URL once it says it listens, then sends `stop`
 * to it; resolves the run and what `use` returned.
 */
async function serving<T>(args: string[], use: (url: string) => Promise<T>, stop: NodeJS.Signals = 'SIGTERM', opts: RunOptions = {}): Promise<{ run: Run; result: T | undefined }> {
  let result: T | undefined;
  let failure: Error | undefined;
  let started = false;
  const run = await rnnc(['serve', model, '--port', '0', ...args], {
    ...opts,
    onStderr: (err, signal) => {
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (!m || started) return;
      started = true;
      use(m[1]!)
        .then((r) => (result = r), (e: unknown) => (failure = e instanceof Error ? e : new Error(String(e))))
        .finally(() => signal(stop));
    },
  });
  if (failure) throw failure;
  return { run, result };
}

describe('rnnc serve', () => {
  it('answers POST /predict with the numbers of rnnc predict --format json, to concurrent clients; a port in use is E4015; SIGTERM stops it with exit 0', async () => {
    const [expectedFew, expectedMany] = await Promise.all([predicted(texts), predicted(many)]);
    const { run, result } = await serving([], async (url) => {
      const health = await ask(url, '/health');
      // Several clients at once, big and small requests mixed.
      const replies = await Promise.all([post(url, { texts }), post(url, { texts: many }), post(url, { texts }), post(url, { text: texts[0] }), post(url, { texts: many })]);
      const bad = await post(url, '{"texts": [1]}', { raw: true });
      const port = new URL(url).port;
      // On 127.0.0.1 (the default) it answers only requests addressed to this machine's names.
      const rebound = await post(url, { texts }, { headers: { host: `attacker.example:${port}` } });
      const taken = await rnnc(['serve', model, '--port', port]);
      return { health, replies, bad, rebound, taken, port };
    });
    expect(run.stderr).not.toMatch(internal);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr.split('\n');
    expect(lines[0]).toMatch(/^backend: /);
    expect(lines[1]).toMatch(/^rnnc serve: listening on http:\/\/127\.0\.0\.1:\d+ \(POST \/predict, GET \/health\); Ctrl-C stops$/);
    expect(lines[2]).toBe('rnnc serve: SIGTERM: finishing the requests in progress, then stopping');
    const { health, replies, bad, rebound, taken, port } = result!;
    expect([rebound.status, rebound.json.error.code]).toEqual([403, 'bad_host']);
    expect(health.json).toMatchObject({ status: 'ok', engine: 'tfjs', head: 'sigmoid', labels: ['0', '1'] });
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(replies[0].json.predictions).toEqual(expectedFew);
    expect(replies[1].json.predictions).toEqual(expectedMany);
    expect(replies[2].json.predictions).toEqual(expectedFew);
    expect(replies[3].json.predictions).toEqual(expectedFew.slice(0, 1));
    expect(replies[4].json.predictions).toEqual(expectedMany);
    expect([bad.status, bad.json.error.code]).toEqual([400, 'bad_request']);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain(`rnnc serve: error[E4015]: cannot listen on 127.0.0.1:${port}: the port is in use\n  = help: stop what uses it, or choose another port with --port N (--port 0 picks a free one)\n`);
    expect(taken.stderr).not.toMatch(internal);
  });

  it('a bad --port or --host is a usage error, and a folder that is not a model E4006, before listening (exit 2)', async () => {
    const [port, host, notModel] = await Promise.all([
      rnnc(['serve', model, '--port', '70000']),
      rnnc(['serve', model, '--host', '']),
      rnnc(['serve', join(repo, 'specs'), '--port', '0']),
    ]);
    expect([port.code, port.stderr]).toEqual([2, 'rnnc serve: --port must be between 0 and 65535 (0 picks a free port), got 70000\n(`rnnc serve --help` shows its options)\n']);
    expect([host.code, host.stderr.split('\n')[0]]).toEqual([2, 'rnnc serve: --host needs an address, e.g. 127.0.0.1 (the default) or 0.0.0.0 for every IPv4 address']);
    expect(notModel.code).toBe(2);
    expect(notModel.stderr).toContain('error[E4006]');
    expect(notModel.stderr).not.toMatch(/listening|internal error/);
  });
});

describe.skipIf(!ort)('rnnc serve --engine onnx', () => {
  it('answers what rnnc predict --engine onnx prints, without loading TensorFlow.js; SIGINT stops it with exit 0', async () => {
    const onnx = ['--engine', 'onnx', '--threads', '1'];
    const expected = await predicted(texts, onnx);
    const { run, result } = await serving(onnx, async (url) => Promise.all([post(url, { texts }), ask(url, '/health')]), 'SIGINT', { nodeArgs: noTfjs });
    expect(run.stderr).not.toMatch(internal);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^engine: onnx \(ONNX Runtime 1\.\d+\.\d+, 1 thread\)\nrnnc serve: listening on /);
    expect(run.stderr).toContain('rnnc serve: SIGINT: finishing the requests in progress, then stopping\n');
    const [reply, health] = result!;
    expect(reply.json.predictions).toEqual(expected);
    expect(health.json).toMatchObject({ engine: 'onnx', runtime: [expect.stringMatching(/^engine: onnx/)] });
  });
});
