// The CLI as a user runs it: exit codes, one-line errors, a run killed with SIGKILL that resumes,
// and the commands that use a trained model. Where the process itself is under test (exit codes, signals, what a
// fresh process prints) the CLI runs in a child; the commands after that run main() in this process with the same
// arguments and LATENTLAB_BACKEND (cliInProcess), sparing a 3 s start-up each.
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMatrix } from '../../src/io/arrays.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { cli, cliInProcess, startCli } from '../apps/cli-helper.js';
import { withTempDir } from '../helpers.js';

const quick = ['--hidden', '32', '--latent', '4', '--limit', '512', '--batch-size', '64'];

describe('latentlab CLI', () => {
  it('prints help with every command and exits 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const name of ['train', 'reconstruct', 'encode', 'decode', 'info', 'datasets', 'pca'])
      expect(r.stdout).toContain(name);
  });

  it('exits 2 on usage errors with a readable message', async () => {
    const bad = await cli(['train', '--epochs', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected an integer >= 1 for --epochs, got "abc"');
    const unknown = await cliInProcess(['train', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    const spec = await cliInProcess(['train', '--data', 'hdf5:x']);
    expect(spec.code).toBe(2);
    expect(spec.stderr).toContain('--data: unknown data source "hdf5"');
  });

  it('exits 1 with one line naming the file when data is bad, and writes no run', async () => {
    await withTempDir(async (dir) => {
      const csv = join(dir, 'table.csv');
      await writeFile(csv, 'a,b\n1,2\n3,oops\n');
      const r = await cli(['train', '--data', `csv:${csv}`, '--out', join(dir, 'run'), '--epochs', '1']);
      expect(r.code).toBe(1);
      const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('latentlab: error:'));
      expect(errorLines).toHaveLength(1);
      expect(errorLines[0]).toContain(`${csv}:3`);
      expect(existsSync(join(dir, 'run'))).toBe(false);
    });
  });

  it('survives SIGKILL mid-training and resumes from the last checkpoint', async () => {
    await withTempDir(async (dir) => {
      const run = join(dir, 'run');
      const { child } = startCli(['train', ...quick, '--limit', '2048', '--epochs', '200', '--out', run]);
      const metrics = join(run, 'metrics.jsonl');
      // Wait for two finished epochs, then kill without warning at whatever point it is.
      for (let i = 0; i < 600; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const lines = existsSync(metrics) ? (await readFile(metrics, 'utf8')).trim().split('\n').length : 0;
        if (lines >= 2) break;
      }
      await new Promise((r) => setTimeout(r, 137));
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));

      const checkpoint = await readCheckpoint(join(run, 'checkpoint.lltf'));
      const done = checkpoint.state.epoch;
      expect(done).toBeGreaterThanOrEqual(2);
      const lines = (await readFile(metrics, 'utf8')).trim().split('\n');
      expect(lines.length).toBeGreaterThanOrEqual(done);
      for (const l of lines) JSON.parse(l);

      const resumed = await cliInProcess(['train', '--resume', run, '--epochs', String(done + 1)]);
      expect(resumed.code, resumed.stderr).toBe(0);
      const after = (await readFile(metrics, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(after.map((r) => r.epoch)).toEqual(Array.from({ length: done + 1 }, (_, i) => i + 1));
      expect(existsSync(join(run, 'model', 'manifest.json'))).toBe(true);
      // No temporary files left behind by the finished run.
      expect((await readdir(run)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  });

  it('trains, then reconstructs, encodes, decodes and reports on the run', async () => {
    await withTempDir(async (dir) => {
      const run = join(dir, 'run');
      const trained = await cli(['train', ...quick, '--epochs', '2', '--out', run]);
      expect(trained.code, trained.stderr).toBe(0);
      expect(trained.stdout).toContain('pictures:        ');
      expect(trained.stderr).toContain('backend: wasm');

      const rec = await cliInProcess(['reconstruct', run, '--n', '8', '--out', join(dir, 'rec.png')]);
      expect(rec.code, rec.stderr).toBe(0);
      // The saved model reproduces the test error measured at the end of training.
      const summary = JSON.parse(await readFile(join(run, 'summary.json'), 'utf8'));
      const mse = Number(/2000 samples, reconstruction MSE per value ([\d.]+)/.exec(rec.stdout)?.[1]);
      expect(mse).toBeCloseTo(summary.test.mse, 4);
      expect((await readFile(join(dir, 'rec.png'))).subarray(1, 4).toString()).toBe('PNG');

      const enc = await cliInProcess(['encode', run, '--limit', '10', '--out', join(dir, 'codes.csv')]);
      expect(enc.code, enc.stderr).toBe(0);
      const csv = (await readFile(join(dir, 'codes.csv'), 'utf8')).trim().split('\n');
      expect(csv[0]).toBe('z0,z1,z2,z3,label');
      expect(csv).toHaveLength(11);
      const npy = await cliInProcess(['encode', run, '--limit', '10', '--out', join(dir, 'codes.npy')]);
      expect(npy.code, npy.stderr).toBe(0);
      const m = await readMatrix(join(dir, 'codes.npy'));
      expect([m.rows, m.cols]).toEqual([10, 4]);
      expect(m.data[0]).toBeCloseTo(Number(csv[1].split(',')[0]), 5);

      const dec = await cliInProcess([
        'decode',
        run,
        '--codes',
        join(dir, 'codes.csv'),
        '--out',
        join(dir, 'decoded.png'),
      ]);
      expect(dec.code, dec.stderr).toBe(0);
      expect(existsSync(join(dir, 'decoded.png'))).toBe(true);
      const wrong = join(dir, 'wrong.json');
      await writeFile(wrong, JSON.stringify([[1, 2]]));
      const mismatch = await cliInProcess(['decode', run, '--codes', wrong, '--out', join(dir, 'x.png')]);
      expect(mismatch.code).toBe(2);
      expect(mismatch.stderr).toContain("codes have 2 columns, but the model's latent size is 4");

      const info = await cliInProcess(['info', run, '--json']);
      expect(info.code, info.stderr).toBe(0);
      expect(JSON.parse(info.stdout)).toMatchObject({
        epochsDone: 2,
        config: { model: { kind: 'dense-ae', latent: 4 } },
      });
    });
  });

  it('lists datasets and computes the PCA baseline', async () => {
    const datasets = await cliInProcess(['datasets']);
    expect(datasets.code).toBe(0);
    expect(datasets.stdout).toMatch(/yes\s+mnist/);
    const pca = await cliInProcess(['pca', '--data', 'mnist', '--components', '8', '--json']);
    expect(pca.code, pca.stderr).toBe(0);
    const result = JSON.parse(pca.stdout);
    expect(result.testMse).toBeGreaterThan(0.02);
    expect(result.testMse).toBeLessThan(0.06);
  });

  it('trains a GAN on 2-D toy data with per-epoch mode figures and scatters, and evaluates its coverage', async () => {
    await withTempDir(async (dir) => {
      const run = join(dir, 'gan');
      const trained = await cliInProcess([
        'train',
        '--model',
        'gan',
        '--adversarial-loss',
        'non-saturating',
        '--set',
        'r1=1',
        '--generator-hidden',
        '16,16',
        '--discriminator-hidden',
        '16',
        '--ema',
        '0.9',
        '--data',
        'toy:ring8:1024',
        '--epochs',
        '2',
        '--batch-size',
        '256',
        '--out',
        run,
      ]);
      expect(trained.code, trained.stderr).toBe(0);
      // One line per epoch (not a TTY) with the exact toy metrics, and a scatter per epoch.
      expect(trained.stderr).toMatch(
        /epoch 2\/2 \| train r1 [\d.e-]+, discriminator .*\| modesCovered \d, highQuality/,
      );
      expect(trained.stdout).toContain(join(run, 'images', 'epoch-002-scatter.png'));
      const config = JSON.parse(await readFile(join(run, 'config.json'), 'utf8'));
      expect(config.model).toMatchObject({ kind: 'gan', r1: 1, ema: 0.9, generatorHidden: [16, 16] });
      expect(config.data).toEqual({ source: 'toy', name: 'ring8', size: 1024 });

      const evaluation = await cliInProcess(['evaluate', run]);
      expect(evaluation.code, evaluation.stderr).toBe(0);
      expect(evaluation.stdout).toMatch(
        /modes covered: \d\/8; high-quality samples \(within 3 std of a mode\): [\d.]+% of 2500/,
      );
      expect(existsSync(join(run, 'scatter.png'))).toBe(true);
      const saved = JSON.parse(await readFile(join(run, 'evaluation.json'), 'utf8'));
      expect(saved.toy.modes).toBe(8);

      const badToy = await cliInProcess([
        'train',
        '--model',
        'gan',
        '--data',
        'toy:ring8:many',
        '--out',
        join(dir, 'x'),
      ]);
      expect(badToy.code).toBe(2);
      expect(badToy.stderr).toContain('optionally with a positive integer size');
      const badSet = await cliInProcess(['train', '--model', 'gan', '--set', 'r1', '--out', join(dir, 'y')]);
      expect(badSet.code).toBe(2);
      expect(badSet.stderr).toContain('--set expects key=value');
    });
  });

  it('evaluates a conditional GAN on MNIST by the share of samples in the class asked for', async () => {
    await withTempDir(async (dir) => {
      const run = join(dir, 'cgan');
      const trained = await cliInProcess([
        'train',
        '--model',
        'gan',
        '--conditional',
        '--generator-hidden',
        '32',
        '--discriminator-hidden',
        '32',
        '--limit',
        '256',
        '--batch-size',
        '64',
        '--epochs',
        '1',
        '--out',
        run,
      ]);
      expect(trained.code, trained.stderr).toBe(0);
      expect(trained.stderr).toMatch(
        /classesCovered \d+, classKl [\d.]+, dataClassKl [\d.]+, labelAccuracy [\d.]+/,
      );
      const evaluation = await cliInProcess(['evaluate', run, '--samples', '200', '--json']);
      expect(evaluation.code, evaluation.stderr).toBe(0);
      const report = JSON.parse(evaluation.stdout);
      expect(report.quality.labelAccuracy).toBeGreaterThanOrEqual(0);
      expect(report.quality.labelAccuracy).toBeLessThanOrEqual(1);
      expect(report.quality.fakeSamples).toBe(200);
    });
  });

  it('samples, interpolates, maps and evaluates a VAE, and a conditional VAE generates a chosen class', async () => {
    await withTempDir(async (dir) => {
      const run = join(dir, 'vae');
      const vaeFlags = [
        '--hidden',
        '32',
        '--latent',
        '2',
        '--limit',
        '512',
        '--batch-size',
        '64',
        '--epochs',
        '2',
      ];
      const trained = await cliInProcess(['train', '--model', 'vae', ...vaeFlags, '--out', run]);
      expect(trained.code, trained.stderr).toBe(0);
      expect(trained.stdout).toContain('originals, reconstructions, prior samples');

      const sample = await cliInProcess([
        'sample',
        run,
        '--n',
        '16',
        '--seed',
        '3',
        '--raw',
        join(dir, 's.npy'),
      ]);
      expect(sample.code, sample.stderr).toBe(0);
      const raw = await readMatrix(join(dir, 's.npy'));
      expect([raw.rows, raw.cols]).toEqual([16, 784]);
      expect(Math.min(...raw.data)).toBeGreaterThanOrEqual(0);
      expect(existsSync(join(run, 'samples.png'))).toBe(true);

      const interp = await cliInProcess([
        'interpolate',
        run,
        '--from',
        'seed:1',
        '--to',
        '7',
        '--steps',
        '6',
        '--slerp',
      ]);
      expect(interp.code, interp.stderr).toBe(0);
      expect(interp.stdout).toContain('6 steps (spherical)');

      const map = await cliInProcess(['latent-map', run, '--size', '8', '--limit', '300']);
      expect(map.code, map.stderr).toBe(0);
      expect(existsSync(join(run, 'latent-manifold.png'))).toBe(true);
      expect(existsSync(join(run, 'latent-scatter.png'))).toBe(true);

      const evaluation = await cliInProcess([
        'evaluate',
        run,
        '--k',
        '20',
        '--limit',
        '100',
        '--samples',
        '300',
        '--json',
      ]);
      expect(evaluation.code, evaluation.stderr).toBe(0);
      const report = JSON.parse(evaluation.stdout);
      expect(report.negElbo).toBeGreaterThan(50);
      expect(report.iwae).toBeLessThan(report.negElbo);
      expect(report.command).toContain('evaluate');
      // Samples judged by the shipped MNIST classifier, beside the train-vs-test floor.
      expect(report.quality.fdName).toBe('FD (latentlab mnist classifier)');
      expect(report.quality.frechetDistance).toBeGreaterThan(report.quality.floorFrechetDistance);
      expect(report.quality.fakeSamples).toBe(300);
      expect(report.quality.coverage.numClasses).toBe(10);
      expect(existsSync(join(run, 'evaluation.json'))).toBe(true);

      const typo = await cliInProcess([
        'train',
        '--model',
        'dense-ae',
        '--beta',
        '4',
        '--out',
        join(dir, 'x'),
      ]);
      expect(typo.code).toBe(2);
      expect(typo.stderr).toContain('--beta is not an option of "dense-ae" (it is an option of vae');

      const cvae = join(dir, 'cvae');
      const cTrained = await cliInProcess(['train', '--model', 'cvae', ...vaeFlags, '--out', cvae]);
      expect(cTrained.code, cTrained.stderr).toBe(0);
      const cSample = await cliInProcess([
        'sample',
        cvae,
        '--n',
        '10',
        '--class',
        '3',
        '--out',
        join(dir, 'threes.png'),
      ]);
      expect(cSample.code, cSample.stderr).toBe(0);
      const badClass = await cliInProcess(['sample', cvae, '--class', '12']);
      expect(badClass.code).toBe(2);
      expect(badClass.stderr).toContain('--class: expected a class between 0 and 9, got 12');
    });
  });
});
