// decodeCodes hands each code's label to a conditional decoder (it once dropped them).
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { decodeCodes } from '../../src/eval/codes.js';
import type { Autoencoder } from '../../src/models/family.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { expectClose, useBackend } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('decodeCodes', () => {
  it('decodes a conditional model with each row’s label, across batches', async () => {
    const { family, config } = parseModelConfig({ kind: 'cvae', hidden: [8], latent: 2 });
    const model = family.build(config, { sampleShape: [4, 4, 1], numClasses: 3, seed: 0 }) as Autoencoder;
    const codes = Float32Array.from([0.5, -1, 0.5, -1, 2, 0.1]);
    const labels = [0, 2, 1];
    const decoded = await decodeCodes(model, { rows: 3, cols: 2, data: codes }, 2, labels);
    const expected = tf.tidy(() =>
      model.decode(tf.tensor2d(codes, [3, 2]), tf.tensor1d(labels, 'int32')).dataSync(),
    );
    expectClose(decoded, expected, 1e-6);
    // The same code with another label decodes differently: the label reached the decoder.
    expect(decoded.slice(0, 16)).not.toEqual(decoded.slice(16, 32));
    await expect(decodeCodes(model, { rows: 3, cols: 2, data: codes })).rejects.toThrow(/conditional/);
    model.dispose();
  });
});
