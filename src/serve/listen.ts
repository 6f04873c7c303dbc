/**
 * Opening the server's socket: {@link listen} resolves the URL the server answers on (with the
 * port the system chose for port 0), or fails with CannotListen (E4015) saying why in words a
 * user acts on: the port is taken, the host is not an address of this machine, no privilege.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fail, reasonOf } from '../diagnostics/error.js';

/** `host:port`, with an IPv6 address in brackets (`[::1]:8080`). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Why `listen` failed, for the message after "cannot listen on HOST:PORT: ". */
function why(e: NodeJS.ErrnoException, host: string, port: number): { reason: string; help?: string } {
  switch (e.code) {
    case 'EADDRINUSE':
      return { reason: 'the port is in use', help: 'stop what uses it, or choose another port with --port N (--port 0 picks a free one)' };
    case 'EACCES':
      return {
        reason: 'permission denied',
        help: port > 0 && port < 1024 ? 'ports below 1024 need privileges: choose --port 1024 or above' : 'choose another --port or --host',
      };
    case 'EADDRNOTAVAIL':
      return { reason: `${host} is not an address of this machine`, help: '--host takes one of its addresses, e.g. 127.0.0.1 (the default) or ::1' };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return { reason: `no such host ${JSON.stringify(host.slice(0, 80))}`, help: '--host takes an address or name of this machine, e.g. 127.0.0.1 (the default), ::1 or localhost' };
    case 'EAFNOSUPPORT':
      return { reason: 'this machine does not support that kind of address (IPv6?)', help: 'use --host 127.0.0.1' };
    default:
      return { reason: reasonOf(e) };
  }
}

/**
 * Starts `server` on `host:port` (0: a free port) and resolves its URL,
 * e.g. `http://127.0.0.1:43125`; or rejects with CannotListen (E4015).
 */
export function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      const { reason, help } = why(e, host, port);
      reject(fail('CannotListen', `cannot listen on ${hostPort(host, port)}: ${reason}`, { ...(help !== undefined ? { help } : {}), cause: e }));
    };
    const onListening = (): void => {
      server.off('error', onError);
      const a = server.address() as AddressInfo;
      resolve(`http://${hostPort(a.address, a.port)}`);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
