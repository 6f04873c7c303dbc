import { spawn } from 'node:child_process';
import type { Run } from '../cli/run.js';

/**
 * PyTorch for the tests: Debian's `python3-torch` under /usr/bin/python3 (the interpreter the
 * export's README and the bench name). Tests that need it are `describe.skipIf(!torch)`, so
 * they show as skipped, not passed, where it is missing. `.ci/run` installs it and sets
 * RNNC_REQUIRE_TORCH=1, so there a missing or broken install fails instead.
 */
export const PYTHON = '/usr/bin/python3';

export interface PythonOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/**
 * Runs `/usr/bin/python3 ARGS…` asynchronously (spawn, not spawnSync: the test worker keeps
 * answering vitest). One thread per process by default: the tests run two files at once on two cores.
 */
export function runPython(args: string[], opts: PythonOptions = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, args, { cwd: opts.cwd, env: { OMP_NUM_THREADS: '1', ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${stderr}${e.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function probe(): Promise<string | null> {
  const r = await runPython(['-c', 'import torch, torch.distributed as d; print(torch.__version__, d.is_available() and d.is_gloo_available())'], { timeoutMs: 60_000 });
  const ok = r.code === 0 && r.stdout.trim().endsWith('True');
  if (!ok && process.env.RNNC_REQUIRE_TORCH === '1') {
    throw new Error(`RNNC_REQUIRE_TORCH=1 but ${PYTHON} cannot import torch with torch.distributed (gloo): ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
  }
  return ok ? r.stdout.trim().split(' ')[0]! : null;
}

/** PyTorch's version under /usr/bin/python3, or null without it. */
export const torch: string | null = await probe();
