/**
 * Reading one `POST /predict` request: its content type, its body (bounded), and the texts in
 * its JSON. Each step gives its value or a {@link Refusal} whose message names what is wrong, so
 * a client can fix its request from the answer alone; nothing here touches a model or writes a
 * reply.
 */
import type { IncomingMessage } from 'node:http';
import { quote } from '../language/quote.js';
import { didYouMean } from '../language/suggest.js';

/** A request the server refuses: the HTTP status, a stable code, the message, and extra headers. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

/** A step's value, or why the request is refused. */
export type Read<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

export function refuse(status: number, code: string, message: string, headers?: Record<string, string>): { ok: false; refusal: Refusal } {
  return { ok: false, refusal: { status, code, message, ...(headers ? { headers } : {}) } };
}

const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

/** What a predict request's JSON may hold. */
const FIELDS = ['texts', 'text'];
const SHAPE = 'the body must be {"texts": ["…", …]} or {"text": "…"}';

/** 415 unless the body is declared JSON (`application/json` or `…+json`, UTF-8 if a charset is given). */
export function checkContentType(header: string | undefined): Read<void> {
  const [type = '', ...params] = (header ?? '').split(';').map((p) => p.trim().toLowerCase());
  const json = type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/^"|"$/g, '');
  if (json && (charset === undefined || charset === 'utf-8' || charset === 'utf8')) return ok(undefined);
  const got = header === undefined ? 'no Content-Type' : `Content-Type ${quote(header)}`;
  return refuse(415, 'unsupported_media_type', `send JSON with Content-Type: application/json (got ${got})`);
}

/** 413 for a body over `max` bytes. */
function tooLarge(max: number): Read<never> {
  return refuse(413, 'too_large', `the body is over the limit of ${max.toLocaleString('en-US')} bytes; send fewer texts per request`, { connection: 'close' });
}

/**
 * The request's body, at most `max` bytes: a larger declared Content-Length is refused before
 * anything is read, and a chunked body as soon as it passes the limit (413, connection closed).
 * Resolves `undefined` when the client goes away before the body ends.
 */
export function readBody(req: IncomingMessage, max: number): Promise<Read<Buffer> | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve(tooLarge(max));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (f: () => void): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      f();
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) return finish(() => resolve(tooLarge(max)));
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => finish(() => resolve(ok(Buffer.concat(chunks)))));
    req.on('error', () => finish(() => resolve(undefined)));
    req.on('close', () => finish(() => resolve(undefined)));
  });
}

/** What kind of JSON value `v` is, for messages: `a string`, `null`, `an array`. */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** The body as JSON (400 `bad_json` when it is not UTF-8 or not JSON). */
export function parseJson(body: Buffer): Read<unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return refuse(400, 'bad_json', 'the body is not valid UTF-8');
  }
  if (text.trim() === '') return refuse(400, 'bad_json', `the body is empty; ${SHAPE}`);
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (e) {
    return refuse(400, 'bad_json', `the body is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * The texts a predict request asks about, in order: `{"texts": [...]}` or `{"text": "..."}`,
 * nothing else (400 `bad_request` naming the first thing wrong). At most `maxTexts` (else 413).
 */
export function textsOf(value: unknown, maxTexts: number): Read<string[]> {
  const bad = (message: string): Read<never> => refuse(400, 'bad_request', message);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return bad(`${SHAPE}, not ${kindOf(value)}`);
  const body = value as Record<string, unknown>;
  const unknown = Object.keys(body).find((k) => !FIELDS.includes(k));
  if (unknown !== undefined) {
    const guess = didYouMean(unknown, FIELDS);
    return bad(`unknown field ${quote(unknown)}${guess ? ` (did you mean \`${guess}\`?)` : ''}; ${SHAPE}`);
  }
  if ('texts' in body && 'text' in body) return bad('give `texts` or `text`, not both');
  if ('text' in body) {
    if (typeof body.text !== 'string') return bad(`\`text\` must be a string, not ${kindOf(body.text)}`);
    return ok([body.text]);
  }
  if (!('texts' in body)) return bad(`missing \`texts\`; ${SHAPE}`);
  const texts = body.texts;
  if (!Array.isArray(texts)) {
    return bad(`\`texts\` must be an array of strings, not ${kindOf(texts)}${typeof texts === 'string' ? ' (for one text: {"text": "…"} or {"texts": ["…"]})' : ''}`);
  }
  if (texts.length > maxTexts) {
    return refuse(413, 'too_many_texts', `${texts.length.toLocaleString('en-US')} texts is over the limit of ${maxTexts.toLocaleString('en-US')} per request; send them in several requests`);
  }
  const i = texts.findIndex((t) => typeof t !== 'string');
  if (i >= 0) return bad(`\`texts[${i}]\` must be a string, not ${kindOf(texts[i])}`);
  return ok(texts as string[]);
}
