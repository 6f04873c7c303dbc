import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repo = fileURLToPath(new URL('../..', import.meta.url));
export const bin = `${repo}bin/rnnc.js`;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Node options before the bin (e.g. an import hook). */
  nodeArgs?: string[];
  /** Sees standard output as it comes and may close the pipe early (`stop()`), as `| head` does. */
  onStdout?: (soFar: string, stop: () => void) => void;
  /** Sees standard error as it comes, with a way to signal the process (Ctrl-C is SIGINT). */
  onStderr?: (soFar: string, signal: (s: NodeJS.Signals) => void) => void;
}

/**
 * Runs the built `rnnc` bin (npm test builds it first) as a user would. Asynchronous (spawn, not
 * spawnSync), so the test worker keeps answering vitest while a long command runs: blocking it
 * for minutes under load made vitest report "Timeout calling onTaskUpdate".
 */
export function rnnc(args: string[], opts: RunOptions = {}): Promise<Run> {
  return runNode([bin, ...args], opts);
}

/** Runs `node ARGS…` (a script and its arguments) from the repository, asynchronously like {@link rnnc}. */
export function runNode(args: string[], opts: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...args], {
      cwd: opts.cwd ?? repo,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (s: string) => {
      stdout += s;
      opts.onStdout?.(stdout, () => child.stdout.destroy());
    });
    child.stderr.on('data', (s: string) => {
      stderr += s;
      opts.onStderr?.(stderr, (sig) => child.kill(sig));
    });
    child.stdin.on('error', () => undefined); // a command that exits before reading all input
    child.stdin.end(opts.input ?? '');
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
