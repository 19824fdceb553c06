// Queued sweeps against a real Redis (Debian's redis-server on a loopback port, skipped where it is not
// installed): three `latentlab worker` processes share a runs directory; one is killed with SIGKILL in the middle
// of a trial, whose job another worker picks up and resumes from the trial's last checkpoint; Redis is stopped
// and started again mid-sweep and the sweep goes on; a trial that fails every attempt is reported, not retried
// forever.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQueuedSweep } from '../../src/apps/sweep/queue.js';
import { parseSweep } from '../../src/apps/sweep/spec.js';
import { sweepResults, writeResults } from '../../src/apps/sweep/trials.js';

const hasRedis = (() => {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const root = join(import.meta.dirname, '..', '..');
let dir: string;
let port: number;
let redis: ChildProcess | undefined;
const workers: ChildProcess[] = [];
const logs: string[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<void> {
  // Append-only file: what was queued survives the restart, as it would on a real deployment.
  redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'ignore' });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error('redis-server did not start');
}

async function stopRedis(): Promise<void> {
  const child = redis;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function startWorker(runs: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'src', 'cli', 'bin.ts'),
      'worker',
      '--redis',
      `redis://127.0.0.1:${port}`,
      '--runs',
      runs,
      '--lock-ms',
      '2000',
      '--backend',
      'wasm',
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LATENTLAB_THREADS: '1' } },
  );
  child.stderr?.on('data', (chunk) => logs.push(`[${child.pid}] ${chunk}`));
  workers.push(child);
  return child;
}

const waitFor = async (what: string, check: () => Promise<boolean> | boolean, ms = 60_000) => {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${logs.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

beforeAll(async () => {
  if (!hasRedis) return;
  dir = await mkdtemp(join(tmpdir(), 'latentlab-redis-'));
  port = await freePort();
  await startRedis();
});

afterAll(async () => {
  for (const worker of workers) worker.kill('SIGKILL');
  await stopRedis();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const epochsOf = async (file: string) =>
  (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line).epoch as number);

describe.skipIf(!hasRedis)('a sweep queued on Redis, three workers', () => {
  it('survives a worker killed mid-trial and Redis restarted; a failing trial is reported after its attempts', async () => {
    const runs = join(dir, 'runs');
    const { spec, trials } = parseSweep({
      name: 'queued',
      base: {
        model: { kind: 'dense-ae', hidden: [32] },
        data: { source: 'mnist' },
        // Epochs long enough to kill a worker inside one trial, checkpointed after each.
        train: { epochs: 4, limit: 3000, batchSize: 50 },
      },
      grid: { 'model.latent': [2, 3, 4] },
      seeds: [0, 1],
    });
    for (let i = 0; i < 3; i++) startWorker(runs);
    const url = `redis://127.0.0.1:${port}`;
    const sweep = runQueuedSweep(url, spec, trials, { pollMs: 200 });

    // Kill the worker training the first trial to get past its first epoch (its pid is in the run's lock).
    let victim = '';
    await waitFor('a trial past its first epoch', async () => {
      for (const trial of trials) {
        const run = join(runs, spec.name, trial.id);
        if (existsSync(join(run, 'summary.json')) || !existsSync(join(run, 'checkpoint.lltf'))) continue;
        if (!existsSync(join(run, 'train.lock'))) continue;
        victim = trial.id;
        return true;
      }
      return false;
    });
    const run = join(runs, spec.name, victim);
    const { pid } = JSON.parse(await readFile(join(run, 'train.lock'), 'utf8'));
    process.kill(pid, 'SIGKILL');

    // Redis goes away and comes back while the others work (and the killed trial waits for its lock to expire).
    await new Promise((resolve) => setTimeout(resolve, 500));
    await stopRedis();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await startRedis();

    const failures = await sweep;
    expect(failures.size, logs.join('')).toBe(0);
    const results = await sweepResults(runs, spec, trials, failures);
    expect(results.trials.map((t) => t.status)).toEqual(trials.map(() => 'done'));
    // The killed trial went on from its checkpoint: each epoch once in its log, as an unbroken run's.
    expect(await epochsOf(join(run, 'metrics.jsonl'))).toEqual([1, 2, 3, 4]);
    expect(logs.join('')).toContain(`queued/${victim}: resumed, done`);

    // A trial that cannot run (its data file is missing): tried `attempts` times, then reported.
    const broken = parseSweep({
      name: 'broken',
      base: {
        model: { kind: 'dense-ae' },
        data: { source: 'csv', path: join(dir, 'absent.csv') },
        train: { epochs: 1 },
      },
      attempts: 2,
    });
    const failed = await runQueuedSweep(url, broken.spec, broken.trials, { pollMs: 200 });
    expect([...failed.keys()]).toEqual(['p0-s0']);
    expect(failed.get('p0-s0')).toMatch(/absent\.csv.*\(after 2 attempts\)/);
  }, 240_000);

  it('runs the anomaly benchmark as a sweep: its cells taken by the workers, its report written at the end', async () => {
    // The runs directory the first test's workers use too, so whichever worker takes a cell writes it here; one
    // worker of this test's own, so it also runs alone.
    const runs = join(dir, 'runs');
    startWorker(runs);
    const data = join(dir, 'adbench');
    await mkdir(data, { recursive: true });
    await copyFile(join(root, 'test', 'fixtures', 'numpy', 'obvious.npz'), join(data, 'obvious.npz'));
    const { spec, trials } = parseSweep({
      name: 'anomaly',
      kind: 'anomaly-benchmark',
      benchmark: { data, detectors: ['iforest', 'ecod', 'knn'] },
      seeds: [0, 1],
    });
    const failures = await runQueuedSweep(`redis://127.0.0.1:${port}`, spec, trials, { pollMs: 200 });
    expect(failures.size, logs.join('')).toBe(0);
    const results = await sweepResults(runs, spec, trials, failures);
    expect(results.trials.map((t) => t.status)).toEqual(trials.map(() => 'done'));
    expect(logs.join('')).toMatch(/anomaly\/obvious-knn-s1: scored, done/);
    await writeResults(runs, spec, results, trials);
    const report = JSON.parse(await readFile(join(runs, 'anomaly', 'anomaly-benchmark.json'), 'utf8'));
    expect(report.seeds).toBe(2);
    for (const detector of ['iforest', 'ecod', 'knn'])
      expect(report.datasets[0].results[detector].auroc).toEqual([1, 1]);
  }, 120_000);
});
