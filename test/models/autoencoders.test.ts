import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import type { Autoencoder, BuildContext } from '../../src/models/family.js';
import { getFamily, parseModelConfig } from '../../src/models/registry.js';
import { corrupt, reconstructionLoss } from '../../src/models/shared/autoencoder-base.js';
import { blobs, expectClose, expectStockAutoencoder, useBackend, withTempDir } from '../helpers.js';
import { tinyImageCases } from './tiny-configs.js';

const context: BuildContext = { sampleShape: [8, 8, 1], seed: 3 };

const families = tinyImageCases('dense-ae', 'conv-ae');

function build(raw: unknown): Autoencoder {
  const { family, config } = parseModelConfig(raw);
  return family.build(config, context) as Autoencoder;
}

beforeAll(async () => {
  await useBackend('wasm');
});

// Build, learning, leaks and save/load are the contract suite's (contract.test.ts); here, what a stock tfjs user
// gets from the saved networks of the plain autoencoders.
describe.each(families)('$name', ({ config }) => {
  it('the saved encoder gives the codes and the decoder, fed them, the reconstructions (stock tfjs)', async () => {
    await withTempDir(async (dir) => {
      const model = build(config);
      const x = blobs(4, 4);
      await expectStockAutoencoder(model, x, dir);
      tf.dispose(x);
      model.dispose();
    });
  });
});

describe('shared autoencoder pieces', () => {
  it('MSE and BCE match a hand computation', () => {
    const target = tf.tensor([0, 1, 0.5, 0.25]);
    const recon = tf.tensor([0.1, 0.8, 0.5, 0.5]);
    const mse = reconstructionLoss('mse', target, recon).dataSync()[0];
    expect(mse).toBeCloseTo((0.01 + 0.04 + 0 + 0.0625) / 4, 6);
    const bce = reconstructionLoss('bce', target, recon).dataSync()[0];
    const hand =
      -(
        Math.log(0.9) +
        Math.log(0.8) +
        (0.5 * Math.log(0.5) + 0.5 * Math.log(0.5)) +
        (0.25 * Math.log(0.5) + 0.75 * Math.log(0.5))
      ) / 4;
    expect(bce).toBeCloseTo(hand, 5);
    tf.dispose([target, recon]);
  });

  it('sparsity adds weight * mean over the batch of sum |z| to the loss', () => {
    const model = build({ kind: 'dense-ae', hidden: [], latent: 5, sparsity: 0.5 });
    const x = blobs(6, 5);
    const losses = model.evaluate({ x, step: 0 });
    const z = model.encode(x);
    const hand = tf.mean(tf.sum(tf.abs(z), -1)).dataSync()[0];
    expect(losses.sparsity.dataSync()[0]).toBeCloseTo(hand, 5);
    expect(losses.loss.dataSync()[0]).toBeCloseTo(losses.reconstruction.dataSync()[0] + 0.5 * hand, 5);
    tf.dispose([x, z, ...Object.values(losses)]);
    model.dispose();
  });

  it('noise: masking zeroes about `level` of the entries, salt-and-pepper sets them to 0 or 1, gaussian has the given spread', () => {
    const x = tf.fill([200, 50], 0.5);
    const masked = corrupt(x, { type: 'masking', level: 0.3 }, 1).dataSync();
    const zeroShare = masked.filter((v) => v === 0).length / masked.length;
    expect(zeroShare).toBeGreaterThan(0.27);
    expect(zeroShare).toBeLessThan(0.33);
    const sp = corrupt(x, { type: 'salt-and-pepper', level: 0.2 }, 2).dataSync();
    const ones = sp.filter((v) => v === 1).length / sp.length;
    const zeros = sp.filter((v) => v === 0).length / sp.length;
    expect(ones).toBeGreaterThan(0.08);
    expect(ones).toBeLessThan(0.12);
    expect(zeros).toBeGreaterThan(0.08);
    expect(zeros).toBeLessThan(0.12);
    const g = corrupt(x, { type: 'gaussian', level: 0.1 }, 3).dataSync() as Float32Array;
    const mean = g.reduce((a, b) => a + b, 0) / g.length;
    const sd = Math.sqrt(g.reduce((a, b) => a + (b - mean) ** 2, 0) / g.length);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(sd).toBeGreaterThan(0.09);
    expect(sd).toBeLessThan(0.11);
    // Same seed, same corruption: runs reproduce.
    expectClose(corrupt(x, { type: 'masking', level: 0.3 }, 1).dataSync(), masked, 0);
    tf.dispose(x);
  });

  it('rejects bad configs naming the field', () => {
    expect(() => parseModelConfig({ kind: 'dense-ae', latent: 0 })).toThrow(/model\.latent/);
    expect(() => parseModelConfig({ kind: 'dense-ae', loss: 'l1' })).toThrow(/model\.loss/);
    expect(() => parseModelConfig({ kind: 'nope' })).toThrow(/unknown model kind "nope"/);
    expect(() =>
      getFamily('conv-ae').build({ kind: 'conv-ae', filters: [4, 8, 16], latent: 2 }, {
        sampleShape: [10, 10, 1],
        seed: 0,
      } as never),
    ).toThrow(/divisible by 8/);
  });
});
