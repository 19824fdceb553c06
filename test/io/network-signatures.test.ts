// The manifest says what every saved network takes and outputs (names, shapes and, where the family declares
// it, meaning), so stock TensorFlow.js users can use the networks; models saved before it still load.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, readManifest, saveModel } from '../../src/io/model-files.js';
import type { BuildContext } from '../../src/models/family.js';
import { listFamilies, parseModelConfig } from '../../src/models/registry.js';
import { useBackend, withTempDir } from '../helpers.js';
import { mixedTable } from '../models/tiny-configs.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const context = { sampleShape: [4, 4, 1], numClasses: 3, seed: 1 };

const mnistContext = { sampleShape: [28, 28, 1], numClasses: 10, seed: 1 };

/** Token ids for the sequence families (needsSequences). */
const textContext = { sampleShape: [16], vocabularySize: 50, numClasses: 2, seed: 1 };

/** The families built for neither images nor text, each with data it takes (its default config divides it). */
const ownContexts: Record<string, BuildContext> = {
  'wave-ae': { sampleShape: [8192, 1], seed: 1 },
  // Table rows (numbers, without an encoding).
  'table-ae': { sampleShape: [6], seed: 1 },
  'table-vae': { sampleShape: [6], seed: 1 },
  gain: { sampleShape: [6], seed: 1 },
  // The synthesisers need column encoders: a mode-specific number, a category and a standard number.
  tvae: mixedTable,
  ctgan: mixedTable,
};

async function savedManifest(raw: Record<string, unknown>, dir: string, ctx: BuildContext = context) {
  const { family, config } = parseModelConfig(raw);
  const model = family.build(config, ctx);
  await saveModel(model, join(dir, 'model'));
  model.dispose();
  return readManifest(join(dir, 'model'));
}

describe('network signatures in the manifest', () => {
  it('a VAE says its encoder gives [mean, logVariance] heads and its decoder logits', async () => {
    await withTempDir(async (dir) => {
      const manifest = await savedManifest({ kind: 'vae', hidden: [8], latent: 2 }, dir);
      const { encoder, decoder } = manifest.signatures ?? {};
      expect(encoder.inputs.map((t) => t.shape)).toEqual([[null, 4, 4, 1]]);
      expect(encoder.outputs.map((t) => t.shape)).toEqual([
        [null, 2],
        [null, 2],
      ]);
      expect(encoder.outputs[0].meaning).toContain('mean');
      expect(encoder.outputs[1].meaning).toContain('log-variance');
      expect(decoder.outputs[0].shape).toEqual([null, 4, 4, 1]);
      expect(decoder.outputs[0].meaning).toContain('logits: apply a sigmoid for pixels');
    });
  });

  it('a plain autoencoder says its decoder outputs pixels in [0, 1]', async () => {
    await withTempDir(async (dir) => {
      const manifest = await savedManifest({ kind: 'dense-ae', hidden: [8], latent: 3 }, dir);
      expect(manifest.signatures?.encoder.outputs[0]).toMatchObject({ shape: [null, 3] });
      expect(manifest.signatures?.encoder.outputs[0].meaning).toContain('code');
      expect(manifest.signatures?.decoder.outputs[0].meaning).toContain('sigmoid applied');
    });
  });

  it('a waveform autoencoder says its networks take and give waveforms in [-1, 1]', async () => {
    await withTempDir(async (dir) => {
      const manifest = await savedManifest(
        { kind: 'wave-ae', filters: [4], latent: 3, spectralWeight: 0 },
        dir,
        {
          sampleShape: [64, 1],
          seed: 1,
        },
      );
      const { encoder, decoder } = manifest.signatures ?? {};
      expect(encoder.inputs.map((t) => [t.shape, t.meaning])).toEqual([
        [[null, 64, 1], 'waveforms [n, samples, 1] in [-1, 1]'],
      ]);
      expect(encoder.outputs[0]).toMatchObject({ shape: [null, 3] });
      expect(decoder.outputs.map((t) => [t.shape, t.meaning])).toEqual([
        [[null, 64, 1], 'reconstructed waveforms [n, samples, 1] in [-1, 1] (tanh applied)'],
      ]);
    });
  });

  it('a GAN says its generator takes N(0, I) noise and its discriminator gives logits', async () => {
    await withTempDir(async (dir) => {
      const manifest = await savedManifest({ kind: 'gan', latent: 4 }, dir, mnistContext);
      const { generator, discriminator } = manifest.signatures ?? {};
      expect(generator.inputs[0]).toMatchObject({ shape: [null, 4] });
      expect(generator.inputs[0].meaning).toContain('N(0, I)');
      expect(generator.outputs[0].shape).toEqual([null, 28, 28, 1]);
      expect(discriminator.outputs[0].meaning).toBe('logits [n, 1]: apply a sigmoid for P(real)');
    });
  });

  it('a VAE-GAN says its encoder gives [mean, logVariance], its decoder pixels and its discriminator scores', async () => {
    await withTempDir(async (dir) => {
      const manifest = await savedManifest(
        { kind: 'vaegan', hidden: [8], latent: 2, discriminatorHidden: [6], adversarialLoss: 'lsgan' },
        dir,
      );
      const { encoder, decoder, discriminator } = manifest.signatures ?? {};
      expect(encoder.outputs.map((t) => t.meaning)).toEqual([
        expect.stringContaining('mean of q(z|x)'),
        expect.stringContaining('log-variance of q(z|x)'),
      ]);
      expect(decoder.inputs[0]).toMatchObject({ shape: [null, 2] });
      expect(decoder.outputs[0].meaning).toContain('sigmoid applied');
      expect(discriminator.summary).toContain('hidden layer 1 is the feature space');
      expect(discriminator.outputs[0].meaning).toContain('a raw score [n, 1] (lsgan');
    });
  });

  it('a semi-supervised AAE says its encoder gives the code and class logits, its decoder takes both', async () => {
    await withTempDir(async (dir) => {
      const manifest = await savedManifest(
        { kind: 'aae', hidden: [8], latent: 2, semiSupervised: true },
        dir,
      );
      const { encoder, decoder } = manifest.signatures ?? {};
      expect(encoder.outputs.map((t) => [t.shape, t.meaning])).toEqual([
        [[null, 2], 'the code [n, 2]'],
        [[null, 3], 'class logits [n, 3] (softmax for probabilities)'],
      ]);
      expect(decoder.inputs.map((t) => [t.shape, t.meaning])).toEqual([
        [[null, 5], 'the code [n, 2] followed by the class as one-hot [n, 3]'],
      ]);
      expect(decoder.outputs[0].meaning).toContain('sigmoid applied');
      // The adversaries say what they score and what their output means.
      const { discriminator, categoryDiscriminator } = manifest.signatures ?? {};
      expect(discriminator.summary).toBe(
        'scores codes: draws from the gaussian prior as real, encoded samples as fake',
      );
      expect(discriminator.inputs.map((t) => [t.shape, t.meaning])).toEqual([[[null, 2], 'a code [n, 2]']]);
      expect(discriminator.outputs[0].meaning).toBe('logits [n, 1]: apply a sigmoid for P(real)');
      expect(categoryDiscriminator.inputs[0].meaning).toBe('class probabilities [n, 3]');
    });
  });

  it('every family lists every saved network with its meaning, inputs and outputs', async () => {
    for (const family of listFamilies()) {
      await withTempDir(async (dir) => {
        const { config } = parseModelConfig({ kind: family.kind });
        const ctx = ownContexts[family.kind] ?? (family.needsSequences ? textContext : mnistContext);
        const model = family.build(config, ctx);
        const names = Object.keys(model.networks);
        model.dispose();
        const manifest = await savedManifest({ kind: family.kind }, dir, ctx);
        expect(Object.keys(manifest.signatures ?? {}).sort(), family.kind).toEqual([...names].sort());
        for (const [name, signature] of Object.entries(manifest.signatures ?? {})) {
          const where = `${family.kind}.${name}`;
          expect(signature.summary, where).toBeTruthy();
          expect(signature.inputs.length, where).toBeGreaterThan(0);
          expect(signature.outputs.length, where).toBeGreaterThan(0);
          for (const tensor of [...signature.inputs, ...signature.outputs])
            expect(tensor.meaning, where).toBeTruthy();
        }
      });
    }
  }, 60_000);

  it('a model saved without signatures (an older latentlab) still loads', async () => {
    await withTempDir(async (dir) => {
      await savedManifest({ kind: 'vae', hidden: [8], latent: 2 }, dir);
      const file = join(dir, 'model', 'manifest.json');
      const { signatures, ...old } = JSON.parse(await readFile(file, 'utf8'));
      expect(signatures).toBeDefined();
      await writeFile(file, JSON.stringify(old));
      const loaded = await loadModel(join(dir, 'model'));
      expect(loaded.manifest.signatures).toBeUndefined();
      expect(loaded.model.kind).toBe('vae');
      loaded.model.dispose();
    });
  });
});
