import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { RnncError } from '../../src/diagnostics/error.js';
import { hostPort, listen } from '../../src/serve/listen.js';
import { rejection } from '../fixtures.js';

const open: Server[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function server(): Server {
  const s = createServer((_req, res) => res.end());
  open.push(s);
  return s;
}

describe('listen', () => {
  it('resolves the URL with the port the system chose for port 0', async () => {
    const s = server();
    const url = await listen(s, 0, '127.0.0.1');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).toBe(`http://127.0.0.1:${(s.address() as { port: number }).port}`);
    expect(hostPort('::1', 8080)).toBe('[::1]:8080');
  });

  it('a port in use is CannotListen (E4015), saying so and how to pick another', async () => {
    const url = await listen(server(), 0, '127.0.0.1');
    const port = Number(new URL(url).port);
    const e = await rejection(listen(server(), port, '127.0.0.1'), RnncError);
    expect([e.codeName, e.code, e.message]).toEqual(['CannotListen', 'E4015', `cannot listen on 127.0.0.1:${port}: the port is in use`]);
    expect(e.diagnostic.help).toBe('stop what uses it, or choose another port with --port N (--port 0 picks a free one)');
  });

  it('a host that does not resolve, or is not an address of this machine, is E4015 naming it', async () => {
    const unknown = await rejection(listen(server(), 0, 'no-such-host.invalid'), RnncError);
    expect(unknown.message).toBe('cannot listen on no-such-host.invalid:0: no such host "no-such-host.invalid"');
    expect(unknown.diagnostic.help).toContain('--host takes');
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): no machine has it.
    const foreign = await rejection(listen(server(), 0, '192.0.2.1'), RnncError);
    expect(foreign.message).toBe("cannot listen on 192.0.2.1:0: 192.0.2.1 is not an address of this machine");
  });
});
