// `latentlab sample --sampler gmm` end to end on a tiny run: the mixture is fitted to the training codes once,
// kept as RUN/sampler-gmm/ for the saved model, reused (nothing encoded again, the same draws), refitted on
// --refit to the same numbers; an unknown sampler is refused by name.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMatrix } from '../../src/io/arrays.js';
import { runInProcess } from '../apps/cli-helper.js';
import { withTempDir } from '../helpers.js';

const tiny = ['--hidden', '32', '--latent', '3', '--limit', '300', '--batch-size', '64', '--epochs', '1'];

describe('latentlab sample --sampler', () => {
  it('fits a GMM to the training codes once, keeps it in the run and draws from it', async () => {
    await withTempDir(async (dir) => {
      const run = join(dir, 'ae');
      const trained = await runInProcess(['train', '--model', 'dense-ae', ...tiny, '--out', run]);
      expect(trained.code, trained.stderr).toBe(0);
      const draw = async (name: string, ...extra: string[]) => {
        const r = await runInProcess([
          'sample',
          run,
          '--sampler',
          'gmm',
          '--n',
          '5',
          '--seed',
          '2',
          '--raw',
          join(dir, name),
          ...extra,
        ]);
        expect(r.code, r.stderr).toBe(0);
        return { ...r, values: Array.from((await readMatrix(join(dir, name))).data) };
      };
      const first = await draw('a.npy');
      expect(first.stdout).toContain('Gaussian mixture (10 components, full covariance)');
      expect(first.stderr).toContain('encode train');
      expect(first.stderr).toContain('fit gmm');
      expect(first.values).toHaveLength(5 * 28 * 28);
      const saved = JSON.parse(await readFile(join(run, 'sampler-gmm', 'sampler.json'), 'utf8'));
      expect(saved).toMatchObject({ format: 'latentlab-code-sampler', kind: 'gmm', dims: 3 });
      expect(saved.codes).toBeGreaterThan(100);
      expect(saved.fit.weights).toHaveLength(10);

      const again = await draw('b.npy');
      expect(again.stderr).toBe(''); // kept: nothing to encode or fit
      expect(again.values).toEqual(first.values);
      const refitted = await draw('c.npy', '--refit');
      expect(refitted.stderr).toContain('fit gmm');
      expect(refitted.values).toEqual(first.values);
      expect(existsSync(join(run, 'code-prior.json'))).toBe(false);

      const unknown = await runInProcess(['sample', run, '--sampler', 'vamp']);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toContain('expected one of gaussian, gmm, two-stage, maf, got "vamp"');
    });
  }, 120_000);

  it('refuses a sampler for a vq-vae, whose own prior samples its codebook indices, naming --sampler', async () => {
    await withTempDir(async (dir) => {
      const run = join(dir, 'vq');
      const trained = await runInProcess([
        'train',
        '--model',
        'vq-vae',
        '--filters',
        '4,8',
        '--set',
        'codebookSize=4',
        '--set',
        'embeddingDim=2',
        '--set',
        'priorFilters=4',
        '--set',
        'priorLayers=1',
        '--autoencoder-epochs',
        '1',
        '--prior-epochs',
        '0',
        '--epochs',
        '1',
        '--limit',
        '128',
        '--out',
        run,
      ]);
      expect(trained.code, trained.stderr).toBe(0);
      const r = await runInProcess([
        'sample',
        run,
        '--n',
        '2',
        '--sampler',
        'gmm',
        '--out',
        join(dir, 'g.png'),
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        'error: --sampler: "vq-vae" codes are grids of codebook indices, which its own autoregressive prior samples',
      );
      expect(existsSync(join(run, 'sampler-gmm'))).toBe(false);
    });
  });
});
