// What the bench runners share: fresh worker processes that print one JSON line, the Python peers' thread
// settings and the machine line of a run.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, type } from 'node:os';
import { join } from 'node:path';
import type { Machine } from './report.js';

const root = join(import.meta.dirname, '..');
// Generous: the stock cpu DCGAN step alone takes minutes.
const TIMEOUT_MS = 20 * 60_000;

/** Running `latentlab train` jobs, from source (src/cli/bin.ts) or built (bin/latentlab.js). */
export function backgroundTrainingJobs(): number {
  const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((line) => /(src\/cli\/bin\.ts|bin\/latentlab\.js) train\b/.test(line))
    .length;
}

export function machine(): Machine {
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    os: `${type()} ${release()}`,
    loadAverage: loadavg(),
    backgroundTrainingJobs: { start: backgroundTrainingJobs(), end: 0 },
    date: new Date().toISOString(),
    env: Object.fromEntries(
      Object.entries(process.env).filter(
        (e): e is [string, string] => /^(OPENBLAS_|LATENTLAB_)/.test(e[0]) && e[1] !== undefined,
      ),
    ),
  };
}

/** Run a worker; its last stdout line is a JSON row. A crash becomes a failed row. */
export function runJson(file: string, args: string[], env: NodeJS.ProcessEnv): Record<string, unknown> {
  const child = spawnSync(file, args, {
    encoding: 'utf8',
    env,
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: TIMEOUT_MS,
    maxBuffer: 16 * 2 ** 20,
  });
  const last = child.stdout?.trim().split('\n').at(-1);
  if (last?.startsWith('{')) return JSON.parse(last);
  const why = child.error?.message ?? `exit ${child.status ?? child.signal}`;
  return { ok: false, error: `${file} ${args.join(' ')}: ${why}` };
}

/**
 * torch.set_num_threads leaves Debian torch's OpenBLAS pool alone: every pool gets the same count.
 * Passive OpenMP waits: spinning threads on a shared 2-core machine made 2-thread PyTorch 10-25x slower.
 */
export const threadEnv = (threads: number) => ({
  ...process.env,
  OMP_NUM_THREADS: String(threads),
  OPENBLAS_NUM_THREADS: String(threads),
  MKL_NUM_THREADS: String(threads),
  OMP_WAIT_POLICY: 'PASSIVE',
});

/** The first interpreter that can import `module`. */
export function findPython(candidates: string[], module: string): string | undefined {
  return candidates.find((py) => spawnSync(py, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0);
}
