// Runs as the CLI leaves them, with real processes: two writers at once, a SIGKILL then a resume that ends
// bit for bit where an uninterrupted run ends, and Ctrl-C (SIGINT) that exits 130 leaving a usable model.
// What follows a killed or stopped process (the resume, the commands that use its model) runs main() in this
// process (cliInProcess), another process than the one that wrote the run, without a child's 3 s start-up.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { LOCK_FILE } from '../../src/train/run-lock.js';
import { cli, cliInProcess, startCli } from '../apps/cli-helper.js';
import { withTempDir } from '../helpers.js';
import { metricsOf, stateBytes } from './run-state.js';

/** 32 steps an epoch, enough for Adam's running beta powers to drift from pow() if they were rebuilt. */
const quick = ['--hidden', '32', '--latent', '4', '--limit', '512', '--batch-size', '16', '--seed', '2'];

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Epochs the run's checkpoint holds (0 before the first): what a kill now would keep. */
async function epochsWritten(runDir: string): Promise<number> {
  const file = join(runDir, 'checkpoint.lltf');
  return existsSync(file) ? (await readCheckpoint(file)).state.epoch : 0;
}

describe('runs through the CLI', () => {
  it('lets one writer at a time into a run: a second train or resume exits 1 naming the holder', async () => {
    await withTempDir(async (dir) => {
      const run = join(dir, 'run');
      // Long enough (128 steps an epoch) to still hold the lock while the other two start.
      const first = startCli(['train', ...quick, '--limit', '4096', '--epochs', '3', '--out', run]);
      await until(() => existsSync(join(run, LOCK_FILE)), 'the first train to take the lock');
      const [second, third] = await Promise.all([
        cli(['train', '--resume', run, '--epochs', '5']),
        cli(['train', ...quick, '--latent', '3', '--epochs', '1', '--out', run]),
      ]);
      const a = await first.done;
      expect(a.code, a.stderr).toBe(0);
      for (const loser of [second, third]) {
        expect(loser.code).toBe(1);
        expect(loser.stderr).toContain(
          `latentlab: error: ${run}: run is being written by pid ${first.child.pid}`,
        );
      }
      // Config, checkpoint, metrics and model all say what the one writer did.
      const config = JSON.parse(await readFile(join(run, 'config.json'), 'utf8'));
      expect([config.train.epochs, config.model.latent]).toEqual([3, 4]);
      expect((await readCheckpoint(join(run, 'checkpoint.lltf'))).state.epoch).toBe(3);
      expect(await epochsWritten(run)).toBe(3);
      expect(existsSync(join(run, LOCK_FILE))).toBe(false);
    });
  });

  it('two new trains into the same --out: exactly one trains', async () => {
    await withTempDir(async (dir) => {
      const run = join(dir, 'run');
      const results = await Promise.all(
        ['4', '3'].map((latent) =>
          cli(['train', ...quick, '--latent', latent, '--epochs', '1', '--out', run]),
        ),
      );
      expect(results.map((r) => r.code).sort()).toEqual([0, 1]);
      const winner = results.find((r) => r.code === 0)!;
      const config = JSON.parse(await readFile(join(run, 'config.json'), 'utf8'));
      const manifest = JSON.parse(await readFile(join(run, 'model', 'manifest.json'), 'utf8'));
      expect(manifest.config.latent).toBe(config.model.latent);
      expect(winner.stdout).toContain(`run:             ${run}`);
    });
  });

  it('resumes a run killed with SIGKILL to end bit-identical to an uninterrupted one', async () => {
    await withTempDir(async (dir) => {
      const straight = startCli(['train', ...quick, '--epochs', '4', '--out', join(dir, 'straight')]);
      const killed = join(dir, 'killed');
      const victim = startCli(['train', ...quick, '--epochs', '4', '--out', killed]);
      await until(async () => (await epochsWritten(killed)) >= 1, 'one epoch');
      victim.child.kill('SIGKILL');
      await victim.done;
      expect((await readCheckpoint(join(killed, 'checkpoint.lltf'))).state.epoch).toBeLessThan(4);
      expect(existsSync(join(killed, LOCK_FILE))).toBe(true);
      // The dead writer's lock is stale: the resume takes it over.
      const resumed = await cliInProcess(['train', '--resume', killed]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect((await straight.done).code).toBe(0);
      expect(await metricsOf(killed)).toEqual(await metricsOf(join(dir, 'straight')));
      expect(await stateBytes(killed)).toEqual(await stateBytes(join(dir, 'straight')));
    });
  });

  it('resumes a killed factor-vae (its discriminator has its own optimiser) bit-identical too', async () => {
    await withTempDir(async (dir) => {
      const args = [
        'train',
        '--model',
        'factor-vae',
        ...quick,
        '--discriminator-hidden',
        '8',
        '--epochs',
        '3',
      ];
      const straight = startCli([...args, '--out', join(dir, 'straight')]);
      const killed = join(dir, 'killed');
      const victim = startCli([...args, '--out', killed]);
      await until(async () => (await epochsWritten(killed)) >= 1, 'one epoch');
      victim.child.kill('SIGKILL');
      await victim.done;
      expect((await readCheckpoint(join(killed, 'checkpoint.lltf'))).state.epoch).toBeLessThan(2);
      const resumed = await cliInProcess(['train', '--resume', killed]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect((await straight.done).code).toBe(0);
      const state = await stateBytes(killed);
      // Both optimisers' state is in the checkpoint, and carried over.
      expect(Object.keys(state).filter((k) => k.startsWith('opt/')).length).toBeGreaterThan(0);
      expect(new Set(Object.keys(state).map((k) => k.split('/')[1]))).toContain('discriminator');
      expect(await metricsOf(killed)).toEqual(await metricsOf(join(dir, 'straight')));
      expect(state).toEqual(await stateBytes(join(dir, 'straight')));
    });
  });

  it('Ctrl-C exits 130 and leaves a model every command uses; the run stays resumable', async () => {
    await withTempDir(async (dir) => {
      const run = join(dir, 'run');
      const training = startCli(['train', ...quick, '--epochs', '50', '--out', run]);
      await until(async () => (await epochsWritten(run)) >= 2, 'two epochs');
      training.child.kill('SIGINT');
      const stopped = await training.done;
      expect(stopped.code).toBe(130);
      const done = (await readCheckpoint(join(run, 'checkpoint.lltf'))).state.epoch;
      expect(stopped.stdout).toContain(
        `stopped after epoch ${done}; model of epoch ${done}: ${join(run, 'model')}`,
      );
      expect(existsSync(join(run, 'summary.json'))).toBe(false);
      expect(existsSync(join(run, LOCK_FILE))).toBe(false);
      for (const args of [
        ['reconstruct', run, '--n', '4', '--out', join(dir, 'rec.png')],
        ['encode', run, '--limit', '5', '--out', join(dir, 'codes.csv')],
        ['info', run],
      ]) {
        const r = await cliInProcess(args);
        expect(r.code, `${args[0]}: ${r.stderr}`).toBe(0);
      }
      const resumed = await cliInProcess(['train', '--resume', run, '--epochs', String(done + 1)]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(await epochsWritten(run)).toBe(done + 1);
      expect(existsSync(join(run, 'summary.json'))).toBe(true);
    });
  });
});
