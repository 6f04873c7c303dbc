import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body as JSON (undefined when it is empty). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers as read; the assertions check them
  json: any;
}

export interface Ask {
  method?: string;
  headers?: Record<string, string>;
  /** Sent whole, with its Content-Length. */
  body?: string | Buffer;
  /** Sent one write at a time, chunked (no Content-Length). */
  chunks?: (string | Buffer)[];
  agent?: Agent | false;
}

/**
 * One request with node:http (not fetch, which fixes some headers itself), resolved with the
 * answer. An error after the answer arrived (the server closing a connection whose upload it
 * stopped reading) is ignored: the answer is what is tested.
 */
export function ask(url: string, path: string, opts: Ask = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined && headers['content-length'] === undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    let answered = false;
    const req = httpRequest(`${url}${path}`, { method: opts.method ?? 'GET', headers, agent: opts.agent ?? false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, text, json: text === '' ? undefined : JSON.parse(text) });
      });
    });
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    if (opts.chunks) {
      for (const c of opts.chunks) req.write(c);
      req.end();
    } else {
      req.end(opts.body);
    }
  });
}

/** `POST path` with a JSON body (a value, or raw text as given). */
export function post(url: string, value: unknown, opts: Ask & { raw?: boolean } = {}): Promise<Reply> {
  const body = opts.raw ? (value as string | Buffer) : JSON.stringify(value);
  return ask(url, '/predict', { ...opts, method: 'POST', headers: { 'content-type': 'application/json', ...opts.headers }, body });
}
