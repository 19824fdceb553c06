// `latentlab sample` on a plain autoencoder: draws from the Gaussian fitted to its training codes (the prior
// `compare` and the studio use), cached in RUN/code-prior.json for the saved model, seeded and reproducible.
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMatrix } from '../../src/io/arrays.js';
import { runInProcess } from '../apps/cli-helper.js';
import { withTempDir } from '../helpers.js';

const tiny = ['--hidden', '32', '--latent', '4', '--limit', '300', '--batch-size', '64', '--epochs', '1'];

describe('latentlab sample on a plain autoencoder', () => {
  it('samples from the Gaussian fitted to its training codes, cached per saved model, seeded', async () => {
    await withTempDir(async (dir) => {
      const run = join(dir, 'ae');
      const trained = await runInProcess(['train', '--model', 'dense-ae', ...tiny, '--out', run]);
      expect(trained.code, trained.stderr).toBe(0);

      const draw = async (seed: number, name: string) => {
        const r = await runInProcess([
          'sample',
          run,
          '--n',
          '6',
          '--seed',
          String(seed),
          '--raw',
          join(dir, name),
        ]);
        expect(r.code, r.stderr).toBe(0);
        return { ...r, values: (await readMatrix(join(dir, name))).data };
      };
      const first = await draw(3, 'a.npy');
      expect(first.stdout).toContain('Gaussian fitted to the training codes');
      // Encoding the training split shows progress: on a non-terminal one line, however many batches.
      expect(first.stderr).toMatch(/^encode train: (\d+)\/\1 done\n$/);
      expect(existsSync(join(run, 'samples.png'))).toBe(true);
      const cache = JSON.parse(await readFile(join(run, 'code-prior.json'), 'utf8'));
      expect(cache.format).toBe('latentlab-code-prior');
      expect(cache.codes).toBeGreaterThan(100);
      expect(cache.mean).toHaveLength(4);
      expect(cache.covariance).toHaveLength(16);

      const again = await draw(3, 'b.npy');
      expect(Array.from(again.values)).toEqual(Array.from(first.values));
      expect(again.stderr).toBe(''); // cached: nothing to encode
      const other = await draw(4, 'c.npy');
      expect(Array.from(other.values)).not.toEqual(Array.from(first.values));

      // Fitted again from the codes (no cache), the draws are the same numbers.
      await rm(join(run, 'code-prior.json'));
      const refitted = await draw(3, 'd.npy');
      expect(Array.from(refitted.values)).toEqual(Array.from(first.values));
      expect(existsSync(join(run, 'code-prior.json'))).toBe(true);

      // A cache of another saved model (stale) is not used: it is fitted again and replaced.
      const stale = { ...cache, modelSavedAt: '2000-01-01T00:00:00.000Z', mean: [9, 9, 9, 9] };
      await writeFile(join(run, 'code-prior.json'), JSON.stringify(stale));
      const fresh = await draw(3, 'e.npy');
      expect(Array.from(fresh.values)).toEqual(Array.from(first.values));
      const rewritten = JSON.parse(await readFile(join(run, 'code-prior.json'), 'utf8'));
      expect(rewritten.modelSavedAt).toBe(cache.modelSavedAt);
    });
  }, 120_000);
});
