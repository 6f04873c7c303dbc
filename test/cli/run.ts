import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repo = fileURLToPath(new URL('../..', import.meta.url));
export const bin = `${repo}bin/rnnc.js`;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `rnnc` bin (npm test builds it first) as a user would. */
export function rnnc(args: string[], opts: { cwd?: string; input?: string; nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {}): Run {
  const r = spawnSync(process.execPath, [...(opts.nodeArgs ?? []), bin, ...args], {
    cwd: opts.cwd ?? repo,
    input: opts.input,
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
