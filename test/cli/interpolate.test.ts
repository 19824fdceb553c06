// `latentlab interpolate` on a latent GAN: seed ends go through its generator (noise → code → decoder), and mixing
// a seed with an item, whose code lies in the encoder's space rather than the GAN's noise space, is refused.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveModel } from '../../src/io/model-files.js';
import { getFamily } from '../../src/models/registry.js';
import { runInProcess } from '../apps/cli-helper.js';
import { useBackend, withTempDir } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('interpolate', () => {
  it('latentgan: seed to seed through the generator; seed to item refused, naming why', async () => {
    await withTempDir(async (dir) => {
      const family = getFamily('latentgan');
      const model = family.build(family.configSchema.parse({ kind: 'latentgan', hidden: [16], latent: 4 }), {
        sampleShape: [28, 28, 1],
        numClasses: 10,
        seed: 0,
      });
      await saveModel(model, join(dir, 'model'), { data: { source: 'mnist' } });
      model.dispose();
      const ok = await runInProcess([
        'interpolate',
        dir,
        '--from',
        'seed:1',
        '--to',
        'seed:2',
        '--steps',
        '4',
      ]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(existsSync(join(dir, 'interpolation.png'))).toBe(true);
      const mixed = await runInProcess([
        'interpolate',
        dir,
        '--from',
        'seed:1',
        '--to',
        '3',
        '--limit',
        '10',
      ]);
      expect(mixed.code).not.toBe(0);
      expect(mixed.stderr).toContain(
        '"latentgan" encodes to another space than its prior draws: interpolate between two encoded ends or two seeds',
      );
    });
  });
});
