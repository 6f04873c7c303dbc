/**
 * `rnnc serve`'s HTTP side: JSON predictions of one model over node:http. It knows nothing of
 * the CLI, the engines or TensorFlow.js: it is handed a {@link ServedModel} (the CLI adapts its
 * predictor on either engine; tests pass a fake), so every status below is tested without a model.
 *
 * - `POST /predict` `{"texts": ["…", …]}` or `{"text": "…"}` → 200 `{"predictions": [{label,
 *   probability, probabilities}, …]}`, one per text, in order: the records `rnnc predict --format
 *   json` prints for the same texts (train/metrics.ts `predictionOf`), without the text.
 * - `GET /health` (and `GET /`) → 200 the model's facts: labels, head, engine, the limits.
 * - Anything else is `{"error": {"code", "message"}}`: 400 bad JSON or a wrong shape, 403 a Host
 *   not allowed (ServerOptions.allowedHosts), 404 an
 *   unknown path, 405 a wrong method (with `Allow`), 413 over the body or text limit, 415 a body
 *   not declared JSON, 500 a prediction that failed, 503 too many requests waiting.
 *
 * One prediction runs at a time; requests wait their turn in order. Batching several requests
 * into one engine call would change which texts share a batch, so an answer would no longer be
 * `rnnc predict`'s for the same texts; and each engine already spreads one call over the cores
 * (the fused kernels' threads, ONNX Runtime's intra-op threads).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { reasonOf, RnncError } from '../diagnostics/error.js';
import { MAX_REQUEST_BYTES, MAX_REQUEST_TEXTS, MAX_WAITING_REQUESTS } from '../limits.js';
import { predictionOf, type HeadKind } from '../train/metrics.js';
import { checkContentType, parseJson, readBody, textsOf, type Read, type Refusal } from './request.js';

/** How long {@link PredictionServer.close} lets requests in progress finish before cutting them off. */
export const CLOSE_GRACE_MS = 10_000;

/** What the server needs of a model. */
export interface ServedModel {
  labels: readonly string[];
  head: HeadKind;
  /** n values for a sigmoid head, n × k row-major for softmax (as the CLI's Predictor). */
  probabilities(texts: readonly string[]): Promise<Float32Array>;
}

export interface ServerOptions {
  /** More facts for `GET /health`, e.g. `{ engine: 'onnx', runtime: […] }`. */
  facts?: Record<string, unknown>;
  /** The limits (src/limits.ts has the defaults). */
  maxBodyBytes?: number;
  maxTexts?: number;
  maxWaiting?: number;
  closeGraceMs?: number;
  /** Told of each prediction that failed (the client gets 500; the server keeps serving). */
  onError?: (error: unknown) => void;
  /**
   * The host names a request may be addressed to (its Host header, without the port); others are
   * 403 `bad_host`. A server on a loopback address takes only loopback names: a web page whose
   * own domain the attacker points at 127.0.0.1 ("DNS rebinding") then cannot reach it through
   * the browser. Unset: any Host.
   */
  allowedHosts?: readonly string[];
}

/** Host names that always mean this machine, for a server on a loopback address. */
export const LOOPBACK_NAMES: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

/** Whether a listening address is this machine's loopback (`localhost`, 127.x.x.x, ::1). */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The host name of a Host header, lower-cased, without its port (`[::1]:8080` → `[::1]`). */
export function hostName(header: string | undefined): string {
  const h = (header ?? '').trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}

export interface PredictionServer {
  server: Server;
  /**
   * Stops taking connections, lets the requests already received finish (up to the grace
   * period, then cuts their connections), and resolves when no connection is left and no
   * prediction is running, so the model can be closed.
   */
  close(): Promise<void>;
}

/** The endpoints and the methods each takes. */
const ROUTES: Record<string, 'predict' | 'health'> = { '/predict': 'predict', '/health': 'health', '/': 'health' };
const METHODS = { predict: ['POST'], health: ['GET', 'HEAD'] } as const;

/** Runs one task at a time, in the order they came; refuses more than `limit` at once. */
class Turns {
  private tail: Promise<unknown> = Promise.resolve();
  private count = 0;
  constructor(private readonly limit: number) {}

  /** `f`'s result once every earlier task is done, or undefined when `limit` tasks are already in line. */
  run<T>(f: () => Promise<T>): Promise<T> | undefined {
    if (this.count >= this.limit) return undefined;
    this.count++;
    const result = this.tail.then(f);
    this.tail = result.then(
      () => this.count--,
      () => this.count--,
    );
    return result;
  }

  /** Resolves when every task taken so far is done. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}

function send(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const body = `${JSON.stringify(value)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

/** The error answer for a refusal. */
function errorOf(r: Refusal): { error: { code: string; message: string } } {
  return { error: { code: r.code, message: r.message } };
}

/** The message of a failed prediction, with the diagnostic code when rnnc raised it (`error[E4011]: …`). */
function failureMessage(e: unknown): string {
  return e instanceof RnncError ? `error[${e.code}]: ${e.message}` : reasonOf(e);
}

/** Whether a request comes with a body (that a refusal before reading it leaves unread). */
function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
}

/** A server for `model`, not yet listening (see listen.ts). */
export function createPredictionServer(model: ServedModel, options: ServerOptions = {}): PredictionServer {
  const maxBodyBytes = options.maxBodyBytes ?? MAX_REQUEST_BYTES;
  const maxTexts = options.maxTexts ?? MAX_REQUEST_TEXTS;
  const maxWaiting = options.maxWaiting ?? MAX_WAITING_REQUESTS;
  const turns = new Turns(maxWaiting);
  const width = model.head === 'sigmoid' ? 1 : model.labels.length;
  const health = {
    status: 'ok',
    ...options.facts,
    head: model.head,
    labels: model.labels,
    limits: { max_body_bytes: maxBodyBytes, max_texts: maxTexts },
  };
  let closing = false;
  // Once closing, each answer ends its connection, so that close() is not kept waiting by keep-alive.
  const reply = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void =>
    send(res, status, value, closing ? { ...headers, connection: 'close' } : headers);
  // A refusal that leaves a body unread closes the connection too: reading a body only to drop it
  // would keep the connection alive at the cost of reading up to any size.
  const refusal = (res: ServerResponse, r: Refusal, bodyRead: boolean): void =>
    reply(res, r.status, errorOf(r), bodyRead || !hasBody(res.req) ? r.headers : { ...r.headers, connection: 'close' });

  async function predict(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const type = checkContentType(req.headers['content-type']);
    if (!type.ok) return refusal(res, type.refusal, false);
    const body = await readBody(req, maxBodyBytes);
    if (body === undefined) return; // the client went away
    const texts = then(body, (b) => then(parseJson(b), (v) => textsOf(v, maxTexts)));
    if (!texts.ok) return refusal(res, texts.refusal, true);
    if (texts.value.length === 0) return reply(res, 200, { predictions: [] });
    const turn = turns.run(() => model.probabilities(texts.value));
    if (!turn) return refusal(res, { status: 503, code: 'busy', message: `${maxWaiting} requests are already waiting; try again shortly`, headers: { 'retry-after': '1' } }, true);
    let probs: Float32Array;
    try {
      probs = await turn;
      const want = texts.value.length * width;
      if (probs.length !== want) throw new Error(`the model gave ${probs.length} values for ${texts.value.length} texts (expected ${want})`);
    } catch (e) {
      options.onError?.(e);
      return reply(res, 500, { error: { code: 'prediction_failed', message: failureMessage(e) } });
    }
    reply(res, 200, { predictions: texts.value.map((_, i) => predictionOf(probs, i, model.labels, model.head)) });
  }

  const allowedHosts = options.allowedHosts ? new Set(options.allowedHosts.map((h) => h.toLowerCase())) : undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (allowedHosts && !allowedHosts.has(hostName(req.headers.host))) {
      const message = `requests to this server must be addressed to ${[...allowedHosts].join(', ')}, not ${JSON.stringify((req.headers.host ?? '').slice(0, 80))}`;
      return refusal(res, { status: 403, code: 'bad_host', message }, false);
    }
    const path = (req.url ?? '/').split('?')[0]!;
    const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
    if (!route) {
      return refusal(res, { status: 404, code: 'not_found', message: `no endpoint ${JSON.stringify(path.slice(0, 80))}: use POST /predict or GET /health` }, false);
    }
    const allowed: readonly string[] = METHODS[route];
    if (!allowed.includes(req.method ?? '')) {
      const message = `${path} takes ${allowed.join(' or ')}, not ${(req.method ?? '').slice(0, 20)}`;
      return refusal(res, { status: 405, code: 'method_not_allowed', message, headers: { allow: allowed.join(', ') } }, false);
    }
    if (route === 'health') return reply(res, 200, health);
    return predict(req, res);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      // A bug in the handler, not a bad request: answer it if possible and keep serving.
      options.onError?.(e);
      if (!res.headersSent) reply(res, 500, { error: { code: 'internal', message: failureMessage(e) } });
      else res.destroy();
    });
  });

  return {
    server,
    close: async () => {
      closing = true;
      const force = setTimeout(() => server.closeAllConnections(), options.closeGraceMs ?? CLOSE_GRACE_MS);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Requests waiting for a prediction end their connections as they are answered.
      await turns.idle();
      setImmediate(() => server.closeIdleConnections());
      await closed;
      clearTimeout(force);
      // A request still being read when close() began, or one whose connection was cut, may
      // have a prediction running.
      await turns.idle();
    },
  };
}

/** `f` of a step's value, or the step's refusal. */
function then<A, B>(r: Read<A>, f: (a: A) => Read<B>): Read<B> {
  return r.ok ? f(r.value) : r;
}
