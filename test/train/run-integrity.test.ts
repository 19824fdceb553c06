// A run directory that cannot contradict itself: one writer at a time, a finish that completes after a crash,
// resumes that end bit for bit where an uninterrupted run ends, stale temporaries removed, write errors that
// name their file, unique run names, and a stopped run that leaves a usable model.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/io/model-files.js';
import type { RunConfigInput } from '../../src/train/config.js';
import { type RunResult, resumeRun, trainRun } from '../../src/train/run.js';
import { createUniqueDir, defaultRunName } from '../../src/train/run-dir.js';
import { acquireRunLock, FOREIGN_STALE_MS, LOCK_FILE } from '../../src/train/run-lock.js';
import { useBackend, withTempDir } from '../helpers.js';
import { metricsOf, stateBytes } from './run-state.js';

const tiny = (epochs: number, seed = 3, batchSize = 64): RunConfigInput => ({
  seed,
  model: { kind: 'dense-ae', hidden: [32], latent: 4 },
  data: { source: 'mnist' },
  train: { epochs, batchSize, limit: 512, previewCount: 0 },
});

/** A run's error message, or what it did instead (a resolved RunResult is too big for an assertion's diff). */
async function failure(run: Promise<RunResult>): Promise<string> {
  try {
    const result = await run;
    result.model.dispose();
    return `no error: trained ${result.epochs} epochs`;
  } catch (error) {
    return (error as Error).message;
  }
}

/** A pid that is certainly not running: a child that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('close', resolve));
  return child.pid!;
}

beforeAll(async () => {
  await useBackend('wasm');
});

describe('one writer per run directory', () => {
  it('refuses a second writer while the lock is held, naming the run, the holder pid and how long', async () => {
    await withTempDir(async (dir) => {
      const runDir = join(dir, 'run');
      await mkdir(runDir);
      const since = new Date(Date.now() - 2 * 3600_000).toISOString();
      // A live holder: this test process itself, as another writer on this host would be.
      await writeFile(
        join(runDir, LOCK_FILE),
        JSON.stringify({ pid: process.pid, hostname: hostname(), since }),
      );
      expect(await failure(trainRun(tiny(1), runDir))).toContain(
        `${runDir}: run is being written by pid ${process.pid} on ${hostname()} (for 2.0 h, since ${since})`,
      );
      expect(await readdir(runDir)).toEqual([LOCK_FILE]);
    });
  });

  it('takes over a stale lock of a dead process and releases its own when done', async () => {
    await withTempDir(async (dir) => {
      const runDir = join(dir, 'run');
      await mkdir(runDir);
      const pid = await deadPid();
      await writeFile(
        join(runDir, LOCK_FILE),
        JSON.stringify({ pid, hostname: hostname(), since: new Date().toISOString() }),
      );
      const result = await trainRun(tiny(1), runDir);
      result.model.dispose();
      expect(existsSync(join(runDir, LOCK_FILE))).toBe(false);
      expect(existsSync(join(runDir, 'summary.json'))).toBe(true);
    });
  });

  it('keeps a lock from another host while its writer touches it, and takes it over once untouched', async () => {
    await withTempDir(async (dir) => {
      const runDir = join(dir, 'run');
      await mkdir(runDir);
      const lock = join(runDir, LOCK_FILE);
      const since = new Date().toISOString();
      // A worker on another machine sharing the runs directory: its pid means nothing here.
      await writeFile(lock, JSON.stringify({ pid: 999_999, hostname: 'worker-7.example', since }));
      expect(await failure(trainRun(tiny(1), runDir))).toContain(
        'run is being written by pid 999999 on worker-7.example',
      );
      // Untouched for longer than FOREIGN_STALE_MS: that machine is gone, the lock is taken over.
      const old = new Date(Date.now() - FOREIGN_STALE_MS - 5_000);
      await utimes(lock, old, old);
      const result = await trainRun(tiny(1), runDir);
      result.model.dispose();
      expect(existsSync(join(runDir, 'summary.json'))).toBe(true);
      expect(existsSync(lock)).toBe(false);
    });
  });

  it('touches its own lock while it holds it', async () => {
    await withTempDir(async (dir) => {
      const held = await acquireRunLock(dir, { heartbeatMs: 50 });
      const lock = join(dir, LOCK_FILE);
      const old = new Date(Date.now() - 3_600_000);
      await utimes(lock, old, old);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(Date.now() - (await stat(lock)).mtimeMs).toBeLessThan(5_000);
      await held.release();
      expect(existsSync(lock)).toBe(false);
    });
  });

  it('releases the lock when the run fails', async () => {
    await withTempDir(async (dir) => {
      const runDir = join(dir, 'run');
      await trainRun(tiny(1), runDir).then((r) => r.model.dispose());
      await writeFile(join(runDir, 'checkpoint.lltf'), 'garbage');
      expect(await failure(resumeRun(runDir, { epochs: 2 }))).toContain('not a latentlab tensor file');
      expect(existsSync(join(runDir, LOCK_FILE))).toBe(false);
    });
  });
});

describe('finishing', () => {
  it('completes a run killed between saving model/ and writing summary.json', async () => {
    await withTempDir(async (dir) => {
      const runDir = join(dir, 'run');
      const first = await trainRun(tiny(2), runDir);
      first.model.dispose();
      const summary = await readFile(join(runDir, 'summary.json'), 'utf8');
      // The crash state: checkpoint and model of the last epoch, no summary.
      await rm(join(runDir, 'summary.json'));
      const finished = await resumeRun(runDir);
      finished.model.dispose();
      expect(finished.epochs).toBe(2);
      const again = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8'));
      expect(again.test).toEqual(JSON.parse(summary).test);
      expect((await metricsOf(runDir)).length).toBe(2);
      // Finished now: resuming it again is refused.
      expect(await failure(resumeRun(runDir))).toContain('run already finished 2 of 2 epochs');
    });
  });
});

describe('resume is exact', () => {
  it('ends bit-identical to an uninterrupted run when stopped after epoch 1 or 3 of 4', async () => {
    await withTempDir(async (dir) => {
      // 32 steps an epoch: Adam's float32 running beta powers drift from pow() within a few steps.
      const straight = await trainRun(tiny(4, 3, 16), join(dir, 'straight'));
      straight.model.dispose();
      for (const stopAfter of [1, 3]) {
        const runDir = join(dir, `stopped-${stopAfter}`);
        const abort = new AbortController();
        const stopped = await trainRun(tiny(4, 3, 16), runDir, {
          signal: abort.signal,
          callbacks: { onEpochEnd: (r) => r.epoch === stopAfter && abort.abort() },
        });
        stopped.model.dispose();
        expect(stopped.aborted).toBe(true);
        const resumed = await resumeRun(runDir);
        resumed.model.dispose();
        expect(resumed.epochs).toBe(4);
        expect(await metricsOf(runDir)).toEqual(await metricsOf(join(dir, 'straight')));
        expect(await stateBytes(runDir)).toEqual(await stateBytes(join(dir, 'straight')));
        const a = JSON.parse(await readFile(join(dir, 'straight', 'summary.json'), 'utf8'));
        const b = JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8'));
        expect(b.test).toEqual(a.test);
      }
    });
  });
  it('holds for families with two optimisers and sampled noise (a GAN, a VAE)', async () => {
    await withTempDir(async (dir) => {
      const models = [
        { kind: 'gan', generatorHidden: [32], discriminatorHidden: [32], latent: 4 },
        { kind: 'vae', hidden: [32], latent: 2 },
      ];
      for (const model of models) {
        // 64 steps an epoch: enough for a resume from rebuilt beta powers to drift.
        const base = tiny(2, 5, 16);
        const config = { ...base, model, train: { ...base.train, limit: 1024 } } as RunConfigInput;
        const straight = await trainRun(config, join(dir, `${model.kind}-straight`));
        straight.model.dispose();
        const runDir = join(dir, `${model.kind}-stopped`);
        const abort = new AbortController();
        const stopped = await trainRun(config, runDir, {
          signal: abort.signal,
          callbacks: { onEpochEnd: (r) => r.epoch === 1 && abort.abort() },
        });
        stopped.model.dispose();
        await resumeRun(runDir).then((r) => r.model.dispose());
        expect(await metricsOf(runDir)).toEqual(await metricsOf(join(dir, `${model.kind}-straight`)));
        expect(await stateBytes(runDir)).toEqual(await stateBytes(join(dir, `${model.kind}-straight`)));
      }
    });
  });
});

describe('a stopped run', () => {
  it('keeps a usable model of its last complete epoch, stays resumable, and has no summary', async () => {
    await withTempDir(async (dir) => {
      const runDir = join(dir, 'run');
      const abort = new AbortController();
      const result = await trainRun(tiny(3), runDir, {
        signal: abort.signal,
        callbacks: { onEpochEnd: (r) => r.epoch === 1 && abort.abort() },
      });
      result.model.dispose();
      expect(result.aborted).toBe(true);
      expect(existsSync(join(runDir, 'summary.json'))).toBe(false);
      const loaded = await loadModel(join(runDir, 'model'));
      expect(loaded.model.kind).toBe('dense-ae');
      loaded.model.dispose();
      const resumed = await resumeRun(runDir);
      resumed.model.dispose();
      expect(resumed.epochs).toBe(3);
      expect(existsSync(join(runDir, 'summary.json'))).toBe(true);
    });
  });
});

describe('damaged run directories', () => {
  it('removes the temporaries of killed writes when the run is opened for writing', async () => {
    await withTempDir(async (dir) => {
      const runDir = join(dir, 'run');
      await trainRun(tiny(1), runDir).then((r) => r.model.dispose());
      const pid = await deadPid();
      await writeFile(join(runDir, `.checkpoint.lltf.${pid}.0badc0de.tmp`), 'half');
      await mkdir(join(runDir, `.model.${pid}.0badc0de.tmp`));
      await writeFile(join(runDir, `.model.${pid}.0badc0de.tmp`, 'manifest.json'), '{');
      await resumeRun(runDir, { epochs: 2 }).then((r) => r.model.dispose());
      expect((await readdir(runDir)).filter((f) => f.startsWith('.'))).toEqual([]);
    });
  });

  it('refuses a checkpoint that is a dangling link instead of restarting from epoch 0', async () => {
    await withTempDir(async (dir) => {
      const runDir = join(dir, 'run');
      await trainRun(tiny(1), runDir).then((r) => r.model.dispose());
      await rename(join(runDir, 'checkpoint.lltf'), join(dir, 'moved.lltf'));
      await symlink(join(dir, 'gone.lltf'), join(runDir, 'checkpoint.lltf'));
      expect(await failure(resumeRun(runDir, { epochs: 2 }))).toContain(
        `${join(runDir, 'checkpoint.lltf')}: the checkpoint is a link to a missing file`,
      );
      expect((await metricsOf(runDir)).length).toBe(1);
    });
  });
});

describe('run directory names', () => {
  it('are unique: trains started together into the same name get distinct directories', async () => {
    await withTempDir(async (dir) => {
      const base = join(dir, 'dense-ae-mnist-20260101-000000-000');
      // Two loops in one process share the backend's tensor count: no leak guard here.
      const results = await Promise.all(
        [1, 2].map(() => trainRun(tiny(1), base, { uniqueDir: true, leakGuard: false })),
      );
      for (const r of results) r.model.dispose();
      const dirs = results.map((r) => r.runDir).sort();
      expect(dirs).toEqual([base, `${base}-2`]);
      for (const d of dirs) expect(existsSync(join(d, 'summary.json'))).toBe(true);
    });
  });

  it('are named to the millisecond, and claimed by creating them (the CLI and the studio share this)', async () => {
    expect(defaultRunName('conv-ae', 'mnist', new Date('2026-12-06T20:33:39.042Z'))).toBe(
      'conv-ae-mnist-20261206-203339-042',
    );
    await withTempDir(async (dir) => {
      const base = join(dir, 'runs', 'gan-toy-ring8-20261206-203339-042');
      const made = await Promise.all(Array.from({ length: 5 }, () => createUniqueDir(base)));
      expect(made.sort()).toEqual([base, `${base}-2`, `${base}-3`, `${base}-4`, `${base}-5`].sort());
      expect((await readdir(join(dir, 'runs'))).length).toBe(5);
    });
  });
});
