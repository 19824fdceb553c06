// interpolationPath: which space a path runs through and what decodes it, for the CLI and the server alike.
import { beforeAll, describe, expect, it } from 'vitest';
import { makeDataset } from '../../src/data/dataset.js';
import { tf } from '../../src/engine/tf.js';
import { ConfigError } from '../../src/errors.js';
import { decodePath, interpolateCodes, interpolationPath } from '../../src/eval/generate.js';
import type { Autoencoder, GenerativeModel, TrainableModel } from '../../src/models/family.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { expectClose, useBackend } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const SHAPE = [4, 4, 1];
function build(spec: Record<string, unknown>): TrainableModel {
  const { family, config } = parseModelConfig(spec);
  return family.build(config, { sampleShape: SHAPE, seed: 0 });
}
const sample = (value: number, label?: number) =>
  makeDataset(
    'end',
    SHAPE,
    new Float32Array(16).fill(value),
    label === undefined ? undefined : Int32Array.of(label),
  );
const fields = { model: 'run', ends: ['from', 'to'] as const };

async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('interpolationPath', () => {
  it('a seed and an encoded sample of a VAE: a prior path, decoded by the generator', async () => {
    const vae = build({ kind: 'vae', hidden: [8], latent: 3 }) as GenerativeModel & Autoencoder;
    const path = await interpolationPath(vae, [{ seed: 5 }, { sample: sample(0.3) }], {
      steps: 4,
      slerp: true,
      fields,
    });
    const prior = vae.samplePrior(1, 5);
    const code = vae.encode(tf.fill([1, ...SHAPE], 0.3));
    expectClose(
      path.codes,
      interpolateCodes(prior.dataSync() as Float32Array, code.dataSync() as Float32Array, 4, true),
      1e-6,
    );
    expect('generator' in path.decoder).toBe(true);
    const images = decodePath(path, 0);
    const expected = vae.generate(tf.tensor2d(path.codes, [4, 3]));
    expect(images.shape).toEqual([4, ...SHAPE]);
    expectClose(images.dataSync(), expected.dataSync(), 1e-6);
    tf.dispose([prior, code, images, expected]);
    vae.dispose();
  });

  it('two samples of a conditional autoencoder: encoder codes, decoded with the first sample label', async () => {
    const { family, config } = parseModelConfig({ kind: 'cvae', hidden: [8], latent: 2 });
    const cvae = family.build(config, { sampleShape: SHAPE, numClasses: 3, seed: 0 }) as Autoencoder;
    const path = await interpolationPath(cvae, [{ sample: sample(0.1, 2) }, { sample: sample(0.9, 1) }], {
      steps: 3,
      slerp: false,
      fields,
    });
    expect('autoencoder' in path.decoder).toBe(true);
    expect(path.sampleLabel).toBe(2);
    const images = decodePath(path, path.sampleLabel!);
    const expected = cvae.decode(tf.tensor2d(path.codes, [3, 2]), tf.tensor1d([2, 2, 2], 'int32'));
    expectClose(images.dataSync(), expected.dataSync(), 1e-6);
    tf.dispose([images, expected]);
    cvae.dispose();
  });

  it('refuses what the model cannot do, naming the model or the end', async () => {
    const ae = build({ kind: 'dense-ae', hidden: [8], latent: 2 });
    const noPrior = await rejection(
      interpolationPath(ae, [{ seed: 1 }, { seed: 2 }], { steps: 3, slerp: false, fields }),
    );
    expect(noPrior.path).toBe('run');
    expect(noPrior.message).toMatch(/needs a generative model .*"dense-ae" has none/);
    const wrongSize = await rejection(
      interpolationPath(ae, [{ code: Float32Array.of(1, 2, 3) }, { sample: sample(0) }], {
        steps: 3,
        slerp: false,
        fields,
      }),
    );
    expect(wrongSize.path).toBe('from');
    expect(wrongSize.message).toContain('expected 2 values (the latent size), got 3');
    ae.dispose();

    const gan = build({ kind: 'gan', latent: 4 });
    const noEncoder = await rejection(
      interpolationPath(gan, [{ sample: sample(0) }, { seed: 2 }], { steps: 3, slerp: false, fields }),
    );
    expect(noEncoder.path).toBe('run');
    gan.dispose();

    const latentGan = build({ kind: 'latentgan', hidden: [8], latent: 2, noiseSize: 3 });
    const otherSpace = await rejection(
      interpolationPath(latentGan, [{ seed: 1 }, { sample: sample(0) }], { steps: 3, slerp: false, fields }),
    );
    expect(otherSpace.path).toBe('to');
    expect(otherSpace.message).toContain('"latentgan" encodes to another space than its prior draws');
    // Two seeds run through the GAN's noise (3-D), two samples through the autoencoder's codes (2-D).
    const seeds = await interpolationPath(latentGan, [{ seed: 1 }, { seed: 2 }], {
      steps: 3,
      slerp: false,
      fields,
    });
    const samples = await interpolationPath(latentGan, [{ sample: sample(0) }, { sample: sample(1) }], {
      steps: 3,
      slerp: false,
      fields,
    });
    expect([seeds.latent, samples.latent]).toEqual([3, 2]);
    latentGan.dispose();
  });
});
