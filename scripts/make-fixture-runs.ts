// Writes one small finished run per family (and per renamed option) into test/fixtures/runs-0.1.0/, trained for one
// epoch on 64 MNIST digits. The committed fixtures were made by latentlab 0.1.0 at the commit that added this
// script, before the configs' vocabulary was unified; test/compat/fixture-runs.test.ts checks that every later
// version still loads, encodes, samples and resumes them. Rerunning writes fixtures of the current code, so
// only do it to add a fixture, never to "fix" a failing compatibility test.
//
//   node --import tsx scripts/make-fixture-runs.ts [--only NAME]
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunConfigInput } from '../src/train/config.js';
import { trainRun } from '../src/train/run.js';

const OUT = join(import.meta.dirname, '..', 'test', 'fixtures', 'runs-0.1.0');

const body = { hidden: [16], latent: 4 };

/** Run name → model config, in the words of latentlab 0.1.0. */
const FIXTURES: Record<string, Record<string, unknown>> = {
  'dense-ae': { kind: 'dense-ae', hidden: [16], latent: 4, noise: { type: 'masking', level: 0.2 } },
  'conv-ae': { kind: 'conv-ae', filters: [4, 8], latent: 4 },
  'attention-ae': { kind: 'attention-ae', patchSize: 7, dim: 16, heads: 2, depth: 1, latent: 4 },
  vae: { kind: 'vae', ...body },
  'conv-vae': { kind: 'conv-vae', filters: [4, 8], latent: 4, conditional: true },
  cvae: { kind: 'cvae', ...body },
  'classifier-cnn': { kind: 'classifier', architecture: 'cnn', filters: [4, 8], features: 16 },
  'classifier-mlp': { kind: 'classifier', architecture: 'mlp', hidden: [16], features: 8 },
  'gan-mlp': {
    kind: 'gan',
    architecture: 'mlp',
    latent: 4,
    generatorHidden: [16],
    discriminatorHidden: [16],
    loss: 'wgan-gp',
    conditional: true,
  },
  'gan-dcgan': {
    kind: 'gan',
    architecture: 'dcgan',
    latent: 4,
    generatorFilters: [8, 4],
    discriminatorFilters: [4, 8],
    loss: 'lsgan',
  },
  aae: {
    kind: 'aae',
    architecture: 'conv',
    filters: [4, 8],
    latent: 4,
    prior: 'mixture',
    adversarialLoss: 'wgan-gp',
    discriminatorHidden: [8],
  },
  latentgan: {
    kind: 'latentgan',
    ...body,
    generatorHidden: [8],
    discriminatorHidden: [8],
    autoencoderEpochs: 1,
    ganEpochs: 1,
    finetune: true,
    imageDiscriminator: 'mlp',
    imageDiscriminatorHidden: [8],
  },
  aegan: {
    kind: 'aegan',
    architecture: 'conv',
    filters: [4, 8],
    latent: 4,
    mappingHidden: [8],
    pretrainEpochs: 1,
    discriminator: 'dcgan',
    discriminatorFilters: [4, 8],
  },
  'vaegan-mlp': {
    kind: 'vaegan',
    architecture: 'mlp',
    latent: 4,
    hidden: [16],
    discriminatorHidden: [16, 8],
  },
  'vaegan-dcgan': {
    kind: 'vaegan',
    architecture: 'dcgan',
    latent: 4,
    filters: [4, 8],
    adversarialLoss: 'hinge',
  },
};

/** Epochs each fixture was trained for: enough that every phase of a staged family has run. */
export function fixtureEpochs(model: Record<string, unknown>): number {
  if (model.kind === 'latentgan') return 2;
  if (model.kind === 'aegan') return 2;
  return 1;
}

async function main(): Promise<void> {
  const only = process.argv.indexOf('--only');
  const names = only >= 0 ? [process.argv[only + 1] ?? ''] : Object.keys(FIXTURES);
  for (const name of names) {
    const model = FIXTURES[name];
    if (!model) throw new Error(`no fixture "${name}" (known: ${Object.keys(FIXTURES).join(', ')})`);
    const dir = join(OUT, name);
    await rm(dir, { recursive: true, force: true });
    const result = await trainRun(
      {
        data: { source: 'mnist' },
        model,
        train: { epochs: fixtureEpochs(model), batchSize: 32, limit: 64 },
        seed: 7,
        // The fixtures' words are 0.1.0's, which later versions read but no longer type.
      } as unknown as RunConfigInput,
      dir,
      { monitor: false, lossChartSeconds: 0 },
    );
    result.model.dispose();
    // Pictures are not what the compatibility test reads; leaving them out keeps the fixtures small.
    await rm(join(dir, 'images'), { recursive: true, force: true });
    await rm(join(dir, 'loss.png'), { force: true });
    console.log(`${name}: ${result.epochs} epoch(s), test ${JSON.stringify(result.test)}`);
  }
}

await main();
