import { RnncError } from '../../diagnostics/error.js';
import { listen } from '../../serve/listen.js';
import { createPredictionServer, isLoopback, LOOPBACK_NAMES } from '../../serve/server.js';
import { optString, UsageError, type ParsedArgs } from '../args.js';
import { engineFromArgs, openPredictor } from '../engine.js';
import { EXIT_INTERRUPTED, EXIT_OK } from '../exit.js';
import type { Io } from '../io.js';

export const DEFAULT_PORT = 8080;
/** This machine only: listening on another address is the user's explicit choice. */
export const DEFAULT_HOST = '127.0.0.1';

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

function portOf(args: ParsedArgs): number {
  const given = optString(args, 'port');
  const port = given === undefined ? DEFAULT_PORT : Number(given);
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`--port must be between 0 and 65535 (0 picks a free port), got ${given}`);
  return port;
}

function hostOf(args: ParsedArgs): string {
  const host = optString(args, 'host') ?? DEFAULT_HOST;
  // Node reads an empty host as "every address": never do that by accident.
  if (host.trim() === '') throw new UsageError('--host needs an address, e.g. 127.0.0.1 (the default) or 0.0.0.0 for every IPv4 address');
  return host.trim();
}

/**
 * Resolves at the first SIGINT or SIGTERM; a second one exits at once (130) without waiting for
 * the requests in progress. `dispose` removes the handlers.
 */
function stopSignal(io: Io): { stopped: Promise<NodeJS.Signals>; dispose: () => void } {
  let stopping = false;
  let onSignal: (s: NodeJS.Signals) => void = () => undefined;
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (s) => {
      if (stopping) {
        io.err(`rnnc serve: second ${s}: exiting without finishing the requests in progress\n`);
        process.exit(EXIT_INTERRUPTED);
      }
      stopping = true;
      resolve(s);
    };
  });
  for (const s of SIGNALS) process.on(s, onSignal);
  return { stopped, dispose: () => SIGNALS.forEach((s) => process.off(s, onSignal)) };
}

/**
 * `rnnc serve DIR`: answers JSON predictions of the model folder over HTTP (src/serve/server.ts
 * has the endpoints) until SIGINT or SIGTERM, then finishes the requests in progress and exits 0.
 */
export async function runServe(io: Io, args: ParsedArgs): Promise<number> {
  const dir = args.positionals[0]!;
  const port = portOf(args);
  const host = hostOf(args);
  const engine = engineFromArgs(args);
  const predictor = await openPredictor(dir, args);
  for (const l of predictor.lines) io.err(`${l}\n`);
  const served = createPredictionServer(
    { labels: predictor.vocab.labels, head: predictor.head, probabilities: (texts) => predictor.probabilities(texts) },
    {
      facts: { engine, runtime: predictor.lines },
      // On a loopback address only this machine's names: see ServerOptions.allowedHosts.
      ...(isLoopback(host) ? { allowedHosts: [...LOOPBACK_NAMES, host.includes(':') && !host.startsWith('[') ? `[${host}]` : host] } : {}),
      onError: (e) =>
        io.err(
          e instanceof RnncError
            ? `rnnc serve: error[${e.code}]: ${e.message} (answered 500)\n`
            : `rnnc serve: internal error while answering a request (answered 500; a bug in rnnc, please report it): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
        ),
    },
  );
  const signal = stopSignal(io);
  try {
    const url = await listen(served.server, port, host).catch(async (e: unknown) => {
      await predictor.close();
      throw e;
    });
    io.err(`rnnc serve: listening on ${url} (POST /predict, GET /health); Ctrl-C stops\n`);
    const s = await signal.stopped;
    io.err(`rnnc serve: ${s}: finishing the requests in progress, then stopping\n`);
    await served.close();
    await predictor.close();
  } finally {
    signal.dispose();
  }
  return EXIT_OK;
}
