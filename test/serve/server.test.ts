import { Agent } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { fail } from '../../src/diagnostics/error.js';
import { listen } from '../../src/serve/listen.js';
import { MAX_REQUEST_BYTES, MAX_REQUEST_TEXTS, MAX_WAITING_REQUESTS } from '../../src/limits.js';
import { createPredictionServer, hostName, isLoopback, LOOPBACK_NAMES, type PredictionServer, type ServedModel, type ServerOptions } from '../../src/serve/server.js';
import { predictionOf } from '../../src/train/metrics.js';
import { ask, post } from './client.js';

// The HTTP side of `rnnc serve` with a fake model: every status, the order of answers, one
// prediction at a time under concurrent clients, and a clean close. (test/serve/cli.test.ts runs
// the real command on a real model.)

/**
 * A deterministic sigmoid "model": P(pos) from the text's length; records each call, after
 * awaiting `before` (a delay, a gate) when given.
 */
function fake(over: Partial<ServedModel> = {}, before?: () => Promise<unknown>): ServedModel & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    labels: ['neg', 'pos'],
    head: 'sigmoid',
    calls,
    probabilities: async (texts) => {
      await before?.();
      calls.push([...texts]);
      return Float32Array.from(texts, (t) => ((t.length % 10) + 0.5) / 10);
    },
    ...over,
  };
}

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

/** A fake model whose predictions wait for `opened`; `entered` counts the calls that started. */
function held(opened: Promise<void>): { model: ReturnType<typeof fake>; entered: () => number } {
  let n = 0;
  const model = fake({}, () => {
    n++;
    return opened;
  });
  return { model, entered: () => n };
}

const running: PredictionServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function start(model: ServedModel, options: ServerOptions = {}): Promise<{ url: string; served: PredictionServer }> {
  const served = createPredictionServer(model, { facts: { engine: 'fake' }, ...options });
  running.push(served);
  return { url: await listen(served.server, 0, '127.0.0.1'), served };
}

describe('POST /predict', () => {
  it('answers one prediction per text, in order, as predict --format json records them', async () => {
    const model = fake();
    const { url } = await start(model);
    const texts = ['a', 'a fine film', '', 'Ünïcode ✓', 'dull'];
    const r = await post(url, { texts });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    const probs = Float32Array.from(texts, (t) => ((t.length % 10) + 0.5) / 10);
    expect(r.json).toEqual({ predictions: texts.map((_, i) => predictionOf(probs, i, ['neg', 'pos'], 'sigmoid')) });
    expect(r.json.predictions.map((p: { label: string }) => p.label)).toEqual(['neg', 'neg', 'neg', 'pos', 'neg']);
    expect(model.calls).toEqual([texts]);
    // One text; a query string is ignored; no texts is no predictions, without calling the model.
    expect((await post(url, { text: 'a fine film' })).json).toEqual({ predictions: [predictionOf(probs, 1, ['neg', 'pos'], 'sigmoid')] });
    expect((await ask(url, '/predict?verbose=1', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"x"}' })).status).toBe(200);
    expect((await post(url, { texts: [] })).json).toEqual({ predictions: [] });
    expect(model.calls.length).toBe(3);
  });

  it('a softmax head gives every label its probability and the arg-max', async () => {
    const labels = ['a', 'b', 'c'];
    const { url } = await start(fake({ labels, head: 'softmax', probabilities: async (t) => Float32Array.from(t.flatMap(() => [0.2, 0.5, 0.3])) }));
    const r = await post(url, { texts: ['x', 'y'] });
    expect(r.json.predictions).toEqual([0, 1].map(() => ({ label: 'b', probability: Math.fround(0.5), probabilities: { a: Math.fround(0.2), b: Math.fround(0.5), c: Math.fround(0.3) } })));
  });

  it('accepts JSON content types with a UTF-8 charset, and refuses others with 415', async () => {
    const { url } = await start(fake());
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset="UTF-8"', 'application/vnd.api+json']) {
      expect((await post(url, { text: 'x' }, { headers: { 'content-type': type } })).status, type).toBe(200);
    }
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1']) {
      const r = await post(url, { text: 'x' }, { headers: { 'content-type': type } });
      expect([r.status, r.json.error.code], type).toEqual([415, 'unsupported_media_type']);
      expect(r.json.error.message).toContain('Content-Type: application/json');
    }
    const none = await ask(url, '/predict', { method: 'POST', body: '{"text":"x"}' });
    expect(none.status).toBe(415);
    expect(none.json.error.message).toBe('send JSON with Content-Type: application/json (got no Content-Type)');
    expect(none.headers.connection).toBe('close');
  });
});

describe('a bad request is a JSON error naming what is wrong, and the server keeps serving', () => {
  it.each([
    ['{"texts": [', 'bad_json', /^the body is not valid JSON: /],
    ['', 'bad_json', /^the body is empty; the body must be \{"texts": \["…", …\]\} or \{"text": "…"\}$/],
    ['["a"]', 'bad_request', /^the body must be .*, not an array$/],
    ['"a"', 'bad_request', /, not a string$/],
    ['null', 'bad_request', /, not null$/],
    ['{"txts": ["a"]}', 'bad_request', /^unknown field `txts` \(did you mean `texts`\?\); the body must be/],
    ['{"texts": ["a"], "text": "b"}', 'bad_request', /^give `texts` or `text`, not both$/],
    ['{}', 'bad_request', /^missing `texts`; the body must be/],
    ['{"texts": "a"}', 'bad_request', /^`texts` must be an array of strings, not a string \(for one text: \{"text": "…"\}/],
    ['{"texts": {"0": "a"}}', 'bad_request', /^`texts` must be an array of strings, not an object$/],
    ['{"texts": ["a", "b", 3]}', 'bad_request', /^`texts\[2\]` must be a string, not a number$/],
    ['{"texts": ["a", null]}', 'bad_request', /^`texts\[1\]` must be a string, not null$/],
    ['{"text": ["a"]}', 'bad_request', /^`text` must be a string, not an array$/],
  ])('%s → 400 %s', async (body, code, message) => {
    const model = fake();
    const { url } = await start(model);
    const r = await post(url, body, { raw: true });
    expect([r.status, r.json.error.code]).toEqual([400, code]);
    expect(r.json.error.message).toMatch(message);
    expect(model.calls).toEqual([]);
    expect((await post(url, { text: 'still here' })).status).toBe(200);
  });

  it('a body that is not UTF-8 is 400; a huge unknown field is quoted short', async () => {
    const { url } = await start(fake());
    const latin1 = await post(url, Buffer.from([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]), { raw: true });
    expect([latin1.status, latin1.json.error]).toEqual([400, { code: 'bad_json', message: 'the body is not valid UTF-8' }]);
    const long = await post(url, { ['x'.repeat(100_000)]: 1 });
    expect(long.status).toBe(400);
    expect(long.json.error.message.length).toBeLessThan(200);
  });

  it('an unknown path is 404; a wrong method is 405 with Allow', async () => {
    const { url } = await start(fake());
    const missing = await ask(url, '/predictions');
    expect([missing.status, missing.json.error]).toEqual([404, { code: 'not_found', message: 'no endpoint "/predictions": use POST /predict or GET /health' }]);
    const get = await ask(url, '/predict');
    expect([get.status, get.headers.allow, get.json.error]).toEqual([405, 'POST', { code: 'method_not_allowed', message: '/predict takes POST, not GET' }]);
    const postHealth = await ask(url, '/health', { method: 'POST', body: '{}' });
    expect([postHealth.status, postHealth.headers.allow]).toEqual([405, 'GET, HEAD']);
    // A refusal that leaves a body unread ends the connection rather than read it.
    expect(postHealth.headers.connection).toBe('close');
    expect((await ask(url, '/', { method: 'DELETE' })).status).toBe(405);
  });

  it('a body over the limit is 413, whether declared or chunked; so are too many texts', async () => {
    const model = fake();
    const { url } = await start(model, { maxBodyBytes: 1000, maxTexts: 3 });
    const declared = await ask(url, '/predict', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1001' }, chunks: [] });
    expect([declared.status, declared.json.error.code, declared.headers.connection]).toEqual([413, 'too_large', 'close']);
    expect(declared.json.error.message).toBe('the body is over the limit of 1,000 bytes; send fewer texts per request');
    const chunked = await ask(url, '/predict', { method: 'POST', headers: { 'content-type': 'application/json' }, chunks: ['{"texts": ["', 'x'.repeat(600), 'y'.repeat(600), '"]}'] });
    expect([chunked.status, chunked.json.error.code]).toEqual([413, 'too_large']);
    const many = await post(url, { texts: ['a', 'b', 'c', 'd'] });
    expect([many.status, many.json.error]).toEqual([413, { code: 'too_many_texts', message: '4 texts is over the limit of 3 per request; send them in several requests' }]);
    // Exactly at the limits is fine.
    expect((await post(url, { texts: ['a', 'b', 'c'] })).status).toBe(200);
    expect((await post(url, `{"text": "${'z'.repeat(1000 - 12)}"}`, { raw: true })).status).toBe(200);
    expect(model.calls.length).toBe(2);
  });

  it('the default limits are 1 MiB, 1,000 texts and 64 requests waiting, and GET /health gives the first two', async () => {
    expect([MAX_REQUEST_BYTES, MAX_REQUEST_TEXTS, MAX_WAITING_REQUESTS]).toEqual([1024 * 1024, 1000, 64]);
    const { url } = await start(fake());
    expect((await ask(url, '/health')).json.limits).toEqual({ max_body_bytes: 1024 * 1024, max_texts: 1000 });
  });

  it('a client that goes away mid-body does not disturb the server', async () => {
    const { url } = await start(fake());
    const { request } = await import('node:http');
    await new Promise<void>((resolve) => {
      const req = request(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100' } });
      req.on('error', () => resolve());
      req.write('{"texts": [', () => setTimeout(() => req.destroy(), 20));
      req.on('close', () => resolve());
    });
    expect((await post(url, { text: 'x' })).status).toBe(200);
  });
});

describe('a prediction that fails', () => {
  it('is 500 with its message (and diagnostic code), told to onError; the next request is answered', async () => {
    const errors: unknown[] = [];
    let n = 0;
    const model = fake({
      probabilities: async (texts) => {
        n++;
        if (n === 1) throw new Error('kernel exploded');
        if (n === 2) throw fail('ResourceLimit', 'this batch needs more than 4 GiB');
        if (n === 3) return new Float32Array(texts.length + 1);
        return new Float32Array(texts.length).fill(0.9);
      },
    });
    const { url } = await start(model, { onError: (e) => errors.push(e) });
    const a = await post(url, { text: 'x' });
    expect([a.status, a.json.error]).toEqual([500, { code: 'prediction_failed', message: 'kernel exploded' }]);
    const b = await post(url, { text: 'x' });
    expect([b.status, b.json.error]).toEqual([500, { code: 'prediction_failed', message: 'error[E4011]: this batch needs more than 4 GiB' }]);
    const c = await post(url, { texts: ['x', 'y'] });
    expect([c.status, c.json.error.message]).toEqual([500, 'the model gave 3 values for 2 texts (expected 2)']);
    expect(errors.length).toBe(3);
    const d = await post(url, { text: 'x' });
    expect([d.status, d.json.predictions[0].label]).toEqual([200, 'pos']);
  });
});

describe('concurrent clients', () => {
  it('each gets the answers to its own texts; the model runs one request at a time, in arrival order', async () => {
    let inFlight = 0;
    let most = 0;
    const model = fake({}, async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
    });
    const { url } = await start(model);
    const requests = Array.from({ length: 12 }, (_, i) => Array.from({ length: (i % 4) + 1 }, (_, j) => 'w'.repeat(i + j)));
    const replies = await Promise.all(requests.map((texts) => post(url, { texts })));
    for (const [i, r] of replies.entries()) {
      const texts = requests[i]!;
      const probs = Float32Array.from(texts, (t) => ((t.length % 10) + 0.5) / 10);
      expect(r.json, `request ${i}`).toEqual({ predictions: texts.map((_, k) => predictionOf(probs, k, ['neg', 'pos'], 'sigmoid')) });
    }
    expect(most).toBe(1);
    // Each request was one call with exactly its texts.
    expect(model.calls.map((c) => c.join('|')).sort()).toEqual(requests.map((t) => t.join('|')).sort());
  });

  it('past the waiting limit, a request is 503 with Retry-After, and those in line are answered', async () => {
    const g = gate();
    const { model, entered } = held(g.opened);
    const { url } = await start(model, { maxWaiting: 2 });
    const first = post(url, { text: 'one' });
    await until(() => entered() === 1);
    const second = post(url, { text: 'two' });
    // The second is read and in line behind the first (nothing shows it but time).
    await new Promise((r) => setTimeout(r, 100));
    const third = await post(url, { text: 'three' });
    expect([third.status, third.headers['retry-after'], third.json.error.code]).toEqual([503, '1', 'busy']);
    expect(third.json.error.message).toBe('2 requests are already waiting; try again shortly');
    g.open();
    expect((await Promise.all([first, second])).map((r) => r.status)).toEqual([200, 200]);
    expect((await post(url, { text: 'four' })).status).toBe(200);
  });
});

describe('GET /health and close()', () => {
  it('GET /health and GET / give the model facts; HEAD the headers alone', async () => {
    const { url } = await start(fake(), { facts: { engine: 'onnx', runtime: ['engine: onnx (…)'] } });
    const h = await ask(url, '/health');
    expect([h.status, h.json]).toEqual([
      200,
      { status: 'ok', engine: 'onnx', runtime: ['engine: onnx (…)'], head: 'sigmoid', labels: ['neg', 'pos'], limits: { max_body_bytes: MAX_REQUEST_BYTES, max_texts: MAX_REQUEST_TEXTS } },
    ]);
    expect((await ask(url, '/')).json).toEqual(h.json);
    const head = await ask(url, '/health', { method: 'HEAD' });
    expect([head.status, head.text, head.headers['content-type']]).toEqual([200, '', 'application/json; charset=utf-8']);
  });

  it('close() refuses new connections, answers the request in progress, and does not wait for idle keep-alive connections', async () => {
    const g = gate();
    const { model, entered } = held(g.opened);
    const { url, served } = await start(model);
    const agent = new Agent({ keepAlive: true });
    expect((await ask(url, '/health', { agent })).headers.connection).toBe('keep-alive');
    const inProgress = post(url, { text: 'in progress' });
    await until(() => entered() === 1);
    let closed = false;
    const closing = served.close().then(() => (closed = true));
    await expect(ask(url, '/health')).rejects.toThrow(/ECONNREFUSED/);
    expect(closed).toBe(false);
    g.open();
    const r = await inProgress;
    expect([r.status, r.headers.connection]).toEqual([200, 'close']);
    await closing;
    agent.destroy();
  });
});

describe('close() past its grace period', () => {
  it('cuts the connections still open, and resolves only once the prediction running is done', async () => {
    const g = gate();
    const { model, entered } = held(g.opened);
    const { url, served } = await start(model, { closeGraceMs: 50 });
    const cut = post(url, { text: 'slow' }).then(
      () => 'answered',
      (e: Error) => e.message,
    );
    await until(() => entered() === 1);
    let closed = false;
    const closing = served.close().then(() => (closed = true));
    expect(await cut).toMatch(/socket hang up|ECONNRESET/);
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
    g.open();
    await closing;
    expect(model.calls).toEqual([['slow']]);
  });
});

/** Resolves once `cond` holds, checking every 5 ms (at most `ms`). */
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  for (let t = 0; !cond(); t += 5) {
    if (t > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the Host a request is addressed to', () => {
  it('with allowedHosts, a request for another name is 403 bad_host (a page on a rebound domain cannot reach a local server); its own names pass', async () => {
    const model = fake();
    const { url } = await start(model, { allowedHosts: [...LOOPBACK_NAMES] });
    const port = new URL(url).port;
    const evil = await post(url, { texts: ['a'] }, { headers: { host: `evil.example:${port}` } });
    expect([evil.status, evil.json]).toEqual([403, { error: { code: 'bad_host', message: `requests to this server must be addressed to localhost, 127.0.0.1, [::1], not "evil.example:${port}"` } }]);
    expect(model.calls).toEqual([]);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'LOCALHOST']) {
      expect((await post(url, { texts: ['a'] }, { headers: { host } })).status, host).toBe(200);
    }
    // Without the option (a server the user chose to expose), any Host is answered.
    const open = await start(fake());
    expect((await post(open.url, { texts: ['a'] }, { headers: { host: 'evil.example' } })).status).toBe(200);
  });

  it('reads host names from Host headers and tells loopback addresses', () => {
    expect(['localhost:8080', '127.0.0.1', '[::1]:80', 'Example.COM:1', '', '[::1'].map((h) => hostName(h))).toEqual(['localhost', '127.0.0.1', '[::1]', 'example.com', '', '']);
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '0.0.0.0', '192.168.1.2', '::', 'example.com'].map(isLoopback)).toEqual([true, true, true, true, true, false, false, false, false]);
  });
});
